/**
 * The topologies mfs-crm supports, each a function from checked options and agent knowledge
 * to one ClusterConfiguration. Pure.
 *
 * Shape shared by all: a promotable clone at the bottom (the replicated store, or the
 * metadata follower), and on top of its Promoted instance a group of what must run together
 * on the active node, in start order: filesystem, mfsmaster, virtual IP on the DRBD topologies;
 * virtual IP, mfsmaster on the metalogger one (see metaloggerGroup). A group rather than
 * separate constraints because it says exactly that in one object: its members start in order
 * and stop in reverse, run on one node, and a member that fails past migration-threshold moves
 * the whole group (each member is critical to the ones before it); crmsh, pcs and crm_mon show
 * it as one service. One colocation ties the group to the Promoted role, one order starts it
 * after the promote (and, being symmetrical, stops it before the demote).
 *
 * A topology is one entry in TOPOLOGIES (the metalogger one, for instance: ocf:mfs:mfs-metarestore
 * as the promotable base, mfsmaster + IP on top): a base primitive, its monitor keys, and the
 * group members; fencing, the group, the constraints and the renderers are shared.
 */
import type mfsmasterAgent from '../agents/mfsmaster/agent.js';
import { INFINITY, META, MINUS_INFINITY, pacemakerBoolean, PCMK_HOST_LIST, PROPERTY, ROLE, cibId, formatAgentType } from '../lib/pacemaker/cib.js';
import type { ChangelogSaveMode } from '../lib/moosefs/config.js';
import { MINIMUM_SAVE_MODE } from '../lib/moosefs/durability.js';
import type { AgentInfo } from './agent-info.js';
import { commentLine, type ClusterConfiguration, type Clone, type Constraint, type Group, type NameValue, type Primitive, type Resource } from './model.js';
import { operationsFor, type MonitorPlan } from './operations.js';
import { InputError, type GeneratorInput, type TopologyName, type TopologyOptions } from './options.js';

/** The agents the topologies use, by full type. */
export const AGENT = {
  drbd: 'ocf:linbit:drbd',
  filesystem: 'ocf:heartbeat:Filesystem',
  ipaddr2: 'ocf:heartbeat:IPaddr2',
  mfsmaster: 'ocf:mfs:mfsmaster',
  drbdStore: 'ocf:mfs:mfs-drbd-store',
  metarestore: 'ocf:mfs:mfs-metarestore',
} as const;

export type AgentSet = ReadonlyMap<string, AgentInfo>;

/**
 * A value of ocf:mfs:mfsmaster's `durability` parameter, typed from the agent's own declaration
 * (a level it renames or drops fails the type check here); the generator also checks at run time
 * that the declaration it loaded lists the value (primitive()).
 */
export type MasterDurability = NonNullable<(typeof mfsmasterAgent)['parameters']['durability']['default']>;
const DURABILITY_PARAMETER = 'durability';
/** With DRBD protocol C below it, a power loss costs nothing acknowledged if the master fsyncs each change. */
const REPLICATED_STORE_DURABILITY: MasterDurability = 'power';
/** Asynchronous replication decides what a failover loses; the mode still decides what a crash restarted in place loses. */
const METALOGGER_DURABILITY: MasterDurability = 'process';

export interface Topology {
  name: TopologyName;
  summary: string;
  takes: TopologyOptions;
  /** Every agent type build() needs in its AgentSet. */
  agents: readonly string[];
  /**
   * What the master must promise (ocf:mfs:mfsmaster's `durability`, set on its primitive: the
   * agent's validate and start refuse an mfsmaster.cfg whose CHANGELOG_SAVE_MODE is below it).
   */
  durability: MasterDurability;
  build(input: GeneratorInput, agents: AgentSet): ClusterConfiguration;
}

function agentInfo(agents: AgentSet, type: string): AgentInfo {
  const info = agents.get(type);
  if (!info) throw new Error(`no meta-data for ${type}`);
  return info;
}

