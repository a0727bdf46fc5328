/**
 * Real MooseFS daemons for tests: a master configuration in a temporary directory, on free
 * loopback ports, and FUSE clients. Everything a fixture starts is ended by PID in cleanup().
 */
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Deadline } from '../../lib/runtime/deadline.js';
import { createLogger } from '../../lib/runtime/log.js';
import { DATA_WRITER_LOCK_FILE, lockOwner, MASTER_LOCK_FILE, NEW_FILESYSTEM_HEADER } from '../../lib/moosefs/data-path.js';
import { findProcesses, signalProcess, waitForExit } from '../../lib/process/proc.js';
import { run } from '../../lib/process/run.js';
import { lookupUser } from '../../lib/system/accounts.js';
import { afterEach } from 'vitest';
import { exitCodeName } from '../../lib/ocf/exit-codes.js';
import { ocfEnv, runAgent } from './built.js';
import { freePorts } from './ports.js';
import { DEBIAN_MOOSEFS, assertInstalled, mfsClientProgram, mfsProgram, type MooseFsInstall } from './moosefs-versions.js';

export const QUIET_LOG = () => createLogger({ agent: 'test', env: {}, write: () => {} });

export interface MasterFixture {
  /** The MooseFS version whose programs this fixture runs. */
  moosefs: MooseFsInstall;
  dir: string;
  dataPath: string;
  configFile: string;
  ports: { metalogger: number; chunkserver: number; client: number };
  /** OCF parameters for ocf:mfs:mfsmaster (config and the version's binary). */
  params: Record<string, string>;
  masterPid(): number | undefined;
  /** Ends every daemon and client this fixture started, by PID; removes the directory. */
  cleanup(): Promise<void>;
}

export interface MasterFixtureOptions {
  /** Which MooseFS (default: Debian's 3.0.117). */
  moosefs?: MooseFsInstall;
  /** 'new': a metadata.mfs for a new file system; 'none': an empty DATA_PATH. */
  metadata?: 'new' | 'none';
  /** Extra mfsmaster.cfg lines. */
  config?: Record<string, string | number>;
  /** Leave out WORKING_USER etc. and write these instead. */
  workingUser?: string;
}

const MFS_USER = 'mfs';

export async function chownToMfs(path: string): Promise<void> {
  const user = await lookupUser(MFS_USER);
  if (!user) throw new Error('user mfs missing: is moosefs-master installed?');
  chownSync(path, user.id, user.gid ?? user.id);
}

