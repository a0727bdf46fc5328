/**
 * The generator's input, checked: raw option values (as the command line gives them) in, a
 * validated GeneratorInput out, or an InputError that names the option at fault. Pure: the
 * CLI writes nothing until this has passed.
 */
import { isIP } from 'node:net';
import { parseAbsolutePath, parseName, ParameterValueError, showValue } from '../lib/runtime/values.js';
import { parseOcfTime } from '../lib/runtime/deadline.js';
import { parseProcDrbd } from '../lib/drbd/state.js';
import { SPLIT_BRAIN_POLICIES, type SplitBrainPolicy } from '../lib/drbd/decisions.js';
import { cibIdProblem, nodeNameProblem, parseAgentType, type AgentType } from '../lib/pacemaker/cib.js';
import type { NameValue } from './model.js';

export class InputError extends Error {
  /** Every option at fault (several when required options are missing); `option` is the first. */
  readonly options: readonly string[];

  constructor(
    readonly option: string,
    problem: string,
    more: readonly string[] = [],
  ) {
    super(`${[option, ...more].map((name) => `--${name}`).join(', ')}: ${problem}`);
    this.options = [option, ...more];
  }
}

export const TOPOLOGY_NAMES = ['drbd', 'drbd-store', 'metalogger'] as const;
export type TopologyName = (typeof TOPOLOGY_NAMES)[number];

export const FORMATS = ['crmsh', 'pcs', 'xml'] as const;
export type Format = (typeof FORMATS)[number];

/** The DRBD generations a resource file can be written for (their syntax differs: drbd-res.ts). */
export const DRBD_VERSIONS = ['8.4', '9'] as const;
export type DrbdVersion = (typeof DRBD_VERSIONS)[number];

/**
 * One option of the generator's command line, declared once: cli.ts builds the yargs options and
 * reads the parsed values from these, RawOptions is derived from them, and the required ones are
 * checked from them. The flag is the key in kebab case (`cidrNetmask`: `--cidr-netmask`).
 */
export interface OptionSpec {
  /** `text`: one value (given twice is a mistake); `list`: repeatable, an array; `flag`: a boolean. */
  kind: 'text' | 'list' | 'flag';
  describe: string;
  /** The heading of --help it is listed under. */
  group?: string;
  /** Taken only by topologies with a DRBD store, or with a metalogger; by every topology otherwise. */
  scope?: 'store' | 'metalogger';
  /** `always`: within its scope; `with-drbd-res-file`: when --drbd-res-file is given. */
  required?: 'always' | 'with-drbd-res-file';
  default?: string;
  choices?: readonly string[];
}

const CLUSTER = 'Cluster:';
const MOOSEFS = 'MooseFS:';
const FENCING = 'Fencing:';
const STORE = 'Store:';
const RES_FILE = 'DRBD resource file:';