/** A primitive whose parameters are checked against what its agent declares. */
function primitive(info: AgentInfo, id: string, params: NameValue[], ops: Primitive['ops']): Primitive {
  const type = formatAgentType(info.agent);
  for (const { name } of params) {
    if (!info.parameters[name]) throw new Error(`${type} declares no parameter ${name}: its meta-data is not what mfs-crm expects`);
  }
  for (const { name, value } of params) {
    const allowed = info.parameters[name]!.options;
    if (allowed && !allowed.includes(value)) {
      throw new Error(`${type} declares ${name} as one of ${allowed.join(', ')}, not ${value}: its meta-data is not what mfs-crm expects`);
    }
  }
  const missing = Object.entries(info.parameters).filter(([name, p]) => p.required && !params.some((given) => given.name === name));
  if (missing.length > 0) throw new Error(`${type} requires ${missing.map(([name]) => name).join(', ')}, which mfs-crm does not set`);
  return { kind: 'primitive', id, agent: info.agent, params, meta: [], ops };
}

const nv = (name: string, value: string | number): NameValue => ({ name, value: String(value) });

/** Monitor keys of a promotable base: `<short>-promoted` and `<short>-unpromoted`. */
function promotableMonitors(short: string): MonitorPlan[] {
  return [
    { key: `${short}-promoted`, role: ROLE.promoted },
    { key: `${short}-unpromoted`, role: ROLE.unpromoted },
  ];
}

/** The promotable clone at the bottom: one Promoted instance, on one of exactly two nodes, with notifications. */
function promotableClone(input: GeneratorInput, info: AgentInfo, short: string, params: NameValue[]): Clone {
  const ops = operationsFor(info, { actions: ['start', 'stop', 'promote', 'demote', 'notify'], monitors: promotableMonitors(short) }, input.monitorIntervals);
  const child = primitive(info, cibId(input.name, short), params, ops);
  return {
    kind: 'clone',
    id: cibId(input.name, short, 'clone'),
    child,
    meta: [
      nv(META.promotable, pacemakerBoolean(true)),
      nv(META.notify, pacemakerBoolean(true)),
      nv(META.promotedMax, 1),
      nv(META.promotedNodeMax, 1),
      nv(META.cloneMax, 2),
      nv(META.cloneNodeMax, 1),
    ],
  };
}

function simple(input: GeneratorInput, info: AgentInfo, short: string, params: NameValue[]): Primitive {
  const ops = operationsFor(info, { actions: ['start', 'stop'], monitors: [{ key: short }] }, input.monitorIntervals);
  return primitive(info, cibId(input.name, short), params, ops);
}

function filesystem(input: GeneratorInput, agents: AgentSet): Primitive {
  const store = input.store!;
  return simple(input, agentInfo(agents, AGENT.filesystem), 'fs', [
    nv('device', store.device),
    nv('directory', store.directory),
    nv('fstype', store.fstype),
    ...(store.mountOptions ? [nv('options', store.mountOptions)] : []),
  ]);
}

/** The master, with the durability its topology needs written out (never left to the default: an admin reads it there). */
function master(input: GeneratorInput, agents: AgentSet, durability: MasterDurability): Primitive {
  return simple(input, agentInfo(agents, AGENT.mfsmaster), 'master', [nv('config', masterConfigPath(input, agents)), nv(DURABILITY_PARAMETER, durability)]);
}

/** The lowest CHANGELOG_SAVE_MODE with which the master of `topology` starts. */
export function neededSaveMode(topology: Topology): ChangelogSaveMode {
  return MINIMUM_SAVE_MODE[topology.durability];
}

function virtualIp(input: GeneratorInput, agents: AgentSet): Primitive {
  return simple(input, agentInfo(agents, AGENT.ipaddr2), 'ip', [
    nv('ip', input.ip.address),
    ...(input.ip.cidrNetmask !== undefined ? [nv('cidr_netmask', input.ip.cidrNetmask)] : []),
    ...(input.ip.nic ? [nv('nic', input.ip.nic)] : []),
  ]);
}

