/**
 * Who may become master, from metadata versions alone. Pure: versions, file-system ids and
 * the cluster's high-water mark in, scores and decisions (each with its reason) out.
 *
 * - A version is the next version to write (metadata header, CLTOMA_INFO).
 * - The high-water mark is the highest version the cluster has served (recorded by the
 *   Promoted instance's monitor); nobody below it is promoted unless an admin overrides.
 * - At promote, the chosen candidate compares its own version with every other candidate's
 *   published one (ClusterLabs PAF's technique): when another is ahead it refuses, naming it,
 *   so that Pacemaker tries the better one. When it cannot compare, it refuses too, unless
 *   configured otherwise: an unknown peer may be ahead.
 *
 * Each decision says why as a code with fields (`why`, reasons.ts) and in English (`reason`,
 * rendered from it).
 */
import { renderReason, type Reason } from '../pacemaker/reason.js';
import { OVERRIDE, setting } from './election-parameters.js';
import { MR } from './reasons.js';

export interface Position {
  version: bigint;
  /** 0n when unknown (a new file system that has not set its id yet). */
  fsId: bigint;
}

export type Mark = Position;

/** Promotion scores (below 1,000,000, which Pacemaker reads as INFINITY). */
export const SCORE = {
  promoted: 1001,
  best: 1000,
  /** Connected within max_lag: lowered in steps of 1% of max_lag behind, down to this (coarse, so that it rarely changes). */
  floorInSync: 900,
  /** Disconnected or lagging past the threshold: a last resort, the election still decides. */
  lagging: 10,
  /** Below the high-water mark with the override set, or a bootstrap node. */
  lastResort: 1,
} as const;

export const hexId = (id: bigint): string => id.toString(16).toUpperCase().padStart(16, '0');

/** `VERSION:FSID` (hex), as published in node attributes and the high-water mark. */
export function formatPosition(position: Position): string {
  return `${position.version}:${hexId(position.fsId)}`;
}

export function parsePosition(text: string | undefined): Position | undefined {
  const match = /^\s*(\d{1,20}):([0-9A-Fa-f]{1,16})\s*$/.exec(text ?? '');
  if (!match) return undefined;
  return { version: BigInt(match[1]!), fsId: BigInt(`0x${match[2]}`) };
}

/** Whether two file-system ids may be the same file system (0 is unknown). */
export function sameFileSystem(a: bigint, b: bigint): boolean {
  return a === 0n || b === 0n || a === b;
}

/** What the high-water mark is: unset (the cluster never served), a value, or unreadable. */
export type MarkState = { kind: 'none' } | { kind: 'known'; mark: Mark } | { kind: 'unknown'; why: string };

export interface UnpromotedInput {
  /** This node's best metadata; undefined when it has none usable. */
  position: Position | undefined;
  /** Why there is none (for the reason). */
  problem?: string;
  mark: MarkState;
  /** The running master's version when one answers; 'unknown' when one answers but its version cannot be read. */
  masterVersion: bigint | 'unknown' | undefined;
  connected: boolean;
  maxLag: bigint;
  overrideMark: boolean;
  /** bootstrap_node names this node. */
  bootstrapNode: boolean;
  /** What the other candidates published at the last pre-promote (read only when no master answers). */
  peers?: readonly PeerPosition[];
}

/** A reason, and its English. */
export interface Said {
  why: Reason;
  reason: string;
}

const said = (why: Reason): Said => ({ why, reason: renderReason(why) });
const v = (n: bigint) => String(n);
/** The mark as reason fields. */
const markFields = (mark: MarkState) => (mark.kind === 'known' ? { mark: v(mark.mark.version) } : mark.kind === 'unknown' ? { markUnreadable: mark.why } : {});

export interface ScoreDecision extends Said {
  /** undefined: no score (never promoted from here). */
  score: number | undefined;
  /** OCF_DEGRADED: the metalogger does not follow a reachable master closely enough. */
  degraded: boolean;
  lag?: bigint;
}

