/**
 * What the generator needs to know of an agent: its parameters (which are required, their
 * defaults) and the actions its meta-data advertises, with their timeouts and intervals.
 *
 * One source of truth: for our own agents the declarations themselves (the same objects their
 * `meta-data` is built from); for third-party agents (ocf:linbit:drbd, ocf:heartbeat:*) their
 * installed meta-data, read when mfs-crm runs (see cli.ts). Both end up as an AgentInfo.
 */
import { advertisedActions, type AgentDefinition } from '../lib/ocf/agent.js';
import { parseMetadata, type AdvertisedAction, type AgentMetadata } from '../lib/ocf/metadata.js';
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

/** An installed agent, from the XML its `meta-data` action prints (OCF 1.0 or 1.1). */
export async function agentInfoFromMetadata(type: string, xml: string): Promise<AgentInfo> {
  let metadata: AgentMetadata;
  try {
    metadata = await parseMetadata(xml);
  } catch (error) {
    throw new Error(`${type}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const parameters: Record<string, ParameterInfo> = {};
  for (const parameter of metadata.parameters) {
    const fallback = parameter.default;
    parameters[parameter.name] = { required: parameter.required, ...(fallback !== undefined && fallback !== '' ? { default: fallback } : {}) };
  }
  const actions = metadata.actions.map(({ name, attributes: a }): AdvertisedAction => ({
    name,
    timeout: a.timeout ?? '',
    ...(a.interval !== undefined ? { interval: a.interval } : {}),
    ...(a.depth !== undefined ? { depth: Number(a.depth) } : {}),
    ...(a.role !== undefined ? { role: normalizeRole(a.role) as 'Promoted' | 'Unpromoted' } : {}),
  }));
  return { agent: parseAgentType(type), parameters, actions };
}
