/**
 * mfs-metarestore's reasons: each code, its fields and its English, declared once. The
 * decisions (election.ts) and the orchestration (metarestore.ts) build them; the agent
 * publishes them (lib/pacemaker/reason.ts); `mfs-crm status` reads the codes and fields.
 * Versions are decimal strings (they exceed 2^53).
 */
import { defineReasons } from '../pacemaker/reason.js';
import { OVERRIDE, setting } from './election-parameters.js';

const ignoreMark = setting(OVERRIDE.ignoreHighWaterMark, {} as never);
const withoutElection = setting(OVERRIDE.promoteWithoutElection, {});

type MarkFields = { mark?: string; markUnreadable?: string };
const markText = (f: MarkFields) => (f.mark !== undefined ? `high-water mark ${f.mark}` : f.markUnreadable !== undefined ? `high-water mark unreadable: ${f.markUnreadable}` : 'no high-water mark yet');
const at = (version: string) => `metadata at version ${version}`;
const problem = (f: { problem?: string }, otherwise: string) => f.problem ?? otherwise;

export const { make: MR, codes: MR_CODE } = defineReasons('moosefs', {
  // --- the score of an Unpromoted instance (unpromotedScore) ---
  bootstrapCandidate: { text: (f: { problem?: string }) => `${problem(f, 'no metadata on this node yet')}; bootstrap_node names this node: it may create a new file system` },
  noMetadata: {
    text: (f: { problem?: string; notFollowing: boolean }) => `not promotable: ${problem(f, 'no metadata on this node yet')}${f.notFollowing ? '; the metalogger is not connected to the master' : ''}`,
  },
  otherFileSystem: { text: (f: { version: string; fsId: string; markFsId: string }) => `not promotable: ${at(f.version)} belongs to file system ${f.fsId}, the cluster serves ${f.markFsId}` },
  masterUnreadableDisconnected: { text: (f: { version: string }) => `${at(f.version)}; a master answers (its metadata version unreadable), and the metalogger is not connected to it` },
  masterUnreadable: { text: (f: { version: string }) => `${at(f.version)}, following a master whose metadata version cannot be read: lag not judged` },
  aheadOfMaster: {
    text: (f: { version: string; master: string; ahead: string }) =>
      `${at(f.version)} is ${f.ahead} change(s) AHEAD of the running master at ${f.master}: changes were lost at a failover; this node's files hold them`,
  },
  behindDisconnected: { text: (f: { version: string; lag: string }) => `${at(f.version)}, ${f.lag} change(s) behind the master, and the metalogger is not connected to it` },
  lagging: { text: (f: { version: string; lag: string; maxLag: string }) => `${at(f.version)}, ${f.lag} change(s) behind the master (more than max_lag ${f.maxLag})` },
  following: { text: (f: { version: string; lag: string; master: string }) => `${at(f.version)}, ${f.lag} change(s) behind the master at ${f.master}` },
  /** Below the cluster's high-water mark: at a monitor (`stage` score) or at promote. */
  belowMark: {
    text: (f: { version: string; mark: string; stage: 'score' | 'promote'; overridden: boolean }) => {
      if (f.stage === 'promote') {
        const behind = `version ${f.version} is behind the high-water mark ${f.mark}: ${BigInt(f.mark) - BigInt(f.version)} change(s) the cluster served would be lost`;
        return f.overridden ? `${behind}; promoting because ${ignoreMark}` : `${behind}; set ${ignoreMark} to accept that`;
      }
      const behind = `${at(f.version)} is behind the high-water mark ${f.mark} (the newest metadata the cluster served)`;
      return f.overridden ? `${behind}; promotable only because ${ignoreMark}` : `not promotable: ${behind}; set ${ignoreMark} to accept losing the difference`;
    },
  },
  peerNewer: {
    text: (f: { version: string; peer: string; peerVersion: string } & MarkFields) =>
      `${at(f.version)}, no master answers (${markText(f)}); ${f.peer} published newer metadata (version ${f.peerVersion}) at the last pre-promote: it goes first`,
  },
  noMaster: { text: (f: { version: string } & MarkFields) => `${at(f.version)}, no master answers (${markText(f)})` },

  // --- promotion (decidePromotion) ---
  noMetadataPeerHas: { text: (f: { problem?: string; peer: string; peerVersion: string }) => `${problem(f, 'no metadata on this node')}, while ${f.peer} has version ${f.peerVersion}` },
  needsBootstrap: {
    text: (f: { problem?: string; node: string }) =>
      `${problem(f, 'no metadata on this node')}, and no other candidate has any: a first boot needs ${setting(OVERRIDE.bootstrapNode, f)} (or another node's name)`,
  },
  notFirstBoot: {
    text: (f: { problem?: string } & MarkFields) =>
      `${problem(f, 'no metadata on this node')} and ${f.mark !== undefined ? `the cluster has served metadata up to version ${f.mark}` : `the high-water mark cannot be read (${f.markUnreadable})`}: not a first boot, refusing to create a new file system`,
  },
  bootstrapUnknownPeers: {
    text: (f: { problem?: string; unknown: readonly string[] }) =>
      `${problem(f, 'no metadata on this node')}; cannot tell whether ${f.unknown.join(', ')} hold metadata: refusing to create a new file system`,
  },
  bootstrap: { text: (f: { node: string }) => `first boot: no metadata anywhere, ${setting(OVERRIDE.bootstrapNode, f)}: creating a new file system` },
  refuseOtherFileSystem: {
    text: (f: { version: string; fsId: string; markFsId: string }) => `this node's metadata (version ${f.version}) is of file system ${f.fsId}, the cluster served ${f.markFsId}: never mixed in`,
  },
  peerAhead: { text: (f: { peer: string; peerVersion: string; version: string }) => `${f.peer} has newer metadata (version ${f.peerVersion}) than this node (version ${f.version}): let it be promoted` },
  cannotCompare: {
    text: (f: { version: string; unknown: readonly string[] }) => `cannot compare version ${f.version} with ${f.unknown.join(', ')}, which may be ahead; set ${withoutElection} to promote anyway`,
  },
  markUnreadable: { text: (f: { why: string }) => `cannot read the high-water mark (${f.why}); set ${ignoreMark} to promote anyway` },
  newest: {
    text: (f: { version: string; peers: readonly string[]; mark?: string }) =>
      `newest metadata: version ${f.version}${f.peers.length > 0 ? `, peers: ${f.peers.join(', ')}` : ''}${f.mark !== undefined ? `, high-water mark ${f.mark}` : ''}`,
  },

  // --- the agent's actions (metarestore.ts) ---
  stopped: { text: () => 'stopped: no metalogger, no promotion score' },
  promoteRefused: { text: () => 'promote refused', lead: true },
  promoteFailed: { text: () => 'promote failed', lead: true },
  promoted: { text: (f: { version: string }) => `promoted at metadata version ${f.version}`, lead: true },
  scoreSetByElection: { text: (f: { score: number; node: string }) => `promotion score ${f.score} set by the election on ${f.node}`, lead: true },
  masterRunsHere: { text: (f: { pid: number; dataPath: string }) => `mfsmaster (pid ${f.pid}) already runs on ${f.dataPath}: metadata is never rebuilt under a live master` },
  masterAnswers: {
    text: (f: { address: string; version?: string }) => `a master still answers at ${f.address} (metadata version ${f.version ?? 'unreadable'}): promoting would make two masters`,
  },
  failure: { text: (f: { message: string }) => f.message },
  aheadOfNewMaster: {
    text: (f: { version: string; peer: string; peerVersion?: string; directory: string }) =>
      `${f.peerVersion !== undefined ? `this node's metadata (version ${f.version}) is ahead of ${f.peer}'s (${f.peerVersion})` : `${f.peer}'s version is unknown`}: metalogger files copied to ${f.directory}`,
  },
});