/** Every option of `mfs-crm <topology>`, in the order --help lists them. */
export const OPTIONS = {
  node: { kind: 'list', describe: 'a cluster node name (give exactly two)', group: CLUSTER, required: 'always' },
  ip: { kind: 'text', describe: 'virtual IP address of the master (IPv4 or IPv6)', group: CLUSTER, required: 'always' },
  cidrNetmask: { kind: 'text', describe: 'netmask of the virtual IP, in bits', group: CLUSTER },
  nic: { kind: 'text', describe: 'network interface of the virtual IP', group: CLUSTER },
  config: { kind: 'text', describe: 'mfsmaster.cfg path (the agent default otherwise)', group: MOOSEFS },
  name: { kind: 'text', describe: 'prefix of resource and constraint ids', default: 'mfs', group: CLUSTER },
  monitorInterval: { kind: 'list', describe: 'KEY=INTERVAL, e.g. master=10s, drbd-promoted=9s (repeatable)', group: CLUSTER },
  stickiness: { kind: 'text', describe: 'resource-stickiness of the service group', group: CLUSTER },
  migrationThreshold: { kind: 'text', describe: 'failures on a node before the service moves', group: CLUSTER },
  format: { kind: 'text', choices: FORMATS, default: 'crmsh', describe: 'output format' },
  fenceAgent: { kind: 'text', describe: 'fence agent, e.g. fence_ipmilan or stonith:fence_ipmilan', group: FENCING },
  fenceParam: { kind: 'list', describe: 'KEY=VALUE for every fence device (repeatable)', group: FENCING },
  fenceNodeParam: { kind: 'list', describe: 'NODE:KEY=VALUE: one fence device per node (repeatable)', group: FENCING },
  noFencing: { kind: 'flag', describe: 'stonith-enabled=false: test clusters only', group: FENCING },
  drbdResource: { kind: 'text', describe: 'DRBD resource name (drbd_resource)', group: STORE, scope: 'store', required: 'always' },
  device: { kind: 'text', describe: 'DRBD device to mount, e.g. /dev/drbd0', group: STORE, scope: 'store', required: 'always' },
  directory: { kind: 'text', describe: "mount point: the master's DATA_PATH, e.g. /var/lib/mfs", group: STORE, scope: 'store', required: 'always' },
  fstype: { kind: 'text', describe: 'file system type, e.g. ext4 or xfs', group: STORE, scope: 'store', required: 'always' },
  mountOptions: { kind: 'text', describe: 'mount options, comma-separated', group: STORE, scope: 'store' },
  splitBrainPolicy: {
    kind: 'text',
    describe:
      "how a split brain with one Primary is resolved (default: manual, the admin; discard-secondary drops the Secondary's side): drbd-store, the store agent's split_brain_policy; drbd, DRBD's after-sb-1pri in the --drbd-res-file",
    group: STORE,
    scope: 'store',
    choices: SPLIT_BRAIN_POLICIES,
  },
  drbdResFile: { kind: 'text', describe: 'also write the DRBD resource file here (e.g. /etc/drbd.d/mfs.res)', group: RES_FILE, scope: 'store' },
  drbdDisk: { kind: 'text', describe: 'backing disk of the DRBD device, same path on both nodes', group: RES_FILE, scope: 'store', required: 'with-drbd-res-file' },
  drbdAddress: {
    kind: 'list',
    describe: 'replication address, NODE=IP[:PORT] (port 7789), once per node',
    group: RES_FILE,
    scope: 'store',
    required: 'with-drbd-res-file',
  },
  drbdVersion: {
    kind: 'text',
    describe: `DRBD the resource file is for: ${DRBD_VERSIONS.join(' or ')} (default: what /proc/drbd says here, else 9)`,
    group: RES_FILE,
    scope: 'store',
  },
  metaloggerConfig: { kind: 'text', describe: 'mfsmetalogger.cfg path', group: MOOSEFS, scope: 'metalogger' },
} as const satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof OPTIONS;

type OptionValue<K extends OptionSpec['kind']> = K extends 'list' ? string[] : K extends 'flag' ? boolean : string;

/** Option values as the command line gives them (strings, repeated options as arrays). */
export type RawOptions = { [K in OptionName]?: OptionValue<(typeof OPTIONS)[K]['kind']> };

