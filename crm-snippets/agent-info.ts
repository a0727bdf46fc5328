/**
 * What the generator needs to know of an agent: its parameters (which are required, their
 * defaults) and the actions its meta-data advertises, with their timeouts and intervals.
 *
 * One source of truth: for our own agents the declarations themselves (the same objects their
 * `meta-data` is built from); for third-party agents (ocf:linbit:drbd, ocf:heartbeat:*) their
 * installed meta-data, read when mfs-crm runs (see cli.ts). Both end up as an AgentInfo.
 */
import { advertisedActions, type AgentDefinition } from '../lib/ocf/agent.js';
import type { AdvertisedAction } from '../lib/ocf/metadata.js';
import type { ParameterSpecs } from '../lib/ocf/parameters.js';
import { normalizeRole, parseAgentType, type AgentType } from '../lib/pacemaker/cib.js';

export interface ParameterInfo {
  required: boolean;
  /** The declared default as text, if any. */
  default?: string;
  /** The allowed values of a select (our own agents' declarations say them; OCF 1.0 meta-data does not). */
  options?: readonly string[];
}

export interface AgentInfo {
  agent: AgentType;
  parameters: Record<string, ParameterInfo>;
  actions: AdvertisedAction[];
}

/** An agent of this project, from its own declaration. */
export function agentInfoFromDefinition(type: string, definition: AgentDefinition<ParameterSpecs>): AgentInfo {
  const parameters: Record<string, ParameterInfo> = {};
  for (const [name, spec] of Object.entries(definition.parameters)) {
    parameters[name] = {
      required: spec.required,
      ...(spec.defaultText !== undefined ? { default: spec.defaultText } : {}),
      ...(spec.options ? { options: spec.options } : {}),
    };
  }
  return { agent: parseAgentType(type), parameters, actions: advertisedActions(definition) };
}

type XmlNode = { $?: Record<string, string> } & Record<string, unknown>;

function children(node: unknown, name: string): XmlNode[] {
  if (!node || typeof node !== 'object') return [];
  const value = (node as Record<string, unknown>)[name];
  return Array.isArray(value) ? (value as XmlNode[]) : [];
}

/** An installed agent, from the XML its `meta-data` action prints (OCF 1.0 or 1.1). */
export async function agentInfoFromMetadata(type: string, xml: string): Promise<AgentInfo> {
  const { parseStringPromise } = await import('xml2js');
  const document = (await parseStringPromise(xml)) as Record<string, unknown>;
  const root = document['resource-agent'];
  if (!root) throw new Error(`${type}: meta-data has no <resource-agent> element`);
  const parameters: Record<string, ParameterInfo> = {};
  for (const parameter of children(children(root, 'parameters')[0], 'parameter')) {
    const name = parameter.$?.name;
    if (!name) continue;
    const content = children(parameter, 'content')[0];
    const fallback = content?.$?.default;
    parameters[name] = { required: parameter.$?.required === '1', ...(fallback !== undefined && fallback !== '' ? { default: fallback } : {}) };
  }
  const actions: AdvertisedAction[] = [];
  for (const action of children(children(root, 'actions')[0], 'action')) {
    const a = action.$ ?? {};
    if (!a.name) continue;
    actions.push({
      name: a.name,
      timeout: a.timeout ?? '',
      ...(a.interval !== undefined ? { interval: a.interval } : {}),
      ...(a.depth !== undefined ? { depth: Number(a.depth) } : {}),
      ...(a.role !== undefined ? { role: normalizeRole(a.role) as 'Promoted' | 'Unpromoted' } : {}),
    });
  }
  return { agent: parseAgentType(type), parameters, actions };
}
