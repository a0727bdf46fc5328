/**
 * Pacemaker's own tools, offline, for tests: CIB files loaded with crmsh, pcs and cibadmin,
 * checked with crm_verify, run through crm_simulate; transition graphs parsed so that tests
 * assert on actions and their dependencies (not on printed text). Recipes and pitfalls:
 * ../shared/LAB.md, "Checking cluster configuration offline".
 *
 * crmsh and pcs check agent names against installed meta-data: wrap their use in
 * withInstalledAgents() (installed-agents.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseStringPromise } from 'xml2js';
import { run, type RunResult } from '../../lib/process/run.js';

const TOOL_TIMEOUT_MS = 60_000;

/** Throws with the tool's complaint unless it succeeded. */
export function succeeded(result: RunResult, what = result.command): RunResult {
  if (!result.ok) throw new Error(`${what} failed (exit ${result.exitCode}):\n${result.stderr}\n${result.stdout}`);
  return result;
}

/** An empty CIB file with the current schema and quorum (crmsh complains without it). */
export async function emptyCib(path: string): Promise<string> {
  const empty = succeeded(await run('cibadmin', ['--empty'], { timeoutMs: TOOL_TIMEOUT_MS }));
  writeFileSync(path, empty.stdout.replace('<cib ', '<cib have-quorum="1" '));
  return path;
}

const cibEnv = (cib: string) => ({ CIB_file: cib });

/** `crm configure load update -` into a CIB file; the real crmsh, which checks agents and parameters. */
export function crmLoadUpdate(cib: string, text: string): Promise<RunResult> {
  return run('crm', ['-D', 'plain', 'configure', 'load', 'update', '-'], { env: cibEnv(cib), input: text, timeoutMs: TOOL_TIMEOUT_MS });
}

/** Runs a generated pcs script (`sh SCRIPT CIB`): every command `pcs -f CIB ...`. */
export function runPcsScript(cib: string, script: string, directory: string): Promise<RunResult> {
  const path = join(directory, 'pcs.sh');
  writeFileSync(path, script);
  return run('sh', [path, cib], { timeoutMs: TOOL_TIMEOUT_MS, all: true });
}

/** Merges a `<configuration>` fragment into a CIB file with cibadmin (schema-checked). */
export function cibadminModify(cib: string, xml: string, directory: string): Promise<RunResult> {
  const path = join(directory, 'fragment.xml');
  writeFileSync(path, xml);
  return run('cibadmin', ['--modify', '--allow-create', '--xml-file', path], { env: cibEnv(cib), timeoutMs: TOOL_TIMEOUT_MS });
}

/** `crm_verify -x CIB -V`: ok when the configuration is clean (rc 0). */
export function crmVerify(cib: string): Promise<RunResult> {
  return run('crm_verify', ['-x', cib, '-V'], { timeoutMs: TOOL_TIMEOUT_MS });
}

type X = Record<string, unknown> & { $?: Record<string, string> };

function kids(node: unknown, name: string): X[] {
  if (!node || typeof node !== 'object') return [];
  const value = (node as Record<string, unknown>)[name];
  return Array.isArray(value) ? (value as X[]) : [];
}

/** The `<configuration>` element of a CIB file, as xml2js objects (children keep their document order by tag). */
async function configurationOf(cib: string): Promise<X> {
  const document = (await parseStringPromise(readFileSync(cib, 'utf8'))) as { cib: X };
  const configuration = kids(document.cib, 'configuration')[0];
  if (!configuration) throw new Error(`${cib} has no <configuration>`);
  return configuration;
}

const nvpairs = (sets: X[]): string[] =>
  sets.flatMap((set) => kids(set, 'nvpair').map((pair) => `${pair.$?.name}=${pair.$?.value}`)).sort();

/** Defaults that one tool writes and another leaves out. */
const DEFAULT_ATTRIBUTES: Record<string, string> = { 'rsc-role': 'Started', kind: 'Mandatory' };

