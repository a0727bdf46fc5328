/**
 * Builds each tested MooseFS version that Debian does not ship (today 4.59.2) from its source
 * tarball in ../shared/vendor into a prefix of its own, never over Debian's binaries.
 * Idempotent: a prefix whose recorded tarball sha256 matches is left as it is (about one
 * minute when it must build: configure 12 s, make -j2 43 s). The test command and the demo
 * run it:  node scripts/run-ts.mjs scripts/build-moosefs.ts
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseProgramVersion } from '../lib/moosefs/master-program.js';
import { describeOutcome, run } from '../lib/process/run.js';
import { ALL_MOOSEFS, mfsProgram, type MooseFsInstall } from '../test/helpers/moosefs-versions.js';

const STAMP = '.mfs-ocf-source.sha256';

async function must(what: string, file: string, args: string[], options: { cwd?: string; timeoutMs: number; env?: Record<string, string> }): Promise<void> {
  const result = await run(file, args, { ...options, all: true });
  if (!result.ok) {
    process.stderr.write(`${result.stderr.split('\n').slice(-30).join('\n')}\n`);
    throw new Error(`${what} failed: ${describeOutcome(result)}`);
  }
}

async function installedVersion(mfs: MooseFsInstall): Promise<string | undefined> {
  const result = await run(mfsProgram(mfs, 'mfsmaster'), ['-v'], { timeoutMs: 5000 });
  return parseProgramVersion(`${result.stdout}\n${result.stderr}`)?.text;
}

async function build(mfs: MooseFsInstall & { source: NonNullable<MooseFsInstall['source']> }): Promise<void> {
  const { tarball, prefix } = mfs.source;
  if (!existsSync(tarball)) throw new Error(`${tarball} is missing: MooseFS ${mfs.version} cannot be built (it comes with ../shared/vendor)`);
  const sha256 = createHash('sha256').update(readFileSync(tarball)).digest('hex');
  const stamp = join(prefix, STAMP);
  if (existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === sha256 && (await installedVersion(mfs)) === mfs.version) {
    console.log(`MooseFS ${mfs.version}: built from this source already (${prefix})`);
    return;
  }
  const started = Date.now();
  const work = mkdtempSync('/tmp/mfs-ocf-build-moosefs-');
  try {
    console.log(`MooseFS ${mfs.version}: building from ${tarball} into ${prefix}`);
    await must('tar', 'tar', ['-xzf', tarball, '-C', work], { timeoutMs: 120_000 });
    const source = join(work, `moosefs-${mfs.version}`);
    rmSync(prefix, { recursive: true, force: true });
    // PYTHON keeps mfscli's shebang off a user's Python shim; no systemd units or GUI outside the prefix.
    await must('configure', './configure', [
      `--prefix=${prefix}`, `--sysconfdir=${prefix}/etc`, `--localstatedir=${prefix}/var`,
      '--with-default-user=mfs', '--with-default-group=mfs', '--with-systemdsystemunitdir=no', '--disable-mfsgui', '--disable-mfscgi',
    ], { cwd: source, timeoutMs: 300_000, env: { PYTHON: '/usr/bin/python3' } });
    await must('make', 'make', ['-j2'], { cwd: source, timeoutMs: 1_200_000 });
    await must('make install', 'make', ['install'], { cwd: source, timeoutMs: 300_000 });
    const version = await installedVersion(mfs);
    if (version !== mfs.version) throw new Error(`${mfsProgram(mfs, 'mfsmaster')} -v says ${version ?? 'nothing readable'}, not ${mfs.version}`);
    writeFileSync(stamp, `${sha256}\n`);
    console.log(`MooseFS ${mfs.version}: built in ${Math.round((Date.now() - started) / 1000)} s`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

for (const mfs of ALL_MOOSEFS) {
  if (mfs.source) await build({ ...mfs, source: mfs.source });
  else if ((await installedVersion(mfs)) !== mfs.version) {
    throw new Error(`${mfsProgram(mfs, 'mfsmaster')} is not MooseFS ${mfs.version} (Debian's moosefs-master): the suite tests exactly that version`);
  }
}
