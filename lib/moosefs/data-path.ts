/**
 * What lies in a MooseFS master's DATA_PATH, and what it means:
 *
 *   .mfsmaster.lock      PID of the master, POSIX-locked while it runs
 *   metadata.mfs         image written by a clean stop (renamed to .back while running)
 *   metadata.mfs.back[.N] image of a running or crashed master, older ones
 *   changelog.N.mfs      changes since the image (0 is the newest)
 *   metadata.mfs.empty   what Debian's package ships: no file system yet
 *
 * A metadata file starts with `MFSM 2.0` (or `MFSM NEW` for a new, empty file system), then a
 * big-endian u64 metadata version and a u64 file-system id.
 */
import { closeSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { lockHolder, liveProcess } from '../process/proc.js';

export const MASTER_LOCK_FILE = '.mfsmaster.lock';
export const DATA_WRITER_LOCK_FILE = '.bgwriter.lock';
export const METADATA_FILE = 'metadata.mfs';
export const EMPTY_METADATA_FILE = 'metadata.mfs.empty';
/** The 8 bytes of a metadata file that starts a new, empty file system. */
export const NEW_FILESYSTEM_HEADER = Buffer.from('MFSM NEW', 'latin1');

export interface MetadataHeader {
  /** `MFSM 2.0`, `MFSM NEW`, ... */
  signature: string;
  /** Metadata version (0 for a new file system). */
  version: bigint;
  /** File-system id (0 when unknown: new file system or old format). */
  fsId: bigint;
}

/** Reads a metadata file's header; undefined when the file is missing or not metadata. */
export function readMetadataHeader(path: string): MetadataHeader | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const buffer = Buffer.alloc(24);
    const length = readSync(fd, buffer, 0, 24, 0);
    const signature = buffer.subarray(0, 8).toString('latin1');
    if (!signature.startsWith('MFSM')) return undefined;
    if (signature === 'MFSM NEW') return { signature, version: 0n, fsId: 0n };
    if (length < 16) return undefined;
    return { signature, version: buffer.readBigUInt64BE(8), fsId: length >= 24 ? buffer.readBigUInt64BE(16) : 0n };
  } finally {
    closeSync(fd);
  }
}

export interface DataPathInventory {
  /** metadata.mfs present: the last stop was clean. */
  cleanImage: string | undefined;
  /** metadata.mfs.back, metadata.mfs.back.1, ... newest first. */
  backupImages: string[];
  /** changelog.N.mfs, newest (0) first. */
  changelogs: string[];
  /** Metalogger files (metadata_ml.mfs.back*, changelog_ml*.mfs), when they lie here too. */
  metaloggerFiles: string[];
  emptyImage: string | undefined;
}

export type MetadataState =
  /** metadata.mfs: a plain start loads it. */
  | 'clean'
  /** No metadata.mfs but a backup image and/or changelogs: the master crashed; recovery needed. */
  | 'needs-recovery'
  /** Nothing at all (at most Debian's metadata.mfs.empty): a new file system would be created. */
  | 'empty';

function numbered(name: string, pattern: RegExp): number | undefined {
  const match = pattern.exec(name);
  return match ? Number(match[1] ?? 0) : undefined;
}

export function inventoryDataPath(dataPath: string): DataPathInventory {
  const names = readdirSync(dataPath);
  const sortBy = (pattern: RegExp) =>
    names
      .map((name) => ({ name, n: numbered(name, pattern) }))
      .filter((entry): entry is { name: string; n: number } => entry.n !== undefined)
      .sort((a, b) => a.n - b.n)
      .map((entry) => join(dataPath, entry.name));
  return {
    cleanImage: names.includes(METADATA_FILE) ? join(dataPath, METADATA_FILE) : undefined,
    backupImages: sortBy(/^metadata\.mfs\.back(?:\.(\d+))?$/),
    changelogs: sortBy(/^changelog\.(\d+)\.mfs$/),
    metaloggerFiles: names.filter((name) => /^(metadata_ml\.mfs\.back(\.\d+)?|changelog_ml(_back)?\.\d+\.mfs)$/.test(name)).map((n) => join(dataPath, n)),
    emptyImage: names.includes(EMPTY_METADATA_FILE) ? join(dataPath, EMPTY_METADATA_FILE) : undefined,
  };
}

export function metadataState(inventory: DataPathInventory): MetadataState {
  if (inventory.cleanImage) return 'clean';
  if (inventory.backupImages.length > 0 || inventory.changelogs.length > 0) return 'needs-recovery';
  return 'empty';
}

/**
 * The PID that holds a daemon's lock file in this data path, if that daemon runs. The lock,
 * not the PID written in the file, is the truth: the file keeps a stale PID after a crash.
 */
export function lockOwner(dataPath: string, lockFile = MASTER_LOCK_FILE): number | undefined {
  let stat;
  try {
    stat = statSync(join(dataPath, lockFile));
  } catch {
    return undefined;
  }
  const pid = lockHolder({ dev: stat.dev, ino: stat.ino });
  return pid !== undefined && liveProcess(pid) ? pid : undefined;
}
