/**
 * The emulator's pure logic, by tables: resync direction at a handshake, DRBD's promotion
 * score (compute_promotion_info of drbdsetup_events2.c), wrap_printf, the status layout.
 */
import { describe, expect, it } from 'vitest';
import { filterChatter } from './drbdadm.js';
import { events2Now, statusText, Wrapper } from './format.js';
import { parseHostVolumes } from './config.js';
import { promotionInfo, syncDirection, type ConnectionView, type ResourceView } from './model.js';
import type { DiskState, Metadata, Role } from './state.js';

const meta = (disk: Metadata['disk'], gen: number, history: number[] = []): Metadata => ({ disk, gen, history });

describe('syncDirection (which side is SyncSource when two nodes meet)', () => {
  const cases: [string, Metadata, boolean, Metadata, boolean, ReturnType<typeof syncDirection>][] = [
    ['same data', meta('UpToDate', 5), false, meta('UpToDate', 5), false, 'none'],
    ['a wrote while b was away', meta('UpToDate', 7, [5]), false, meta('UpToDate', 5), false, { source: 'a', target: 'b' }],
    ['b wrote while a was away', meta('Outdated', 5, [3]), false, meta('UpToDate', 9, [5, 3]), false, { source: 'b', target: 'a' }],
    ['both wrote: split brain', meta('UpToDate', 7, [5]), false, meta('UpToDate', 8, [5]), false, 'split-brain'],
    ['a never synced', meta('Inconsistent', 0), false, meta('UpToDate', 5), false, { source: 'b', target: 'a' }],
    ['neither synced', meta('Inconsistent', 0), false, meta('Inconsistent', 0), false, 'none'],
    ['a discards its data even if newer', meta('UpToDate', 7, [5]), true, meta('UpToDate', 8, [5]), false, { source: 'b', target: 'a' }],
    ['b discards', meta('UpToDate', 7, [5]), false, meta('UpToDate', 8, [5]), true, { source: 'a', target: 'b' }],
    ['both discard: back to the generations', meta('UpToDate', 7, [5]), true, meta('UpToDate', 8, [5]), true, 'split-brain'],
  ];
  it.each(cases)('%s', (_name, a, discardA, b, discardB, expected) => {
    expect(syncDirection({ node: 'a', meta: a, discard: discardA }, { node: 'b', meta: b, discard: discardB })).toEqual(expected);
  });
});

function view(role: Role, disk: DiskState | undefined, peer?: { role: Role | 'Unknown'; disk: DiskState; state?: ConnectionView['state'] }): ResourceView {
  const devices = disk === undefined ? [] : [{ volume: 0, minor: 0, disk, client: disk === 'Diskless', backingDev: disk === 'Diskless' ? 'none' : '/dev/loop0', quorum: true, sizeKiB: 1024 }];
  const connections: ConnectionView[] = peer
    ? [
        {
          peerNodeId: 1,
          name: 'beta',
          state: peer.state ?? (peer.disk === 'DUnknown' ? 'Connecting' : 'Connected'),
          role: peer.role,
          paths: [{ local: 'ipv4:10.0.0.1:7789', peer: 'ipv4:10.0.0.2:7789' }],
          peerDevices: [{ volume: 0, replication: peer.disk === 'DUnknown' ? 'Off' : 'Established', peerDisk: peer.disk, peerClient: false, outOfSync: 0, sizeKiB: 1024 }],
        },
      ]
    : [];
  return { name: 'r0', nodeId: 0, role, forceIoFailures: false, devices, connections };
}

