/**
 * The packages of `npm run package` (dist/packages/), made once for every packaging test:
 * they are rebuilt under a lock when missing or older than what they are made from (the
 * built executable, the packaging files, package.json).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sleep } from '../../lib/ocf/deadline.js';
import { run } from '../../lib/process/run.js';
import { BINARY, DIST, ROOT } from '../helpers/built.js';

export const PACKAGE_DIR = join(DIST, 'packages');
const LOCK = '/run/lock/mfs-ocf-test-packages.lock';

export const PACKAGE_JSON = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string; license: string };

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

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** An exclusive lock (a directory holding its owner's PID); a dead owner's lock is taken over. */
async function withLock<T>(body: () => Promise<T>): Promise<T> {
  const owner = join(LOCK, 'pid');
  for (let tries = 0; ; tries++) {
    try {
      mkdirSync(LOCK);
      writeFileSync(owner, String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || tries > 9000) throw error;
      const pid = Number(existsSync(owner) ? readFileSync(owner, 'utf8') : NaN);
      if (Number.isInteger(pid) && pid > 0 && !alive(pid)) rmSync(LOCK, { recursive: true, force: true });
      else await sleep(100);
    }
  }
  try {
    return await body();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/**
 * The packages, made again when older than the build or the packaging files. Others may
 * rebuild dist/ while this runs: the tests then use the programs the packages were made with.
 */
export async function ensurePackages(): Promise<Packages> {
  const version = PACKAGE_JSON.version.replace(/\+.*$/, '').replace('-', '~');
  const rpm = join(PACKAGE_DIR, `${PACKAGE_JSON.name}-${version}-1.x86_64.rpm`);
  const deb = join(PACKAGE_DIR, `${PACKAGE_JSON.name}_${version}_amd64.deb`);
  const stamp = join(PACKAGE_DIR, `${PACKAGE_JSON.name}.packaged.json`);
  const asked = Date.now();
  return withLock(async () => {
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
  });
}
