/**
 * This project's agents, by name: the one list the multi-call entry (main.ts), the generator
 * (crm-snippets/cli.ts: their declarations are its knowledge of them) and the README's parameter
 * tables take them from. Each definition is loaded alone, when asked for: an agent's monitor loads
 * that agent only, and the generator loads only the declarations a topology needs. This module
 * imports neither the generator nor main.ts, and no agent imports it.
 */
import type { AgentDefinition } from '../lib/ocf/agent.js';
import type { ParameterSpecs } from '../lib/ocf/parameters.js';

/** The OCF provider of our agents: /usr/lib/ocf/resource.d/mfs, `ocf:mfs:<name>`. */
export const PROVIDER = 'mfs';

const LOADERS = {
  mfsmaster: () => import('./mfsmaster/agent.js'),
  'mfs-drbd-store': () => import('./mfs-drbd-store/agent.js'),
  'mfs-metarestore': () => import('./mfs-metarestore/agent.js'),
} as const;

export type AgentName = keyof typeof LOADERS;

export const AGENT_NAMES = Object.keys(LOADERS) as AgentName[];

export function isAgentName(name: string): name is AgentName {
  return Object.hasOwn(LOADERS, name);
}

/** One agent's definition (its declarations and actions), loaded alone. */
export async function loadAgent(name: AgentName): Promise<AgentDefinition<ParameterSpecs>> {
  // Each agent's definition is typed by its own parameters; callers see the general shape.
  return (await LOADERS[name]()).default as unknown as AgentDefinition<ParameterSpecs>;
}
