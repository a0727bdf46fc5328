/**
 * The packages of `npm run package` (dist/packages/), made once for every packaging test:
 * they are rebuilt under a lock when missing or older than what they are made from (the
 * built executable, the packaging files, package.json).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync } from 'node:fs';
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
}

export interface Program {
  name: string;
  kind: 'agent' | 'tool';
}

/** The programs of the built executable (agents/main.ts is the one list). */
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

export async function ensurePackages(): Promise<Packages> {
  const packages = { rpm: join(PACKAGE_DIR, `${PACKAGE_JSON.name}-${PACKAGE_JSON.version.replace('-', '~')}-1.x86_64.rpm`), deb: join(PACKAGE_DIR, `${PACKAGE_JSON.name}_${PACKAGE_JSON.version.replace('-', '~')}_amd64.deb`) };
  for (let tries = 0; ; tries++) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || tries > 6000) throw error;
      await sleep(100);
    }
  }
  try {
    if (!upToDate([packages.rpm, packages.deb])) {
      const result = await run(process.execPath, [join(ROOT, 'scripts', 'package.mjs')], { timeoutMs: 600_000, cwd: ROOT, all: true });
      if (!result.ok) throw new Error(`npm run package failed: ${result.stderr || result.stdout}`);
    }
  } finally {
    rmdirSync(LOCK);
  }
  return packages;
}
