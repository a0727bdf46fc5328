/**
 * The failover timeline (pure; no lab): phases read from excerpts of real runs' logs
 * (test/fixtures/cluster/<scenario>: each node's pacemaker.log and corosync.log around one
 * fault of `npm run bench:failover`, and meta.json with the fault and the writer's outage).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clockSkew, describePhases, parseStamp, phaseMedians, timeline, type LogText, type Phase, type Timeline } from './timeline.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'cluster');

interface Meta {
  year: number;
  fault: string;
  last_ack: string;
  first_ack: string;
  from: string;
  to: string;
}

/** The logs' times are local and year-less: the fixture's are read the same way, so any zone works. */
function load(scenario: string, clock: Parameters<typeof timeline>[0]['clock'] = 'host'): Timeline {
  const dir = join(FIXTURES, scenario);
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as Meta;
  const near = new Date(meta.year, 6, 1).getTime();
  const at = (stamp: string) => parseStamp(stamp, near)!;
  const logs: LogText[] = ['node1', 'node2'].flatMap((node) => (['pacemaker', 'corosync'] as const).map((kind) => ({ node, kind, text: readFileSync(join(dir, `${node}.${kind}.log`), 'utf8') })));
  return timeline({ faultAt: at(meta.fault), lastAckAt: at(meta.last_ack), firstAckAt: at(meta.first_ack), from: meta.from, to: meta.to, logs, clock });
}

const phases = (tl: Timeline): Phase[] => {
  if ('unavailable' in tl) throw new Error(tl.unavailable);
  return tl.phases;
};
/** phase -> [start_ms, end_ms] */
const table = (tl: Timeline) => Object.fromEntries(phases(tl).map((p) => [p.phase, [p.start_ms, p.end_ms]]));
const find = (tl: Timeline, name: string) => phases(tl).find((p) => p.phase === name);

