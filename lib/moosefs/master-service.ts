/**
 * Running the MooseFS master as a cluster resource: status at each check level, a start that
 * recovers after a crash and refuses to create an empty file system by accident, and a stop
 * that writes the metadata image and escalates only when it must.
 */
import { chownSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Deadline } from '../runtime/deadline.js';
import { Failure } from '../runtime/errors.js';
import type { Logger } from '../runtime/log.js';
import { findProcesses, signalProcess, terminate, waitForExit } from '../process/proc.js';
import { lookupGroup, lookupUser } from '../system/accounts.js';
import { validateDaemonEnvironment } from './daemon-environment.js';
import { connectAddress, type Listener, type MasterConfig } from './config.js';
import {
  DATA_WRITER_LOCK_FILE,
  inventoryDataPath,
  lockOwner,
  METADATA_FILE,
  metadataState,
  NEW_FILESYSTEM_HEADER,
  type DataPathInventory,
} from './data-path.js';
import type { MasterProgram } from './master-program.js';
import { changelogFiles, inspectChangelog, newestCompleteVersion, repairTornChangelog } from './changelog.js';
import { judgeDurability, type Durability } from './durability.js';
import { queryMasterInfo, tcpAccepts, type MasterInfo } from './protocol.js';

/** Monitor depths (OCF_CHECK_LEVEL). */
export const CHECK_LEVEL = { PROCESS: 0, PORT: 10, PROTOCOL: 20 } as const;

const listenerText = (listener: Listener) => `${connectAddress(listener)}:${listener.port}`;

/** The running master's PID, or undefined: the lock on DATA_PATH/.mfsmaster.lock decides. */
export function masterPid(config: MasterConfig): number | undefined {
  return lockOwner(config.dataPath);
}

export interface MasterHealth {
  pid: number;
  info?: MasterInfo;
}

/**
 * Checks the master at a depth: 0 the locking process lives, 10 the client port accepts,
 * 20 the master answers CLTOMA_INFO. Undefined when not running; throws OCF_ERR_GENERIC
 * when it runs but fails a deeper check.
 */
export async function checkMaster(config: MasterConfig, level: number, deadline: Deadline): Promise<MasterHealth | undefined> {
  const pid = masterPid(config);
  if (pid === undefined) return undefined;
  const timeoutMs = Math.max(100, Math.min(5000, deadline.remainingMs(500)));
  const client = config.clientListener;
  if (level >= CHECK_LEVEL.PORT && !(await tcpAccepts(connectAddress(client), client.port, timeoutMs))) {
    throw new Failure('failed', `mfsmaster (pid ${pid}) does not accept connections on ${listenerText(client)} (MATOCL_LISTEN_PORT)`);
  }
  if (level >= CHECK_LEVEL.PROTOCOL) {
    try {
      return { pid, info: await queryMasterInfo(connectAddress(client), client.port, timeoutMs) };
    } catch (error) {
      throw new Failure('failed', `mfsmaster (pid ${pid}) does not answer CLTOMA_INFO: ${(error as Error).message}`, { cause: error });
    }
  }
  return { pid };
}

/** Checks what the master needs on this node: its user and group, DATA_PATH, exports file. */
export async function validateMasterEnvironment(config: MasterConfig): Promise<void> {
  await validateDaemonEnvironment('master', config, ': is the metadata store mounted?');
  try {
    statSync(config.exportsFile);
  } catch {
    throw new Failure('not-installed', `EXPORTS_FILENAME ${config.exportsFile} (from ${config.file}) does not exist on this node`);
  }
}

function describeInventory(inventory: DataPathInventory): string {
  const names = (paths: string[]) => paths.map((p) => p.slice(p.lastIndexOf('/') + 1)).join(', ');
  const parts: string[] = [];
  if (inventory.backupImages.length) parts.push(names(inventory.backupImages));
  if (inventory.changelogs.length) parts.push(`${inventory.changelogs.length} changelog(s) ${names(inventory.changelogs.slice(0, 3))}${inventory.changelogs.length > 3 ? ', ...' : ''}`);
  return parts.join(' and ') || 'nothing';
}