function normalizeResource(tag: string, element: X): unknown {
  const a = element.$ ?? {};
  const base = {
    tag,
    id: a.id,
    ...(a.class ? { agent: [a.class, a.provider, a.type].filter(Boolean).join(':') } : {}),
    params: nvpairs(kids(element, 'instance_attributes')),
    meta: nvpairs(kids(element, 'meta_attributes')),
    ops: kids(kids(element, 'operations')[0], 'op')
      .map((op) => ['name', 'interval', 'timeout', 'role'].map((key) => `${key}=${op.$?.[key] ?? ''}`).join(' '))
      .sort(),
  };
  const children = kids(element, 'primitive').map((child) => normalizeResource('primitive', child));
  return children.length > 0 ? { ...base, children } : base;
}

/**
 * A CIB configuration in a form where equivalent configurations are equal: nested ids,
 * attribute order, the order of sets, pairs and operations, and defaults aside (group members
 * keep their order: it is the start order). Resource and constraint ids are kept: they are
 * part of what the generator promises.
 */
export async function normalizedConfiguration(cib: string): Promise<unknown> {
  const configuration = await configurationOf(cib);
  const properties = nvpairs(kids(kids(configuration, 'crm_config')[0], 'cluster_property_set'));
  const resourcesElement = kids(configuration, 'resources')[0];
  const resources = ['primitive', 'group', 'clone', 'master', 'bundle']
    .flatMap((tag) => kids(resourcesElement, tag).map((element) => normalizeResource(tag, element)))
    .sort((a, b) => String((a as { id: string }).id).localeCompare(String((b as { id: string }).id)));
  const constraintsElement = kids(configuration, 'constraints')[0];
  const constraints = ['rsc_location', 'rsc_colocation', 'rsc_order', 'rsc_ticket']
    .flatMap((tag) =>
      kids(constraintsElement, tag).map((element) => {
        const attributes = Object.entries(element.$ ?? {})
          .filter(([key, value]) => DEFAULT_ATTRIBUTES[key] !== value)
          .map(([key, value]) => `${key}=${value}`)
          .sort();
        return `${tag} ${attributes.join(' ')}`;
      }),
    )
    .sort();
  return { properties, resources, constraints };
}

// --- crm_simulate ------------------------------------------------------------------------------

/** Brings `nodes` online with quorum: the starting point of every simulation. */
export async function onlineNodes(cib: string, nodes: readonly string[], out: string): Promise<string> {
  succeeded(await run('crm_simulate', ['-x', cib, '-q', 'true', ...nodes.flatMap((node) => ['-u', node]), '-O', out], { timeoutMs: TOOL_TIMEOUT_MS }));
  return out;
}

/** Sets a transient node attribute in a CIB file (e.g. the promotion score a promotable agent would set). */
export async function setNodeAttribute(cib: string, node: string, name: string, value: string, lifetime: 'reboot' | 'forever' = 'reboot'): Promise<void> {
  succeeded(await run('crm_attribute', ['-N', node, '-n', name, '-v', value, '-l', lifetime], { env: cibEnv(cib), timeoutMs: TOOL_TIMEOUT_MS }));
}

/** Removes a transient node attribute from a CIB file (as an agent removing its promotion score). */
export async function deleteNodeAttribute(cib: string, node: string, name: string): Promise<void> {
  succeeded(await run('crm_attribute', ['-N', node, '-n', name, '-D', '-l', 'reboot'], { env: cibEnv(cib), timeoutMs: TOOL_TIMEOUT_MS }));
}

/** Sets a cluster property (crm_config) in a CIB file. */
export async function setClusterProperty(cib: string, name: string, value: string): Promise<void> {
  succeeded(await run('crm_attribute', ['--type', 'crm_config', '-n', name, '-v', value], { env: cibEnv(cib), timeoutMs: TOOL_TIMEOUT_MS }));
}