describe('failover timeline from the cluster logs', () => {
  it.each([
    [
      'switch-over',
      {
        'transition calculated': [null, 192],
        'last acknowledgement': [null, 1027],
        'stop mfs-ip on old': [248, 1068],
        'stop mfs-master on old': [1088, 4268],
        'demote mfs-store on old': [5344, 7124],
        'stop mfs-store on old': [7844, 9508],
        'promote mfs-store on new': [10932, 12200],
        'notifications': [292, 12356],
        'start mfs-master on new': [12528, 14508],
        'start mfs-ip on new': [14720, 15008],
        'first acknowledgement': [null, 18079],
      },
    ],
    [
      'kill-master',
      {
        'last acknowledgement': [null, 355],
        'monitor failed mfs-master': [null, 1318],
        'loss noticed': [null, 1318],
        'transition calculated': [null, 1362],
        'stop mfs-ip': [1386, 2262],
        'stop mfs-master': [2322, 2778],
        'start mfs-master': [2966, 5726],
        'start mfs-ip': [6322, 7994],
        'first acknowledgement': [null, 9899],
      },
    ],
    [
      'partition',
      {
        'last acknowledgement': [null, 47],
        'token missed': [null, 1843],
        'token lost': [null, 2591],
        'loss noticed': [null, 2591],
        'membership changed': [null, 6195],
        'transition calculated': [null, 6479],
        'start mfs-fence on new': [6735, 7115],
        'fencing of new requested': [null, 7303],
        'fencing of old requested': [null, 7491],
        'old fenced': [null, 8567],
        'promote mfs-store on new': [12367, 14715],
        'start mfs-master on new': [16447, 18259],
        'start mfs-ip on new': [19007, 19687],
        'probes': [15963, 20691],
        'notifications': [8559, 20867],
        'first acknowledgement': [null, 23379],
      },
    ],
  ])('%s: every phase, ms since the fault', (scenario, expected) => {
    expect(table(load(scenario))).toEqual(expected);
  });

  it('power loss: the survivor fences, then waits for the rebooted node before it promotes', () => {
    const tl = load('power-loss');
    expect(find(tl, 'token lost')).toMatchObject({ node: 'node2', end_ms: 2955 });
    expect(find(tl, 'membership changed')).toMatchObject({ node: 'node2', end_ms: 6559, detail: 'Members[1]: 2' });
    expect(find(tl, 'old fenced')).toMatchObject({ node: 'node2', end_ms: 11679, detail: 'reboot of node1 by node2' });
    // The fenced node, booted again by the switch, is probed and started before the promote.
    expect(find(tl, 'start mfs-store on old')).toMatchObject({ start_ms: 32399, end_ms: 47279 });
    expect(find(tl, 'promote mfs-store on new')).toMatchObject({ start_ms: 57379, end_ms: 63967 });
    expect(find(tl, 'first acknowledgement')?.end_ms).toBe(72814);
  });

  it('partition on a loaded machine: the fenced node reboots, rejoins and takes the service back before the survivor promotes', () => {
    const tl = load('partition-taken-back');
    expect(find(tl, 'fencing of old requested')).toMatchObject({ node: 'node1', end_ms: 7979 });
    // The cut node asks to fence the survivor too, and cannot.
    expect(find(tl, 'fencing of other requested')).toMatchObject({ node: 'node2', end_ms: 8967 });
    expect(find(tl, 'old fenced')).toMatchObject({ node: 'node1', end_ms: 12955 });
    // Back on the node that had it: its actions carry no role.
    expect(find(tl, 'start mfs-store')).toMatchObject({ node: 'node2', end_ms: 58291 });
    expect(find(tl, 'promote mfs-store')).toMatchObject({ node: 'node2', end_ms: 83211 });
    expect(phases(tl).some((p) => p.phase.endsWith(' on new'))).toBe(false);
    expect(find(tl, 'first acknowledgement')?.end_ms).toBe(103053);
  });

  it("keeps what the agents logged: the master's recovery and its stop", () => {
    expect(find(load('power-loss'), 'start mfs-master on new')?.detail).toMatch(/unclean stop: no metadata.mfs .*recovery reached metadata version 7499 .*mfsmaster recovered metadata and runs/);
    expect(find(load('switch-over'), 'stop mfs-master on old')?.detail).toBe('INFO: stopping mfsmaster (pid 531, 532) with SIGTERM; INFO: mfsmaster stopped in 2891 ms');
  });

  it('counts notifications, transitions and those stopped before completing', () => {
    const tl = load('switch-over');
    expect(find(tl, 'notifications')?.detail).toBe('9, 4218 ms of execution in all');
    expect(find(tl, 'transition calculated')?.detail).toBe('4 calculated, 3 stopped before completing');
  });

  it('nothing begun after the first acknowledgement (the fenced node rejoining) nor before the fault', () => {
    for (const scenario of ['switch-over', 'kill-master', 'power-loss', 'partition', 'partition-taken-back', 'switch-over-ban']) {
      const all = phases(load(scenario));
      const firstAck = find(load(scenario), 'first acknowledgement')!.end_ms;
      expect(all.every((p) => (p.start_ms ?? p.end_ms) <= firstAck)).toBe(true);
      expect(all.every((p) => p.end_ms >= 0 || p.phase === 'last acknowledgement')).toBe(true);
    }
  });

  it('an action begun before the first acknowledgement is kept whole (IPaddr2 returned after the client reconnected); a ban keeps the old instance', () => {
    const tl = load('switch-over-ban');
    expect(find(tl, 'first acknowledgement')?.end_ms).toBe(45036);
    expect(find(tl, 'start mfs-ip on new')).toMatchObject({ start_ms: 43648, end_ms: 45244 });
    expect(find(tl, 'demote mfs-store on old')).toBeDefined();
    expect(find(tl, 'stop mfs-store on old')).toBeUndefined();
  });

  it("says 'unavailable' when the nodes' clocks are not this machine's (UML kernels), unless seen close to it", () => {
    const tl = load('switch-over', 'own');
    expect(tl).toEqual({ unavailable: expect.stringContaining('clocks of their own') });
    expect(describePhases(tl)).toEqual([expect.stringMatching(/^timeline unavailable: /)]);
    expect(load('switch-over', { withinMs: 1500 })).toEqual({ unavailable: "a node's clock is 1500 ms from this machine's (more than 1000 ms)" });
    const close = load('switch-over', { withinMs: 160 });
    expect(phases(close)).toEqual(phases(load('switch-over')));
    expect(describePhases(close)[0]).toBe("(the nodes' own clocks, seen within 160 ms of this machine's)");
  });

  it("a node's clock against this machine's: its newest stamped line against the file's modification time", () => {
    const text = readFileSync(join(FIXTURES, 'switch-over', 'node1.pacemaker.log'), 'utf8');
    const last = parseStamp(text.trimEnd().split('\n').at(-1)!, new Date(2026, 6, 1).getTime())!;
    expect(clockSkew(text, last + 48)).toBe(-48);
    expect(clockSkew(`${text}a line without a stamp\n`, last - 2000)).toBe(2000);
    expect(clockSkew('nothing stamped\n', last)).toBeUndefined();
  });

  it('medians per phase over repetitions', () => {
    const run = (end: number, took?: number): Timeline => ({ phases: [{ phase: 'promote x', node: 'node1', start_ms: took === undefined ? null : end - took, end_ms: end }, { phase: 'first acknowledgement', node: null, start_ms: null, end_ms: end + 1000 }] });
    expect(phaseMedians([run(3000, 500), run(1000, 300), run(2000, 400), { unavailable: 'x' }])).toEqual([
      { phase: 'promote x', runs: 3, end_ms: 2000, took_ms: 400 },
      { phase: 'first acknowledgement', runs: 3, end_ms: 3000, took_ms: null },
    ]);
  });

  it('reads year-less local stamps, picking the year nearest the fault', () => {
    const near = new Date(2027, 0, 1, 0, 0, 5).getTime();
    expect(parseStamp('Dec 31 23:59:59.250 node1 pacemaker-controld  [72] (x) \tnotice: y', near)).toBe(new Date(2026, 11, 31, 23, 59, 59, 250).getTime());
    expect(parseStamp('Jan  1 00:00:01 [46] node2 corosync notice  [TOTEM ] z', near)).toBe(new Date(2027, 0, 1, 0, 0, 1).getTime());
    expect(parseStamp('no stamp here', near)).toBeUndefined();
  });
});