/** Refuses to start when another program holds one of the master's ports. */
async function ensurePortsFree(config: MasterConfig): Promise<void> {
  const listeners: Array<[string, Listener]> = [
    ['MATOCL_LISTEN_PORT', config.clientListener],
    ['MATOCS_LISTEN_PORT', config.chunkserverListener],
    ['MATOML_LISTEN_PORT', config.metaloggerListener],
  ];
  for (const [key, listener] of listeners) {
    if (await tcpAccepts(connectAddress(listener), listener.port, 500)) {
      throw new Failure('failed', `${listenerText(listener)} (${key} in ${config.file}) is already in use by another program: mfsmaster cannot listen there`);
    }
  }
}

async function createEmptyFileSystem(config: MasterConfig, log: Logger): Promise<void> {
  const path = join(config.dataPath, METADATA_FILE);
  writeFileSync(path, NEW_FILESYSTEM_HEADER, { flag: 'wx', mode: 0o640 });
  const user = await lookupUser(config.workingUser);
  const group = config.workingGroup ? await lookupGroup(config.workingGroup) : undefined;
  if (user) chownSync(path, user.id, group?.id ?? user.gid ?? user.id);
  log.warn(`allow_empty_init=true and no metadata in ${config.dataPath}: created a NEW, EMPTY file system (${path})`);
}

export interface StartOptions {
  program: MasterProgram;
  config: MasterConfig;
  allowEmptyInit: boolean;
  durability: Durability;
  deadline: Deadline;
  log: Logger;
}

/** Refuses a configuration below the required durability (OCF_ERR_CONFIGURED, naming the setting). */
export function requireDurability(config: MasterConfig, durability: Durability): string | undefined {
  const verdict = judgeDurability(config.file, config.changelogSaveMode, durability);
  if (verdict.refusal) throw new Failure('misconfigured', verdict.refusal);
  return verdict.warning;
}

/**
 * Before recovery: cuts partial last lines off the changelogs the recovery will read (the
 * originals kept aside), and returns the newest version their complete lines hold.
 */
export function prepareChangelogs(dataPath: string, log: Logger): { newest: bigint | undefined; files: string[] } {
  for (const path of changelogFiles(dataPath)) {
    const repair = repairTornChangelog(path);
    if (!repair) continue;
    log.warn(
      `${repair.path}: its last line was partial (the writer died mid-line), which would make the recovery skip the whole file: ` +
        `cut ${repair.bytesCut} byte(s), original kept as ${repair.original}; last complete change: version ${repair.lastCompleteVersion ?? 'none'}`,
    );
  }
  const files = changelogFiles(dataPath);
  return { newest: newestCompleteVersion(files.map(inspectChangelog)), files };
}

/**
 * After recovery the master must have applied every complete change it was given: its
 * metadata version is the next one to write, so it must exceed the newest changelog line.
 * If it does not, or it cannot be asked, it is killed (a graceful stop would write an image
 * at the older version that the next start would take for clean) and the start fails,
 * naming the files. A master whose answer does not decode is not killed: it serves, and the
 * check is said to be skipped.
 */