/**
 * Gives a recorded operation result the exit reason an agent would have written
 * (`ocf-exit-reason:` on stderr; crm_simulate itself only writes "Simulated action result").
 * `operationId`: the lrm_rsc_op id, e.g. `mfs-store_last_failure_0`.
 */
export async function setExitReason(cib: string, operationId: string, reason: string): Promise<void> {
  const escaped = reason.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
  const xml = `<lrm_rsc_op id="${operationId}" exit-reason="${escaped}"/>`;
  succeeded(await run('cibadmin', ['--modify', '--scope', 'status', '--xml-text', xml], { env: cibEnv(cib), timeoutMs: TOOL_TIMEOUT_MS }));
  if (!readFileSync(cib, 'utf8').includes(`exit-reason="${escaped}"`)) throw new Error(`${cib}: no operation ${operationId} took the exit reason`);
}

export interface GraphAction {
  id: string;
  /** rsc_op (a resource agent action), pseudo_event, crm_event (fencing). */
  kind: string;
  operation: string;
  key: string;
  /** The primitive's id for rsc_op (clone instances share it). */
  rsc?: string;
  node?: string;
}

export class TransitionGraph {
  constructor(
    readonly actions: ReadonlyMap<string, GraphAction>,
    /** action id → ids of the actions it waits for. */
    readonly inputs: ReadonlyMap<string, readonly string[]>,
  ) {}

  get isEmpty(): boolean {
    return this.actions.size === 0;
  }

  /** Actions matching every given field. */
  find(match: Partial<GraphAction>): GraphAction[] {
    return [...this.actions.values()].filter((action) =>
      Object.entries(match).every(([key, value]) => action[key as keyof GraphAction] === value),
    );
  }

  /** The one action matching; throws when there is none or several. */
  one(match: Partial<GraphAction>): GraphAction {
    const found = this.find(match);
    if (found.length !== 1) throw new Error(`expected one action ${JSON.stringify(match)} in the graph, found ${found.length}: ${this.describe()}`);
    return found[0]!;
  }

  /** Whether `later` (transitively) waits for `earlier`. */
  before(earlier: GraphAction, later: GraphAction): boolean {
    const seen = new Set<string>();
    const stack = [later.id];
    while (stack.length > 0) {
      const id = stack.pop()!;
      for (const input of this.inputs.get(id) ?? []) {
        if (input === earlier.id) return true;
        if (!seen.has(input)) {
          seen.add(input);
          stack.push(input);
        }
      }
    }
    return false;
  }

  /** Whether each action of the chain waits for the previous one. */
  chain(...actions: GraphAction[]): boolean {
    return actions.every((action, index) => index === 0 || this.before(actions[index - 1]!, action));
  }

  /** The resource actions, for failure messages. */
  describe(): string {
    return [...this.actions.values()]
      .filter((action) => action.kind !== 'pseudo_event')
      .map((action) => `${action.rsc ?? action.key} ${action.operation}@${action.node ?? '-'}`)
      .join(', ');
  }
}

function graphAction(kind: string, element: X): GraphAction {
  const a = element.$ ?? {};
  const primitive = kids(element, 'primitive')[0]?.$?.id;
  return {
    id: a.id ?? '',
    kind,
    operation: a.operation ?? '',
    key: a.operation_key ?? '',
    ...(primitive ? { rsc: primitive } : {}),
    ...(a.on_node ? { node: a.on_node } : {}),
  };
}

const ACTION_KINDS = ['rsc_op', 'pseudo_event', 'crm_event'];

