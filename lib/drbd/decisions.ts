/**
 * The decisions of the DRBD store agent, as pure functions of the DRBD state (and of what this
 * node remembers): may it promote, what does monitor report, is this a split brain and what
 * does the policy make of it. No processes: the agent runs what these decide.
 */
import type { ResourceStatus } from '../runtime/errors.js';
import { renderReason, type Reason } from '../pacemaker/reason.js';
import { DR, DRBD_OVERRIDE } from './reasons.js';
import { allDisksUpToDate, peerNames, type PeerState, type ResourceState } from './state.js';

/** What this node remembers across actions, per peer (kept in a small file by history.ts). */
export interface PeerHistory {
  /**
   * When this node was last seen Primary while this peer was not connected (ms since the
   * epoch): from then on both sides may have written, and a StandAlone connection after it is
   * a split brain. Cleared once the peer is connected and replicating again.
   */
  primaryWhileDisconnectedSince?: number;
  /**
   * When this node first saw the connection to this peer StandAlone: DRBD dropped it (a split
   * brain found at a handshake, or a disconnect by hand). Kept until the peer replicates again,
   * so that a reconnect that only waits for the peer (WFConnection) does not erase it: until
   * then this node may hold diverged data and is not promoted. Unlike the mark above, it needs
   * no memory from before a reboot: a fenced old Primary that returns into a split brain is
   * seen StandAlone after it.
   */
  standAloneSince?: number;
}

export type History = Record<string, PeerHistory>;

const REPLICATING = new Set(['Established', 'SyncSource', 'SyncTarget', 'PausedSyncS', 'PausedSyncT', 'WFBitMapS', 'WFBitMapT', 'WFSyncUUID', 'VerifyS', 'VerifyT', 'Ahead', 'Behind']);

/** The peer is connected and replicating every volume. */
export function peerReplicating(peer: PeerState): boolean {
  return peer.connection === 'Connected' && peer.volumes.length > 0 && peer.volumes.every((v) => REPLICATING.has(v.replication));
}

/** The history after seeing this state at time `now`. Returns a new object. */
export function updateHistory(history: History, state: ResourceState | undefined, now: number): History {
  const next: History = {};
  for (const [name, entry] of Object.entries(history)) next[name] = { ...entry };
  if (!state) return next;
  for (const peer of state.peers) {
    const entry = (next[peer.name] ??= {});
    if (peerReplicating(peer)) {
      delete entry.primaryWhileDisconnectedSince;
      delete entry.standAloneSince;
    } else {
      if (state.role === 'Primary' && peer.connection !== 'Connected') entry.primaryWhileDisconnectedSince ??= now;
      if (peer.connection === 'StandAlone') entry.standAloneSince ??= now;
    }
    if (Object.keys(entry).length === 0) delete next[peer.name];
  }
  return next;
}

export interface SplitBrain {
  peer: string;
  /** Since when the two sides are known apart (ms since the epoch), when known. */
  since: number | undefined;
  /**
   * What it rests on: this node was Primary without the peer; it is Primary and StandAlone (with
   * one writer DRBD would have resynchronised instead); or DRBD dropped the connection (a
   * Secondary StandAlone: a split brain found at a handshake, or a disconnect by hand).
   */
  evidence: 'primary-apart' | 'primary-standalone' | 'dropped';
}

/**
 * Split brains visible from this node: every peer connection StandAlone. DRBD drops a
 * connection to StandAlone by itself only when a handshake finds both sides wrote while apart
 * (or their data unrelated); otherwise an admin disconnected it. Either way this node does not
 * replicate with that peer, and a Secondary there is the one split_brain_policy may discard:
 * it serves nothing, and whatever it wrote apart is what the policy means to drop (for a node
 * that never wrote apart, a resynchronisation).
 */
export function detectSplitBrain(state: ResourceState | undefined, history: History): SplitBrain[] {
  if (!state) return [];
  return state.peers
    .filter((peer) => peer.connection === 'StandAlone')
    .map((peer): SplitBrain => {
      const known = history[peer.name] ?? {};
      if (known.primaryWhileDisconnectedSince !== undefined) return { peer: peer.name, since: known.primaryWhileDisconnectedSince, evidence: 'primary-apart' };
      if (state.role === 'Primary') return { peer: peer.name, since: known.standAloneSince, evidence: 'primary-standalone' };
      return { peer: peer.name, since: known.standAloneSince, evidence: 'dropped' };
    });
}

/**
 * Peers this node has not replicated with since DRBD dropped their connection (StandAlone),
 * whether or not it is StandAlone still: a Secondary among them may hold diverged data.
 */
export function droppedPeers(history: History): string[] {
  return Object.entries(history)
    .filter(([, entry]) => entry.standAloneSince !== undefined)
    .map(([name]) => name);
}

export const SPLIT_BRAIN_POLICIES = ['manual', 'discard-secondary'] as const;
export type SplitBrainPolicy = (typeof SPLIT_BRAIN_POLICIES)[number];

