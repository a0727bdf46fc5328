/**
 * `mfs-crm status`: who serves, and why the other node is not promoted. Pure: what Pacemaker
 * shows (crm_mon's view and the CIB, parsed by lib/pacemaker/status.ts) in, a status model
 * with a one-line verdict out, rendered as text or JSON. Running the tools is cli.ts's job.
 *
 * The reasons are the agents' own (node attribute `mfs-ocf-reason-<resource>` beside the
 * promotion score `master-<resource>`), read as codes and fields (lib/pacemaker/reason.ts),
 * never as prose: a previous version's plain sentences go through legacy-reasons.ts first. The
 * overrides named in a verdict are declared once beside what they name, and the agents' own
 * messages take them from there too: ignore_high_water_mark, promote_without_election,
 * bootstrap_node for mfs-metarestore (lib/moosefs/election-parameters.ts); for mfs-drbd-store,
 * DRBD's own `primary --force` and split-brain recovery commands (lib/drbd/reasons.ts).
 */
import { reasonAttributeName } from '../lib/pacemaker/attributes.js';
import { decodeReasons, findReason, type Reason } from '../lib/pacemaker/reason.js';
import { OVERRIDE, type ParameterOverride } from '../lib/moosefs/election-parameters.js';
import { MR_CODE } from '../lib/moosefs/reasons.js';
import { DR_CODE, DRBD_OVERRIDE } from '../lib/drbd/reasons.js';
import { legacyReasons } from './legacy-reasons.js';
import { isPacemakerTrue, promotionScoreAttribute, ROLE, switchOverArgs } from '../lib/pacemaker/cib.js';
import { highWaterProperty } from '../lib/pacemaker/election.js';
import type { CibFacts, CibPrimitive, FailedAction, FenceConstraint, MonStatus } from '../lib/pacemaker/status.js';
import { hexId, parsePosition, SCORE } from '../lib/moosefs/election.js';
import { DEFAULT_SCORE_TABLE_TEXT, parseScoreTable } from '../lib/drbd/scores.js';
import { OCF } from '../lib/ocf/exit-codes.js';
import { AGENT } from './topologies.js';

/** The promotable agents whose promotion mfs-crm status explains. */
const PROMOTABLE = new Set<string>([AGENT.drbdStore, AGENT.metarestore, AGENT.drbd]);
/** Our agents: a CIB without any of them is not a cluster of ours. */
const OURS = /^ocf:mfs:/;

export type VerdictKind = 'healthy' | 'degraded' | 'blocked';

export interface Override {
  /** The node to run it on, when it matters (DRBD commands are local). */
  node?: string;
  /** The exact command(s). */
  command: string;
  risk: string;
}

export interface Verdict {
  kind: VerdictKind;
  /** One line: why (empty when healthy). */
  why: string;
  override?: Override;
}

export interface NodeView {
  node: string;
  online: boolean;
  standby: boolean;
  /** Promoted, Unpromoted, Started, Stopped. */
  role: string;
  failed: boolean;
  /** The promotion score the agent set (master-<id>); null when none (never promoted there). */
  score: number | null;
  /** The agent's published reason (mfs-ocf-reason-<id>), its text; null when none. */
  reason: string | null;
  /** ...and its codes and fields (`legacy`: read from a previous version's plain text); null when none. */
  reasons: Reason[] | null;
  legacy?: boolean;
}

export interface ResourceView {
  /** The primitive id. */
  id: string;
  clone: string | null;
  agent: string;
  /** Nodes where it is Promoted (and has not failed there). */
  promoted: string[];
  nodes: NodeView[];
  /** mfs-metarestore: the cluster's high-water mark (cluster property mfs-ocf-high-water-<id>). */
  highWaterMark: { version: string; fsId: string } | null;
  /** mfs-drbd-store, ocf:linbit:drbd: the DRBD resource. */
  drbdResource: string | null;
  /** Constraints of DRBD's fence-peer handler on this resource's clone: promotion only on `allowed`. */
  fenceConstraints: Array<{ id: string; allowed: string[] }>;
  verdict: Verdict;
}