/** The score an Unpromoted instance publishes, and why. */
export function unpromotedScore(input: UnpromotedInput): ScoreDecision {
  const { position, mark, masterVersion, connected } = input;
  const masterUp = masterVersion !== undefined;
  const notFollowing = masterUp && !connected;
  if (!position) {
    if (input.bootstrapNode && mark.kind === 'none' && !masterUp) {
      return { score: SCORE.lastResort, ...said(MR.bootstrapCandidate({ problem: input.problem })), degraded: false };
    }
    return { score: undefined, ...said(MR.noMetadata({ problem: input.problem, notFollowing })), degraded: notFollowing };
  }
  const version = v(position.version);
  if (mark.kind === 'known' && !sameFileSystem(position.fsId, mark.mark.fsId)) {
    return { score: undefined, ...said(MR.otherFileSystem({ version, fsId: hexId(position.fsId), markFsId: hexId(mark.mark.fsId) })), degraded: true };
  }
  if (masterVersion === 'unknown') {
    // A master serves: never "no master"; how far behind this node is cannot be said.
    if (!connected) return { score: SCORE.lagging, ...said(MR.masterUnreadableDisconnected({ version })), degraded: true };
    return { score: SCORE.floorInSync, ...said(MR.masterUnreadable({ version })), degraded: false };
  }
  if (masterUp) {
    if (position.version > masterVersion) {
      // Only after a failover that lost changes: this node holds history the running master does not.
      return { score: SCORE.lagging, ...said(MR.aheadOfMaster({ version, master: v(masterVersion), ahead: v(position.version - masterVersion) })), degraded: true };
    }
    const lag = masterVersion - position.version;
    if (!connected) return { score: SCORE.lagging, ...said(MR.behindDisconnected({ version, lag: v(lag) })), degraded: true, lag };
    if (lag > input.maxLag) return { score: SCORE.lagging, ...said(MR.lagging({ version, lag: v(lag), maxLag: v(input.maxLag) })), degraded: true, lag };
    const steps = input.maxLag > 0n ? Number((lag * 100n) / input.maxLag) : 0;
    const score = Math.max(SCORE.floorInSync, SCORE.best - steps);
    return { score, ...said(MR.following({ version, lag: v(lag), master: v(masterVersion) })), degraded: false, lag };
  }
  // No master answers: judge against what the cluster served.
  if (mark.kind === 'known' && position.version < mark.mark.version) {
    const below = said(MR.belowMark({ version, mark: v(mark.mark.version), stage: 'score', overridden: input.overrideMark }));
    return { score: input.overrideMark ? SCORE.lastResort : undefined, ...below, degraded: false };
  }
  // Without this, a node that lost the election gets its full score back at its next start or
  // monitor, ties with the winner, and Pacemaker may pick it again and again.
  const newer = (input.peers ?? []).find(
    (peer): peer is { node: string; position: Position } => 'position' in peer && sameFileSystem(peer.position.fsId, position.fsId) && peer.position.version > position.version,
  );
  if (newer) {
    return { score: SCORE.lagging, ...said(MR.peerNewer({ version, ...markFields(mark), peer: newer.node, peerVersion: v(newer.position.version) })), degraded: false };
  }
  return { score: SCORE.best, ...said(MR.noMaster({ version, ...markFields(mark) })), degraded: false };
}

export type PeerPosition = { node: string; position: Position } | { node: string; none: true; problem?: string } | { node: string; unknown: string };

export interface PromotionInput {
  node: string;
  self: Position | undefined;
  selfProblem?: string;
  mark: MarkState;
  /** The other candidates (active instances at pre-promote), with what they published. */
  peers: PeerPosition[];
  /** False when no candidate list is known (no notifications) although others may exist. */
  peersKnown: boolean;
  overrideMark: boolean;
  /** Promote even when a peer's version cannot be read. */
  allowUnknownPeers: boolean;
  bootstrapNode: string | undefined;
}

export type PromotionDecision =
  | ({ action: 'promote'; warnings: string[] } & Said)
  | ({ action: 'bootstrap'; warnings: string[] } & Said)
  | ({ action: 'refuse'; better?: string } & Said);

