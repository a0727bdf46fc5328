/**
 * What Pacemaker's CIB accepts and calls things, in one place: role names, scores, the
 * characters of an id, node names, resource-agent types. Pure; no I/O.
 */

/** Roles of a promotable clone's instances (Pacemaker 2.1 names; Master/Slave are the deprecated ones). */
export const ROLE = { promoted: 'Promoted', unpromoted: 'Unpromoted', started: 'Started' } as const;
export type Role = (typeof ROLE)[keyof typeof ROLE];

/** Legacy role names that meta-data written for Pacemaker 1.x still uses. */
const LEGACY_ROLES: Record<string, Role> = { Master: ROLE.promoted, Slave: ROLE.unpromoted };

/** A role name from meta-data or a CIB, in today's spelling (Master → Promoted, Slave → Unpromoted). */
export function normalizeRole(role: string): Role {
  if (role === ROLE.promoted || role === ROLE.unpromoted || role === ROLE.started) return role;
  const modern = LEGACY_ROLES[role];
  if (!modern) throw new Error(`unknown role ${JSON.stringify(role)}`);
  return modern;
}

export const INFINITY = 'INFINITY';
export const MINUS_INFINITY = '-INFINITY';

/**
 * A CIB id is an XML ID (NCName): a letter or _ first, then letters, digits, _ . -
 * (Pacemaker's schema refuses ':' and everything else). We stay within ASCII.
 */
const CIB_ID = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
export const CIB_ID_MAX = 200;

/** Why `id` cannot be a CIB id, or undefined when it can. */
export function cibIdProblem(id: string): string | undefined {
  if (id.length === 0) return 'must not be empty';
  if (id.length > CIB_ID_MAX) return `must be at most ${CIB_ID_MAX} characters`;
  if (!CIB_ID.test(id)) return 'must start with a letter or _ and contain only letters, digits, _ . - (an XML ID, as Pacemaker requires)';
  return undefined;
}

/** An id built from parts, with every character Pacemaker refuses replaced by '-'. */
export function cibId(...parts: string[]): string {
  const id = parts.join('-').replace(/[^A-Za-z0-9_.-]/g, '-');
  return /^[A-Za-z_]/.test(id) ? id : `_${id}`;
}

/**
 * Node names as Pacemaker takes them from corosync or uname -n: host names (RFC 1123 labels,
 * dots allowed). They also end up in DRBD's `on NAME` sections and in location constraints.
 */
const NODE_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

export function nodeNameProblem(name: string): string | undefined {
  if (name.length > 253 || !NODE_NAME.test(name)) return 'must be a host name (letters, digits, - and dots; as uname -n prints it)';
  return undefined;
}

/** A resource agent's full type, as crmsh writes it: `ocf:heartbeat:IPaddr2`, `stonith:fence_ipmilan`. */
export interface AgentType {
  class: 'ocf' | 'stonith';
  provider?: string;
  type: string;
}

export function parseAgentType(text: string): AgentType {
  const parts = text.split(':');
  if (parts[0] === 'ocf' && parts.length === 3 && parts[1] && parts[2]) return { class: 'ocf', provider: parts[1], type: parts[2] };
  if (parts[0] === 'stonith' && parts.length === 2 && parts[1]) return { class: 'stonith', type: parts[1] };
  throw new Error(`not an agent type (ocf:PROVIDER:TYPE or stonith:TYPE): ${JSON.stringify(text)}`);
}

export function formatAgentType(agent: AgentType): string {
  return agent.class === 'ocf' ? `ocf:${agent.provider}:${agent.type}` : `stonith:${agent.type}`;
}

/**
 * A Pacemaker boolean (a meta attribute such as `notify`, a cluster option) as Pacemaker reads
 * it (crm_is_true): true, on, yes, y or 1, in any case; anything else is false. Every reader of
 * one goes through this, and every writer through pacemakerBoolean.
 */
export function isPacemakerTrue(value: string | undefined): boolean {
  return value !== undefined && /^(true|on|yes|y|1)$/i.test(value.trim());
}

/** A Pacemaker boolean as this project writes one. */
export function pacemakerBoolean(value: boolean): 'true' | 'false' {
  return value ? 'true' : 'false';
}

/** Cluster options (crm_config) the generator sets. */
export const PROPERTY = { stonithEnabled: 'stonith-enabled' } as const;

/** Meta attributes of resources and clones that the generator sets. */
export const META = {
  promotable: 'promotable',
  notify: 'notify',
  promotedMax: 'promoted-max',
  promotedNodeMax: 'promoted-node-max',
  cloneMax: 'clone-max',
  cloneNodeMax: 'clone-node-max',
  resourceStickiness: 'resource-stickiness',
  migrationThreshold: 'migration-threshold',
} as const;

/** Instance attribute of a fence device: the nodes it can fence (space-separated). */
export const PCMK_HOST_LIST = 'pcmk_host_list';

/** The transient node attribute that holds a promotable resource's promotion score. */
export function promotionScoreAttribute(primitiveId: string): string {
  return `master-${primitiveId}`;
}

/**
 * A planned switch-over of a promotable clone (`crm_resource` arguments): the Promoted role
 * banned from `node`, which leaves its instance running (faster than `crm node standby`, which
 * stops it: README, "Failover"); `clear` lifts the ban once another node serves.
 */
export function switchOverArgs(clone: string, node: string): { ban: string[]; clear: string[] } {
  return { ban: ['--ban', '--promoted', '--resource', clone, '--node', node], clear: ['--clear', '--resource', clone] };
}
