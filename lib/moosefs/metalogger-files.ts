/**
 * The metadata a node could rebuild a master from, read from files only (cheap enough for a
 * monitor): the metalogger's `metadata_ml.mfs.back*` and `changelog_ml*.mfs`, or the master's
 * own `metadata.mfs*` and `changelog.N.mfs` left in its DATA_PATH.
 *
 * Versions are "next version to write", as in a metadata header and in the master's
 * CLTOMA_INFO answer: an image at version V holds every change below V; a changelog whose last
 * COMPLETE line is L brings the metadata to L + 1. Partial last lines never count (issue 9).
 * Images of different file systems are never mixed: such a set is unusable.
 */
import { closeSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CHANGELOG_FILE, inspectChangelog, newestCompleteVersion, type ChangelogTail } from './changelog.js';
import { readMetadataHeader } from './data-path.js';
import { hexId as hex } from './election.js';

export type SourceKind = 'metalogger' | 'master';

/** Images and changelogs each kind of data path holds (names as metalogger and master write them). */
export const METALOGGER_IMAGE = /^metadata_ml\.mfs\.back(?:\.\d+)?$/;
export const METALOGGER_CHANGELOG = /^changelog_ml(?:_back)?\.\d+\.mfs$/;
export const MASTER_IMAGE = /^metadata\.mfs(?:\.back(?:\.\d+)?)?$/;
export const MASTER_CHANGELOG = /^changelog\.\d+\.mfs$/;

export interface MetadataImage {
  path: string;
  /** Next version to write. 1 for a new file system. */
  version: bigint;
  /** File-system id (0: unknown, new file system). */
  fsId: bigint;
  /** Virtual base: no image, but the changelogs start at version 1 (a new file system's whole history). */
  virtualNew?: boolean;
}

export interface MetadataSource {
  kind: SourceKind;
  dataPath: string;
  /** Valid images, newest first. */
  images: MetadataImage[];
  changelogs: ChangelogTail[];
  /** The image the recovery would start from. */
  base: MetadataImage | undefined;
  /** Version the recovery would reach (next version to write); undefined when nothing is usable. */
  version: bigint | undefined;
  fsId: bigint;
  /** Newest version held by a complete changelog line. */
  newestComplete: bigint | undefined;
  /** Every file promote would hand to the recovery. */
  files: string[];
  /** Why the set cannot be used (undefined when it can, or when it is simply empty). */
  problem: string | undefined;
}

const EOF_MARKER = Buffer.from('[MFS EOF MARKER]', 'latin1');

/** A 1.6+ image ends with the EOF marker (the master checks it; a cut download lacks it). */
function endsWithMarker(path: string): boolean {
  let fd: number | undefined;
  try {
    const size = statSync(path).size;
    if (size < 24 + 16) return false;
    fd = openSync(path, 'r');
    const tail = Buffer.alloc(16);
    readSync(fd, tail, 0, 16, size - 16);
    return tail.equals(EOF_MARKER);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export function readImage(path: string): MetadataImage | undefined {
  const header = readMetadataHeader(path);
  if (!header) return undefined;
  if (header.signature === 'MFSM NEW') return { path, version: 1n, fsId: 0n };
  if (!/^MFSM [1-9]\.\d$/.test(header.signature)) return undefined;
  if (header.signature >= 'MFSM 1.6' && !endsWithMarker(path)) return undefined;
  return { path, version: header.version, fsId: header.fsId };
}

/** The file-system id a changelog sets on its first line (`1: ts|SETMETAID(id)` of a new file system). */
export function changelogSetsId(path: string): bigint | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(200);
    const length = readSync(fd, head, 0, head.length, 0);
    const match = /^\d+: \d+\|SETMETAID\((\d+)\)/.exec(head.subarray(0, length).toString('latin1'));
    return match ? BigInt(match[1]!) : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}


/** Reads one data path's metadata of one kind. A missing directory is an empty source. */
export function inspectSource(kind: SourceKind, dataPath: string): MetadataSource {
  let names: string[];
  try {
    names = readdirSync(dataPath);
  } catch {
    names = [];
  }
  const imagePattern = kind === 'metalogger' ? METALOGGER_IMAGE : MASTER_IMAGE;
  const changelogPattern = kind === 'metalogger' ? METALOGGER_CHANGELOG : MASTER_CHANGELOG;
  const images = names
    .filter((name) => imagePattern.test(name))
    .map((name) => readImage(join(dataPath, name)))
    .filter((image): image is MetadataImage => image !== undefined)
    .sort((a, b) => (a.version === b.version ? 0 : a.version > b.version ? -1 : 1));
  const changelogs = names
    .filter((name) => changelogPattern.test(name) && CHANGELOG_FILE.test(name))
    .sort()
    .map((name) => inspectChangelog(join(dataPath, name)));
  const files = [...images.map((i) => i.path), ...changelogs.map((c) => c.path)];
  const newestComplete = newestCompleteVersion(changelogs);
  const source: MetadataSource = { kind, dataPath, images, changelogs, base: undefined, version: undefined, fsId: 0n, newestComplete, files, problem: undefined };

  const ids = [...new Set(images.map((i) => i.fsId).filter((id) => id !== 0n))];
  if (ids.length > 1) {
    source.problem = `images of different file systems in ${dataPath} (${images.map((i) => `${i.path.slice(dataPath.length + 1)}: id ${hex(i.fsId)}`).join(', ')}): never mixed`;
    return source;
  }
  let base = images[0];
  if (!base) {
    // No image: a new file system's changelogs from version 1 rebuild it from nothing.
    const fromStart = changelogs.find((c) => c.firstVersion === 1n && c.lastCompleteVersion !== undefined);
    if (fromStart) base = { path: fromStart.path, version: 1n, fsId: changelogSetsId(fromStart.path) ?? 0n, virtualNew: true };
  }
  if (!base) {
    if (changelogs.some((c) => c.lastCompleteVersion !== undefined)) {
      source.problem = `changelogs up to version ${newestComplete} in ${dataPath} but no metadata image to apply them to`;
    }
    return source;
  }
  source.base = base;
  source.fsId = ids[0] ?? base.fsId;
  source.version = newestComplete !== undefined && newestComplete + 1n > base.version ? newestComplete + 1n : base.version;
  return source;
}

/** The better of two sources (higher version; on a tie the metalogger's, which followed the cluster). */
export function betterSource(a: MetadataSource, b: MetadataSource): MetadataSource {
  if (a.version === undefined) return b.version === undefined ? a : b;
  if (b.version === undefined) return a;
  if (a.version === b.version) return a.kind === 'metalogger' ? a : b;
  return a.version > b.version ? a : b;
}

export function describeSource(source: MetadataSource): string {
  if (source.version === undefined) return source.problem ?? `no metadata in ${source.dataPath}`;
  const base = source.base!;
  const from = base.virtualNew ? 'a new file system' : base.path.slice(source.dataPath.length + 1);
  return `version ${source.version} of file system ${hex(source.fsId)} (${source.kind} files in ${source.dataPath}: ${from} at ${base.version}, changelogs to ${source.newestComplete ?? 'none'})`;
}