/** The command-line flag of an option, without its dashes: `cidrNetmask` is `cidr-netmask`. */
export function optionFlag(name: OptionName): string {
  return name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

const OPTION_NAMES = Object.keys(OPTIONS) as OptionName[];

/** The options a topology takes that belong to one scope (undefined: those every topology takes). */
export function optionsOfScope(scope: OptionSpec['scope']): OptionName[] {
  return OPTION_NAMES.filter((name) => (OPTIONS[name] as OptionSpec).scope === scope);
}

/**
 * What the machine mfs-crm runs on says, read by the CLI (the generator stays pure): the text of
 * /proc/drbd when it exists (a DRBD module is loaded), for the DRBD resource file's version.
 */
export interface HostFacts {
  procDrbd?: string;
}

export interface IpInput {
  address: string;
  cidrNetmask?: number;
  nic?: string;
}

/** The replicated store's settings: the DRBD resource and where its device is mounted. */
export interface StoreInput {
  drbdResource: string;
  device: string;
  directory: string;
  fstype: string;
  mountOptions?: string;
  /** mfs-drbd-store's split_brain_policy, when given (the agent's default otherwise). */
  splitBrainPolicy?: SplitBrainPolicy;
}

export type FencingInput =
  | { mode: 'devices'; agent: AgentType; params: NameValue[]; nodeParams: Map<string, NameValue[]> }
  | { mode: 'disabled' }
  | { mode: 'unconfigured' };

/** Which DRBD a resource file is written for, and why (said in the file's header). */
export type DrbdTarget =
  | { version: DrbdVersion; source: 'option'; /** What /proc/drbd says here, when it exists. */ procVersion?: string }
  | { version: DrbdVersion; source: 'proc-drbd'; /** The first line of /proc/drbd, `version: 8.4.11 (api:1/proto:86-101)`. */ procVersion: string }
  | { version: '9'; source: 'default' };

export interface DrbdResFileInput {
  path: string;
  drbd: DrbdTarget;
  disk: string;
  /** Replication address per node, `IP:PORT` (IPv6 in brackets). */
  addresses: Map<string, { ip: string; port: number }>;
  minor: number;
  /**
   * The drbd topology's split-brain policy, as DRBD's own handshake applies it (after-sb-1pri):
   * ocf:linbit:drbd has no such parameter, so it goes into the resource file.
   */
  splitBrainPolicy?: SplitBrainPolicy;
}

export interface GeneratorInput {
  topology: TopologyName;
  format: Format;
  /** Prefix of every resource and constraint id. */
  name: string;
  nodes: [string, string];
  ip: IpInput;
  store?: StoreInput;
  /** mfsmaster.cfg; undefined: the agent's own default. */
  config?: string;
  metaloggerConfig?: string;
  /** Overrides of monitor intervals, by key (e.g. `master`, `drbd-promoted`). */
  monitorIntervals: Map<string, string>;
  fencing: FencingInput;
  stickiness: number;
  migrationThreshold: number;
  drbdResFile?: DrbdResFileInput;
}

/** Which option groups a topology takes. */
export interface TopologyOptions {
  /** Takes --drbd-resource --device --directory --fstype [--mount-options]. */
  store: boolean;
  /** Takes --metalogger-config. */
  metalogger: boolean;
  /** Keys --monitor-interval accepts. */
  monitorKeys: readonly string[];
}

export const DEFAULT_STICKINESS = 100;
export const DEFAULT_MIGRATION_THRESHOLD = 3;
export const DEFAULT_DRBD_PORT = 7789;

/** Characters a parameter value may hold: printable, no quotes or backslashes (they are quoted in crmsh and shell). */
const SAFE_VALUE = /^[^\x00-\x1f\x7f"'\\`$]*$/;
const PARAM_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const NIC = /^[A-Za-z0-9_.:@-]{1,15}$/;
const FSTYPE = /^[a-z0-9_.]{1,32}$/;
const MOUNT_OPTIONS = /^[A-Za-z0-9_=,.:/@+-]{1,512}$/;
const DRBD_DEVICE = /^\/dev\/drbd(\d{1,6})$/;

function fromValueError<T>(option: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof ParameterValueError) throw new InputError(option, error.message);
    throw error;
  }
}

function required(option: string, value: string | undefined): string {
  if (value === undefined || value === '') throw new InputError(option, 'is required');
  return value;
}

function absolutePath(option: string, value: string): string {
  return fromValueError(option, () => parseAbsolutePath(value));
}

function integer(option: string, value: string | number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || value === '') return fallback;
  const text = String(value).trim();
  if (!/^-?\d+$/.test(text)) throw new InputError(option, `must be an integer, got ${showValue(text)}`);
  const number = Number(text);
  if (number < min || number > max) throw new InputError(option, `must be between ${min} and ${max}, got ${number}`);
  return number;
}

