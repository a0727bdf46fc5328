/**
 * MooseFS changelogs, as the master's recovery (`mfsmaster -a`, metadata.c meta_loadall) reads
 * them: files `changelog.N.mfs`, `changelog_ml.N.mfs` and `changelog_ml_back.N.mfs` in
 * DATA_PATH, one change per line, `VERSION: timestamp|OPERATION(...)`.
 *
 * The trap (MOOSEFS.md): `changelog_findlastversion` gives 0 for a file whose last byte is not
 * a newline, and the recovery then skips the WHOLE file with only a notice: a metalogger killed
 * mid-line can cost an hour of metadata. So before recovery, every torn file is copied aside
 * (never deleted) and its partial last line cut off; and only complete lines count anywhere a
 * version is published or checked.
 */
import { chownSync, closeSync, copyFileSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, renameSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/** Every file name the master's recovery reads as a changelog (changelog.c changelog_checkname). */
export const CHANGELOG_FILE = /^(?:changelog|changelog_ml|changelog_ml_back)\.\d+\.mfs$/;

/** Where torn originals are kept: a subdirectory, which the recovery's readdir() never reads as a file. */
export const ASIDE_DIRECTORY = 'mfs-ocf-aside';

export interface ChangelogTail {
  path: string;
  size: number;
  /** Version of the first line (undefined when the file does not start with one). */
  firstVersion: bigint | undefined;
  /** Version of the last complete (newline-terminated) line. */
  lastCompleteVersion: bigint | undefined;
  /** Bytes after the last newline: a partial line, 0 when the file is whole. */
  tornBytes: number;
}

const CHUNK = 65536;
/** How far back to look for the last complete line (the master itself looks 200 kB back). */
const MAX_SCAN = 4 * 1024 * 1024;

function leadingVersion(text: string): bigint | undefined {
  const match = /^(\d+):/.exec(text);
  return match ? BigInt(match[1]!) : undefined;
}

export function changelogFiles(dataPath: string): string[] {
  return readdirSync(dataPath)
    .filter((name) => CHANGELOG_FILE.test(name))
    .sort()
    .map((name) => join(dataPath, name));
}

/** Reads a changelog's first version, last complete version and torn tail, from its ends only. */
export function inspectChangelog(path: string): ChangelogTail {
  const size = statSync(path).size;
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(Math.min(50, size));
    readSync(fd, head, 0, head.length, 0);
    const firstVersion = leadingVersion(head.toString('latin1'));
    // Walk back from the end in chunks to the last newline, then to the newline before it.
    let tail = Buffer.alloc(0);
    let position = size;
    let lastNewline = -1;
    let lineStart = -1;
    while (position > 0 && size - position < MAX_SCAN) {
      const length = Math.min(CHUNK, position);
      position -= length;
      const chunk = Buffer.alloc(length);
      readSync(fd, chunk, 0, length, position);
      tail = Buffer.concat([chunk, tail]);
      if (lastNewline < 0) {
        const at = tail.lastIndexOf(0x0a);
        if (at >= 0) lastNewline = position + at;
      }
      if (lastNewline >= 0) {
        const before = tail.lastIndexOf(0x0a, lastNewline - position - 1);
        if (before >= 0) {
          lineStart = position + before + 1;
          break;
        }
        if (position === 0) lineStart = 0;
      }
    }
    // No newline at all in a file read to its start: the whole file is one partial line.
    const tornBytes = lastNewline >= 0 ? size - lastNewline - 1 : position === 0 ? size : 0;
    let lastCompleteVersion: bigint | undefined;
    if (lastNewline >= 0 && lineStart >= 0) {
      const line = tail.subarray(lineStart - position, lastNewline - position).toString('latin1');
      lastCompleteVersion = leadingVersion(line);
    }
    return { path, size, firstVersion, lastCompleteVersion, tornBytes };
  } finally {
    closeSync(fd);
  }
}

/** Copies a changelog into ASIDE_DIRECTORY next to it before it is changed; returns the copy's path. */
function keepOriginalAside(path: string, label: string, now: Date): string {
  const asideDirectory = join(path, '..', ASIDE_DIRECTORY);
  mkdirSync(asideDirectory, { recursive: true, mode: 0o750 });
  const original = join(asideDirectory, `${basename(path)}.${label}-${now.toISOString().replace(/[:.]/g, '-')}`);
  copyFileSync(path, original);
  return original;
}

export interface TornRepair {
  path: string;
  /** The untouched original, kept aside. */
  original: string;
  bytesCut: number;
  lastCompleteVersion: bigint | undefined;
}

/**
 * Cuts a partial last line off, after copying the file aside into ASIDE_DIRECTORY next to it.
 * Undefined when the file is whole.
 */
export function repairTornChangelog(path: string, now = new Date()): TornRepair | undefined {
  const tail = inspectChangelog(path);
  if (tail.tornBytes === 0) return undefined;
  const original = keepOriginalAside(path, 'torn', now);
  truncateSync(path, tail.size - tail.tornBytes);
  return { path, original, bytesCut: tail.tornBytes, lastCompleteVersion: tail.lastCompleteVersion };
}

/** The newest version held by complete lines of these changelogs (undefined when none has one). */
export function newestCompleteVersion(tails: readonly ChangelogTail[]): bigint | undefined {
  let newest: bigint | undefined;
  for (const tail of tails) {
    if (tail.lastCompleteVersion !== undefined && (newest === undefined || tail.lastCompleteVersion > newest)) newest = tail.lastCompleteVersion;
  }
  return newest;
}

export interface OlderChangesCut {
  path: string;
  /** The untouched original, kept aside. */
  original: string;
  linesCut: number;
}

/**
 * Cuts the lines older than `version` off the start of a changelog, after copying it aside.
 * A metalogger appends to the changelog_ml.0.mfs it finds, so a node that was metalogger, then
 * master, then metalogger again holds old lines, a jump, then the current master's: the
 * master's recovery reads the jump as "garbage at the end of file" and drops every newer line.
 * The lines older than the image the recovery starts from are in that image already.
 * Undefined when the file has no line older than `version` before one that is not.
 */
export function cutChangesBefore(path: string, version: bigint, now = new Date()): OlderChangesCut | undefined {
  const tail = inspectChangelog(path);
  if (tail.firstVersion === undefined || tail.firstVersion >= version || tail.lastCompleteVersion === undefined || tail.lastCompleteVersion < version) return undefined;
  const text = readFileSync(path);
  let offset = 0;
  let linesCut = 0;
  while (offset < text.length) {
    const end = text.indexOf(0x0a, offset);
    const line = text.subarray(offset, end < 0 ? text.length : end).toString('latin1');
    const lineVersion = leadingVersion(line);
    if (lineVersion !== undefined && lineVersion >= version) break;
    linesCut++;
    offset = end < 0 ? text.length : end + 1;
  }
  if (linesCut === 0) return undefined;
  const original = keepOriginalAside(path, 'older', now);
  const { uid, gid, mode } = statSync(path);
  const temporary = `${path}.mfs-ocf-${process.pid}`;
  writeFileSync(temporary, text.subarray(offset), { mode: mode & 0o777, flag: 'wx' });
  chownSync(temporary, uid, gid);
  renameSync(temporary, path);
  return { path, original, linesCut };
}