export interface ServiceMember {
  id: string;
  agent: string;
  /** Nodes where it is started. */
  nodes: string[];
  failed: boolean;
}

export interface Durability {
  /** none, process or power. */
  mode: string;
  /** parameter: set on the mfsmaster primitive; default: ocf:mfs:mfsmaster's declared default. */
  source: 'parameter' | 'default';
  resource: string;
}

/**
 * A planned switch-over by hand: ban the Promoted role from the serving node, then lift the ban
 * once the other node serves. Measured (bench:failover, drbd-store, namespace lab, 5 runs each):
 * median 7.2 s, against 11.2 s for `crm node standby`, which also stops the serving node's clone
 * instance and lengthens the notifications (README, "Where the seconds go").
 */
export interface SwitchOver {
  from: string;
  to: string;
  command: string;
  /** Without it the ban stays, and `from` can never be promoted again. */
  clear: string;
  /**
   * What to check on `to` first, when its agent cannot say (ocf:linbit:drbd publishes no reasons
   * and still gives a StandAlone node, which may hold a split brain's older side, a positive score:
   * 1000 in the namespace lab, against 10000 when it replicates).
   */
  check: string | null;
}

export interface ClusterStatus {
  verdict: Verdict;
  /** Null unless one node is promoted and another could take over. */
  switchOver: SwitchOver | null;
  resources: ResourceView[];
  /** What runs on the promoted node: the group of mfsmaster (or mfsmaster alone). */
  service: ServiceMember[];
  durability: Durability | null;
  failedActions: FailedAction[];
}

export interface StatusInput {
  mon: MonStatus;
  cib: CibFacts;
  /** ocf:mfs:mfsmaster's declared default of its `durability` parameter. */
  durabilityDefault: string;
}

/** A CIB without resources of ours: the command has nothing to explain. */
export class NotOursError extends Error {}

function scoreOf(text: string | undefined): number | null {
  if (text === undefined || text === '') return null;
  const t = text.trim();
  if (/^\+?INFINITY$/i.test(t)) return 1_000_000;
  if (/^-INFINITY$/i.test(t)) return -1_000_000;
  return /^-?\d+$/.test(t) ? Number(t) : null;
}

function nodeViews(id: string, input: StatusInput): NodeView[] {
  const { mon, cib } = input;
  const instances = mon.resources.get(id)?.instances ?? [];
  const names = mon.nodes.length > 0 ? mon.nodes.map((n) => n.name) : [...cib.nodeAttributes.keys()];
  return names.map((name) => {
    const node = mon.nodes.find((n) => n.name === name);
    const here = instances.filter((i) => i.node === name);
    const promoted = here.find((i) => i.role === ROLE.promoted);
    const chosen = promoted ?? here[0];
    const attributes = cib.nodeAttributes.get(name) ?? {};
    const published = attributes[reasonAttributeName(id)];
    const decoded = published === undefined ? undefined : decodeReasons(published);
    return {
      node: name,
      online: node?.online ?? false,
      standby: node?.standby ?? false,
      role: chosen?.role ?? 'Stopped',
      failed: here.some((i) => i.failed),
      score: scoreOf(attributes[promotionScoreAttribute(id)]),
      reason: decoded?.text ?? null,
      reasons: decoded ? (decoded.reasons ?? legacyReasons(decoded.text)) : null,
      ...(decoded && !decoded.reasons ? { legacy: true } : {}),
    };
  });
}

/** The fence-peer constraint that bars `node` from promotion, if any. */
function fencedBy(view: Pick<ResourceView, 'fenceConstraints'>, node: string): { id: string; allowed: string[] } | undefined {
  return view.fenceConstraints.find((c) => !c.allowed.includes(node));
}

function fenceText(fence: { id: string; allowed: string[] }): string {
  return `DRBD's fence-peer handler allows promotion only on ${fence.allowed.join(', ') || 'no node'} (constraint ${fence.id}, removed by crm-unfence-peer after the resync)`;
}