export type DiscardStep = 'disconnect' | 'secondary' | 'connect --discard-my-data';

/**
 * The victim's way back: disconnect (unless already StandAlone: real DRBD 8.4 refuses to
 * disconnect a StandAlone resource, "(162) ... unknown connection", where 9 answers 0), make sure
 * it is Secondary, then connect discarding its own changes.
 */
export function discardSteps(state: ResourceState): DiscardStep[] {
  const standAlone = state.peers.every((p) => p.connection === 'StandAlone');
  return [...(standAlone ? [] : (['disconnect'] as const)), 'secondary', 'connect --discard-my-data'];
}

export type SplitBrainPlan =
  | { kind: 'none' }
  /** Report loudly, change nothing. */
  | { kind: 'report'; splitBrains: SplitBrain[]; message: string }
  /** The Secondary victim: the drbdadm steps that make it resynchronise from the peer, in order. */
  | { kind: 'discard-local'; splitBrains: SplitBrain[]; steps: DiscardStep[]; message: string }
  /** The Primary survivor: reconnect a StandAlone connection so that the victim can sync from it. */
  | { kind: 'reconnect'; splitBrains: SplitBrain[]; message: string };

function since(split: SplitBrain): string {
  return split.since === undefined ? '' : ` since ${new Date(split.since).toISOString()}`;
}

/** The changes at stake on this node, by what shows the split brain. */
function apart(split: SplitBrain): string {
  const peer = peerNames([split.peer]);
  return split.evidence === 'primary-apart'
    ? `while Primary without ${peer}${since(split)}`
    : `apart from ${peer} (DRBD dropped their connection${since(split)}: a split brain found at a handshake, as when a fenced Primary returns, or a disconnect by hand)`;
}

/** What to do about the split brains seen from this node, under the policy. */
export function splitBrainPlan(state: ResourceState | undefined, history: History, policy: SplitBrainPolicy, node: string): SplitBrainPlan {
  const splitBrains = detectSplitBrain(state, history);
  if (!state || splitBrains.length === 0) return { kind: 'none' };
  const peers = peerNames(splitBrains.map((s) => s.peer));
  const where = `DRBD resource ${state.name}`;
  if (policy === 'manual') {
    const advice =
      state.role === 'Primary'
        ? `this node (${node}) keeps serving as Primary; its data is NOT replicated. To resolve by hand, on the node whose changes are to be lost: ` +
          `${DRBD_OVERRIDE.discardMyData.command(state.name)}; then here: ${DRBD_OVERRIDE.discardMyData.reconnect(state.name)}`
        : `this node (${node}) holds changes made ${apart(splitBrains[0]!)}; nothing is discarded automatically ` +
          `(split_brain_policy=manual). To discard them: ${DRBD_OVERRIDE.discardMyData.command(state.name, { secondary: false })}`;
    return { kind: 'report', splitBrains, message: `SPLIT BRAIN on ${where} with ${peers}: ${advice}` };
  }
  if (state.role === 'Primary') {
    return {
      kind: 'reconnect',
      splitBrains,
      message: `split brain on ${where} with ${peers}: this node (${node}) is Primary and keeps its data; reconnecting so that the Secondary resynchronises from it`,
    };
  }
  const discarded = splitBrains.map((s) => `changes this node (${node}) made ${apart(s)}`).join('; ');
  return {
    kind: 'discard-local',
    splitBrains,
    steps: discardSteps(state),
    message:
      `split brain on ${where} with ${peers}: split_brain_policy=discard-secondary: DISCARDING on ${node} (Secondary) ` +
      `every volume of ${state.name}: ${discarded}; reconnecting with --discard-my-data to resynchronise from the peer`,
  };
}

export type PromoteCheck = { ok: true } | { ok: false; why: Reason; reason: string };

const refused = (why: Reason): PromoteCheck => ({ ok: false, why, reason: renderReason(why) });

/**
 * A peer this node's DRBD still sees connected and Primary, if any: the peer itself, not its
 * name, which for DRBD 8.4's one peer is empty (falsy: the wait for 8.4 to notice a lost
 * Primary was skipped until real 8.4 showed it).
 */
export function connectedPrimaryPeer(state: ResourceState | undefined): PeerState | undefined {
  return state?.peers.find((p) => p.connection === 'Connected' && p.role === 'Primary');
}

/**
 * Whether this node may become Primary: only on UpToDate data, never beside a Primary peer, and
 * never while DRBD's drop of a peer stands (`dropped`: droppedPeers): a promotion score is as
 * old as the monitor that published it, and a split brain found at a handshake since then must
 * not be promoted on it.
 */