async function verifyRecoveredVersion(config: MasterConfig, pid: number, expected: { newest: bigint | undefined; files: string[] }, deadline: Deadline, log: Logger): Promise<void> {
  if (expected.newest === undefined) return;
  const client = config.clientListener;
  const names = expected.files.map((f) => f.slice(f.lastIndexOf('/') + 1)).join(', ');
  const refuse = async (why: string): Promise<never> => {
    signalProcess(pid, 'SIGKILL');
    await waitForExit([pid], deadline);
    throw new Failure(
      'failed',
      `${why} (${names} in ${config.dataPath}): refusing to serve metadata that may be older; the master was killed and every file left in place`,
    );
  };
  let info: MasterInfo;
  try {
    info = await queryMasterInfo(connectAddress(client), client.port, Math.max(200, Math.min(5000, deadline.remainingMs(500))));
  } catch (error) {
    return refuse(`the recovered master does not answer CLTOMA_INFO (${(error as Error).message}): cannot check it reached version ${expected.newest} of the newest complete changelog line`);
  }
  if (info.metadataVersion === undefined) {
    log.warn(`mfsmaster ${info.programVersion ?? '(version unknown)'} does not report its metadata version${info.undecoded ? ` (${info.undecoded})` : ''}: cannot check the recovery reached version ${expected.newest}`);
    return;
  }
  if (info.metadataVersion > expected.newest) {
    log.info(`recovery reached metadata version ${info.metadataVersion} (newest complete changelog line: ${expected.newest})`);
    return;
  }
  return refuse(`recovered metadata version ${info.metadataVersion} does not reach version ${expected.newest} of the newest complete changelog line`);
}

export interface StartOutcome {
  pid: number;
  recovered: boolean;
  alreadyRunning: boolean;
}

/** Starts the master and returns once its client port accepts connections. */
export async function startMaster({ program, config, allowEmptyInit, durability, deadline, log }: StartOptions): Promise<StartOutcome> {
  const durabilityWarning = requireDurability(config, durability);
  const running = masterPid(config);
  if (running !== undefined) {
    log.info(`mfsmaster already running (pid ${running})`);
    return { pid: await waitUntilServing(config, deadline), recovered: false, alreadyRunning: true };
  }
  const inventory = inventoryDataPath(config.dataPath);
  const state = metadataState(inventory);
  if (state === 'empty') {
    if (!allowEmptyInit) {
      throw new Failure(
        'not-installed',
        `no metadata in DATA_PATH ${config.dataPath} (no metadata.mfs, metadata.mfs.back or changelog): refusing to start an empty master, ` +
          'whose chunkservers would delete every chunk; is the metadata store mounted? For a new file system set allow_empty_init=true',
      );
    }
    await createEmptyFileSystem(config, log);
  }
  await ensurePortsFree(config);
  if (durabilityWarning) log.warn(durabilityWarning);

  const recover = state === 'needs-recovery';
  const expected = recover ? prepareChangelogs(config.dataPath, log) : undefined;
  if (recover) {
    log.warn(`unclean stop: no ${METADATA_FILE} in ${config.dataPath}; recovering from ${describeInventory(inventory)}`);
    if (!program.recoversItself) {
      const restored = await program.restoreWithMetarestore(config.dataPath, deadline);
      if (!restored.ok) throw new Failure('failed', `metadata recovery failed: ${restored.stdout.split('\n').at(-1) ?? restored.command}`);
    }
  }
  const result = await program.start(deadline, { recover: recover && program.recoversItself });
  if (!result.ok) {
    const said = result.stderr.split('\n').map((l) => l.trim()).filter(Boolean);
    const why = said.filter((line) => /can't|cannot|error|fail|no such|not /i.test(line)).slice(-2).join('; ') || said.at(-1) || `exit code ${result.exitCode}`;
    throw new Failure('failed', `${result.command} failed: ${why}`);
  }
  const pid = await afterStarting(() => waitUntilServing(config, deadline));
  if (expected) await afterStarting(() => verifyRecoveredVersion(config, pid, expected, deadline, log));
  if (recover) log.info(`mfsmaster recovered metadata and runs (pid ${pid})`);
  else log.info(`mfsmaster started (pid ${pid})`);
  return { pid, recovered: recover, alreadyRunning: false };
}

/**
 * Once mfsmaster was started, no failure is "unexpected": whatever goes wrong is said as what
 * it is, with the master's state, so that the exit reason tells the admin and Pacemaker's
 * recovery (a stop) has a clear case to act on.
 */
async function afterStarting<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof Failure) throw error;
    throw new Failure('failed', `mfsmaster was started, then checking it failed: ${(error as Error).message ?? String(error)}`, { cause: error });
  }
}