/** The group on top of the Promoted instance, and the two constraints that put it there. */
function onPromoted(input: GeneratorInput, base: Clone, short: string, members: Primitive[]): { group: Group; constraints: Constraint[] } {
  const group: Group = {
    kind: 'group',
    id: cibId(input.name, 'group'),
    members,
    meta: [nv(META.resourceStickiness, input.stickiness), nv(META.migrationThreshold, input.migrationThreshold)],
  };
  return {
    group,
    constraints: [
      { kind: 'colocation', id: cibId(input.name, 'group', 'with', short, 'promoted'), score: INFINITY, rsc: group.id, withRsc: base.id, withRscRole: ROLE.promoted },
      { kind: 'order', id: cibId(input.name, short, 'promote', 'then', 'group'), first: base.id, firstAction: 'promote', then: group.id, thenAction: 'start' },
    ],
  };
}

export interface FencingPart {
  resources: Resource[];
  constraints: Constraint[];
  properties: NameValue[];
  comments: string[];
  /** For stderr. */
  warnings: string[];
  /** Set when Pacemaker cannot start the result as it is (see ClusterConfiguration.unstartable). */
  unstartable?: string;
}

/**
 * Fencing is never switched off silently: fence devices and stonith-enabled=true; or, without
 * any fence option, a comment and a warning and no stonith-enabled at all (Pacemaker's default,
 * true, then refuses to start resources until a device exists); stonith-enabled=false only
 * with --no-fencing.
 */
/**
 * Fence parameters checked against the fence agent's meta-data, when the AgentSet has it:
 * names the agent does not declare are refused (a typo would otherwise surface only when
 * Pacemaker fences). Pacemaker's own fencing parameters (pcmk_*) are always allowed.
 */
function checkFenceParams(f: Extract<GeneratorInput['fencing'], { mode: 'devices' }>, info: AgentInfo | undefined): void {
  if (!info) return;
  const known = (name: string) => name.startsWith('pcmk_') || info.parameters[name] !== undefined;
  const unknown = f.params.find(({ name }) => !known(name));
  if (unknown) throw new InputError('fence-param', `${formatAgentType(f.agent)} has no parameter ${unknown.name} (see stonith_admin --metadata --agent ${f.agent.type})`);
  for (const list of f.nodeParams.values()) {
    const bad = list.find(({ name }) => !known(name));
    if (bad) throw new InputError('fence-node-param', `${formatAgentType(f.agent)} has no parameter ${bad.name} (see stonith_admin --metadata --agent ${f.agent.type})`);
  }
}

export function fencing(input: GeneratorInput, agents?: AgentSet): FencingPart {
  const f = input.fencing;
  if (f.mode === 'disabled') {
    return {
      resources: [],
      constraints: [],
      properties: [nv(PROPERTY.stonithEnabled, pacemakerBoolean(false))],
      comments: [
        "FENCING DISABLED (mfs-crm's no-fencing option): for a test cluster only. Without fencing a node that",
        'stops answering is assumed dead: both nodes can end up Primary and run a master each (split brain).',
      ],
      warnings: ['fencing is disabled (--no-fencing): use this configuration on a test cluster only'],
    };
  }
  if (f.mode === 'unconfigured') {
    return {
      resources: [],
      constraints: [],
      properties: [],
      comments: [
        'FENCING IS NOT CONFIGURED: Pacemaker (stonith-enabled defaults to true) will start no resource',
        "until a fence device exists. Add one (mfs-crm's fence-agent and fence-param options, e.g. the agent",
        "fence_ipmilan), or use mfs-crm's no-fencing option for a test cluster.",
      ],
      warnings: [
        'no fence device given (--fence-agent): Pacemaker will start nothing until one is configured, and crmsh loads ' +
          'this configuration only when forced (crm -F configure load update); ' +
          'add --fence-agent/--fence-param/--fence-node-param, or --no-fencing for a test cluster',
      ],
      unstartable: 'no fence device is configured',
    };
  }
  checkFenceParams(f, agents?.get(formatAgentType(f.agent)));
  const resources: Resource[] = [];
  const constraints: Constraint[] = [];
  const ops = [{ name: 'monitor', interval: input.monitorIntervals.get('fence') ?? '60s' }];
  const agentName = formatAgentType(f.agent);
  if (f.nodeParams.size === 0) {
    const params = [...f.params];
    if (!params.some(({ name }) => name === PCMK_HOST_LIST || name === 'pcmk_host_map')) params.push(nv(PCMK_HOST_LIST, input.nodes.join(' ')));
    resources.push({ kind: 'primitive', id: cibId(input.name, 'fence'), agent: f.agent, params, meta: [], ops });
  } else {
    for (const node of input.nodes) {
      const id = cibId(input.name, 'fence', node);
      const params = [...f.params, ...(f.nodeParams.get(node) ?? [])];
      if (!params.some(({ name }) => name === PCMK_HOST_LIST || name === 'pcmk_host_map')) params.push(nv(PCMK_HOST_LIST, node));
      resources.push({ kind: 'primitive', id, agent: f.agent, params, meta: [], ops });
      // A device never runs on the node it fences: that node may be the one that hangs.
      constraints.push({ kind: 'location', id: cibId(id, 'not', 'on', node), rsc: id, node, score: MINUS_INFINITY });
    }
  }
  return {
    resources,
    constraints,
    properties: [nv(PROPERTY.stonithEnabled, pacemakerBoolean(true))],
    comments: [`Fencing: ${agentName}, ${resources.length === 1 ? 'one device for both nodes' : 'one device per node, never run on the node it fences'}.`],
    warnings: [],
  };
}

