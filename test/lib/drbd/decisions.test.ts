/**
 * The pure decisions: promotion scores (LINBIT's table), may promote, monitor codes,
 * split-brain detection and what each policy does, refusals by DRBD's words.
 */
import { describe, expect, it } from 'vitest';
import { exitCodeName, exitCodeOf, OCF } from '../../../lib/ocf/exit-codes.js';
import { classifyRefusal, detectSplitBrain, discardSteps, droppedPeers, monitorVerdict, promoteCheck, splitBrainPlan, updateHistory, type History } from '../../../lib/drbd/decisions.js';
import { parse84, UNNAMED_PEER } from '../../../lib/drbd/state.js';
import { parseScoreTable, promotionScore } from '../../../lib/drbd/scores.js';
import { drbdState as state } from '../../helpers/drbd-state.js';

const table = parseScoreTable('0 10 1000 10000');
const disconnected = { connection: 'Connecting' as const };

describe('promotion score table', () => {
  it.each([
    ['Secondary UpToDate, peer UpToDate', state(), 'set', 10000],
    ['Primary UpToDate, peer connected', state({ role: 'Primary' }), 'set', 10000],
    ['Primary UpToDate, peer unknown', state({ role: 'Primary', peers: [disconnected] }), 'set', 10000],
    ['Secondary UpToDate, no peers', state({ peers: [] }), 'set', 10000],
    ['Secondary UpToDate, peer unknown', state({ peers: [disconnected] }), 'set', 1000],
    ['Secondary UpToDate, one of two peers unknown', state({ peers: [{}, disconnected] }), 'set', 1000],
    ['Secondary UpToDate, peer Outdated (known)', state({ peers: [{ disk: 'Outdated' }] }), 'set', 10000],
    ['only Consistent (score 0)', state({ disk: 'Consistent', peers: [disconnected] }), 'delete', undefined],
    ['Outdated', state({ disk: 'Outdated' }), 'delete', undefined],
    ['Inconsistent, peer UpToDate', state({ disk: 'Inconsistent', peers: [{ replication: 'SyncTarget' }] }), 'delete', undefined],
    ['Diskless', state({ disk: 'Diskless' }), 'delete', undefined],
    ['Diskless client', state({ disk: 'Diskless', client: true }), 'delete', undefined],
    ['Failed', state({ disk: 'Failed' }), 'delete', undefined],
    ['one volume Outdated of two', state({ disk: ['UpToDate', 'Outdated'] }), 'delete', undefined],
    ['no quorum', state({ quorum: false }), 'delete', undefined],
    ['down', undefined, 'delete', undefined],
    ['Attaching', state({ disk: 'Attaching' }), 'keep', undefined],
    ['Negotiating', state({ disk: 'Negotiating' }), 'keep', undefined],
  ] as const)('%s', (_name, s, kind, score) => {
    const decision = promotionScore(s, table);
    expect(decision.kind).toBe(kind);
    if (decision.kind === 'set') expect(decision.score).toBe(score);
    expect(decision.reason.length).toBeGreaterThan(5);
  });

  it('uses the configured values, and a configured Consistent score', () => {
    const custom = parseScoreTable('5 20 300 4000');
    expect(promotionScore(state(), custom)).toMatchObject({ kind: 'set', score: 4000 });
    expect(promotionScore(state({ peers: [disconnected] }), custom)).toMatchObject({ kind: 'set', score: 300 });
    expect(promotionScore(state({ disk: 'Consistent' }), custom)).toMatchObject({ kind: 'set', score: 5 });
  });

  it('gives a Secondary in a split brain no score; the Primary keeps its own', () => {
    const standAlone = { connection: 'StandAlone' as const };
    expect(promotionScore(state({ peers: [standAlone] }), table, ['node2'])).toMatchObject({ kind: 'delete', reason: expect.stringContaining('SPLIT BRAIN with node2') });
    expect(promotionScore(state({ role: 'Primary', peers: [standAlone] }), table, ['node2'])).toMatchObject({ kind: 'set', score: 10000 });
    expect(promotionScore(state({ peers: [standAlone] }), table, [])).toMatchObject({ kind: 'set', score: 1000 });
  });

  it('gives a Secondary DRBD dropped from a peer no score until they replicate again, even once it only waits for the peer', () => {
    const dropped = promotionScore(state({ peers: [disconnected] }), table, [], ['node2']);
    expect(dropped).toMatchObject({ kind: 'delete', reason: expect.stringContaining('DRBD dropped the connection to node2 (StandAlone') });
    expect(dropped.reason).toContain('not promotable');
    expect(promotionScore(state({ role: 'Primary', peers: [disconnected] }), table, [], ['node2']), 'a Primary keeps serving').toMatchObject({ kind: 'set', score: 10000 });
  });

  it('explains the lower score by the unknown peer', () => {
    expect(promotionScore(state({ peers: [{ name: 'nodeB', connection: 'StandAlone' }] }), table).reason).toContain('peer nodeB is unknown');
  });

  it.each([
    ['0 10 1000', 'four integers'],
    ['0 10 1000 10000 5', 'four integers'],
    ['0 10 x 10000', 'non-negative integers'],
    ['0 -10 1000 10000', 'non-negative integers'],
    ['0 1000 10 10000', 'must not decrease'],
    ['0 10 1000 1000000', 'below 1000000'],
  ])('refuses the table %j', (text, message) => {
    expect(() => parseScoreTable(text)).toThrow(message);
  });
});