/** Waits until the master holds its lock and accepts clients; returns its PID. */
async function waitUntilServing(config: MasterConfig, deadline: Deadline): Promise<number> {
  const client = config.clientListener;
  const pid = await deadline.poll(
    async () => {
      const pid = masterPid(config);
      return pid !== undefined && (await tcpAccepts(connectAddress(client), client.port, 200)) ? pid : undefined;
    },
    { intervalMs: 50, marginMs: 500 },
  );
  if (pid === undefined) {
    const still = masterPid(config);
    throw new Failure(
      'failed',
      still === undefined
        ? `mfsmaster exited during start-up (see its syslog messages)`
        : `mfsmaster (pid ${still}) did not accept connections on ${listenerText(client)} before the start timeout`,
    );
  }
  return pid;
}

const KILL_CONSEQUENCE = 'its metadata image was not written: the next start will recover from changelogs (mfsmaster -a)';

export interface StopOptions {
  config: MasterConfig;
  deadline: Deadline;
  log: Logger;
}

/**
 * Stops the master. SIGTERM to the lock holder is exactly what `mfsmaster stop` sends, and
 * the master then writes its metadata image; polling the lock every 20 ms instead of the
 * stop client's once-a-second loop saves about 1.5 s (LAB.md). Past the graceful budget,
 * SIGKILL, loudly: the next start will need recovery. Succeeds when nothing runs.
 *
 * Most of a stop was MooseFS waiting for its data writer: after SIGTERM the master tells that
 * child to end only at the third whole-second tick (bgsaver_termcheck, `termdelay>2`: 2-3 s)
 * and waits for it. With CHANGELOG_SAVE_MODE 1 or 2 the master writes every changelog line
 * itself before it replies (changelog_mr); the writer then holds nothing of the file system
 * (it writes mode 0's changelog and background metadata dumps). So it is ended at once: the
 * master takes its own path for a lost writer ("connection with background data writer has
 * been terminated - exiting"), which still writes the metadata image. Measured: 2277 -> 118 ms
 * (3.0.117), 3001 -> 530 ms (4.59.2), the image written and the next start needing no recovery.
 */
export async function stopMaster({ config, deadline, log }: StopOptions): Promise<void> {
  const master = masterPid(config);
  const writer = lockOwner(config.dataPath, DATA_WRITER_LOCK_FILE);
  const writerHoldsNothing = master !== undefined && config.changelogSaveMode >= 1;
  const pids = [master, writerHoldsNothing ? undefined : writer].filter((p): p is number => p !== undefined);
  const killAtOnce = writerHoldsNothing && writer !== undefined ? { pids: [writer], why: `the data writer holds nothing with CHANGELOG_SAVE_MODE = ${config.changelogSaveMode}, and MooseFS keeps it 2-3 s after SIGTERM` } : undefined;
  await terminate(pids, { deadline, log, what: 'mfsmaster', afterKill: KILL_CONSEQUENCE, ...(killAtOnce ? { killAtOnce } : {}) });
}

/** When the configuration cannot be read, stop still finds masters started with that config file. */
export async function stopMastersByConfigFile(configFile: string, binary: string, deadline: Deadline, log: Logger): Promise<void> {
  const found = findProcesses((p) => p.comm === 'mfsmaster' && p.argv.includes(configFile) && (p.argv[0] === binary || p.argv[0]?.endsWith('mfsmaster') === true));
  if (found.length > 0) log.warn(`configuration unreadable; stopping mfsmaster processes started with ${configFile}: ${found.map((p) => p.pid).join(', ')}`);
  await terminate(found.map((p) => p.pid), { deadline, log, what: 'mfsmaster', afterKill: KILL_CONSEQUENCE });
}