describe('promotionInfo (may_promote, promotion_score)', () => {
  const cases: [string, ResourceView, boolean, number][] = [
    ['both UpToDate, connected', view('Secondary', 'UpToDate', { role: 'Secondary', disk: 'UpToDate' }), true, 10102],
    ['UpToDate, peer unknown', view('Secondary', 'UpToDate', { role: 'Unknown', disk: 'DUnknown' }), true, 10101],
    ['no peers at all', view('Secondary', 'UpToDate'), true, 10101],
    ['Outdated, peer unknown', view('Secondary', 'Outdated', { role: 'Unknown', disk: 'DUnknown' }), false, 0],
    ['Inconsistent, peer UpToDate', view('Secondary', 'Inconsistent', { role: 'Secondary', disk: 'UpToDate' }), true, 10001],
    ['Inconsistent, peer UpToDate but Primary (not stable)', view('Secondary', 'Inconsistent', { role: 'Primary', disk: 'UpToDate' }), false, 10001],
    ['diskless client, peer UpToDate', view('Secondary', 'Diskless', { role: 'Secondary', disk: 'UpToDate' }), true, 1],
    ['local Primary', view('Primary', 'UpToDate', { role: 'Secondary', disk: 'UpToDate' }), false, 10102],
    ['peer Primary', view('Secondary', 'UpToDate', { role: 'Primary', disk: 'UpToDate' }), false, 10102],
    ['no devices', view('Secondary', undefined), false, 0],
  ];
  it.each(cases)('%s', (_name, v, mayPromote, score) => {
    expect(promotionInfo(v)).toEqual({ mayPromote, score });
  });
});

describe('formats', () => {
  it('wrap_printf breaks before a piece that would pass the width and indents the next line', () => {
    const w = new Wrapper(20);
    w.print(2, 'abc');
    w.print(6, ' defghijklmnop');
    w.print(6, ' qrstuvwxyz');
    w.print(0, '\n');
    expect(w.out).toBe('  abc defghijklmnop\n      qrstuvwxyz\n');
  });

  const options = { verbose: false, statistics: false, isTty: false, columns: 80 };
  const cases: [string, ResourceView, string][] = [
    ['Secondary, connected', view('Secondary', 'UpToDate', { role: 'Secondary', disk: 'UpToDate' }), 'r0 role:Secondary\n  disk:UpToDate\n  beta role:Secondary\n    peer-disk:UpToDate\n\n'],
    ['Primary, peer Connecting', view('Primary', 'UpToDate', { role: 'Unknown', disk: 'DUnknown' }), 'r0 role:Primary\n  disk:UpToDate\n  beta connection:Connecting\n\n'],
    ['diskless client (no tty)', view('Secondary', 'Diskless', { role: 'Primary', disk: 'UpToDate' }), 'r0 role:Secondary\n  disk:Diskless client:yes\n  beta role:Primary\n    peer-disk:UpToDate\n\n'],
    ['StandAlone', view('Primary', 'UpToDate', { role: 'Unknown', disk: 'DUnknown', state: 'StandAlone' }), 'r0 role:Primary\n  disk:UpToDate\n  beta connection:StandAlone\n\n'],
  ];
  it.each(cases)('status: %s', (_name, v, expected) => {
    expect(statusText([v], options)).toBe(expected);
  });

  it('events2 --now: objects in the order drbdsetup prints them', () => {
    const lines = events2Now([view('Secondary', 'UpToDate', { role: 'Secondary', disk: 'UpToDate' })], false).split('\n');
    expect(lines.map((line) => line.split(' ')[1])).toEqual(['resource', 'connection', 'device', 'peer-device', 'path', '-', undefined]);
    expect(lines.at(-2)).toBe('exists -');
    expect(events2Now([], false)).toBe('exists -\n');
  });

  it("drops drbdadm's __DRBD_NODE__ chatter and nothing else", () => {
    const said = '\n   found __DRBD_NODE__ in environment\n   PRETENDING that I am >>alpha<<\n\nr0: State change failed: (-2) Need access to UpToDate data\n';
    expect(filterChatter(said)).toBe('r0: State change failed: (-2) Need access to UpToDate data\n');
    expect(filterChatter('plain\n')).toBe('plain\n');
  });

  it('reads the device of a host from drbdadm dump-xml', () => {
    const xml = `<config><resource name="r0"><host name="alpha"><volume vnr="0"><device minor="3">/dev/drbd_a</device><disk>/dev/loop1</disk></volume></host>
      <host name="beta"><volume vnr="0"><device minor="4">/dev/drbd_b</device><disk>/dev/loop1</disk></volume></host></resource></config>`;
    expect(parseHostVolumes(xml, 'beta')).toEqual([{ volume: 0, minor: 4, device: '/dev/drbd_b', disk: '/dev/loop1' }]);
    expect(parseHostVolumes(xml, 'gamma')).toEqual([]);
  });
});
