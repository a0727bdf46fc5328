/**
 * Reading Pacemaker's own views of a cluster, for `mfs-crm status`. Pure: XML text in, plain
 * objects out (xml2js, loaded lazily); running the tools is the caller's business.
 *
 * - `crm_mon -1 --output-as=xml` (live, or with `CIB_file=FILE` on a saved CIB): which role
 *   each resource instance has on which node, nodes online/standby, failed actions with their
 *   exit reasons (`<failures><failure exitreason=...>`, what `crm_mon` prints under "Failed
 *   Resource Actions").
 * - the CIB itself (`cibadmin -Q`, or the saved file): the configuration (primitives with
 *   their agent, parameters and clone), cluster properties (crm_config) and the transient node
 *   attributes of the status section, where attrd writes promotion scores (`master-<id>`) and
 *   the agents' reasons (`mfs-ocf-reason-<id>`, attributes.ts).
 */
import { isPacemakerTrue, META, normalizeRole, pacemakerBoolean } from './cib.js';

type XmlNode = Record<string, unknown> & { $?: Record<string, string> };

function children(node: unknown, name: string): XmlNode[] {
  if (!node || typeof node !== 'object') return [];
  const value = (node as Record<string, unknown>)[name];
  return Array.isArray(value) ? (value as XmlNode[]) : [];
}

async function parseXml(xml: string, what: string): Promise<Record<string, unknown>> {
  const { parseStringPromise } = await import('xml2js');
  try {
    const document = (await parseStringPromise(xml)) as Record<string, unknown> | null;
    if (!document || typeof document !== 'object') throw new Error('empty document');
    return document;
  } catch (error) {
    throw new StatusInputError(`${what} is not readable XML: ${(error as Error).message.split('\n')[0]}`);
  }
}

/** Input that is not what Pacemaker writes (not XML, wrong root element). */
export class StatusInputError extends Error {}

export interface MonNode {
  name: string;
  online: boolean;
  standby: boolean;
  maintenance: boolean;
  unclean: boolean;
}

/** One instance of a resource as crm_mon shows it. */
export interface MonInstance {
  /** Where it runs; undefined for a stopped instance. */
  node: string | undefined;
  /** Promoted, Unpromoted, Started, Stopped (legacy Master/Slave normalized). */
  role: string;
  failed: boolean;
  blocked: boolean;
  managed: boolean;
}

export interface MonResource {
  /** The primitive id (clone instance suffix `:N` dropped). */
  id: string;
  /** ocf:provider:type as crm_mon prints it. */
  agent: string;
  instances: MonInstance[];
}

/** A failed action (crm_mon's "Failed Resource Actions"). */
export interface FailedAction {
  /** The primitive id. */
  resource: string;
  node: string;
  task: string;
  /** Milliseconds; 0 for a one-off action. */
  intervalMs: number;
  /** Pacemaker's words for the result ("error", "not running", "promoted"...). */
  exitStatus: string;
  exitCode: number | undefined;
  /** What the agent wrote after `ocf-exit-reason:` (empty when it wrote nothing). */
  exitReason: string;
  /** Operation status ("complete", "Timed Out", ...). */
  status: string;
  lastRcChange: string;
}

export interface MonStatus {
  nodes: MonNode[];
  /** By primitive id. */
  resources: Map<string, MonResource>;
  failures: FailedAction[];
}

function role(text: string | undefined): string {
  if (!text) return 'Stopped';
  try {
    return normalizeRole(text);
  } catch {
    return text;
  }
}

/** The primitive id of an operation key `<rsc>_<task>_<interval>` (a clone instance's `:N` dropped). */
export function resourceOfOperationKey(opKey: string, task: string): string {
  const at = task ? opKey.lastIndexOf(`_${task}_`) : -1;
  const id = at > 0 ? opKey.slice(0, at) : opKey.replace(/_[^_]+_\d+$/, '');
  return id.replace(/:\d+$/, '');
}

function intervalMs(text: string | undefined): number {
  const match = /^(\d+)(ms)?$/.exec(text ?? '');
  return match ? Number(match[1]) : 0;
}

/**
 * crm_mon (2.1.5 here) escapes exit reasons twice in its XML (`it&amp;apos;s`): once decoded
 * by the parser they still hold entities, which are decoded here once more.
 */