export async function createMasterFixture(options: MasterFixtureOptions = {}): Promise<MasterFixture> {
  const moosefs = options.moosefs ?? DEBIAN_MOOSEFS;
  assertInstalled(moosefs);
  const dir = mkdtempSync('/tmp/mfs-ocf-test-');
  chmodSync(dir, 0o755);
  const dataPath = join(dir, 'data');
  mkdirSync(dataPath);
  await chownToMfs(dataPath);
  const [metalogger, chunkserver, client] = (await freePorts(3)) as [number, number, number];
  const exportsFile = join(dir, 'mfsexports.cfg');
  const topologyFile = join(dir, 'mfstopology.cfg');
  writeFileSync(exportsFile, '127.0.0.1 / rw,alldirs,maproot=0\n');
  writeFileSync(topologyFile, '');
  const lines: Record<string, string | number> = {
    WORKING_USER: options.workingUser ?? MFS_USER,
    DATA_PATH: dataPath,
    EXPORTS_FILENAME: exportsFile,
    TOPOLOGY_FILENAME: topologyFile,
    MATOML_LISTEN_HOST: '127.0.0.1',
    MATOML_LISTEN_PORT: metalogger,
    MATOCS_LISTEN_HOST: '127.0.0.1',
    MATOCS_LISTEN_PORT: chunkserver,
    MATOCL_LISTEN_HOST: '127.0.0.1',
    MATOCL_LISTEN_PORT: client,
    // The agent's default durability (process) needs mode 1 or more.
    CHANGELOG_SAVE_MODE: 1,
    // Tests need no memory locking and no raised priority.
    LOCK_MEMORY: 0,
    NICE_LEVEL: 0,
    ...options.config,
  };
  const configFile = join(dir, 'mfsmaster.cfg');
  writeFileSync(configFile, Object.entries(lines).map(([k, v]) => `${k} = ${v}\n`).join(''));
  if ((options.metadata ?? 'new') === 'new') {
    const metadata = join(dataPath, 'metadata.mfs');
    writeFileSync(metadata, NEW_FILESYSTEM_HEADER);
    await chownToMfs(metadata);
  }
  const mounts: string[] = [];
  const fixture: MasterFixture & { mounts: string[] } = {
    moosefs,
    dir,
    dataPath,
    configFile,
    ports: { metalogger, chunkserver, client },
    params: { config: configFile, binary: mfsProgram(moosefs, 'mfsmaster') },
    mounts,
    masterPid: () => lockOwner(dataPath, MASTER_LOCK_FILE),
    async cleanup() {
      for (const mountpoint of mounts) await unmountClient(mountpoint);
      await killTestDaemons([lockOwner(dataPath, MASTER_LOCK_FILE), lockOwner(dataPath, DATA_WRITER_LOCK_FILE)], 'test mfsmaster');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return fixture;
}

/**
 * Ends daemons a fixture started, by PID, with SIGKILL: their directory is deleted next, so a
 * clean shutdown (2-3 s per master: MooseFS delays its background writer's end, MOOSEFS.md) buys
 * nothing. Bounded; throws if a process survives.
 */
async function killTestDaemons(pids: ReadonlyArray<number | undefined>, what: string, timeoutMs = 10_000): Promise<void> {
  const alive = pids.filter((pid): pid is number => pid !== undefined);
  for (const pid of alive) signalProcess(pid, 'SIGKILL');
  if (!(await waitForExit(alive, new Deadline(timeoutMs)))) throw new Error(`${what} (pid ${alive.join(', ')}) survived SIGKILL`);
}

/** Mounts the fixture's file system with mfsmount (through `host`, 127.0.0.1 by default: a virtual IP's address reaches it too); cleanup() unmounts it. */
export async function mountClient(fixture: MasterFixture, name = 'mnt', { host = '127.0.0.1' } = {}): Promise<string> {
  const mountpoint = join(fixture.dir, name);
  mkdirSync(mountpoint, { recursive: true });
  const result = await run(mfsClientProgram(fixture.moosefs, 'mfsmount'), [mountpoint, '-H', host, '-P', String(fixture.ports.client), '-o', 'mfsioretries=5'], {
    timeoutMs: 20_000,
    all: true,
  });
  if (!result.ok) throw new Error(`mfsmount failed: ${result.stderr}`);
  (fixture as MasterFixture & { mounts: string[] }).mounts.push(mountpoint);
  return mountpoint;
}

/** The program a process runs (/proc/PID/exe): which MooseFS version's daemon it is. */
export function executableOf(pid: number | undefined): string | undefined {
  if (pid === undefined) return undefined;
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return undefined;
  }
}

/** mfsmount processes serving a mountpoint (mfsmount rewrites its title to "mfsmount (mounted on: DIR)"). */
export function mfsmountPids(mountpoint: string): number[] {
  return findProcesses((p) => p.comm === 'mfsmount' && p.argv.join(' ').includes(`mounted on: ${mountpoint})`)).map((p) => p.pid);
}

/**
 * Unmounts and ends the client. The client goes first: a process blocked in the file system
 * survives SIGKILL until the FUSE connection is gone. mfsmount is then killed: left alone it
 * takes 2 s to exit after the unmount (1.5 s after SIGTERM), and it holds nothing to save here
 * (every metadata operation it acknowledged is the master's; a fixture has no chunkservers, so
 * no file data; the live cluster lab calls this at teardown only).
 */
export async function unmountClient(mountpoint: string): Promise<void> {
  await run('umount', ['-l', mountpoint], { timeoutMs: 10_000 });
  await killTestDaemons(mfsmountPids(mountpoint), 'mfsmount', 5000);
}

export const METALOGGER_LOCK = '.mfsmetalogger.lock';

export interface MetaloggerFixture {
  moosefs: MooseFsInstall;
  /** The version's mfsmetalogger (the agent's metalogger_binary). */
  binary: string;
  dir: string;
  dataPath: string;
  configFile: string;
  pid(): number | undefined;
  /** Ends the metalogger by PID (if it runs) and removes the directory. */
  cleanup(): Promise<void>;
}

/**
 * A metalogger configuration in its own temporary directory, following `masterPort` (a master
 * fixture's MATOML port) on 127.0.0.1. Nothing is started: the agent under test starts it.
 */
export async function createMetaloggerFixture(masterPort: number, config: Record<string, string | number> = {}, moosefs: MooseFsInstall = DEBIAN_MOOSEFS): Promise<MetaloggerFixture> {
  assertInstalled(moosefs);
  const dir = mkdtempSync('/tmp/mfs-ocf-test-ml-');
  chmodSync(dir, 0o755);
  const dataPath = join(dir, 'data');
  mkdirSync(dataPath);
  await chownToMfs(dataPath);
  const lines: Record<string, string | number> = {
    WORKING_USER: MFS_USER,
    DATA_PATH: dataPath,
    MASTER_HOST: '127.0.0.1',
    MASTER_PORT: masterPort,
    MASTER_RECONNECTION_DELAY: 1,
    LOCK_MEMORY: 0,
    NICE_LEVEL: 0,
    ...config,
  };
  const configFile = join(dir, 'mfsmetalogger.cfg');
  writeFileSync(configFile, Object.entries(lines).map(([k, v]) => `${k} = ${v}\n`).join(''));
  return {
    moosefs,
    binary: mfsProgram(moosefs, 'mfsmetalogger'),
    dir,
    dataPath,
    configFile,
    pid: () => lockOwner(dataPath, METALOGGER_LOCK),
    async cleanup() {
      await killTestDaemons([lockOwner(dataPath, METALOGGER_LOCK)], 'test mfsmetalogger');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Fixtures made in a test file, each cleaned up after its test: `const fixture = masterFixtures();`. */
export function masterFixtures(): (options?: MasterFixtureOptions) => Promise<MasterFixture> {
  const made: MasterFixture[] = [];
  afterEach(async () => {
    for (const fixture of made.splice(0)) await fixture.cleanup();
  });
  return async (options = {}) => {
    const fixture = await createMasterFixture(options);
    made.push(fixture);
    return fixture;
  };
}

/** Runs an action of the built ocf:mfs:mfsmaster on a fixture; `name` is the exit code's name, for readable failures. */
export async function masterAgent(fixture: MasterFixture, action: string, params: Record<string, string> = {}, extra: Record<string, string> = {}) {
  const result = await runAgent('mfsmaster', action, ocfEnv({ ...fixture.params, ...params }, { OCF_RESKEY_CRM_meta_timeout: '60000', ...extra }));
  return { ...result, name: exitCodeName(result.code ?? -1) };
}
