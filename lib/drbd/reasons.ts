/**
 * mfs-drbd-store's reasons (codes, fields, English, declared once) and the manual overrides
 * DRBD offers, each a command with its risk, used by the agent's messages (decisions.ts) and
 * by `mfs-crm status` alike.
 */
import { defineReasons } from '../pacemaker/reason.js';
import { peerLabel, peerNames, UNNAMED_PEER } from './state.js';

const zero = (f: { zero?: boolean }) => (f.zero ? ' (score 0: not promotable)' : '');
const list = (names: readonly string[]) => names.join(', ');
const unnamed = (names: readonly string[]) => names.every((n) => n === UNNAMED_PEER);
/** `peer node2, node3`, or `the peer` (as peerLabel for one). */
const peersLabel = (names: readonly string[]) => (unnamed(names) ? 'the peer' : `peer ${list(names)}`);
const disks = (f: { disks: readonly string[] }) => f.disks.join('/');

export const { make: DR, codes: DR_CODE } = defineReasons('drbd', {
  // --- promotion scores (scores.ts) ---
  down: { text: () => 'DRBD resource is down' },
  splitBrainDiverged: { text: (f: { peers: readonly string[] }) => `SPLIT BRAIN with ${peerNames(f.peers)}: this node's data diverged, not promotable` },
  droppedNotReplicated: {
    text: (f: { peers: readonly string[] }) =>
      `DRBD dropped the connection to ${peerNames(f.peers)} (StandAlone: a split brain found at the handshake, or a disconnect by hand) and it has not replicated since: this node's data may have diverged, not promotable`,
  },
  noVolumes: { text: () => 'DRBD resource has no volumes attached' },
  noQuorum: { text: () => 'DRBD resource has lost quorum' },
  primaryUpToDate: { text: (f: { zero?: boolean }) => `Primary with UpToDate data${zero(f)}` },
  peerUnknown: { text: (f: { peers: readonly string[]; zero?: boolean }) => `UpToDate data, but the disk of ${peersLabel(f.peers)} is unknown (not connected)${zero(f)}` },
  upToDateNoPeers: { text: (f: { zero?: boolean }) => `UpToDate data, no peers${zero(f)}` },
  upToDatePeersKnown: { text: (f: { zero?: boolean }) => `UpToDate data, every peer known${zero(f)}` },
  transitional: { text: (f: { disks: readonly string[] }) => `disk is ${disks(f)} (transitional)` },
  onlyConsistent: { text: (f: { zero?: boolean }) => `data is only Consistent (DRBD does not know whether it is the newest)${zero(f)}` },
  diskNotUpToDate: { text: (f: { disks: readonly string[] }) => `disk is ${disks(f)}: no promotion without UpToDate data` },

  // --- split brains (store.ts, after splitBrainPlan) ---
  splitBrainManual: { text: (f: { peers: readonly string[] }) => `SPLIT BRAIN with ${peerNames(f.peers)} (split_brain_policy=manual: resolve by hand)` },
  splitBrainReconnecting: { text: (f: { peers: readonly string[] }) => `split brain with ${peerNames(f.peers)}: waiting for the Secondary to discard its changes` },
  splitBrainRecoveryFailed: { text: (f: { step: string }) => `split brain: automatic recovery failed at drbdadm ${f.step}` },
  splitBrainDiscarded: { text: () => 'split brain: local changes discarded, resynchronising from the peer' },

  // --- promote (decisions.ts promoteCheck, store.ts) ---
  promoteRefused: { text: () => 'promote refused', lead: true },
  promoteFailed: { text: () => 'promote failed', lead: true },
  notStarted: { text: () => 'the DRBD resource is down (not started on this node)' },
  noVolumeAttached: { text: (f: { resource: string }) => `DRBD resource ${f.resource} has no volume attached` },
  refuseNotUpToDate: { text: (f: { resource: string; disks: readonly string[] }) => `Refusing to promote DRBD resource ${f.resource}: local data is ${disks(f)}, not UpToDate` },
  refuseDropped: {
    text: (f: { resource: string; peers: readonly string[] }) =>
      `Refusing to promote DRBD resource ${f.resource}: DRBD dropped the connection to ${peerNames(f.peers)} (StandAlone) and this node has not replicated since: its data may have diverged (a split brain)`,
  },
  refuseNoQuorum: { text: (f: { resource: string }) => `Refusing to promote DRBD resource ${f.resource}: no quorum` },
  refusePeerPrimary: { text: (f: { resource: string; peer: string }) => `Refusing to promote DRBD resource ${f.resource}: ${peerLabel(f.peer)} is Primary` },
  drbdRefused: { text: (f: { said: string }) => `DRBD refused: ${f.said}` },
  failure: { text: (f: { message: string }) => f.message },
  backToSecondary: { text: () => 'back to Secondary' },
  stopped: { text: () => 'stopped' },
});

/** DRBD's own ways out, as commands (run on the node named). */
export const DRBD_OVERRIDE = {
  /** Makes a Consistent or Outdated node's data UpToDate by decree. */
  forcePrimary: {
    command: (resource: string) => `drbdadm primary --force ${resource} && drbdadm secondary ${resource}`,
    risk: ({ node, disk, others }: { node: string; disk: string; others: string }) =>
      `${node}'s ${disk} data becomes UpToDate by decree and is promoted: whatever ${others} wrote ` +
      `that ${node} lacks is discarded when they reconnect (resynchronised from ${node}, or a split brain)`,
  },
  /** After a split brain: the victim drops what it wrote apart (the survivor reconnects). */
  discardMyData: {
    command: (resource: string, { secondary = true } = {}) =>
      `drbdadm disconnect ${resource}; ${secondary ? `drbdadm secondary ${resource}; ` : ''}drbdadm connect --discard-my-data ${resource}`,
    reconnect: (resource: string) => `drbdadm connect ${resource}`,
    risk: ({ node, from }: { node: string; from: string }) => `the changes ${node} made while the nodes were apart are discarded; it resynchronises from ${from}`,
  },
  /**
   * The location constraint DRBD's fence-peer handler placed (`drbd-fence-by-handler-...`, see
   * lib/pacemaker/status.ts): crm-unfence-peer removes it itself once the resync ends; by hand
   * only when the fenced node's data is known to be as new.
   */
  removeFenceConstraint: {
    command: (id: string) => `cibadmin --delete --xpath "//rsc_location[@id='${id}']"`,
    risk: ({ fenced, allowed }: { fenced: string; allowed: string }) =>
      `DRBD's fence-peer handler placed it when replication was cut, because ${allowed} held the newer data (crm-unfence-peer removes it once the resync ends); ` +
      `remove it only when you know ${allowed}'s data is not newer than ${fenced}'s: whatever ${allowed} wrote after the cut would be lost`,
  },
};