/** The durability set on the master, and what it makes the agent do (for the output's comments). */
function durabilitySentence(input: GeneratorInput, durability: MasterDurability): string {
  return `${cibId(input.name, 'master')} sets ${DURABILITY_PARAMETER}=${durability}, so that`;
}

/** The replicated store: mode 2 with DRBD protocol C (measured; ../shared/MOOSEFS.md). */
function replicatedStoreComment(input: GeneratorInput, durability: MasterDurability): string[] {
  return [
    `mfsmaster.cfg: CHANGELOG_SAVE_MODE = ${MINIMUM_SAVE_MODE[durability]} (changelog fsynced before each reply) with DRBD protocol C:`,
    `no acknowledged operation is lost on power loss. ${durabilitySentence(input, durability)}`,
    `${AGENT.mfsmaster} refuses to start with a lower CHANGELOG_SAVE_MODE. 1 survives a master process`,
    'crash, not a power loss; 0 (the default) can lose operations acknowledged just before a crash,',
    'and all of those acknowledged while the background writer stalls.',
  ];
}

/**
 * The metalogger topology's group starts the virtual IP before the master and so stops the master
 * before the IP. The metaloggers follow the master through the IP, and demote raises the cluster's
 * high-water mark to the version of the image the stopped master wrote: every change it made must
 * have reached them. With the master stopped after the IP (the DRBD topologies' order), a client's
 * request the master had received went through after the IP was gone: a change in the image that
 * no metalogger received (the lab: CREATE 5055, metaloggers at 5054, mark 5056), so the other
 * node's promote was refused for good ("version 5055 is behind the high-water mark 5056"). With
 * the IP up until the master has stopped, the metaloggers receive what the master does until it
 * exits (a client's change goes to them in the loop turn that makes it: mfsmaster's main loop
 * serves its client connections, then its metalogger connections); the mark keeps its guarantee (no
 * node missing a change a client saw acknowledged is promoted) and a switch-over promotes the other
 * node. Lowering the mark at demote instead would have to guess what the other node's metalogger
 * received, and a guess too low promotes a node missing acknowledged changes.
 * The DRBD topologies keep the master before the IP: their master's changes are on the replicated
 * disk whatever the IP does, and there is no mark.
 */
function metaloggerGroup(input: GeneratorInput, agents: AgentSet): Primitive[] {
  return [virtualIp(input, agents), master(input, agents, METALOGGER_DURABILITY)];
}