/** Why `n` is not (or could not become) the promoted node; empty when nothing stands in its way. */
function whyNotHere(n: NodeView, failures: FailedAction[], view: ResourceView, { blocked = false } = {}): string {
  const id = view.id;
  if (!n.online) return `${n.node} is offline`;
  if (n.standby) return `${n.node} is in standby`;
  const fence = fencedBy(view, n.node);
  if (fence) {
    const rest = whyNotHere(n, failures, { ...view, fenceConstraints: [] }, { blocked });
    return rest ? `${rest}; ${fenceText(fence)}` : `${n.node}${blocked ? ':' : ' cannot take over:'} ${fenceText(fence)}`;
  }
  // A degraded or healthy verdict lists the failed actions on their own; a blocked one says them here.
  const failed = blocked ? failures.find((f) => f.resource === id && f.node === n.node) : undefined;
  const failText = failed ? `; ${failed.task} failed${failed.exitReason ? `: ${failed.exitReason}` : ''}` : '';
  if (n.role === 'Stopped') return `${n.node}: ${id} stopped${n.reason ? ` (${n.reason})` : ''}${failText}`;
  if (n.failed) return `${n.node}: ${id} failed${n.reason ? ` (${n.reason})` : ''}${failText}`;
  if (n.score === null || n.score <= 0) return `${n.node}${blocked ? ':' : ' cannot take over:'} ${n.reason ?? 'no promotion score, no reason published'}${failText}`;
  if (blocked) {
    // A score and still no promotion: a transition not run yet, or its fail count bars it (crm_mon --include=failcounts).
    return `${n.node}: score ${n.score}, yet not promoted${n.reason ? ` (${n.reason})` : ''}${failText}`;
  }
  return '';
}