describe('may promote', () => {
  it.each([
    ['Secondary UpToDate', state(), true, ''],
    ['Secondary UpToDate, peer disconnected', state({ peers: [disconnected] }), true, ''],
    ['Outdated', state({ disk: 'Outdated' }), false, 'local data is Outdated, not UpToDate'],
    ['Inconsistent', state({ disk: 'Inconsistent' }), false, 'local data is Inconsistent, not UpToDate'],
    ['Consistent', state({ disk: 'Consistent' }), false, 'local data is Consistent, not UpToDate'],
    ['Diskless', state({ disk: 'Diskless' }), false, 'local data is Diskless'],
    ['peer Primary', state({ peers: [{ name: 'node1', role: 'Primary' }] }), false, 'peer node1 is Primary'],
    // Real 8.4.11 on the survivor, 29 s after its Primary peer was cut off: its one peer has no name.
    ['DRBD 8.4: the unnamed peer Primary', parse84('r0', 'Secondary/Primary', 'Connected', 'UpToDate/UpToDate'), false, 'the peer is Primary'],
    ['no quorum', state({ quorum: false }), false, 'no quorum'],
    ['down', undefined, false, 'down'],
  ] as const)('%s', (_name, s, ok, reason) => {
    const check = promoteCheck(s);
    expect(check.ok).toBe(ok);
    if (!check.ok) expect(check.reason).toContain(reason);
  });

  it('refuses while DRBD has dropped a peer and they have not replicated since, whatever the score said', () => {
    const check = promoteCheck(state({ peers: [disconnected] }), ['node2']);
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.reason).toBe('Refusing to promote DRBD resource r0: DRBD dropped the connection to node2 (StandAlone) and this node has not replicated since: its data may have diverged (a split brain)');
  });
});