export function decodeEntities(text: string): string {
  const named: Record<string, string> = { lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' };
  return text.replace(/&(lt|gt|quot|apos|amp|#\d{1,7}|#x[0-9A-Fa-f]{1,6});/g, (whole, entity: string) => {
    if (entity.startsWith('#x')) return String.fromCodePoint(parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(Number(entity.slice(1)));
    return named[entity] ?? whole;
  });
}

/** `crm_mon --output-as=xml`. */
export async function parseCrmMon(xml: string): Promise<MonStatus> {
  const document = await parseXml(xml, 'crm_mon output');
  const root = document['pacemaker-result'];
  if (!root) throw new StatusInputError('crm_mon output has no <pacemaker-result> element');
  const nodes = children(children(root, 'nodes')[0], 'node').map((node): MonNode => {
    const a = node.$ ?? {};
    return { name: a.name ?? '', online: isPacemakerTrue(a.online), standby: isPacemakerTrue(a.standby), maintenance: isPacemakerTrue(a.maintenance), unclean: isPacemakerTrue(a.unclean) };
  });
  const resources = new Map<string, MonResource>();
  const visit = (element: unknown) => {
    for (const resource of children(element, 'resource')) {
      const a = resource.$ ?? {};
      const id = (a.id ?? '').replace(/:\d+$/, '');
      const entry = resources.get(id) ?? { id, agent: a.resource_agent ?? '', instances: [] };
      const base = { role: role(a.role), failed: isPacemakerTrue(a.failed), blocked: isPacemakerTrue(a.blocked), managed: a.managed !== 'false' };
      const where = children(resource, 'node').map((node) => node.$?.name ?? '');
      if (where.length === 0) entry.instances.push({ node: undefined, ...base });
      for (const node of where) entry.instances.push({ node, ...base });
      resources.set(id, entry);
    }
    for (const nested of [...children(element, 'group'), ...children(element, 'clone'), ...children(element, 'bundle')]) visit(nested);
  };
  visit(children(root, 'resources')[0]);
  const failures = children(children(root, 'failures')[0], 'failure').map((failure): FailedAction => {
    const a = failure.$ ?? {};
    const task = a.task ?? /_([a-z_-]+)_\d+$/.exec(a.op_key ?? '')?.[1] ?? '';
    const code = a.exitcode === undefined || !/^-?\d+$/.test(a.exitcode) ? undefined : Number(a.exitcode);
    return {
      resource: resourceOfOperationKey(a.op_key ?? '', task),
      node: a.node ?? '',
      task,
      intervalMs: intervalMs(a.interval),
      exitStatus: a.exitstatus ?? '',
      exitCode: code,
      exitReason: decodeEntities(a.exitreason ?? ''),
      status: a.status ?? '',
      lastRcChange: a['last-rc-change'] ?? '',
    };
  });
  return { nodes, resources, failures };
}

export interface CibPrimitive {
  id: string;
  /** ocf:provider:type (or stonith:type). */
  agent: string;
  /** The clone (or legacy master) it belongs to, if any. */
  clone?: string;
  /** The group it belongs to, if any. */
  group?: string;
  /** Instance attributes (the agent's parameters), as configured. */
  params: Record<string, string>;
  /** Meta attributes of the clone (or of the primitive when not cloned). */
  meta: Record<string, string>;
}

/**
 * A location constraint placed by DRBD's fence-peer handler (`crm-fence-peer.sh`,
 * `crm-fence-peer.9.sh`, drbd-utils): id `drbd-fence-by-handler-<drbd resource>-<clone id>`,
 * on the clone, one rule `role=Master` (or Promoted) `score=-INFINITY` whose expressions
 * `<attribute> ne <value>` (`#uname` by default) name the nodes whose data is current. No
 * other node may be promoted until `crm-unfence-peer` removes it after the resync.
 */
export interface FenceConstraint {
  id: string;
  /** The clone (or primitive) it constrains. */
  resource: string;
  /** The DRBD resource, from the id (undefined when the id has another shape). */
  drbdResource: string | undefined;
  /** The nodes promotion stays allowed on (`#uname ne NODE`), or the attribute values for another fencing attribute. */
  allowed: Array<{ attribute: string; value: string }>;
}

export const FENCE_CONSTRAINT_PREFIX = 'drbd-fence-by-handler-';

export interface CibFacts {
  primitives: CibPrimitive[];
  /** Cluster properties (crm_config). */
  properties: Record<string, string>;
  /** Transient node attributes of the status section, by node name. */
  nodeAttributes: Map<string, Record<string, string>>;
  /** Location constraints of DRBD's fence-peer handler. */
  fenceConstraints: FenceConstraint[];
}

/** The handler's constraints among the CIB's location constraints (a rule that bars the Promoted role with -INFINITY). */
function fenceConstraints(configuration: XmlNode): FenceConstraint[] {
  const out: FenceConstraint[] = [];
  for (const location of children(children(configuration, 'constraints')[0], 'rsc_location')) {
    const a = location.$ ?? {};
    const id = a.id ?? '';
    if (!id.startsWith(FENCE_CONSTRAINT_PREFIX) || !a.rsc) continue;
    const rule = children(location, 'rule').find((r) => /^(Master|Promoted)$/.test(r.$?.role ?? '') && /^-INFINITY$/i.test(r.$?.score ?? ''));
    if (!rule) continue;
    const allowed = children(rule, 'expression')
      .filter((e) => e.$?.operation === 'ne' && e.$?.attribute && e.$?.value !== undefined)
      .map((e) => ({ attribute: e.$!.attribute!, value: e.$!.value! }));
    const rest = id.slice(FENCE_CONSTRAINT_PREFIX.length);
    const drbdResource = rest.endsWith(`-${a.rsc}`) ? rest.slice(0, -(a.rsc.length + 1)) || undefined : undefined;
    out.push({ id, resource: a.rsc, drbdResource, allowed });
  }
  return out;
}

function nvpairs(sets: XmlNode[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const set of sets) for (const pair of children(set, 'nvpair')) if (pair.$?.name !== undefined) out[pair.$.name] = pair.$.value ?? '';
  return out;
}

function agentOf(a: Record<string, string>): string {
  return [a.class, a.provider, a.type].filter(Boolean).join(':');
}

/** A CIB document (`cibadmin -Q`, or a saved CIB file). */
export async function parseCib(xml: string): Promise<CibFacts> {
  const document = await parseXml(xml, 'the CIB');
  const cib = document.cib;
  if (!cib) throw new StatusInputError('not a CIB: no <cib> element');
  const configuration = children(cib, 'configuration')[0];
  if (!configuration) throw new StatusInputError('not a CIB: no <configuration> element');
  const primitives: CibPrimitive[] = [];
  const primitive = (element: XmlNode, context: { clone?: string; group?: string; meta?: Record<string, string> }) => {
    const a = element.$ ?? {};
    primitives.push({
      id: a.id ?? '',
      agent: agentOf(a),
      ...(context.clone ? { clone: context.clone } : {}),
      ...(context.group ? { group: context.group } : {}),
      params: nvpairs(children(element, 'instance_attributes')),
      meta: { ...nvpairs(children(element, 'meta_attributes')), ...(context.meta ?? {}) },
    });
  };
  const group = (element: XmlNode, context: { clone?: string; meta?: Record<string, string> }) => {
    for (const member of children(element, 'primitive')) primitive(member, { ...context, group: element.$?.id ?? '' });
  };
  const resources = children(configuration, 'resources')[0];
  for (const element of children(resources, 'primitive')) primitive(element, {});
  for (const element of children(resources, 'group')) group(element, {});
  for (const tag of ['clone', 'master']) {
    for (const clone of children(resources, tag)) {
      const meta = nvpairs(children(clone, 'meta_attributes'));
      const context = { clone: clone.$?.id ?? '', meta: tag === 'master' ? { [META.promotable]: pacemakerBoolean(true), ...meta } : meta };
      for (const element of children(clone, 'primitive')) primitive(element, context);
      for (const element of children(clone, 'group')) group(element, context);
    }
  }
  const properties = nvpairs(children(children(configuration, 'crm_config')[0], 'cluster_property_set'));
  const nodeAttributes = new Map<string, Record<string, string>>();
  for (const state of children(children(cib, 'status')[0], 'node_state')) {
    const name = state.$?.uname ?? state.$?.id ?? '';
    const attributes = nvpairs(children(children(state, 'transient_attributes')[0], 'instance_attributes'));
    nodeAttributes.set(name, { ...(nodeAttributes.get(name) ?? {}), ...attributes });
  }
  return { primitives, properties, nodeAttributes, fenceConstraints: fenceConstraints(configuration) };
}

/** What a failed `crm_mon --output-as=xml` says (`<status message><errors><error>`), in one line; undefined when it says nothing. */
export async function crmMonComplaint(xml: string): Promise<string | undefined> {
  let document: Record<string, unknown>;
  try {
    document = await parseXml(xml, 'crm_mon output');
  } catch {
    return undefined;
  }
  const status = children(document['pacemaker-result'], 'status')[0];
  if (!status) return undefined;
  const errors = children(children(status, 'errors')[0], 'error').map((e) => (typeof e === 'string' ? e : String((e as { _?: string })._ ?? '')));
  const parts = [status.$?.message, ...errors].filter((part): part is string => Boolean(part && part.trim()));
  return parts.length > 0 ? parts.map((part) => part.trim()).join(': ') : undefined;
}