function splitPair(option: string, text: string, separator: string, shape: string): [string, string] {
  const at = text.indexOf(separator);
  if (at <= 0) throw new InputError(option, `must be ${shape}, got ${showValue(text)}`);
  return [text.slice(0, at), text.slice(at + 1)];
}

function paramPair(option: string, text: string): NameValue {
  const [name, value] = splitPair(option, text, '=', 'KEY=VALUE');
  if (!PARAM_KEY.test(name)) throw new InputError(option, `parameter name must be letters, digits, _ and -, got ${showValue(name)}`);
  if (!SAFE_VALUE.test(value)) {
    throw new InputError(option, `value of ${name} must not contain quotes, backslashes, $, \` or control characters, got ${showValue(value)}`);
  }
  return { name, value };
}

function parseNodes(values: string[] | undefined): [string, string] {
  const nodes = values ?? [];
  for (const node of nodes) {
    const problem = nodeNameProblem(node);
    if (problem) throw new InputError('node', `${showValue(node)} ${problem}`);
  }
  const seen = new Set<string>();
  for (const node of nodes) {
    if (seen.has(node)) throw new InputError('node', `${showValue(node)} is given twice: the two nodes must differ`);
    seen.add(node);
  }
  if (nodes.length !== 2) throw new InputError('node', `give exactly two nodes (--node NAME --node NAME), got ${nodes.length}`);
  return [nodes[0]!, nodes[1]!];
}

function parseIp(raw: RawOptions): IpInput {
  const address = required('ip', raw.ip);
  const family = isIP(address);
  if (family === 0) throw new InputError('ip', `must be an IPv4 or IPv6 address, got ${showValue(address)}`);
  const ip: IpInput = { address };
  if (raw.cidrNetmask !== undefined && raw.cidrNetmask !== '') {
    ip.cidrNetmask = integer('cidr-netmask', raw.cidrNetmask, 0, 1, family === 4 ? 32 : 128);
  }
  if (raw.nic !== undefined && raw.nic !== '') {
    if (!NIC.test(raw.nic)) throw new InputError('nic', `must be a network interface name (up to 15 of letters, digits, _ . : @ -), got ${showValue(raw.nic)}`);
    ip.nic = raw.nic;
  }
  return ip;
}

function parseStore(raw: RawOptions): StoreInput {
  const drbdResource = fromValueError('drbd-resource', () => parseName(required('drbd-resource', raw.drbdResource)));
  const device = absolutePath('device', required('device', raw.device));
  const directory = absolutePath('directory', required('directory', raw.directory));
  if (directory === '/') throw new InputError('directory', 'must not be /');
  const fstype = required('fstype', raw.fstype);
  if (!FSTYPE.test(fstype)) throw new InputError('fstype', `must be a file system type like ext4 or xfs, got ${showValue(fstype)}`);
  const store: StoreInput = { drbdResource, device, directory, fstype };
  if (raw.mountOptions !== undefined && raw.mountOptions !== '') {
    if (!MOUNT_OPTIONS.test(raw.mountOptions)) {
      throw new InputError('mount-options', `must be comma-separated mount options without spaces or quotes, got ${showValue(raw.mountOptions)}`);
    }
    store.mountOptions = raw.mountOptions;
  }
  return store;
}

function parseSplitBrainPolicy(raw: RawOptions): SplitBrainPolicy | undefined {
  if (raw.splitBrainPolicy === undefined || raw.splitBrainPolicy === '') return undefined;
  const policy = SPLIT_BRAIN_POLICIES.find((p) => p === raw.splitBrainPolicy);
  if (!policy) throw new InputError('split-brain-policy', `must be one of ${SPLIT_BRAIN_POLICIES.join(', ')}, got ${showValue(raw.splitBrainPolicy)}`);
  return policy;
}