describe('monitor codes', () => {
  it.each([
    ['down', undefined, undefined, 'OCF_NOT_RUNNING'],
    ['Secondary connected', state(), undefined, 'OCF_SUCCESS'],
    ['Secondary, peer disconnected', state({ peers: [disconnected] }), undefined, 'OCF_SUCCESS'],
    ['Secondary Outdated', state({ disk: 'Outdated' }), undefined, 'OCF_SUCCESS'],
    ['Secondary without its disk', state({ disk: 'Diskless' }), undefined, 'OCF_ERR_GENERIC'],
    ['Secondary diskless client', state({ disk: 'Diskless', client: true }), undefined, 'OCF_SUCCESS'],
    ['Primary mounted, peer connected', state({ role: 'Primary' }), 'ok', 'OCF_RUNNING_PROMOTED'],
    ['Primary mounted, no peers', state({ role: 'Primary', peers: [] }), 'ok', 'OCF_RUNNING_PROMOTED'],
    ['Primary mounted, peer disconnected', state({ role: 'Primary', peers: [disconnected] }), 'ok', 'OCF_DEGRADED_PROMOTED'],
    ['Primary on Inconsistent data', state({ role: 'Primary', disk: 'Inconsistent', peers: [{ replication: 'SyncTarget' }] }), 'ok', 'OCF_DEGRADED_PROMOTED'],
    ['Primary, mount gone', state({ role: 'Primary' }), 'not-mounted', 'OCF_FAILED_PROMOTED'],
    ['Primary, read-only', state({ role: 'Primary' }), 'read-only', 'OCF_FAILED_PROMOTED'],
    ['Primary, unwritable', state({ role: 'Primary' }), 'unwritable', 'OCF_FAILED_PROMOTED'],
    ['Primary, data directory gone', state({ role: 'Primary' }), 'no-data-directory', 'OCF_FAILED_PROMOTED'],
    ['Primary, another device mounted', state({ role: 'Primary' }), 'wrong-device', 'OCF_FAILED_PROMOTED'],
  ] as const)('%s', (_name, s, mount, code) => {
    // the exit code the agent ends with: a failed verdict is its monitor's generic error
    const { status } = monitorVerdict(s, mount, []);
    expect(exitCodeName(status === 'failed' ? OCF.ERR_GENERIC : exitCodeOf(status))).toBe(code);
  });

  it('reports a split brain as degraded on both sides', () => {
    const split = [{ peer: 'node2', since: 1, evidence: 'primary-apart' as const }];
    expect(monitorVerdict(state({ role: 'Primary', peers: [{ connection: 'StandAlone' }] }), 'ok', split).status).toBe('degraded-promoted');
    const secondary = monitorVerdict(state({ peers: [{ connection: 'StandAlone' }] }), undefined, split);
    expect(secondary.status).toBe('degraded');
    expect(secondary.reason).toContain('SPLIT BRAIN with node2');
  });
});

