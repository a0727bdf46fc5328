/**
 * The packages of `npm run package` (dist/packages/), made once for every packaging test:
 * they are rebuilt under a lock when missing or older than what they are made from (the
 * built executable, the packaging files, package.json).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../lib/process/run.js';
import { packageVersion } from '../../packaging/changelog.js';
import { BINARY, DIST, ROOT } from '../helpers/built.js';
import { withDirectoryLock } from '../helpers/lock.js';

export const PACKAGE_DIR = join(DIST, 'packages');
const LOCK = '/run/lock/mfs-ocf-test-packages.lock';

export const PACKAGE_JSON = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string; license: string };
/** The version in the packages (RPM and Debian form of package.json's). */
export const PACKAGE_VERSION = packageVersion(PACKAGE_JSON.version);

export interface Packages {
  rpm: string;
  deb: string;
  /** The programs of the packaged executable (the build at the time of packaging). */
  programs: Program[];
}

export interface Program {
  name: string;
  kind: 'agent' | 'tool';
}

/** The programs of the built executable now (agents/main.ts is the one list). */
export async function builtPrograms(): Promise<Program[]> {
  const result = await run(BINARY, ['--programs'], { timeoutMs: 30_000 });
  if (!result.ok) throw new Error(`${BINARY} --programs: ${result.stderr}`);
  return JSON.parse(result.stdout) as Program[];
}

function sources(): string[] {
  const packaging = join(ROOT, 'packaging');
  const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)]));
  return [BINARY, join(ROOT, 'package.json'), join(ROOT, 'LICENSE'), join(ROOT, 'scripts', 'package.mjs'), ...walk(packaging)];
}

function upToDate(files: string[]): boolean {
  if (!files.every((file) => existsSync(file))) return false;
  const oldest = Math.min(...files.map((file) => statSync(file).mtimeMs));
  return sources().every((source) => statSync(source).mtimeMs <= oldest);
}

/**
 * The packages, made again when older than the build or the packaging files. Others may
 * rebuild dist/ while this runs: the tests then use the programs the packages were made with.
 */
export async function ensurePackages(): Promise<Packages> {
  const rpm = join(PACKAGE_DIR, `${PACKAGE_JSON.name}-${PACKAGE_VERSION}-1.x86_64.rpm`);
  const deb = join(PACKAGE_DIR, `${PACKAGE_JSON.name}_${PACKAGE_VERSION}_amd64.deb`);
  const stamp = join(PACKAGE_DIR, `${PACKAGE_JSON.name}.packaged.json`);
  const asked = Date.now();
  return withDirectoryLock(LOCK, async () => {
    // Packages made while this waited for the lock (by another test file of this run) are
    // taken as they are, even if someone rebuilt dist/ meanwhile: one packaging per run.
    const madeMeanwhile = existsSync(stamp) && statSync(stamp).mtimeMs >= asked;
    if (!madeMeanwhile && !upToDate([rpm, deb, stamp])) {
      const result = await run(process.execPath, [join(ROOT, 'scripts', 'package.mjs')], { timeoutMs: 900_000, cwd: ROOT, all: true });
      if (!result.ok) throw new Error(`npm run package failed: ${result.stderr || result.stdout}`);
    }
    const packaged = JSON.parse(readFileSync(stamp, 'utf8')) as { version: string; programs: Program[] };
    if (packaged.version !== PACKAGE_JSON.version) throw new Error(`${stamp}: made for ${packaged.version}, package.json says ${PACKAGE_JSON.version}`);
    return { rpm, deb, programs: packaged.programs };
  }, 1_200_000);
}
