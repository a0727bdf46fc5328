/**
 * The MooseFS versions every test that runs a MooseFS daemon runs against, and where each is
 * installed: Debian's packages (3.0.117) and upstream 4.59.2 built from ../shared/vendor into a
 * prefix of its own (`scripts/build-moosefs.ts`, run by the test command), never over Debian's
 * binaries. The list is the agents' own TESTED_MOOSEFS_VERSIONS: what they call tested is what
 * the suite runs.
 *
 * MFS_OCF_MOOSEFS=4.59.2 narrows a run to some versions (a developer's shortcut; CI runs all).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TESTED_MOOSEFS_VERSIONS } from '../../lib/moosefs/master-program.js';
import { ROOT } from './built.js';

export interface MooseFsInstall {
  version: (typeof TESTED_MOOSEFS_VERSIONS)[number];
  /** Where mfsmaster, mfsmetalogger, mfschunkserver live. */
  sbin: string;
  /** Where mfsmount and mfscli live. */
  bin: string;
  /** Built from this source tarball (sha256-keyed) into `prefix`; undefined for Debian's packages. */
  source?: { tarball: string; prefix: string };
}

const UPSTREAM_PREFIX = '/opt/mfs-ocf/moosefs-4.59.2';

const INSTALLS: Record<MooseFsInstall['version'], MooseFsInstall> = {
  '3.0.117': { version: '3.0.117', sbin: '/usr/sbin', bin: '/usr/bin' },
  '4.59.2': {
    version: '4.59.2',
    sbin: join(UPSTREAM_PREFIX, 'sbin'),
    bin: join(UPSTREAM_PREFIX, 'bin'),
    source: { tarball: join(ROOT, '..', 'shared', 'vendor', 'moosefs-4.59.2.tar.gz'), prefix: UPSTREAM_PREFIX },
  },
};

/** Every tested version, in order (oldest first). */
export const ALL_MOOSEFS: readonly MooseFsInstall[] = TESTED_MOOSEFS_VERSIONS.map((version) => INSTALLS[version]);

function selected(): readonly MooseFsInstall[] {
  const wanted = process.env.MFS_OCF_MOOSEFS?.split(',').map((v) => v.trim()).filter(Boolean);
  if (!wanted?.length) return ALL_MOOSEFS;
  const unknown = wanted.filter((v) => !ALL_MOOSEFS.some((m) => m.version === v));
  if (unknown.length) throw new Error(`MFS_OCF_MOOSEFS names untested version(s) ${unknown.join(', ')} (tested: ${TESTED_MOOSEFS_VERSIONS.join(', ')})`);
  return ALL_MOOSEFS.filter((m) => wanted.includes(m.version));
}

/** The versions this run tests: `describe.each(MOOSEFS)('... MooseFS $version', (mfs) => ...)`. */
export const MOOSEFS: readonly MooseFsInstall[] = selected();

/** The newest tested version (what a single-version run, such as the live cluster's extra pass, uses). */
export const NEWEST_MOOSEFS: MooseFsInstall = ALL_MOOSEFS.at(-1)!;

/** Debian's packaged version: the default of the agents' binary parameters. */
export const DEBIAN_MOOSEFS: MooseFsInstall = INSTALLS['3.0.117'];

export function mooseFsByVersion(version: string): MooseFsInstall {
  const found = ALL_MOOSEFS.find((m) => m.version === version);
  if (!found) throw new Error(`MooseFS ${version} is not one the suite tests (tested: ${TESTED_MOOSEFS_VERSIONS.join(', ')})`);
  return found;
}

export const mfsProgram = (mfs: MooseFsInstall, name: 'mfsmaster' | 'mfsmetalogger' | 'mfschunkserver' | 'mfsmetarestore'): string => join(mfs.sbin, name);
export const mfsClientProgram = (mfs: MooseFsInstall, name: 'mfsmount' | 'mfscli'): string => join(mfs.bin, name);

/** Fails loudly when a version's programs are missing (the test command builds them first). */
export function assertInstalled(mfs: MooseFsInstall): void {
  const master = mfsProgram(mfs, 'mfsmaster');
  if (!existsSync(master)) {
    throw new Error(`${master} is missing: MooseFS ${mfs.version} is not installed (${mfs.source ? "run 'node scripts/run-ts.mjs scripts/build-moosefs.ts'" : 'apt-get install moosefs-master'})`);
  }
}