function parseFencing(raw: RawOptions, nodes: readonly string[]): FencingInput {
  const params = raw.fenceParam ?? [];
  const nodeParams = raw.fenceNodeParam ?? [];
  if (raw.noFencing) {
    if (raw.fenceAgent || params.length > 0 || nodeParams.length > 0) {
      throw new InputError('no-fencing', 'contradicts --fence-agent/--fence-param/--fence-node-param: choose one');
    }
    return { mode: 'disabled' };
  }
  if (!raw.fenceAgent) {
    if (params.length > 0) throw new InputError('fence-param', 'needs --fence-agent');
    if (nodeParams.length > 0) throw new InputError('fence-node-param', 'needs --fence-agent');
    return { mode: 'unconfigured' };
  }
  const agentText = raw.fenceAgent.includes(':') ? raw.fenceAgent : `stonith:${raw.fenceAgent}`;
  let agent: AgentType;
  try {
    agent = parseAgentType(agentText);
  } catch {
    throw new InputError('fence-agent', `must be a fence agent like fence_ipmilan or stonith:fence_ipmilan, got ${showValue(raw.fenceAgent)}`);
  }
  if (agent.class !== 'stonith' || !/^[A-Za-z0-9_./-]+$/.test(agent.type)) {
    throw new InputError('fence-agent', `must be a fence agent like fence_ipmilan or stonith:fence_ipmilan, got ${showValue(raw.fenceAgent)}`);
  }
  const common = params.map((text) => paramPair('fence-param', text));
  const perNode = new Map<string, NameValue[]>();
  for (const text of nodeParams) {
    const [node, pair] = splitPair('fence-node-param', text, ':', 'NODE:KEY=VALUE');
    if (!nodes.includes(node)) throw new InputError('fence-node-param', `${showValue(node)} is not one of the --node names (${nodes.join(', ')})`);
    perNode.set(node, [...(perNode.get(node) ?? []), paramPair('fence-node-param', pair)]);
  }
  if (perNode.size > 0 && perNode.size !== nodes.length) {
    const missing = nodes.filter((node) => !perNode.has(node));
    throw new InputError('fence-node-param', `one fence device per node needs parameters for every node; none for ${missing.join(', ')}`);
  }
  for (const list of [common, ...perNode.values()]) {
    const names = new Set<string>();
    for (const { name } of list) {
      if (names.has(name)) throw new InputError(list === common ? 'fence-param' : 'fence-node-param', `parameter ${name} is given twice`);
      names.add(name);
    }
  }
  for (const list of perNode.values()) {
    const clash = list.find(({ name }) => common.some((c) => c.name === name));
    if (clash) throw new InputError('fence-node-param', `parameter ${clash.name} is also given by --fence-param`);
  }
  return { mode: 'devices', agent, params: common, nodeParams: perNode };
}

function parseMonitorIntervals(values: string[] | undefined, keys: readonly string[]): Map<string, string> {
  const intervals = new Map<string, string>();
  for (const text of values ?? []) {
    const [key, interval] = splitPair('monitor-interval', text, '=', 'KEY=INTERVAL (e.g. master=10s)');
    if (!keys.includes(key)) throw new InputError('monitor-interval', `unknown key ${showValue(key)}; this topology has ${keys.join(', ')}`);
    let ms: number;
    try {
      ms = parseOcfTime(interval);
    } catch {
      throw new InputError('monitor-interval', `${key}: not a time (like 10s, 2min), got ${showValue(interval)}`);
    }
    if (ms < 1000) throw new InputError('monitor-interval', `${key}: must be at least 1s, got ${showValue(interval)}`);
    if (intervals.has(key)) throw new InputError('monitor-interval', `${key} is given twice`);
    intervals.set(key, interval.trim());
  }
  return intervals;
}

/** The first line of /proc/drbd (`version: 8.4.11 (api:1/proto:86-101)`), or its first line whatever it says. */
function procVersionLine(procDrbd: string): string {
  return (/^version: .*$/m.exec(procDrbd)?.[0] ?? procDrbd.split('\n')[0] ?? '').trim();
}

/** The DRBD generation a module's version code belongs to, if mfs-crm writes for it. */
function drbdGeneration(code: number): DrbdVersion | undefined {
  if (code >= 0x080400 && code < 0x090000) return '8.4';
  if (code >= 0x090000 && code < 0x0a0000) return '9';
  return undefined;
}