/** The best score the agent gives a standby in good shape, below which the standby is a weaker candidate; undefined: not known. */
function fullScore(agent: string, params: Record<string, string>): number | undefined {
  if (agent === AGENT.metarestore) return SCORE.lagging + 1;
  if (agent === AGENT.drbdStore) {
    try {
      return parseScoreTable(params.adjust_master_score ?? DEFAULT_SCORE_TABLE_TEXT).asGoodAsItGets;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

// --- overrides: from the codes and fields the agents publish --------------------------------

const reasonOf = (n: NodeView, code: string) => findReason(n.reasons ?? undefined, code);

/** A node Pacemaker could promote now: online, not in standby, not failed, with a positive score. */
const usable = (n: NodeView) => n.online && !n.standby && !n.failed && n.score !== null && n.score > 0;

/** `crm resource param <id> set <parameter> <value>`, with the override's risk and how to undo it. */
function parameterOverride<F>(id: string, node: string, override: ParameterOverride<F>, fields: F): Override {
  const undo = override.undo === undefined ? 'clear it afterwards' : `set it back afterwards (crm resource param ${id} set ${override.parameter} ${override.undo})`;
  return { node, command: `crm resource param ${id} set ${override.parameter} ${override.value(fields)}`, risk: `${override.risk(fields)}; ${undo}` };
}

function metarestoreOverride(view: ResourceView, params: Record<string, string>): Override | undefined {
  const candidates = view.nodes.filter((n) => n.online && !n.standby && n.reasons);
  const below = candidates
    .map((n) => ({ node: n.node, reason: reasonOf(n, MR_CODE.belowMark) }))
    .filter((c): c is { node: string; reason: Reason } => c.reason !== undefined)
    .sort((a, b) => (BigInt(b.reason.fields.version as string) > BigInt(a.reason.fields.version as string) ? 1 : -1));
  const best = below[0];
  if (best && !isPacemakerTrue(params[OVERRIDE.ignoreHighWaterMark.parameter])) {
    const { version, mark } = best.reason.fields as { version: string; mark: string };
    return parameterOverride(view.id, best.node, OVERRIDE.ignoreHighWaterMark, { node: best.node, version, mark });
  }
  const unknown = candidates.find((n) => reasonOf(n, MR_CODE.cannotCompare));
  if (unknown && !isPacemakerTrue(params[OVERRIDE.promoteWithoutElection.parameter])) {
    return parameterOverride(view.id, unknown.node, OVERRIDE.promoteWithoutElection, {});
  }
  const first = candidates.find((n) => reasonOf(n, MR_CODE.needsBootstrap));
  if (first && !params[OVERRIDE.bootstrapNode.parameter]) return parameterOverride(view.id, first.node, OVERRIDE.bootstrapNode, { node: first.node });
  return undefined;
}

/** The DRBD disk state a node's reasons name (the first of them), if any. */
function diskState(n: NodeView): string | undefined {
  for (const r of n.reasons ?? []) {
    if (r.code === DR_CODE.onlyConsistent) return 'Consistent';
    if (r.code === DR_CODE.diskNotUpToDate || r.code === DR_CODE.refuseNotUpToDate || r.code === DR_CODE.transitional) return (r.fields.disks as readonly string[])[0];
    if (r.code === DR_CODE.primaryUpToDate || r.code === DR_CODE.peerUnknown || r.code === DR_CODE.upToDateNoPeers || r.code === DR_CODE.upToDatePeersKnown) return 'UpToDate';
  }
  return undefined;
}

function drbdForceOverride(view: ResourceView): Override | undefined {
  const resource = view.drbdResource ?? '<drbd_resource>';
  // A node the agent finds promotable is the one to repair (its failed promote), never one to overrule.
  if (view.nodes.some((n) => n.online && n.score !== null && n.score > 0)) return undefined;
  const rank = (n: NodeView) => {
    const disk = diskState(n);
    return disk === 'Consistent' ? 2 : disk === 'Outdated' ? 1 : 0;
  };
  const chosen = view.nodes.filter((n) => n.online && !n.standby && rank(n) > 0).sort((a, b) => rank(b) - rank(a))[0];
  if (!chosen) return undefined;
  const others = view.nodes.filter((n) => n !== chosen).map((n) => n.node).join(', ') || 'the other node';
  const force = DRBD_OVERRIDE.forcePrimary;
  const forced: Override = { node: chosen.node, command: `on ${chosen.node}: ${force.command(resource)}`, risk: force.risk({ node: chosen.node, disk: diskState(chosen)!, others }) };
  const fence = fencedBy(view, chosen.node);
  return fence ? withFenceRemoved(forced, fence, chosen.node) : forced;
}

/** An override on a node the fence-peer constraint bars: the constraint goes too, with its own risk. */
function withFenceRemoved(override: Override, fence: { id: string; allowed: string[] }, fenced: string): Override {
  const remove = DRBD_OVERRIDE.removeFenceConstraint;
  return { ...override, command: `${override.command}; then ${remove.command(fence.id)}`, risk: `${override.risk}; ${remove.risk({ fenced, allowed: fence.allowed.join(', ') })}` };
}

/**
 * The fence-peer constraint is what blocks: a node the agent finds promotable (a positive score)
 * is barred, and no node it allows can be promoted (offline, standby, or without a score).
 */
function fenceOverride(view: ResourceView): Override | undefined {
  for (const fence of view.fenceConstraints) {
    if (view.nodes.some((n) => fence.allowed.includes(n.node) && usable(n))) continue;
    const barred = view.nodes.find((n) => !fence.allowed.includes(n.node) && usable(n));
    if (!barred) continue;
    const remove = DRBD_OVERRIDE.removeFenceConstraint;
    return { node: barred.node, command: remove.command(fence.id), risk: remove.risk({ fenced: barred.node, allowed: fence.allowed.join(', ') || 'no node' }) };
  }
  return undefined;
}

function splitBrainOverride(view: ResourceView): Override | undefined {
  const resource = view.drbdResource ?? '<drbd_resource>';
  const reported = view.nodes.filter((n) => reasonOf(n, DR_CODE.splitBrainManual));
  if (reported.length === 0) return undefined;
  const keeper = view.nodes.find((n) => n.role === ROLE.promoted && !n.failed);
  const victim = view.nodes.find((n) => n !== keeper && n.online) ?? reported[0]!;
  const discard = DRBD_OVERRIDE.discardMyData;
  const keep = keeper && keeper !== victim ? `; then on ${keeper.node}: ${discard.reconnect(resource)}` : '';
  return {
    node: victim.node,
    command: `on ${victim.node}: ${discard.command(resource)}${keep}`,
    risk: discard.risk({ node: victim.node, from: keeper && keeper !== victim ? keeper.node : 'the peer' }),
  };
}

// --- verdicts --------------------------------------------------------------------------------

/** A failed action in a verdict: a degraded result (OCF 190/191, which crm_mon lists with the failures) is said as such. */
function describeFailure(f: FailedAction): string {
  const degraded = f.exitCode === OCF.DEGRADED || f.exitCode === OCF.DEGRADED_PROMOTED;
  return `${f.resource} ${f.task} ${degraded ? 'reported degraded' : 'failed'} on ${f.node}${f.exitReason ? ` (${f.exitReason})` : ''}`;
}

function resourceVerdict(view: ResourceView, primitive: CibPrimitive, input: StatusInput, service: ServiceMember[]): Verdict {
  const failures = input.mon.failures;
  const problems: string[] = [];
  const isStore = view.agent === AGENT.drbdStore || view.agent === AGENT.drbd;
  if (view.promoted.length === 0) {
    const why = `no node is promoted: ${view.nodes.map((n) => whyNotHere(n, failures, view, { blocked: true })).join('; ')}`;
    let override: Override | undefined;
    if (view.agent === AGENT.metarestore) override = metarestoreOverride(view, primitive.params);
    if (isStore) {
      override = fenceOverride(view) ?? splitBrainOverride(view) ?? drbdForceOverride(view);
      if (!override && view.nodes.some((n) => diskState(n) === 'Inconsistent')) {
        return { kind: 'blocked', why: `${why}; no node has usable data (Inconsistent: a resync that did not finish): no override, bring back the node with UpToDate data` };
      }
    }
    return override ? { kind: 'blocked', why, override } : { kind: 'blocked', why: `${why}; no override known: fix the cause named above` };
  }
  if (view.promoted.length > 1) problems.push(`promoted on ${view.promoted.length} nodes (${view.promoted.join(', ')})`);
  const active = view.promoted[0]!;
  // crm_mon still shows the roles of a node it has lost until that node is fenced.
  if (view.nodes.find((n) => n.node === active)?.online === false) {
    return { kind: 'degraded', why: `${active} holds the Promoted role but is offline: nothing is served until it is fenced and another node promoted` };
  }
  const full = fullScore(view.agent, primitive.params);
  for (const n of view.nodes.filter((n) => !view.promoted.includes(n.node))) {
    const why = whyNotHere(n, failures, view);
    if (why) problems.push(why);
    else if (full !== undefined && n.score !== null && n.score < full) problems.push(`${n.node} is a weaker candidate (score ${n.score}): ${n.reason ?? 'no reason published'}`);
  }
  for (const member of service) {
    if (!member.nodes.includes(active)) problems.push(`${member.id} (${member.agent}) is not running on ${active}`);
    else if (member.failed) problems.push(`${member.id} failed on ${active}`);
  }
  const relevant = new Set([view.id, ...service.map((m) => m.id)]);
  for (const f of failures.filter((f) => relevant.has(f.resource))) problems.push(describeFailure(f));
  const splitBrain = isStore ? splitBrainOverride(view) : undefined;
  if (splitBrain) problems.unshift('SPLIT BRAIN (split_brain_policy=manual): not replicating, waiting for the admin');
  if (problems.length === 0) return { kind: 'healthy', why: `${active} serves` };
  return { kind: 'degraded', why: `${active} serves, but ${problems.join('; ')}`, ...(splitBrain ? { override: splitBrain } : {}) };
}

function serviceMembers(input: StatusInput): ServiceMember[] {
  const masters = input.cib.primitives.filter((p) => p.agent === AGENT.mfsmaster);
  const groups = new Set(masters.map((m) => m.group).filter((g): g is string => Boolean(g)));
  const members = input.cib.primitives.filter((p) => p.agent === AGENT.mfsmaster || (p.group !== undefined && groups.has(p.group)));
  return members.map((p) => {
    const instances = input.mon.resources.get(p.id)?.instances ?? [];
    return {
      id: p.id,
      agent: p.agent,
      nodes: instances.filter((i) => i.node && i.role !== 'Stopped').map((i) => i.node!),
      failed: instances.some((i) => i.failed),
    };
  });
}

/** The fence-peer constraints on this primitive's clone; only `#uname` expressions name nodes. */
function fenceConstraintsOf(primitive: CibPrimitive, constraints: readonly FenceConstraint[]): ResourceView['fenceConstraints'] {
  return constraints
    .filter((c) => c.resource === (primitive.clone ?? primitive.id) || c.resource === primitive.id)
    .map((c) => ({ id: c.id, allowed: c.allowed.filter((a) => a.attribute === '#uname').map((a) => a.value) }));
}

const RANK: Record<VerdictKind, number> = { healthy: 0, degraded: 1, blocked: 2 };

/** The status of every resource of ours, and one verdict. Throws NotOursError when there is none. */
export function clusterStatus(input: StatusInput): ClusterStatus {
  const { cib, mon } = input;
  if (!cib.primitives.some((p) => OURS.test(p.agent))) {
    throw new NotOursError('the CIB has no resource of ours (no ocf:mfs:* primitive): nothing to explain');
  }
  const service = serviceMembers(input);
  const resources = cib.primitives
    .filter((p) => PROMOTABLE.has(p.agent))
    .map((primitive): ResourceView => {
      const nodes = nodeViews(primitive.id, input);
      const mark = primitive.agent === AGENT.metarestore ? parsePosition(cib.properties[highWaterProperty(primitive.id)]) : undefined;
      const view: ResourceView = {
        id: primitive.id,
        clone: primitive.clone ?? null,
        agent: primitive.agent,
        promoted: nodes.filter((n) => n.role === ROLE.promoted && !n.failed).map((n) => n.node),
        nodes,
        highWaterMark: mark ? { version: String(mark.version), fsId: hexId(mark.fsId) } : null,
        drbdResource: primitive.params.drbd_resource ?? null,
        fenceConstraints: fenceConstraintsOf(primitive, cib.fenceConstraints),
        verdict: { kind: 'healthy', why: '' },
      };
      view.verdict = resourceVerdict(view, primitive, input, service);
      return view;
    });
  const master = cib.primitives.find((p) => p.agent === AGENT.mfsmaster);
  const durability: Durability | null = master
    ? master.params.durability
      ? { mode: master.params.durability, source: 'parameter', resource: master.id }
      : { mode: input.durabilityDefault, source: 'default', resource: master.id }
    : null;
  let verdict: Verdict;
  if (resources.length > 0) {
    const worst = resources.reduce((a, b) => (RANK[b.verdict.kind] > RANK[a.verdict.kind] ? b : a));
    const others = resources.filter((r) => r !== worst && r.verdict.kind !== 'healthy').map((r) => `${r.id}: ${r.verdict.why}`);
    verdict = { ...worst.verdict, why: [worst.verdict.why, ...others].join('; ') };
  } else {
    const down = service.filter((m) => m.nodes.length === 0);
    const relevant = new Set(service.map((m) => m.id));
    const failed = mon.failures.filter((f) => relevant.has(f.resource));
    if (down.length > 0) verdict = { kind: 'blocked', why: [`${down.map((m) => m.id).join(', ')} not running`, ...failed.map(describeFailure)].join('; ') };
    else if (failed.length > 0) verdict = { kind: 'degraded', why: failed.map(describeFailure).join('; ') };
    else verdict = { kind: 'healthy', why: `${service.map((m) => `${m.id} on ${m.nodes.join(', ')}`).join('; ')}` };
  }
  return { verdict, switchOver: switchOverOf(resources), resources, service, durability, failedActions: mon.failures };
}

function switchOverOf(resources: ResourceView[]): SwitchOver | null {
  for (const r of resources) {
    const [from] = r.promoted;
    const to = r.nodes.find((n) => n.role === ROLE.unpromoted && usable(n));
    if (!r.clone || r.promoted.length !== 1 || !from || !to) continue;
    const { ban, clear } = switchOverArgs(r.clone, from);
    const res = r.drbdResource ?? '<resource>';
    const check = r.agent === AGENT.drbd ? `drbdadm cstate ${res} must say Connected and drbdadm dstate ${res} UpToDate/UpToDate (${AGENT.drbd} publishes no reasons; a StandAlone node may hold the older side of a split brain)` : null;
    return { from, to: to.node, command: ['crm_resource', ...ban].join(' '), clear: ['crm_resource', ...clear].join(' '), check };
  }
  return null;
}

// --- rendering -------------------------------------------------------------------------------

export function renderJson(status: ClusterStatus): string {
  return `${JSON.stringify(status, null, 2)}\n`;
}

function interval(ms: number): string {
  return ms === 0 ? '' : ms % 1000 === 0 ? ` (${ms / 1000}s)` : ` (${ms}ms)`;
}

export function renderText(status: ClusterStatus): string {
  const lines: string[] = [];
  for (const r of status.resources) {
    lines.push(`${r.id} (${r.agent}${r.clone ? `, clone ${r.clone}` : ''}${r.drbdResource ? `, DRBD resource ${r.drbdResource}` : ''})`);
    const width = Math.max(...r.nodes.map((n) => n.node.length), 4);
    for (const n of r.nodes) {
      const state = !n.online ? 'offline' : n.standby ? `${n.role}, standby` : n.failed ? `${n.role}, FAILED` : n.role;
      const score = n.score === null ? 'no score' : `score ${n.score}`;
      const none = r.agent === AGENT.drbd ? `(${AGENT.drbd} publishes no reasons)` : '(no reason published)';
      lines.push(`  ${n.node.padEnd(width)}  ${state.padEnd(18)}  ${score.padEnd(12)}  ${n.reason ?? none}`);
    }
    for (const fence of r.fenceConstraints) lines.push(`  fence constraint: ${fenceText(fence)}`);
    if (r.agent === AGENT.metarestore) {
      lines.push(`  high-water mark: ${r.highWaterMark ? `version ${r.highWaterMark.version} (file system ${r.highWaterMark.fsId})` : 'none (the cluster has not served yet)'}`);
    }
  }
  for (const m of status.service) {
    lines.push(`${m.id} (${m.agent}): ${m.nodes.length > 0 ? `started on ${m.nodes.join(', ')}` : 'stopped'}${m.failed ? ', FAILED' : ''}`);
  }
  if (status.durability) {
    const d = status.durability;
    lines.push(`durability: ${d.mode} (${d.source === 'parameter' ? `parameter of ${d.resource}` : `default of ${AGENT.mfsmaster}, not set on ${d.resource}`})`);
  }
  if (status.failedActions.length > 0) {
    lines.push('failed actions:');
    for (const f of status.failedActions) {
      const result = `${f.exitStatus || 'failed'}${f.exitCode !== undefined ? ` (rc ${f.exitCode})` : ''}${f.status && f.status !== 'complete' ? `, ${f.status}` : ''}`;
      lines.push(`  ${f.resource} ${f.task}${interval(f.intervalMs)} on ${f.node}: ${result}${f.exitReason ? `: ${f.exitReason}` : ''}${f.lastRcChange ? ` at ${f.lastRcChange}` : ''}`);
    }
  }
  const v = status.verdict;
  lines.push(`verdict: ${v.kind}${v.why ? `: ${v.why}` : ''}`);
  if (v.override) lines.push(`override: ${v.override.command}`, `  risk: ${v.override.risk}`);
  const move = status.switchOver;
  if (move) {
    if (move.check) lines.push(`before a switch-over, on ${move.to}: ${move.check}`);
    lines.push(`switch-over to ${move.to}: ${move.command}`, `  once ${move.to} serves: ${move.clear}`);
  }
  return `${lines.join('\n')}\n`;
}
