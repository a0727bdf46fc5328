/**
 * Rebuilding a master's metadata from the best files on this node, the way an admin would after
 * a crash (moosefs#278), but without ever deleting anything:
 *
 *   1. refuse when a master holds the lock on the master's DATA_PATH (`mfsmaster restore`
 *      would SIGTERM it, and two histories would meet);
 *   2. set aside what is in the master's DATA_PATH into DATA_PATH/mfs-ocf-aside/<stamp>/
 *      (moved when the metalogger's files are used, copied when the master's own are);
 *   3. copy the metalogger's images and changelogs in, cut partial last lines (originals kept);
 *   4. run the master's own recovery without serving (`mfsmaster restore`, 3.x; 1.6:
 *      `mfsmetarestore -a`), which writes metadata.mfs and exits;
 *   5. check that metadata.mfs reaches both the candidate's version and the newest complete
 *      changelog line, and is of the same file system; otherwise move it aside and fail,
 *      naming the files, so that the master resource cannot start from older metadata.
 */
import { chownSync, copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Deadline } from '../runtime/deadline.js';
import { Failure } from '../runtime/errors.js';
import type { Logger } from '../runtime/log.js';
import { describeOutcome, run, type RunResult } from '../process/run.js';
import { lookupGroup, lookupUser } from '../system/accounts.js';
import { ASIDE_DIRECTORY, changelogFiles, cutChangesBefore } from './changelog.js';
import type { MasterConfig } from './config.js';
import { METADATA_FILE, NEW_FILESYSTEM_HEADER } from './data-path.js';
import { hexId } from './election.js';
import type { MasterProgram } from './master-program.js';
import { masterPid, prepareChangelogs } from './master-service.js';
import { MASTER_CHANGELOG, MASTER_IMAGE, METALOGGER_CHANGELOG, METALOGGER_IMAGE, readImage, type MetadataSource } from './metalogger-files.js';

/** What the master's recovery may read in its DATA_PATH, beyond images and changelogs: leftovers that must not take part. */
const MASTER_LEFTOVER = /^(?:metadata\.mfs\.(?:empty|back\.tmp|[A-Za-z0-9]{6})|metadata\.crc)$/;

export interface SetAside {
  directory: string;
  files: string[];
}

function stampOf(now: Date): string {
  return now.toISOString().replace(/[:.]/g, '-');
}

/**
 * Puts the master files of `dataPath` aside into a new timestamped directory inside
 * DATA_PATH/mfs-ocf-aside (same file system: a rename, never a copy-then-delete). With
 * `copy`, they stay in place too. Metalogger files are set aside only when `metaloggerFiles`.
 */
export function setAsideMasterFiles(dataPath: string, why: string, { copy = false, metaloggerFiles = false, now = new Date() } = {}): SetAside | undefined {
  const names = readdirSync(dataPath).filter(
    (name) =>
      MASTER_IMAGE.test(name) ||
      MASTER_CHANGELOG.test(name) ||
      MASTER_LEFTOVER.test(name) ||
      (metaloggerFiles && (METALOGGER_IMAGE.test(name) || METALOGGER_CHANGELOG.test(name))),
  );
  if (names.length === 0) return undefined;
  const directory = join(dataPath, ASIDE_DIRECTORY, `${why}-${stampOf(now)}`);
  mkdirSync(directory, { recursive: true, mode: 0o750 });
  for (const name of names) {
    if (copy) copyFileSync(join(dataPath, name), join(directory, name));
    else renameSync(join(dataPath, name), join(directory, name));
  }
  return { directory, files: names };
}

async function ownerOf(master: MasterConfig): Promise<{ uid: number; gid: number } | undefined> {
  const user = await lookupUser(master.workingUser);
  if (!user) return undefined;
  const group = master.workingGroup ? await lookupGroup(master.workingGroup) : undefined;
  return { uid: user.id, gid: group?.id ?? user.gid ?? user.id };
}

/** Runs the recovery that writes metadata.mfs and serves nothing. */
async function runRestore(program: MasterProgram, master: MasterConfig, deadline: Deadline): Promise<RunResult> {
  if (program.version.major >= 3) return run(program.binary, ['-c', program.configFile, '-x', 'restore'], { deadline, marginMs: 1000, timeoutMs: Infinity, all: true });
  if (!program.recoversItself) return program.restoreWithMetarestore(master.dataPath, deadline);
  throw new Failure('not-installed', `mfsmaster ${program.version.text} has no recovery that does not also serve (restore needs 3.0 or later)`);
}

export interface RebuildOptions {
  program: MasterProgram;
  master: MasterConfig;
  /** The files to rebuild from: the metalogger's, or this node's own master files. */
  source: MetadataSource;
  deadline: Deadline;
  log: Logger;
  now?: Date;
}

export interface RebuildOutcome {
  version: bigint;
  fsId: bigint;
  setAside: SetAside | undefined;
}

function refuseIfMasterAlive(master: MasterConfig): void {
  const pid = masterPid(master);
  if (pid !== undefined) {
    throw new Failure(
      'failed',
      `mfsmaster (pid ${pid}) holds the lock on ${master.dataPath}: metadata is never rebuilt under a live master (stop the master resource first)`,
    );
  }
}