describe('split brain', () => {
  const standAlone = { connection: 'StandAlone' as const };

  it('remembers being Primary without a peer, and forgets it once replicating again', () => {
    let history: History = {};
    history = updateHistory(history, state({ role: 'Primary' }), 1000);
    expect(history).toEqual({});
    history = updateHistory(history, state({ role: 'Primary', peers: [disconnected] }), 2000);
    expect(history).toEqual({ node2: { primaryWhileDisconnectedSince: 2000 } });
    history = updateHistory(history, state({ role: 'Primary', peers: [disconnected] }), 3000);
    expect(history.node2!.primaryWhileDisconnectedSince, 'the first sighting counts').toBe(2000);
    history = updateHistory(history, state({ peers: [standAlone] }), 4000);
    expect(history.node2!.primaryWhileDisconnectedSince, 'a Secondary keeps the mark').toBe(2000);
    history = updateHistory(history, undefined, 5000);
    expect(history.node2!.primaryWhileDisconnectedSince, 'down keeps the mark').toBe(2000);
    history = updateHistory(history, state({ peers: [{ replication: 'SyncTarget', disk: 'UpToDate' }] }), 6000);
    expect(history).toEqual({});
  });

  it('remembers a dropped connection (StandAlone) until the peer replicates again', () => {
    let history = updateHistory({}, state({ peers: [standAlone] }), 1000);
    expect(history).toEqual({ node2: { standAloneSince: 1000 } });
    expect(droppedPeers(history)).toEqual(['node2']);
    history = updateHistory(history, state({ peers: [disconnected] }), 2000);
    expect(history, 'a reconnect that only waits for the peer keeps the mark').toEqual({ node2: { standAloneSince: 1000 } });
    history = updateHistory(history, state({ peers: [standAlone] }), 3000);
    expect(history.node2!.standAloneSince, 'the first sighting counts').toBe(1000);
    history = updateHistory(history, state({ peers: [{ replication: 'SyncTarget', disk: 'Inconsistent' }] }), 4000);
    expect(history).toEqual({});
    expect(droppedPeers(history)).toEqual([]);
    expect(updateHistory({}, state({ peers: [disconnected] }), 5000), 'only StandAlone is a drop').toEqual({});
  });

  it.each([
    ['Secondary StandAlone, never Primary apart (an old Primary after a reboot, or a disconnect by hand)', state({ peers: [standAlone] }), { node2: { standAloneSince: 5 } }, ['node2']],
    ['Secondary waiting again after a drop (no split brain to act on; still no score)', state({ peers: [disconnected] }), { node2: { standAloneSince: 5 } }, []],
    ['Secondary StandAlone after being Primary apart', state({ peers: [standAlone] }), { node2: { primaryWhileDisconnectedSince: 5 } }, ['node2']],
    ['Primary StandAlone', state({ role: 'Primary', peers: [standAlone] }), {}, ['node2']],
    ['Primary Connecting (peer just gone)', state({ role: 'Primary', peers: [disconnected] }), { node2: { primaryWhileDisconnectedSince: 5 } }, []],
    ['connected', state(), { node2: { primaryWhileDisconnectedSince: 5 } }, []],
    ['down', undefined, { node2: { primaryWhileDisconnectedSince: 5 } }, []],
  ] as const)('detects: %s', (_name, s, history, peers) => {
    expect(detectSplitBrain(s, history as History).map((b) => b.peer)).toEqual(peers);
  });

  const victim = state({ peers: [standAlone] });
  const survivor = state({ role: 'Primary', peers: [standAlone] });
  const marked: History = { node2: { primaryWhileDisconnectedSince: Date.UTC(2026, 0, 2, 3, 4, 5) } };

  it('manual: reports loudly on both sides, discards nothing, tells how to resolve', () => {
    const onVictim = splitBrainPlan(victim, marked, 'manual', 'node1');
    expect(onVictim.kind).toBe('report');
    if (onVictim.kind === 'report') {
      expect(onVictim.message).toContain('SPLIT BRAIN on DRBD resource r0 with node2');
      expect(onVictim.message).toContain('nothing is discarded automatically');
      expect(onVictim.message).toContain('since 2026-01-02T03:04:05.000Z');
    }
    const onSurvivor = splitBrainPlan(survivor, {}, 'manual', 'node2');
    expect(onSurvivor.kind).toBe('report');
    if (onSurvivor.kind === 'report') expect(onSurvivor.message).toContain('keeps serving as Primary');
  });

  it('discard-secondary: the Secondary discards its changes (named), the Primary reconnects', () => {
    const onVictim = splitBrainPlan(victim, marked, 'discard-secondary', 'node1');
    expect(onVictim.kind).toBe('discard-local');
    if (onVictim.kind === 'discard-local') {
      expect(onVictim.message).toContain('DISCARDING on node1 (Secondary) every volume of r0');
      expect(onVictim.message).toContain('changes this node (node1) made while Primary without node2 since 2026-01-02T03:04:05.000Z');
    }
    expect(splitBrainPlan(survivor, {}, 'discard-secondary', 'node2').kind).toBe('reconnect');
    expect(splitBrainPlan(state(), marked, 'discard-secondary', 'node1').kind).toBe('none');
  });

  it('a Secondary DRBD dropped is the victim without memory of its past: the rebooted old Primary forgot it was Primary apart', () => {
    const dropped: History = { node2: { standAloneSince: Date.UTC(2026, 0, 2, 3, 4, 5) } };
    const manual = splitBrainPlan(victim, dropped, 'manual', 'node1');
    expect(manual.kind).toBe('report');
    if (manual.kind === 'report') expect(manual.message).toContain('holds changes made apart from node2 (DRBD dropped their connection since 2026-01-02T03:04:05.000Z: a split brain found at a handshake');
    const discard = splitBrainPlan(victim, dropped, 'discard-secondary', 'node1');
    expect(discard.kind).toBe('discard-local');
    if (discard.kind === 'discard-local') expect(discard.message).toContain('changes this node (node1) made apart from node2 (DRBD dropped their connection');
    expect(splitBrainPlan(state({ peers: [disconnected] }), dropped, 'discard-secondary', 'node1').kind, 'waiting for the peer again: nothing to redo').toBe('none');
  });

  it('discard-secondary on a StandAlone victim skips the disconnect, which real DRBD 8.4 refuses there', () => {
    expect(discardSteps(victim), 'StandAlone: 8.4 answers "(162) ... unknown connection" to a disconnect').toEqual(['secondary', 'connect --discard-my-data']);
    expect(discardSteps(state({ peers: [disconnected] })), 'still connecting: disconnect first').toEqual(['disconnect', 'secondary', 'connect --discard-my-data']);
  });

  it('DRBD 8.4 (one unnamed peer): the plan names "the peer", never an empty name', () => {
    // What real 8.4.11 said on the victim after the split brain (drbdadm role, cstate, dstate).
    const victim84 = parse84('r0', 'Secondary/Unknown', 'StandAlone', 'UpToDate/DUnknown')!;
    const marked84: History = { [UNNAMED_PEER]: { primaryWhileDisconnectedSince: Date.UTC(2026, 0, 2, 3, 4, 5) } };
    const manual = splitBrainPlan(victim84, marked84, 'manual', 'node2');
    expect(manual.kind).toBe('report');
    if (manual.kind === 'report') expect(manual.message).toContain('SPLIT BRAIN on DRBD resource r0 with the peer: ');
    const discard = splitBrainPlan(victim84, marked84, 'discard-secondary', 'node2');
    expect(discard.kind).toBe('discard-local');
    if (discard.kind === 'discard-local') {
      expect(discard.steps).toEqual(['secondary', 'connect --discard-my-data']);
      expect(discard.message).toContain('made while Primary without the peer since');
    }
    expect(monitorVerdict(victim84, undefined, detectSplitBrain(victim84, marked84)).reason).toBe('Secondary in SPLIT BRAIN with the peer: not replicating');
  });
});