/** Why the metalogger topology's group starts the IP first (for the output's comments). */
function metaloggerOrderComment(input: GeneratorInput): string[] {
  const [group, ip, master] = [cibId(input.name, 'group'), cibId(input.name, 'ip'), cibId(input.name, 'master')];
  return [
    `${group} starts ${ip} before ${master}, so that ${master} stops before ${ip}: the metaloggers follow`,
    'the master through the IP and receive every change it makes until it has stopped, so that the other',
    'node can be promoted at the version the stopped master wrote (the high-water mark demote records).',
  ];
}

/** The metalogger topology: asynchronous whatever the mode; the mode still guards a master restarted in place. */
function metaloggerComment(input: GeneratorInput, durability: MasterDurability): string[] {
  const mode = MINIMUM_SAVE_MODE[durability];
  return [
    `mfsmaster.cfg: CHANGELOG_SAVE_MODE = ${mode}${mode < 2 ? ' or 2' : ''}, so that a master restarted in place after a crash`,
    `loses nothing. ${durabilitySentence(input, durability)} ${AGENT.mfsmaster} refuses to start`,
    'with a lower CHANGELOG_SAVE_MODE. Replication to the metaloggers is asynchronous whatever',
    'CHANGELOG_SAVE_MODE says: a failover loses the operations within the metalogger lag (measured:',
    '1 ms to 0.65 s).',
  ];
}

/** The fast Corosync profile bench:failover measured (README "Failover", BENCH_TOKEN=1000): a token of 1 s, consensus at Corosync's 1.2 x token. */
export const FAST_TOKEN_MS = 1000;

/** Corosync's consensus when the totem section does not set it: 1.2 x token (corosync.conf(5)). */
export function corosyncConsensusMs(tokenMs: number): number {
  return Math.round(tokenMs * 1.2);
}

/** Where an unplanned failover's first seconds go, and the Corosync setting that cuts them (for the output's comments). */
function corosyncComment(): string[] {
  return [
    "Failover speed: Corosync declares a node lost after its token and consensus timeouts (3000 + 3600 ms",
    'by default), then Pacemaker fences it and promotes the other node. The fast profile, measured with',
    'this configuration, is these totem settings in /etc/corosync/corosync.conf, the same on both nodes,',
    'then corosync-cfgtool -R:',
    `    token: ${FAST_TOKEN_MS}`,
    `    consensus: ${corosyncConsensusMs(FAST_TOKEN_MS)}`,
    'A shorter token also takes a network stall of that length for a lost node, and fences it.',
  ];
}

function assemble(
  input: GeneratorInput,
  agents: AgentSet,
  headline: string,
  changelog: string[],
  base: Clone,
  short: string,
  members: Primitive[],
): ClusterConfiguration {
  const fence = fencing(input, agents);
  const service = onPromoted(input, base, short, members);
  return {
    comments: [headline, ...changelog, ...fence.comments, ...corosyncComment()].map(commentLine),
    ...(fence.unstartable ? { unstartable: fence.unstartable } : {}),
    properties: fence.properties,
    resources: [...fence.resources, base, service.group],
    constraints: [...fence.constraints, ...service.constraints],
  };
}

const DRBD_MONITORS = ['drbd-promoted', 'drbd-unpromoted', 'fs', 'master', 'ip', 'fence'] as const;
const STORE_MONITORS = ['store-promoted', 'store-unpromoted', 'master', 'ip', 'fence'] as const;
const METALOGGER_MONITORS = ['metalogger-promoted', 'metalogger-unpromoted', 'master', 'ip', 'fence'] as const;

function masterConfigPath(input: GeneratorInput, agents: AgentSet): string {
  const config = input.config ?? agentInfo(agents, AGENT.mfsmaster).parameters.config?.default;
  if (!config) throw new Error(`${AGENT.mfsmaster} declares no default for config`);
  return config;
}