/** Rebuilds metadata.mfs in the master's DATA_PATH from `source`; throws (OCF_ERR_GENERIC) rather than leave older metadata there. */
export async function rebuildMasterMetadata({ program, master, source, deadline, log, now = new Date() }: RebuildOptions): Promise<RebuildOutcome> {
  if (source.version === undefined || !source.base) throw new Failure('failed', `nothing to rebuild from: ${source.problem ?? `no metadata in ${source.dataPath}`}`);
  refuseIfMasterAlive(master);
  const sameDirectory = source.dataPath === master.dataPath;
  const useOwn = source.kind === 'master';
  const setAside = setAsideMasterFiles(master.dataPath, 'before-promote', { copy: useOwn, metaloggerFiles: !useOwn && !sameDirectory, now });
  if (setAside) log.info(`${useOwn ? 'copied' : 'set aside'} ${setAside.files.length} file(s) of ${master.dataPath} into ${setAside.directory}: ${setAside.files.join(', ')}`);

  const owner = await ownerOf(master);
  if (!useOwn && !sameDirectory) {
    for (const file of source.files) {
      const target = join(master.dataPath, basename(file));
      copyFileSync(file, target);
      if (owner) chownSync(target, owner.uid, owner.gid);
    }
    log.info(`copied ${source.files.length} metalogger file(s) from ${source.dataPath} into ${master.dataPath}`);
  }
  if (!source.base.virtualNew) {
    for (const file of changelogFiles(master.dataPath)) {
      const cut = cutChangesBefore(file, source.base.version, now);
      if (cut) log.warn(`${cut.path}: cut ${cut.linesCut} line(s) older than the image at version ${source.base.version} (an earlier history the recovery would stop at); original kept as ${cut.original}`);
    }
  }
  const expected = prepareChangelogs(master.dataPath, log);
  const image = join(master.dataPath, METADATA_FILE);
  if (useOwn && existsSync(image)) {
    log.info(`${image} exists (clean stop): no recovery needed`);
  } else {
    if (source.base.virtualNew) {
      // A new file system's changelogs from version 1: the recovery starts from an empty image.
      const empty = join(master.dataPath, `${METADATA_FILE}.back`);
      writeFileSync(empty, NEW_FILESYSTEM_HEADER, { flag: 'wx', mode: 0o640 });
      if (owner) chownSync(empty, owner.uid, owner.gid);
      log.info(`no metadata image: the changelogs start at version 1, so the recovery starts from an empty file system (${empty})`);
    }
    refuseIfMasterAlive(master);
    const started = deadline.elapsedMs();
    const result = await runRestore(program, master, deadline);
    const chosen = /chosen most recent metadata file: (.*)$/m.exec(result.stderr)?.[1];
    if (!result.ok) {
      const said = result.stderr.split('\n').map((l) => l.trim()).filter((l) => /can't|cannot|error|fail|different id|wrong/i.test(l)).slice(-2).join('; ');
      throw new Failure('failed', `metadata recovery in ${master.dataPath} failed: ${said || describeOutcome(result)}; every file left in place`);
    }
    log.info(`${result.command} rebuilt ${image} in ${Math.round(deadline.elapsedMs() - started)} ms${chosen ? ` from ${chosen}` : ''}`);
  }

  const rebuilt = readImage(image);
  const needed = [source.version, expected.newest === undefined ? 0n : expected.newest + 1n].reduce((a, b) => (a > b ? a : b));
  const problem = !rebuilt
    ? `${image} is missing or unreadable after the recovery`
    : rebuilt.version < needed
      ? `rebuilt metadata version ${rebuilt.version} does not reach version ${needed} (candidate ${source.version}, newest complete changelog line ${expected.newest ?? 'none'} in ${expected.files.map((f) => basename(f)).join(', ') || 'no changelog'})`
      : rebuilt.fsId !== 0n && source.fsId !== 0n && rebuilt.fsId !== source.fsId
        ? `rebuilt metadata is of file system ${hexId(rebuilt.fsId)}, the candidate's of ${hexId(source.fsId)}`
        : undefined;
  if (problem) {
    if (existsSync(image)) {
      const kept = setAsideImage(master.dataPath, image, now);
      throw new Failure('failed', `${problem}: refusing to serve older metadata; the rebuilt image was moved to ${kept}, every other file left in place`);
    }
    throw new Failure('failed', `${problem}; every file left in place`);
  }
  log.info(`rebuilt metadata at version ${rebuilt!.version} of file system ${hexId(rebuilt!.fsId)} (needed ${needed})`);
  return { version: rebuilt!.version, fsId: rebuilt!.fsId, setAside };
}

function setAsideImage(dataPath: string, image: string, now: Date): string {
  const directory = join(dataPath, ASIDE_DIRECTORY, `rejected-${stampOf(now)}`);
  mkdirSync(directory, { recursive: true, mode: 0o750 });
  const kept = join(directory, basename(image));
  renameSync(image, kept);
  return kept;
}

/** First boot: a new, empty file system in the master's DATA_PATH (after setting aside anything found there). */
export async function bootstrapFileSystem(master: MasterConfig, log: Logger, now = new Date()): Promise<void> {
  refuseIfMasterAlive(master);
  const setAside = setAsideMasterFiles(master.dataPath, 'before-bootstrap', { now });
  if (setAside) log.warn(`set aside ${setAside.files.join(', ')} into ${setAside.directory}`);
  const image = join(master.dataPath, METADATA_FILE);
  writeFileSync(image, NEW_FILESYSTEM_HEADER, { flag: 'wx', mode: 0o640 });
  const owner = await ownerOf(master);
  if (owner) chownSync(image, owner.uid, owner.gid);
  log.warn(`bootstrap: created a NEW, EMPTY file system in ${image}`);
}
