/**
 * LEGACY FALLBACK, for a rolling upgrade only: the reasons of agents older than the reason
 * contract (lib/pacemaker/reason.ts) were plain English, without codes. This reads the few
 * of those sentences `mfs-crm status` acts on back into codes and fields, so that the
 * explainer itself only ever reads codes. Nothing else may parse agent prose; once no node
 * runs an agent of version 0.1.0 or older this file can go.
 */
import { DR } from '../lib/drbd/reasons.js';
import { MR } from '../lib/moosefs/reasons.js';
import type { Reason } from '../lib/pacemaker/reason.js';

/** mfs-metarestore: "version N is behind the high-water mark M", at a monitor or at promote. */
const BELOW_MARK = /version (\d+) is behind the high-water mark (\d+)/;
const NEEDS_ELECTION_OVERRIDE = /cannot compare version (\d+) with .*; set promote_without_election=true/;
const NEEDS_BOOTSTRAP = /a first boot needs bootstrap_node=(\S+)/;
/** mfs-drbd-store: the first DRBD disk state named, and a split brain left to the admin. */
const DISK_STATE = /\b(UpToDate|Consistent|Outdated|Inconsistent|Diskless|Failed)\b/;
const MANUAL_SPLIT_BRAIN = /SPLIT BRAIN with ([^ ]+) .*split_brain_policy=manual/;

/** The codes a previous version's plain reason stands for (only those the explainer uses). */
export function legacyReasons(text: string): Reason[] {
  const reasons: Reason[] = [];
  const below = BELOW_MARK.exec(text);
  if (below) reasons.push(MR.belowMark({ version: below[1]!, mark: below[2]!, stage: text.includes('not promotable') ? 'score' : 'promote', overridden: false }));
  const election = NEEDS_ELECTION_OVERRIDE.exec(text);
  if (election) reasons.push(MR.cannotCompare({ version: election[1]!, unknown: [] }));
  const bootstrap = NEEDS_BOOTSTRAP.exec(text);
  if (bootstrap) reasons.push(MR.needsBootstrap({ node: bootstrap[1]! }));
  const split = MANUAL_SPLIT_BRAIN.exec(text);
  if (split) reasons.push(DR.splitBrainManual({ peers: [split[1]!] }));
  const disk = DISK_STATE.exec(text)?.[1];
  if (disk === 'Consistent') reasons.push(DR.onlyConsistent({}));
  else if (disk && disk !== 'UpToDate') reasons.push(DR.diskNotUpToDate({ disks: [disk] }));
  return reasons;
}