/**
 * Which DRBD the resource file is for: --drbd-version when given; else what /proc/drbd says
 * where mfs-crm runs (a loaded module: the DRBD this node runs); else 9, the syntax drbd-utils
 * 9 expects, said in the file and on stderr so that a DRBD 8.4 user notices.
 */
function drbdTarget(raw: RawOptions, host: HostFacts): DrbdTarget {
  const procVersion = host.procDrbd === undefined ? undefined : procVersionLine(host.procDrbd);
  if (raw.drbdVersion !== undefined) {
    const version = raw.drbdVersion.trim() as DrbdVersion;
    if (!DRBD_VERSIONS.includes(version)) throw new InputError('drbd-version', `must be one of ${DRBD_VERSIONS.join(', ')}, got ${showValue(raw.drbdVersion)}`);
    return { version, source: 'option', ...(procVersion ? { procVersion } : {}) };
  }
  if (host.procDrbd === undefined) return { version: '9', source: 'default' };
  const version = drbdGeneration(parseProcDrbd(host.procDrbd));
  if (!version) {
    throw new InputError(
      'drbd-version',
      `is needed: /proc/drbd here says ${showValue(procVersion ?? '')}, a DRBD for which mfs-crm writes no resource file on its own; give --drbd-version ${DRBD_VERSIONS.join(' or ')}`,
    );
  }
  return { version, source: 'proc-drbd', procVersion: procVersion! };
}

function parseDrbdResFile(raw: RawOptions, nodes: readonly string[], store: StoreInput | undefined, host: HostFacts): DrbdResFileInput | undefined {
  if (raw.drbdResFile === undefined || raw.drbdResFile === '') {
    if (raw.drbdDisk) throw new InputError('drbd-disk', 'needs --drbd-res-file');
    if ((raw.drbdAddress ?? []).length > 0) throw new InputError('drbd-address', 'needs --drbd-res-file');
    if (raw.drbdVersion !== undefined) throw new InputError('drbd-version', 'needs --drbd-res-file (it says which DRBD the resource file is for)');
    return undefined;
  }
  if (!store) throw new InputError('drbd-res-file', 'this topology has no DRBD store');
  const path = absolutePath('drbd-res-file', raw.drbdResFile);
  const drbd = drbdTarget(raw, host);
  const disk = absolutePath('drbd-disk', required('drbd-disk', raw.drbdDisk));
  const minor = DRBD_DEVICE.exec(store.device);
  if (!minor) throw new InputError('device', `must be /dev/drbdN to write the DRBD resource file, got ${showValue(store.device)}`);
  const addresses = new Map<string, { ip: string; port: number }>();
  for (const text of raw.drbdAddress ?? []) {
    const [node, address] = splitPair('drbd-address', text, '=', 'NODE=IP[:PORT]');
    if (!nodes.includes(node)) throw new InputError('drbd-address', `${showValue(node)} is not one of the --node names (${nodes.join(', ')})`);
    if (addresses.has(node)) throw new InputError('drbd-address', `${node} is given twice`);
    const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([0-9.]+))(?::(\d{1,5}))?$/.exec(address);
    const ip = match?.[1] ?? match?.[2];
    if (!match || !ip || isIP(ip) === 0) throw new InputError('drbd-address', `${node}: must be IPv4[:PORT] or [IPv6][:PORT], got ${showValue(address)}`);
    const port = match[3] === undefined ? DEFAULT_DRBD_PORT : integer('drbd-address', match[3], DEFAULT_DRBD_PORT, 1, 65535);
    addresses.set(node, { ip, port });
  }
  const missing = nodes.filter((node) => !addresses.has(node));
  if (missing.length > 0) throw new InputError('drbd-address', `the replication address of ${missing.join(', ')} is missing (--drbd-address NODE=IP[:PORT])`);
  return { path, drbd, disk, addresses, minor: Number(minor[1]) };
}

const given = (value: string | boolean | readonly string[] | undefined): boolean =>
  Array.isArray(value) ? value.length > 0 : value !== undefined && value !== '' && value !== false;

