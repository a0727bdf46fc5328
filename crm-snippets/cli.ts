/**
 * mfs-crm: the command line of the configuration generator (yargs lives here only).
 *
 *   mfs-crm drbd --node a --node b --ip 192.0.2.10 --drbd-resource mfs --device /dev/drbd0 \
 *       --directory /var/lib/mfs --fstype ext4 [--format crmsh|pcs|xml] [--fence-agent ...|--no-fencing]
 *
 * The configuration goes to stdout, warnings and errors to stderr. Everything is checked and
 * generated before anything is written: bad input writes nothing and exits 2.
 *
 * Agent knowledge: our own agents' declarations are imported (the same objects their meta-data
 * comes from); third-party agents' meta-data is read from the installed agents with
 * `crm_resource --show-metadata`, because the timeouts that matter are those of the version
 * that will run, and crmsh/pcs need those agents installed anyway to load the result.
 */
import { existsSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import yargs, { type Argv } from 'yargs';
import { readMasterConfig, readMetaloggerConfig } from '../lib/moosefs/config.js';
import { describeOutcome, run } from '../lib/process/run.js';
import { formatAgentType, parseAgentType } from '../lib/pacemaker/cib.js';
import { PACKAGE_VERSION } from '../lib/version.js';
import { isAgentName, loadAgent, PROVIDER } from '../agents/registry.js';
import { agentInfoFromDefinition, agentInfoFromMetadata, type AgentInfo } from './agent-info.js';
import { generate, type LocalConfiguration } from './generate.js';
import {
  InputError,
  OPTIONS,
  optionFlag,
  optionsOfScope,
  parseInput,
  TOPOLOGY_NAMES,
  type HostFacts,
  type OptionName,
  type OptionSpec,
  type RawOptions,
  type TopologyName,
} from './options.js';
import { AGENT, TOPOLOGIES, type AgentSet } from './topologies.js';
import type { ClusterStatus } from './status.js';

/** One of this project's agents (`ocf:mfs:<name>`), from its own declaration; undefined for a third-party type. */
async function ownAgentInfo(type: string): Promise<AgentInfo | undefined> {
  const agent = parseAgentType(type);
  if (agent.provider !== PROVIDER || !isAgentName(agent.type)) return undefined;
  return agentInfoFromDefinition(type, await loadAgent(agent.type));
}

const METADATA_TIMEOUT_MS = 15_000;

async function installedAgentInfo(type: string): Promise<AgentInfo> {
  const result = await run('crm_resource', ['--show-metadata', type], { timeoutMs: METADATA_TIMEOUT_MS });
  if (!result.ok) {
    throw new Error(
      `cannot read the meta-data of ${type} (${describeOutcome(result)}): mfs-crm takes its operation timeouts from the installed agent; ` +
        'run it on a cluster node with pacemaker-cli-utils, resource-agents and drbd-utils installed',
    );
  }
  return agentInfoFromMetadata(type, result.stdout);
}

async function loadAgents(types: readonly string[]): Promise<AgentSet> {
  const entries = await Promise.all(
    types.map(async (type): Promise<[string, AgentInfo]> => {
      return [type, (await ownAgentInfo(type)) ?? (await installedAgentInfo(type))];
    }),
  );
  return new Map(entries);
}

/** A fence agent's meta-data (its parameters), from the fencer's own tool; an unknown agent is bad input. */
async function fenceAgentInfo(type: string, name: string): Promise<AgentInfo> {
  const result = await run('stonith_admin', ['--metadata', '--agent', name], { timeoutMs: METADATA_TIMEOUT_MS });
  if (!result.ok) throw new InputError('fence-agent', `${name} is not an installed fence agent (${describeOutcome(result)})`);
  return agentInfoFromMetadata(type, result.stdout);
}

function writeAtomically(path: string, text: string): void {
  const temporary = `${dirname(path)}/.${path.slice(dirname(path).length + 1)}.mfs-crm-${process.pid}`;
  writeFileSync(temporary, text, { mode: 0o644, flag: 'wx' });
  try {
    renameSync(temporary, path);
  } catch (error) {
    unlinkSync(temporary);
    throw error;
  }
}

const list = (value: unknown): string[] | undefined =>
  value === undefined ? undefined : (Array.isArray(value) ? value : [value]).map(String);

/** The values yargs parsed, by option, as the declarations in options.ts say them. */
function rawOptions(argv: Record<string, unknown>): RawOptions {
  const raw: Record<string, string | string[] | boolean> = {};
  for (const [name, spec] of Object.entries(OPTIONS) as Array<[OptionName, OptionSpec]>) {
    const flag = optionFlag(name);
    const value = argv[flag];
    if (spec.kind === 'flag') raw[name] = value === true;
    else if (spec.kind === 'list') {
      if (value !== undefined) raw[name] = list(value)!;
    } else if (value !== undefined) {
      // A single-valued option: given twice is a mistake, not "the last one wins".
      if (Array.isArray(value)) throw new InputError(flag, `is given ${value.length} times; give it once`);
      raw[name] = String(value);
    }
  }
  return raw as RawOptions;
}

/** The yargs options of one scope of the declarations (options.ts). */
function declaredOptions(y: Argv, scope: OptionSpec['scope']): Argv {
  for (const name of optionsOfScope(scope)) {
    const spec: OptionSpec = OPTIONS[name];
    y = y.option(optionFlag(name), {
      type: spec.kind === 'flag' ? 'boolean' : 'string',
      describe: spec.describe,
      ...(spec.group ? { group: spec.group } : {}),
      ...(spec.default !== undefined ? { default: spec.default } : {}),
      ...(spec.choices ? { choices: spec.choices } : {}),
    });
  }
  return y;
}

function parser(args: string[]): Argv {
  const y = declaredOptions(yargs(args), undefined)
    .scriptName('mfs-crm')
    .usage('$0 <topology> --node NAME --node NAME --ip ADDRESS [options]\n\nWrites the Pacemaker configuration of a highly available MooseFS master.')
    .parserConfiguration({ 'boolean-negation': false, 'duplicate-arguments-array': true })
    .command('drbd', 'ocf:linbit:drbd + Filesystem + mfsmaster + IPaddr2', (c) => declaredOptions(c, 'store'))
    .command('drbd-store', 'ocf:mfs:mfs-drbd-store + mfsmaster + IPaddr2', (c) => declaredOptions(c, 'store'))
    .command('metalogger', 'ocf:mfs:mfs-metarestore + mfsmaster + IPaddr2', (c) => declaredOptions(c, 'metalogger'))
    .command('status', 'who serves, and why the other node is not promoted (mfs-crm status --help)')
    .demandCommand(1, 1, `choose one topology: ${TOPOLOGY_NAMES.join(', ')}`)
    .strict()
    .version(PACKAGE_VERSION)
    .help()
    .wrap(Math.min(120, process.stdout.columns ?? 100))
    .exitProcess(false);
  return y;
}

/** /proc/drbd: present when a DRBD module is loaded; its version says which DRBD the resource file is for. */
const PROC_DRBD = '/proc/drbd';

function hostFacts(): HostFacts {
  try {
    return { procDrbd: readFileSync(PROC_DRBD, 'utf8') };
  } catch {
    return {}; // no module loaded here
  }
}

/** Run on a cluster node, mfs-crm checks the MooseFS configuration files it finds against the topology. */
function localConfiguration(masterPath: string | undefined, metaloggerPath: string | undefined): LocalConfiguration {
  const local: LocalConfiguration = {};
  const readable = <T>(path: string | undefined, read: (path: string) => T): T | undefined => {
    if (!path || !existsSync(path)) return undefined;
    try {
      return read(path);
    } catch (error) {
      process.stderr.write(`mfs-crm: warning: ${error instanceof Error ? error.message : String(error)}\n`);
      return undefined;
    }
  };
  const master = readable(masterPath, readMasterConfig);
  if (master) local.masterConfig = master;
  const metalogger = readable(metaloggerPath, readMetaloggerConfig);
  if (metalogger) local.metaloggerConfig = metalogger;
  return local;
}

// --- mfs-crm status ----------------------------------------------------------------------------

const STATUS_TIMEOUT_MS = 30_000;

function statusParser(args: string[]): Argv {
  return yargs(args)
    .scriptName('mfs-crm status')
    .usage(
      'mfs-crm status [--cib FILE] [--format text|json]\n\n' +
        'Per resource of ours: each node\'s role, promotion score and the reason its agent published; the high-water mark; the ' +
        'durability in force; failed actions with their exit reasons; then a verdict: healthy, degraded (why) or blocked (why, and the ' +
        'command that would override it, with its risk). Reads the live cluster (crm_mon, cibadmin: run on a cluster node as root or ' +
        'a member of haclient), or a saved CIB with --cib.',
    )
    .parserConfiguration({ 'boolean-negation': false })
    .option('cib', { type: 'string', describe: 'read this saved CIB file instead of the live cluster' })
    .option('format', { type: 'string', choices: ['text', 'json'], default: 'text', describe: 'output format' })
    .strict()
    .version(false)
    .help()
    .wrap(Math.min(120, process.stdout.columns ?? 100))
    .exitProcess(false);
}

class StatusError extends Error {}

/** crm_mon's view and the CIB, from the live cluster or from a saved CIB file (the same tools either way). */
async function readCluster(cibFile: string | undefined): Promise<{ monXml: string; cibXml: string }> {
  const { crmMonComplaint, parseCib } = await import('../lib/pacemaker/status.js');
  if (cibFile !== undefined) {
    let cibXml: string;
    try {
      cibXml = readFileSync(cibFile, 'utf8');
    } catch (error) {
      throw new StatusError(`cannot read the CIB file: ${(error as Error).message}`);
    }
    await parseCib(cibXml).catch((error: Error) => {
      throw new StatusError(`${cibFile}: ${error.message}`);
    }); // a clear error for a file that is no CIB, before crm_mon's
    const mon = await run('crm_mon', ['-1', '--output-as=xml'], { env: { CIB_file: cibFile }, timeoutMs: STATUS_TIMEOUT_MS });
    if (!mon.ok) throw new StatusError(`crm_mon cannot read ${cibFile}: ${(await crmMonComplaint(mon.stdout)) ?? describeOutcome(mon)}`);
    return { monXml: mon.stdout, cibXml };
  }
  const advice = 'run mfs-crm status on a cluster node, as root or a member of haclient, or read a saved CIB with --cib FILE';
  const mon = await run('crm_mon', ['-1', '--output-as=xml'], { timeoutMs: STATUS_TIMEOUT_MS });
  if (!mon.ok) throw new StatusError(`cannot read the cluster's status (crm_mon: ${(await crmMonComplaint(mon.stdout)) ?? describeOutcome(mon)}): ${advice}`);
  const cib = await run('cibadmin', ['--query'], { timeoutMs: STATUS_TIMEOUT_MS });
  if (!cib.ok) throw new StatusError(`cannot read the CIB (${describeOutcome(cib)}): ${advice}`);
  return { monXml: mon.stdout, cibXml: cib.stdout };
}

/** The status model of the live cluster, or of a saved CIB file. */
export async function readStatus(cibFile: string | undefined): Promise<ClusterStatus> {
  const [{ parseCib, parseCrmMon }, { clusterStatus }, master] = await Promise.all([
    import('../lib/pacemaker/status.js'),
    import('./status.js'),
    ownAgentInfo(AGENT.mfsmaster),
  ]);
  const { monXml, cibXml } = await readCluster(cibFile);
  const [mon, cib] = await Promise.all([parseCrmMon(monXml), parseCib(cibXml)]);
  const durabilityDefault = master?.parameters.durability?.default;
  if (durabilityDefault === undefined) throw new Error(`${AGENT.mfsmaster} declares no default durability`);
  return clusterStatus({ mon, cib, durabilityDefault });
}

/**
 * Runs a yargs parser the way both command lines want it: its complaint captured (not printed,
 * not exiting), help or version text printed once, the parsed arguments returned.
 */
async function parseCommandLine(y: Argv, args: string[]): Promise<{ argv: Record<string, unknown>; failure: string | undefined; printed: boolean }> {
  let failure: string | undefined;
  let printed = false;
  let argv: Record<string, unknown> = {};
  try {
    argv = (await y
      .fail((message, error) => {
        failure = message || error?.message || 'bad arguments';
      })
      .parseAsync(args, {}, (_error, _argv, output) => {
        if (output) {
          printed = true;
          if (!failure) process.stdout.write(`${output}\n`);
        }
      })) as Record<string, unknown>;
  } catch (error) {
    failure ??= error instanceof Error ? error.message : String(error);
  }
  return { argv, failure, printed };
}

async function statusMain(args: string[]): Promise<number> {
  const { argv, failure, printed } = await parseCommandLine(statusParser(args), args);
  if (failure) {
    process.stderr.write(`mfs-crm status: ${failure}\nmfs-crm status: see mfs-crm status --help\n`);
    return 2;
  }
  if (printed || argv.help) return 0;
  if ((argv._ as unknown[]).length > 0) {
    process.stderr.write(`mfs-crm status: unexpected argument ${JSON.stringify(String((argv._ as unknown[])[0]))}\n`);
    return 2;
  }
  if (Array.isArray(argv.cib) || Array.isArray(argv.format)) {
    process.stderr.write('mfs-crm status: give --cib and --format once\n');
    return 2;
  }
  const cibFile = argv.cib === undefined ? undefined : String(argv.cib);
  if (cibFile === '') {
    process.stderr.write('mfs-crm status: --cib needs a file name\n');
    return 2;
  }
  try {
    const status = await readStatus(cibFile);
    const { renderJson, renderText } = await import('./status.js');
    process.stdout.write(argv.format === 'json' ? renderJson(status) : renderText(status));
    return 0;
  } catch (error) {
    process.stderr.write(`mfs-crm status: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}

export async function main(args: string[]): Promise<number> {
  if (args[0] === 'status') return statusMain(args.slice(1));
  const { argv, failure, printed } = await parseCommandLine(parser(args), args);
  if (failure) {
    process.stderr.write(`mfs-crm: ${failure}\nmfs-crm: see mfs-crm --help\n`);
    return 2;
  }
  if (printed || argv.help || argv.version) return 0;
  const topologyName = String((argv._ as unknown[])[0]) as TopologyName;
  try {
    const topology = TOPOLOGIES[topologyName];
    if (!topology) {
      process.stderr.write(`mfs-crm: the ${topologyName} topology is not available in this version\n`);
      return 2;
    }
    const input = parseInput(topologyName, rawOptions(argv), topology.takes, hostFacts());
    const agents = new Map(await loadAgents(topology.agents));
    if (input.fencing.mode === 'devices') {
      const type = formatAgentType(input.fencing.agent);
      agents.set(type, await fenceAgentInfo(type, input.fencing.agent.type));
    }
    const masterPath = input.config ?? agents.get(AGENT.mfsmaster)?.parameters.config?.default;
    const metaloggerPath = topology.takes.metalogger
      ? (input.metaloggerConfig ?? agents.get(AGENT.metarestore)?.parameters.metalogger_config?.default)
      : undefined;
    const output = await generate(input, agents, localConfiguration(masterPath, metaloggerPath));
    if (output.drbdResFile) writeAtomically(output.drbdResFile.path, output.drbdResFile.text);
    for (const warning of output.warnings) process.stderr.write(`mfs-crm: warning: ${warning}\n`);
    process.stdout.write(output.text);
    return 0;
  } catch (error) {
    if (error instanceof InputError) {
      process.stderr.write(`mfs-crm: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(`mfs-crm: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