export const TOPOLOGIES: Record<TopologyName, Topology | undefined> = {
  drbd: {
    name: 'drbd',
    summary: 'DRBD (ocf:linbit:drbd, promotable) + Filesystem + mfsmaster + IPaddr2 on the Promoted node',
    takes: { store: true, metalogger: false, monitorKeys: DRBD_MONITORS },
    agents: [AGENT.drbd, AGENT.filesystem, AGENT.mfsmaster, AGENT.ipaddr2],
    durability: REPLICATED_STORE_DURABILITY,
    build(input, agents) {
      const base = promotableClone(input, agentInfo(agents, AGENT.drbd), 'drbd', [nv('drbd_resource', input.store!.drbdResource)]);
      return assemble(
        input,
        agents,
        `mfs-crm drbd: MooseFS master on DRBD resource ${input.store!.drbdResource}, nodes ${input.nodes.join(' and ')}.`,
        replicatedStoreComment(input, REPLICATED_STORE_DURABILITY),
        base,
        'drbd',
        [filesystem(input, agents), master(input, agents, REPLICATED_STORE_DURABILITY), virtualIp(input, agents)],
      );
    },
  },
  'drbd-store': {
    name: 'drbd-store',
    summary: 'ocf:mfs:mfs-drbd-store (DRBD + mount, promotable) + mfsmaster + IPaddr2 on the Promoted node',
    takes: { store: true, metalogger: false, monitorKeys: STORE_MONITORS },
    agents: [AGENT.drbdStore, AGENT.mfsmaster, AGENT.ipaddr2],
    durability: REPLICATED_STORE_DURABILITY,
    build(input, agents) {
      const store = input.store!;
      // The store reads DATA_PATH from the same mfsmaster.cfg as the master: one file, one value.
      const base = promotableClone(input, agentInfo(agents, AGENT.drbdStore), 'store', [
        nv('drbd_resource', store.drbdResource),
        nv('device', store.device),
        nv('directory', store.directory),
        nv('fstype', store.fstype),
        ...(store.mountOptions ? [nv('options', store.mountOptions)] : []),
        nv('master_config', masterConfigPath(input, agents)),
        ...(store.splitBrainPolicy ? [nv('split_brain_policy', store.splitBrainPolicy)] : []),
      ]);
      return assemble(
        input,
        agents,
        `mfs-crm drbd-store: MooseFS master on DRBD resource ${store.drbdResource} (ocf:mfs:mfs-drbd-store), nodes ${input.nodes.join(' and ')}.`,
        replicatedStoreComment(input, REPLICATED_STORE_DURABILITY),
        base,
        'store',
        [master(input, agents, REPLICATED_STORE_DURABILITY), virtualIp(input, agents)],
      );
    },
  },
  metalogger: {
    name: 'metalogger',
    summary: 'ocf:mfs:mfs-metarestore (metalogger, promotable) + mfsmaster + IPaddr2 on the Promoted node',
    takes: { store: false, metalogger: true, monitorKeys: METALOGGER_MONITORS },
    agents: [AGENT.metarestore, AGENT.mfsmaster, AGENT.ipaddr2],
    durability: METALOGGER_DURABILITY,
    build(input, agents) {
      const info = agentInfo(agents, AGENT.metarestore);
      const metaloggerConfig = input.metaloggerConfig ?? info.parameters.metalogger_config?.default;
      if (!metaloggerConfig) throw new Error(`${AGENT.metarestore} declares no default for metalogger_config`);
      // Promote rebuilds the metadata in the DATA_PATH of the same mfsmaster.cfg the master runs with.
      const base = promotableClone(input, info, 'metalogger', [nv('metalogger_config', metaloggerConfig), nv('master_config', masterConfigPath(input, agents))]);
      return assemble(
        input,
        agents,
        `mfs-crm metalogger: MooseFS master rebuilt from metalogger files (ocf:mfs:mfs-metarestore), nodes ${input.nodes.join(' and ')}.`,
        [
          `${metaloggerConfig} on both nodes: MASTER_HOST = ${input.ip.address}, so that the metalogger follows the master.`,
          ...metaloggerOrderComment(input),
          ...metaloggerComment(input, METALOGGER_DURABILITY),
        ],
        base,
        'metalogger',
        metaloggerGroup(input, agents),
      );
    },
  },
};

export function topology(name: TopologyName): Topology {
  const found = TOPOLOGIES[name];
  if (!found) throw new Error(`the ${name} topology is not available in this version`);
  return found;
}
