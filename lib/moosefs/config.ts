/**
 * The one parser of MooseFS configuration files (mfsmaster.cfg, mfsmetalogger.cfg: the same
 * `KEY = value` format, `#` comments). The file is the single source of truth for the data
 * path, ports and working user; the program's compiled-in defaults (Debian's build) fill in
 * what the file leaves out.
 */
import { readFileSync } from 'node:fs';
import { Failure } from '../runtime/errors.js';
import { parseAbsolutePath, showValue } from '../runtime/values.js';

export type MfsConfig = ReadonlyMap<string, string>;

/** Parses the text of a MooseFS config file. Later assignments win, as in the programs. */
export function parseMfsConfig(text: string): MfsConfig {
  const entries = new Map<string, string>();
  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/#.*$/, '').trim();
    if (!line) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue; // the programs ignore lines they cannot read; so do we
    entries.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  return entries;
}

/** Reads a config file; a missing or unreadable file is OCF_ERR_INSTALLED (absent on this node). */
export function readMfsConfigFile(path: string): MfsConfig {
  try {
    return parseMfsConfig(readFileSync(path, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new Failure('not-installed', `configuration file ${path} cannot be read (${code})`, { cause: error });
  }
}

export interface Listener {
  host: string;
  port: number;
}

/** Changelog durability: 0 background writer, 1 written before the reply, 2 written and fsynced. */
export type ChangelogSaveMode = 0 | 1 | 2;

export interface MasterConfig {
  file: string;
  dataPath: string;
  workingUser: string;
  /** Empty: the working user's primary group. */
  workingGroup: string | undefined;
  exportsFile: string;
  topologyFile: string;
  /** Metaloggers and other masters connect here. */
  metaloggerListener: Listener;
  chunkserverListener: Listener;
  clientListener: Listener;
  changelogSaveMode: ChangelogSaveMode;
  backLogs: number;
  /** Values that must never be logged (AUTH_CODE). */
  secrets: string[];
}

/** Compiled-in defaults of Debian's moosefs-master 3.0 (man mfsmaster.cfg). */
export const MASTER_DEFAULTS = {
  DATA_PATH: '/var/lib/mfs',
  WORKING_USER: 'mfs',
  EXPORTS_FILENAME: '/etc/mfs/mfsexports.cfg',
  TOPOLOGY_FILENAME: '/etc/mfs/mfstopology.cfg',
  MATOML_LISTEN_HOST: '*',
  MATOML_LISTEN_PORT: '9419',
  MATOCS_LISTEN_HOST: '*',
  MATOCS_LISTEN_PORT: '9420',
  MATOCL_LISTEN_HOST: '*',
  MATOCL_LISTEN_PORT: '9421',
  CHANGELOG_SAVE_MODE: '0',
  BACK_LOGS: '50',
} as const;

function configured(file: string, key: string, value: string, problem: string): Failure {
  return new Failure('misconfigured', `${file}: ${key} = ${showValue(value)} ${problem}`);
}

export class ConfigReader {
  constructor(
    readonly file: string,
    private readonly entries: MfsConfig,
    private readonly defaults: Readonly<Record<string, string>>,
  ) {}

  raw(key: string): string | undefined {
    return this.entries.get(key) ?? this.defaults[key];
  }

  string(key: string): string {
    const value = this.raw(key);
    if (value === undefined) throw new Failure('misconfigured', `${this.file}: ${key} is not set and has no default`);
    return value;
  }

  path(key: string): string {
    const value = this.string(key);
    try {
      return parseAbsolutePath(value);
    } catch (error) {
      throw configured(this.file, key, value, (error as Error).message.replace(/, got .*$/, ''));
    }
  }

  integer(key: string, min: number, max: number): number {
    const value = this.string(key);
    const n = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!(n >= min && n <= max)) throw configured(this.file, key, value, `is not an integer from ${min} to ${max}`);
    return n;
  }

  port(key: string): number {
    const value = this.string(key);
    const n = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!(n >= 1 && n <= 65535)) throw configured(this.file, key, value, 'is not a TCP port (1-65535)');
    return n;
  }

  host(key: string): string {
    const value = this.string(key);
    if (value !== '*' && !/^[A-Za-z0-9.:-]+$/.test(value)) throw configured(this.file, key, value, 'is not an address, a host name or *');
    return value;
  }

  name(key: string): string {
    const value = this.string(key);
    if (!/^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/.test(value)) throw configured(this.file, key, value, 'is not a user or group name');
    return value;
  }
}

