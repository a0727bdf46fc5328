/**
 * The pure core of mfs-crm: checked input and agent knowledge in, every output text out
 * (the configuration in the chosen format, the DRBD resource file, warnings). No I/O: the CLI
 * reads the meta-data and writes the results.
 */
import type { MasterConfig, MetaloggerConfig } from '../lib/moosefs/config.js';
import { judgeDurability } from '../lib/moosefs/durability.js';
import { formatAgentType } from '../lib/pacemaker/cib.js';
import type { ClusterConfiguration } from './model.js';
import { renderDrbdResFile } from './drbd-res.js';
import type { DrbdTarget, GeneratorInput } from './options.js';
import { renderCrmsh } from './render-crmsh.js';
import { renderPcs } from './render-pcs.js';
import { renderXml } from './render-xml.js';
import { AGENT, fencing, neededSaveMode, topology, type AgentSet } from './topologies.js';

export interface GeneratorOutput {
  configuration: ClusterConfiguration;
  /** The configuration in the chosen format, for stdout. */
  text: string;
  /** The DRBD resource file, when --drbd-res-file asked for it. */
  drbdResFile?: { path: string; text: string };
  warnings: string[];
}

export async function render(configuration: ClusterConfiguration, format: GeneratorInput['format']): Promise<string> {
  switch (format) {
    case 'crmsh':
      return renderCrmsh(configuration);
    case 'pcs':
      return renderPcs(configuration);
    case 'xml':
      return renderXml(configuration);
  }
}

/**
 * What the master's configuration file says against what the topology needs, when mfs-crm runs
 * where that file is (on a cluster node): the changelog durability that the generated
 * configuration sets on the master (which then refuses to start below it) and, with a
 * replicated store, that DATA_PATH lies on the store's mount.
 */
export function masterConfigWarnings(input: GeneratorInput, master: MasterConfig): string[] {
  const warnings: string[] = [];
  const t = topology(input.topology);
  const needed = neededSaveMode(t);
  if (judgeDurability(master.file, master.changelogSaveMode, t.durability).refusal) {
    warnings.push(
      `${master.file} has CHANGELOG_SAVE_MODE = ${master.changelogSaveMode}: the ${input.topology} topology needs ${needed}; ` +
        `the configuration sets durability=${t.durability} on ${AGENT.mfsmaster}, which refuses to start below it (see the comment in the output)`,
    );
  }
  const directory = input.store?.directory;
  if (directory && master.dataPath !== directory && !master.dataPath.startsWith(`${directory.replace(/\/+$/, '')}/`)) {
    warnings.push(`${master.file} has DATA_PATH = ${master.dataPath}, which is not on the replicated store mounted at ${directory}: the metadata would not fail over`);
  }
  return warnings;
}

/** Which DRBD the resource file is for, when mfs-crm could not tell or was told otherwise than /proc/drbd says. */
export function drbdTargetWarnings(target: DrbdTarget): string[] {
  if (target.source === 'default') {
    return ['the DRBD resource file is written for DRBD 9: there is no /proc/drbd here to say otherwise; for DRBD 8.4 (every stock Debian and Ubuntu kernel) give --drbd-version 8.4'];
  }
  if (target.source === 'option' && target.procVersion && !target.procVersion.startsWith(`version: ${target.version}.`)) {
    return [`the DRBD resource file is written for DRBD ${target.version} (--drbd-version), but /proc/drbd here says "${target.procVersion}"`];
  }
  return [];
}

/** The metalogger must reach the master through the virtual IP, or it follows nothing after a failover. */
export function metaloggerConfigWarnings(input: GeneratorInput, metalogger: MetaloggerConfig): string[] {
  if (metalogger.masterHost === input.ip.address) return [];
  return [`${metalogger.file} has MASTER_HOST = ${metalogger.masterHost}, not the virtual IP ${input.ip.address}: the metalogger would not follow the master`];
}

/** The MooseFS configuration files found where mfs-crm runs (on a cluster node), to check against the topology. */
export interface LocalConfiguration {
  masterConfig?: MasterConfig;
  metaloggerConfig?: MetaloggerConfig;
}

export async function generate(input: GeneratorInput, agents: AgentSet, local: LocalConfiguration = {}): Promise<GeneratorOutput> {
  const configuration = topology(input.topology).build(input, agents);
  const warnings = [
    ...fencing(input, agents).warnings,
    ...(local.masterConfig ? masterConfigWarnings(input, local.masterConfig) : []),
    ...(local.metaloggerConfig ? metaloggerConfigWarnings(input, local.metaloggerConfig) : []),
  ];
  const output: GeneratorOutput = { configuration, text: await render(configuration, input.format), warnings };
  if (input.drbdResFile && input.store) {
    const base = configuration.resources.find((r) => r.kind === 'clone');
    const managedBy = base?.kind === 'clone' ? `${base.id}, ${formatAgentType(base.child.agent)}` : 'Pacemaker';
    output.drbdResFile = { path: input.drbdResFile.path, text: renderDrbdResFile(input.nodes, input.store, input.drbdResFile, managedBy) };
    warnings.push(...drbdTargetWarnings(input.drbdResFile.drbd));
  } else if (input.store) {
    warnings.push(`the DRBD resource file was not written: add --drbd-res-file /etc/drbd.d/${input.store.drbdResource}.res --drbd-disk PATH --drbd-address NODE=IP ... to write it`);
  }
  return output;
}