/** Whether a topology takes an option (by the option's scope). */
const takesOption = (takes: TopologyOptions, name: OptionName): boolean => {
  const scope = (OPTIONS[name] as OptionSpec).scope;
  return scope === undefined || takes[scope];
};

/**
 * The required options that are not given at all, every one of them: a new user learns them in
 * one run, not one per run. (Options given with a bad value are judged afterwards, one by one.)
 */
function missingOptions(raw: RawOptions, takes: TopologyOptions): string[] {
  return OPTION_NAMES.filter((name) => {
    const { required } = OPTIONS[name] as OptionSpec;
    if (!required || !takesOption(takes, name) || given(raw[name])) return false;
    return required === 'always' || given(raw.drbdResFile);
  }).map(optionFlag);
}

/**
 * Checks every option; throws an InputError naming every required option that is missing, or
 * else the first one at fault. `host`: what the CLI read on this machine (/proc/drbd).
 */
export function parseInput(topology: TopologyName, raw: RawOptions, takes: TopologyOptions, host: HostFacts = {}): GeneratorInput {
  const missing = missingOptions(raw, takes);
  if (missing.length > 0) {
    const [first, ...more] = missing;
    throw new InputError(first!, `${missing.length === 1 ? 'is' : 'are'} required${missing.includes('node') ? ' (--node twice: one per node)' : ''}`, more);
  }
  const name = raw.name ?? OPTIONS.name.default;
  const nameProblem = cibIdProblem(name);
  if (nameProblem) throw new InputError('name', `${showValue(name)} ${nameProblem}`);
  const format = (raw.format ?? OPTIONS.format.default) as Format;
  if (!FORMATS.includes(format)) throw new InputError('format', `must be one of ${FORMATS.join(', ')}, got ${showValue(String(raw.format))}`);
  const nodes = parseNodes(raw.node);
  const ip = parseIp(raw);
  for (const option of OPTION_NAMES) {
    if (!takesOption(takes, option) && given(raw[option])) {
      const what = (OPTIONS[option] as OptionSpec).scope === 'store' ? 'DRBD store' : 'metalogger';
      throw new InputError(optionFlag(option), `the ${topology} topology has no ${what}`);
    }
  }
  if (topology === 'drbd' && given(raw.splitBrainPolicy) && !given(raw.drbdResFile)) {
    throw new InputError('split-brain-policy', "ocf:linbit:drbd has no such parameter: on the drbd topology it is DRBD's own after-sb-1pri, written into the DRBD resource file (add --drbd-res-file)");
  }
  const store = takes.store ? parseStore(raw) : undefined;
  // Where the policy acts: mfs-drbd-store's parameter, or DRBD's handshake under LINBIT's agent.
  const splitBrainPolicy = parseSplitBrainPolicy(raw);
  if (store && splitBrainPolicy && topology === 'drbd-store') store.splitBrainPolicy = splitBrainPolicy;
  const input: GeneratorInput = {
    topology,
    format,
    name,
    nodes,
    ip,
    ...(store ? { store } : {}),
    monitorIntervals: parseMonitorIntervals(raw.monitorInterval, takes.monitorKeys),
    fencing: parseFencing(raw, nodes),
    stickiness: integer('stickiness', raw.stickiness, DEFAULT_STICKINESS, 0, 999_999),
    migrationThreshold: integer('migration-threshold', raw.migrationThreshold, DEFAULT_MIGRATION_THRESHOLD, 1, 999_999),
  };
  if (raw.config !== undefined) input.config = absolutePath('config', raw.config);
  if (takes.metalogger && raw.metaloggerConfig !== undefined) input.metaloggerConfig = absolutePath('metalogger-config', raw.metaloggerConfig);
  const resFile = parseDrbdResFile(raw, nodes, store, host);
  if (resFile) input.drbdResFile = resFile;
  if (resFile && splitBrainPolicy && topology === 'drbd') resFile.splitBrainPolicy = splitBrainPolicy;
  return input;
}