export function promoteCheck(state: ResourceState | undefined, dropped: readonly string[] = []): PromoteCheck {
  if (!state) return refused(DR.notStarted());
  const resource = state.name;
  if (state.volumes.length === 0) return refused(DR.noVolumeAttached({ resource }));
  if (!allDisksUpToDate(state)) return refused(DR.refuseNotUpToDate({ resource, disks: [...new Set(state.volumes.map((v) => v.disk))] }));
  if (dropped.length > 0) return refused(DR.refuseDropped({ resource, peers: dropped }));
  if (state.volumes.some((v) => !v.quorum)) return refused(DR.refuseNoQuorum({ resource }));
  const primaryPeer = connectedPrimaryPeer(state);
  if (primaryPeer) return refused(DR.refusePeerPrimary({ resource, peer: primaryPeer.name }));
  return { ok: true };
}

/** What monitor found about the mounted store on a Primary. */
export type MountHealth = 'ok' | 'not-mounted' | 'read-only' | 'unwritable' | 'no-data-directory' | 'wrong-device';

export interface MonitorVerdict {
  /** `failed`: the monitor fails with the reason (a resource without its disk). */
  status: ResourceStatus | 'failed';
  reason: string;
}

/**
 * What a monitor finds: not-running (down), ok (Secondary), promoted (Primary and mounted),
 * degraded-promoted (Primary but a peer is not connected), failed-promoted (Primary with the mount
 * gone or unwritable), degraded (Secondary in a split brain: not replicating, holding diverged
 * data), failed (a Secondary without its disk).
 */
export function monitorVerdict(state: ResourceState | undefined, mount: MountHealth | undefined, splitBrains: readonly SplitBrain[]): MonitorVerdict {
  if (!state) return { status: 'not-running', reason: 'DRBD resource is down' };
  const unconnected = state.peers.filter((p) => p.connection !== 'Connected').map((p) => `${peerNames([p.name])} (${p.connection})`);
  if (state.role === 'Primary') {
    if (mount !== undefined && mount !== 'ok') {
      const what: Record<Exclude<MountHealth, 'ok'>, string> = {
        'not-mounted': 'its file system is not mounted',
        'read-only': 'its file system is mounted read-only',
        unwritable: 'its file system cannot be written',
        'no-data-directory': 'the MooseFS data directory is missing',
        'wrong-device': 'another device is mounted at the directory',
      };
      return { status: 'failed-promoted', reason: `DRBD resource ${state.name} is Primary but ${what[mount]}` };
    }
    if (splitBrains.length > 0) {
      return { status: 'degraded-promoted', reason: `Primary in SPLIT BRAIN with ${peerNames(splitBrains.map((s) => s.peer))}: not replicating` };
    }
    if (!allDisksUpToDate(state)) {
      return { status: 'degraded-promoted', reason: `Primary on ${state.volumes.map((v) => v.disk).join('/')} data (reads go to the peer)` };
    }
    if (unconnected.length > 0) return { status: 'degraded-promoted', reason: `Primary, peer not connected: ${unconnected.join(', ')}` };
    return { status: 'promoted', reason: 'Primary, mounted, replicating' };
  }
  if (state.volumes.length === 0 || state.volumes.some((v) => (v.disk === 'Diskless' && !v.client) || v.disk === 'Failed')) {
    return { status: 'failed', reason: `DRBD resource ${state.name} is ${state.role} without its disk (${state.volumes.map((v) => v.disk).join('/') || 'no volume'})` };
  }
  if (splitBrains.length > 0) {
    return { status: 'degraded', reason: `Secondary in SPLIT BRAIN with ${peerNames(splitBrains.map((s) => s.peer))}: not replicating` };
  }
  if (unconnected.length > 0) return { status: 'ok', reason: `Secondary, peer not connected: ${unconnected.join(', ')}` };
  return { status: 'ok', reason: 'Secondary, replicating' };
}

/** Why a DRBD command failed, from its exit code and text (drbdsetup's codes, DRBD-FACTS.md §3). */
export type DrbdRefusal =
  | 'need-uptodate-data'
  | 'multiple-primaries'
  | 'held-open'
  | 'peer-not-outdated'
  | 'no-quorum'
  | 'discard-when-primary'
  | 'has-net-config'
  | 'no-such-resource'
  | 'no-module'
  | 'other';

export function classifyRefusal(exitCode: number | undefined, text: string): DrbdRefusal {
  if (exitCode === 17 || /\(-2\) Need access to UpToDate data/.test(text)) return 'need-uptodate-data';
  if (/\(-1\) Multiple primaries not allowed/.test(text)) return 'multiple-primaries';
  if (/\(-12\) Device is held open/.test(text)) return 'held-open';
  if (/\(-7\) Refusing to be Primary while peer is not outdated/.test(text)) return 'peer-not-outdated';
  if (/\(-25\) No quorum/.test(text)) return 'no-quorum';
  if (/\(123\) --discard-my-data not allowed when primary/.test(text)) return 'discard-when-primary';
  if (/\(125\) Device has a net-config/.test(text)) return 'has-net-config';
  if (/No such resource|Unknown resource|not defined in your config/.test(text)) return 'no-such-resource';
  if (/Failed to modprobe drbd|Module drbd not found/.test(text)) return 'no-module';
  return 'other';
}