describe("DRBD's refusals", () => {
  it.each([
    [17, 'r0: State change failed: (-2) Need access to UpToDate data', 'need-uptodate-data'],
    [11, 'r0: State change failed: (-1) Multiple primaries not allowed by config', 'multiple-primaries'],
    [11, 'r0: State change failed: (-12) Device is held open by someone\nadditional info from kernel:\n/dev/drbd0 opened by mount (pid 4242)', 'held-open'],
    [11, 'r0: State change failed: (-7) Refusing to be Primary while peer is not outdated', 'peer-not-outdated'],
    [11, 'r0: State change failed: (-25) No quorum\nadditional info from kernel:\n1 of 3 nodes visible, need 2 for quorum', 'no-quorum'],
    [10, 'r0: Failure: (123) --discard-my-data not allowed when primary.', 'discard-when-primary'],
    [10, 'r0: Failure: (125) Device has a net-config (use disconnect first)', 'has-net-config'],
    [10, 'r0: No such resource', 'no-such-resource'],
    [1, "'x' not defined in your config (for this host).", 'no-such-resource'],
    [20, 'Failed to modprobe drbd (No such file or directory)', 'no-module'],
    [20, 'USAGE: drbdsetup events2', 'other'],
  ] as const)('%i %s', (code, text, refusal) => {
    expect(classifyRefusal(code, text)).toBe(refusal);
  });
});
