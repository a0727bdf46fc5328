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

export type ScoreDecision =
  /** Set this score (always > 0). */
  | { kind: 'set'; score: number; reason: string }
  /** Remove the score: this node must not be promoted. */
  | { kind: 'delete'; reason: string }
  /** A transitional state: leave the score as it is. */
  | { kind: 'keep'; reason: string };

function set(score: number, reason: string): ScoreDecision {
  return score > 0 ? { kind: 'set', score, reason } : { kind: 'delete', reason: `${reason} (score 0: not promotable)` };
}

/**
 * The promotion score a node in this state deserves; undefined state = resource down.
 * `splitBrainPeers`: peers this node is in a split brain with; a Secondary in a split brain
 * holds diverged data and gets no score (the Primary keeps serving).
 */
export function promotionScore(state: ResourceState | undefined, table: ScoreTable, splitBrainPeers: readonly string[] = []): ScoreDecision {
  if (!state) return { kind: 'delete', reason: 'DRBD resource is down' };
  if (splitBrainPeers.length > 0 && state.role !== 'Primary') {
    return { kind: 'delete', reason: `SPLIT BRAIN with ${splitBrainPeers.join(', ')}: this node's data diverged, not promotable` };
  }
  if (state.volumes.length === 0) return { kind: 'delete', reason: 'DRBD resource has no volumes attached' };
  if (state.volumes.some((v) => !v.quorum)) return { kind: 'delete', reason: 'DRBD resource has lost quorum' };
  const disks = state.volumes.map((v) => v.disk);
  const diskText = [...new Set(disks)].join('/');
  if (allDisksUpToDate(state)) {
    if (state.role === 'Primary') return set(table.asGoodAsItGets, 'Primary with UpToDate data');
    const unknown = state.peers.filter((p) => p.volumes.length === 0 || p.volumes.some((v) => v.peerDisk === 'DUnknown'));
    if (unknown.length > 0) {
      return set(table.localOk, `UpToDate data, but the disk of peer ${unknown.map((p) => p.name).join(', ')} is unknown (not connected)`);
    }
    return set(table.asGoodAsItGets, state.peers.length === 0 ? 'UpToDate data, no peers' : 'UpToDate data, every peer known');
  }
  if (disks.some((d) => d === 'Attaching' || d === 'Negotiating' || d === 'Detaching')) {
    return { kind: 'keep', reason: `disk is ${diskText} (transitional)` };
  }
  if (disks.every((d) => d === 'Consistent' || d === 'UpToDate')) {
    return set(table.onlyConsistent, 'data is only Consistent (DRBD does not know whether it is the newest)');
  }
  return { kind: 'delete', reason: `disk is ${diskText}: no promotion without UpToDate data` };
}
