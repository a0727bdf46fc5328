/**
 * Promotion scores from DRBD disk states, the way LINBIT's drbd.ocf (`drbd_update_master_score`)
 * grades them, with its parameter format `adjust_master_score="0 10 1000 10000"`:
 *
 *   1. only Consistent data (DRBD is unsure whether it is the newest): 0 by default = no score;
 *   2. only a peer's UpToDate data: accepted for compatibility, never used here: this agent
 *      mounts a file system and never promotes without local UpToDate data;
 *   3. local UpToDate, Secondary, some peer's disk unknown (disconnected);
 *   4. local UpToDate and Primary, or every peer's disk known.
 *
 * Outdated, Inconsistent, Failed, Diskless (clients included) and no quorum: no score at all
 * (the attribute is deleted), so Pacemaker never picks that node. Transitional states
 * (Attaching, Negotiating) keep whatever score was there. Pure: no processes.
 */
import { renderReason, type Reason } from '../pacemaker/reason.js';
import { DR } from './reasons.js';
import { allDisksUpToDate, type ResourceState } from './state.js';

export interface ScoreTable {
  onlyConsistent: number;
  onlyRemote: number;
  localOk: number;
  asGoodAsItGets: number;
}

export const DEFAULT_SCORE_TABLE_TEXT = '0 10 1000 10000';

/** Pacemaker's INFINITY: a promotion score must stay below it. */
const INFINITY = 1_000_000;

/** Parses the four non-decreasing integers; throws an Error saying what is wrong. */
export function parseScoreTable(text: string): ScoreTable {
  const words = text.trim().split(/\s+/).filter(Boolean);
  if (words.length !== 4) throw new Error(`must be four integers (e.g. "${DEFAULT_SCORE_TABLE_TEXT}"), got ${words.length} values`);
  const values = words.map((word) => {
    if (!/^\d+$/.test(word)) throw new Error(`must be four non-negative integers, got ${JSON.stringify(word)}`);
    const value = Number(word);
    if (value >= INFINITY) throw new Error(`values must stay below ${INFINITY} (INFINITY), got ${value}`);
    return value;
  });
  for (let i = 1; i < values.length; i++) {
    if (values[i]! < values[i - 1]!) throw new Error(`values must not decrease, got ${values[i - 1]} before ${values[i]}`);
  }
  const [onlyConsistent, onlyRemote, localOk, asGoodAsItGets] = values as [number, number, number, number];
  return { onlyConsistent, onlyRemote, localOk, asGoodAsItGets };
}

/** `why`: the reason as code and fields (reasons.ts); `reason`: its English. */
export type ScoreDecision = { why: Reason; reason: string } & (
  /** Set this score (always > 0). */
  | { kind: 'set'; score: number }
  /** Remove the score: this node must not be promoted. */
  | { kind: 'delete' }
  /** A transitional state: leave the score as it is. */
  | { kind: 'keep' }
);

const del = (why: Reason): ScoreDecision => ({ kind: 'delete', why, reason: renderReason(why) });

function set(score: number, reason: (f: { zero?: boolean }) => Reason): ScoreDecision {
  if (score > 0) {
    const why = reason({});
    return { kind: 'set', score, why, reason: renderReason(why) };
  }
  return del(reason({ zero: true }));
}

/**
 * The promotion score a node in this state deserves; undefined state = resource down.
 * `splitBrainPeers`: peers this node is in a split brain with; a Secondary in a split brain
 * holds diverged data and gets no score (the Primary keeps serving). `droppedPeers`: peers
 * DRBD dropped (StandAlone) and this node has not replicated with since (decisions.ts
 * droppedPeers): a Secondary among them gets no score either, even once it only waits for the
 * peer again, since the drop may have been a split brain it cannot prove.
 */
export function promotionScore(state: ResourceState | undefined, table: ScoreTable, splitBrainPeers: readonly string[] = [], droppedPeers: readonly string[] = []): ScoreDecision {
  if (!state) return del(DR.down());
  if (splitBrainPeers.length > 0 && state.role !== 'Primary') return del(DR.splitBrainDiverged({ peers: splitBrainPeers }));
  if (droppedPeers.length > 0 && state.role !== 'Primary') return del(DR.droppedNotReplicated({ peers: droppedPeers }));
  if (state.volumes.length === 0) return del(DR.noVolumes());
  if (state.volumes.some((v) => !v.quorum)) return del(DR.noQuorum());
  const disks = state.volumes.map((v) => v.disk);
  const distinct = [...new Set(disks)];
  if (allDisksUpToDate(state)) {
    if (state.role === 'Primary') return set(table.asGoodAsItGets, DR.primaryUpToDate);
    const unknown = state.peers.filter((p) => p.volumes.length === 0 || p.volumes.some((v) => v.peerDisk === 'DUnknown'));
    if (unknown.length > 0) return set(table.localOk, (f) => DR.peerUnknown({ peers: unknown.map((p) => p.name), ...f }));
    return set(table.asGoodAsItGets, state.peers.length === 0 ? DR.upToDateNoPeers : DR.upToDatePeersKnown);
  }
  if (disks.some((d) => d === 'Attaching' || d === 'Negotiating' || d === 'Detaching')) {
    const why = DR.transitional({ disks: distinct });
    return { kind: 'keep', why, reason: renderReason(why) };
  }
  if (disks.every((d) => d === 'Consistent' || d === 'UpToDate')) return set(table.onlyConsistent, DR.onlyConsistent);
  return del(DR.diskNotUpToDate({ disks: distinct }));
}