export async function parseTransitionGraph(xml: string): Promise<TransitionGraph> {
  const document = (await parseStringPromise(xml)) as { transition_graph: X };
  const actions = new Map<string, GraphAction>();
  const inputs = new Map<string, string[]>();
  for (const synapse of kids(document.transition_graph, 'synapse')) {
    const set = kids(synapse, 'action_set')[0];
    const own = ACTION_KINDS.flatMap((kind) => kids(set, kind).map((element) => graphAction(kind, element)));
    const waits = kids(kids(synapse, 'inputs')[0], 'trigger').flatMap((trigger) =>
      ACTION_KINDS.flatMap((kind) => kids(trigger, kind).map((element) => element.$?.id ?? '')),
    );
    for (const action of own) {
      actions.set(action.id, action);
      inputs.set(action.id, waits);
    }
  }
  return new TransitionGraph(actions, inputs);
}

export interface SimulationStep {
  /** The transition Pacemaker computed. */
  graph: TransitionGraph;
  /** The CIB after the transition ran (every action succeeded unless injected otherwise). */
  cib: string;
}

/**
 * One transition with crm_simulate: computes the graph from `cib` (after the injections),
 * runs it (-S) and writes the resulting CIB to `out`.
 */
export async function simulate(
  cib: string,
  out: string,
  options: { nodeFail?: string; opInject?: string[]; opFail?: string[] } = {},
): Promise<SimulationStep> {
  const graphFile = `${out}.graph.xml`;
  const args = ['-x', cib, '-S', '-G', graphFile, '-O', out];
  if (options.nodeFail) args.push('--node-fail', options.nodeFail);
  for (const inject of options.opInject ?? []) args.push('--op-inject', inject);
  // An action of the transition that fails when it runs (`RSC_TASK_INTERVAL@NODE=RC`): the transition stops there.
  for (const fail of options.opFail ?? []) args.push('--op-fail', fail);
  succeeded(await run('crm_simulate', args, { timeoutMs: TOOL_TIMEOUT_MS }));
  return { graph: await parseTransitionGraph(readFileSync(graphFile, 'utf8')), cib: out };
}

/** The transition Pacemaker would run next from `cib` (empty when the cluster has settled). */
export async function nextTransition(cib: string): Promise<TransitionGraph> {
  const graphFile = `${cib}.next.xml`;
  succeeded(await run('crm_simulate', ['-x', cib, '-R', '-G', graphFile], { timeoutMs: TOOL_TIMEOUT_MS }));
  return parseTransitionGraph(readFileSync(graphFile, 'utf8'));
}

export interface Placement {
  /** Started, Promoted, Unpromoted, Stopped. */
  role: string;
  nodes: string[];
  failed: boolean;
}

/** Where each primitive runs and in which role, from `crm_mon --output-as=xml` (clone instances merged by primitive id). */
export async function placements(cib: string): Promise<Map<string, Placement[]>> {
  const mon = succeeded(await run('crm_mon', ['-1', '--output-as=xml'], { env: cibEnv(cib), timeoutMs: TOOL_TIMEOUT_MS }));
  const document = (await parseStringPromise(mon.stdout)) as { 'pacemaker-result': X };
  const found = new Map<string, Placement[]>();
  const visit = (element: X) => {
    for (const resource of kids(element, 'resource')) {
      const id = (resource.$?.id ?? '').replace(/:\d+$/, '');
      const placement: Placement = {
        role: resource.$?.role ?? '',
        nodes: kids(resource, 'node').map((node) => node.$?.name ?? ''),
        failed: resource.$?.failed === 'true',
      };
      found.set(id, [...(found.get(id) ?? []), placement]);
    }
    for (const nested of [...kids(element, 'group'), ...kids(element, 'clone')]) visit(nested);
  };
  visit(kids(document['pacemaker-result'], 'resources')[0] ?? {});
  return found;
}

/** The node where a primitive runs in `role`; throws unless exactly one. */
export async function nodeOf(cib: string, primitive: string, role: string): Promise<string> {
  const all = (await placements(cib)).get(primitive) ?? [];
  const nodes = all.filter((p) => p.role === role).flatMap((p) => p.nodes);
  if (nodes.length !== 1) throw new Error(`${primitive} is ${role} on ${nodes.length} nodes: ${JSON.stringify(all)}`);
  return nodes[0]!;
}