export function masterConfigFrom(file: string, entries: MfsConfig): MasterConfig {
  const cfg = new ConfigReader(file, entries, MASTER_DEFAULTS);
  const listener = (prefix: string): Listener => ({ host: cfg.host(`${prefix}_LISTEN_HOST`), port: cfg.port(`${prefix}_LISTEN_PORT`) });
  const config: MasterConfig = {
    file,
    dataPath: cfg.path('DATA_PATH'),
    workingUser: cfg.name('WORKING_USER'),
    workingGroup: cfg.raw('WORKING_GROUP') ? cfg.name('WORKING_GROUP') : undefined,
    exportsFile: cfg.path('EXPORTS_FILENAME'),
    topologyFile: cfg.path('TOPOLOGY_FILENAME'),
    metaloggerListener: listener('MATOML'),
    chunkserverListener: listener('MATOCS'),
    clientListener: listener('MATOCL'),
    changelogSaveMode: cfg.integer('CHANGELOG_SAVE_MODE', 0, 2) as ChangelogSaveMode,
    backLogs: cfg.integer('BACK_LOGS', 0, 100000),
    secrets: [cfg.raw('AUTH_CODE')].filter((s): s is string => !!s),
  };
  const ports = [
    ['MATOML_LISTEN_PORT', config.metaloggerListener.port],
    ['MATOCS_LISTEN_PORT', config.chunkserverListener.port],
    ['MATOCL_LISTEN_PORT', config.clientListener.port],
  ] as const;
  for (const [i, [key, port]] of ports.entries()) {
    const clash = ports.slice(i + 1).find(([, other]) => other === port);
    if (clash) throw new Failure('misconfigured', `${file}: ${key} and ${clash[0]} are both ${port}`);
  }
  return config;
}

export function readMasterConfig(file: string): MasterConfig {
  return masterConfigFrom(file, readMfsConfigFile(file));
}

/** Where to connect to reach a listener from this node ('*' listens everywhere, loopback included). */
export function connectAddress(listener: Listener): string {
  return listener.host === '*' || listener.host === '0.0.0.0' ? '127.0.0.1' : listener.host;
}

export interface MetaloggerConfig {
  file: string;
  dataPath: string;
  workingUser: string;
  /** Empty: the working user's primary group. */
  workingGroup: string | undefined;
  /** Where the master is reached (its MATOML port): in a cluster, the virtual IP that follows the master. */
  masterHost: string;
  masterPort: number;
  /** Hours between downloads of the master's metadata image. */
  metaDownloadFreq: number;
  backLogs: number;
  masterReconnectionDelay: number;
  masterTimeout: number;
}

/** Compiled-in defaults of Debian's moosefs-metalogger 3.0 (masterconn.c; man mfsmetalogger.cfg says 9420 for MASTER_PORT, the program uses 9419). */
export const METALOGGER_DEFAULTS = {
  DATA_PATH: '/var/lib/mfs',
  WORKING_USER: 'mfs',
  MASTER_HOST: 'mfsmaster',
  MASTER_PORT: '9419',
  META_DOWNLOAD_FREQ: '24',
  BACK_LOGS: '50',
  MASTER_RECONNECTION_DELAY: '5',
  MASTER_TIMEOUT: '10',
} as const;

export function metaloggerConfigFrom(file: string, entries: MfsConfig): MetaloggerConfig {
  const cfg = new ConfigReader(file, entries, METALOGGER_DEFAULTS);
  const masterHost = cfg.host('MASTER_HOST');
  if (masterHost === '*') throw configured(file, 'MASTER_HOST', masterHost, 'is not an address or a host name');
  return {
    file,
    dataPath: cfg.path('DATA_PATH'),
    workingUser: cfg.name('WORKING_USER'),
    workingGroup: cfg.raw('WORKING_GROUP') ? cfg.name('WORKING_GROUP') : undefined,
    masterHost,
    masterPort: cfg.port('MASTER_PORT'),
    metaDownloadFreq: cfg.integer('META_DOWNLOAD_FREQ', 0, 100000),
    backLogs: cfg.integer('BACK_LOGS', 0, 100000),
    masterReconnectionDelay: cfg.integer('MASTER_RECONNECTION_DELAY', 0, 100000),
    masterTimeout: cfg.integer('MASTER_TIMEOUT', 1, 100000),
  };
}

export function readMetaloggerConfig(file: string): MetaloggerConfig {
  return metaloggerConfigFrom(file, readMfsConfigFile(file));
}