function unknownPeers(input: PromotionInput): string[] {
  const names = input.peers.filter((p): p is { node: string; unknown: string } => 'unknown' in p).map((p) => `${p.node} (${p.unknown})`);
  if (!input.peersKnown) names.push('the other instances (no candidate list: set notify=true on the clone)');
  return names;
}

/** Whether this node may be promoted now. */
export function decidePromotion(input: PromotionInput): PromotionDecision {
  const { self, mark } = input;
  const warnings: string[] = [];
  const withData = input.peers.filter((p): p is { node: string; position: Position } => 'position' in p);
  const unknown = unknownPeers(input);

  if (!self) {
    const problem = input.selfProblem;
    const ahead = withData.sort((a, b) => (a.position.version > b.position.version ? -1 : 1))[0];
    if (ahead) return { action: 'refuse', ...said(MR.noMetadataPeerHas({ problem, peer: ahead.node, peerVersion: v(ahead.position.version) })), better: ahead.node };
    if (input.bootstrapNode !== input.node) return { action: 'refuse', ...said(MR.needsBootstrap({ problem, node: input.node })) };
    if (mark.kind !== 'none') return { action: 'refuse', ...said(MR.notFirstBoot({ problem, ...markFields(mark) })) };
    if (unknown.length > 0) return { action: 'refuse', ...said(MR.bootstrapUnknownPeers({ problem, unknown })) };
    return { action: 'bootstrap', ...said(MR.bootstrap({ node: input.node })), warnings };
  }

  const version = v(self.version);
  if (mark.kind === 'known' && !sameFileSystem(self.fsId, mark.mark.fsId)) {
    return { action: 'refuse', ...said(MR.refuseOtherFileSystem({ version, fsId: hexId(self.fsId), markFsId: hexId(mark.mark.fsId) })) };
  }
  const sameFs = withData.filter((p) => sameFileSystem(p.position.fsId, self.fsId));
  for (const other of withData.filter((p) => !sameFileSystem(p.position.fsId, self.fsId))) {
    warnings.push(`${other.node} holds another file system (${hexId(other.position.fsId)}): not compared`);
  }
  const ahead = sameFs.filter((p) => p.position.version > self.version).sort((a, b) => (a.position.version > b.position.version ? -1 : 1))[0];
  if (ahead) return { action: 'refuse', ...said(MR.peerAhead({ peer: ahead.node, peerVersion: v(ahead.position.version), version })), better: ahead.node };
  if (unknown.length > 0) {
    if (!input.allowUnknownPeers) return { action: 'refuse', ...said(MR.cannotCompare({ version, unknown })) };
    warnings.push(`promoting without comparing with ${unknown.join(', ')} (${setting(OVERRIDE.promoteWithoutElection, {})})`);
  }
  if (mark.kind === 'unknown') {
    if (!input.overrideMark) return { action: 'refuse', ...said(MR.markUnreadable({ why: mark.why })) };
    warnings.push(`high-water mark unreadable (${mark.why}); promoting because ${setting(OVERRIDE.ignoreHighWaterMark, {} as never)}`);
  }
  if (mark.kind === 'known' && self.version < mark.mark.version) {
    const below = MR.belowMark({ version, mark: v(mark.mark.version), stage: 'promote', overridden: input.overrideMark });
    if (!input.overrideMark) return { action: 'refuse', ...said(below) };
    warnings.push(renderReason(below));
  }
  const peers = sameFs.map((p) => `${p.node} ${p.position.version}`);
  return { action: 'promote', ...said(MR.newest({ version, peers, ...(mark.kind === 'known' ? { mark: v(mark.mark.version) } : {}) })), warnings };
}

/** The new high-water mark after observing a master at `observed`; undefined when unchanged. */
export function raiseMark(current: MarkState, observed: Position): Mark | undefined {
  if (current.kind === 'known' && sameFileSystem(current.mark.fsId, observed.fsId) && current.mark.version >= observed.version) return undefined;
  if (current.kind === 'known' && !sameFileSystem(current.mark.fsId, observed.fsId)) return undefined;
  return { version: observed.version, fsId: observed.fsId === 0n && current.kind === 'known' ? current.mark.fsId : observed.fsId };
}
