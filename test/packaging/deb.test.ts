/**
 * The .deb of `npm run package`: lintian, then really installed with dpkg on this machine
 * (under the lock on /usr/lib/ocf/resource.d/mfs shared with other tests): crmsh lists and
 * describes the agents, ocf-tester passes on the installed agent against a real master, the
 * installed agents run with Node.js hidden, a reinstall leaves a running master alone, and
 * `dpkg -r` removes every file it installed.
 */
import { chmodSync, existsSync, lstatSync, mkdtempSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, type RunResult } from '../../lib/process/run.js';
import { parseMetadata } from '../../packaging/man-page.js';
import { ocfEnv } from '../helpers/built.js';
import { OCF_PROVIDER_DIR, withProviderDirectory } from '../helpers/installed-agents.js';
import { createMasterFixture, type MasterFixture } from '../helpers/moosefs.js';
import { ensurePackages, PACKAGE_JSON, PACKAGE_VERSION, type Packages, type Program } from './packages.js';

const INSTALLED_BINARY = '/usr/lib/mfs-ocf/mfs-ocf';
const MFSMASTER = `${OCF_PROVIDER_DIR}/mfsmaster`;

let packages: Packages;
let programs: Program[];
let fixture: MasterFixture;
let scratch: string;

beforeAll(async () => {
  packages = await ensurePackages();
  programs = packages.programs;
  fixture = await createMasterFixture();
  scratch = mkdtempSync('/tmp/mfs-ocf-deb-');
}, 1_200_000);

afterAll(async () => {
  await fixture?.cleanup();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

async function ok(file: string, args: string[], timeoutMs = 120_000): Promise<RunResult> {
  const result = await run(file, args, { timeoutMs, all: true });
  expect(result.exitCode, `${result.command}: ${result.stderr}`).toBe(0);
  return result;
}

async function installedStatus(): Promise<string> {
  return (await run('dpkg-query', ['-W', '-f=${Status}', PACKAGE_JSON.name], { timeoutMs: 30_000 })).stdout;
}

/** Every `node` executable the PATH of this machine reaches. */
function nodeExecutables(): string[] {
  const found = (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'node')).filter((path) => existsSync(path));
  return [...new Set([...found, process.execPath].map((path) => realpathSync(path)))];
}

/**
 * Runs a command in a private mount namespace where every node executable is bind-mounted
 * over by an empty, non-executable file: as on a node with no Node.js installed.
 */
function withoutNode(file: string, args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  const empty = join(scratch, 'no-node');
  writeFileSync(empty, '');
  chmodSync(empty, 0o600);
  const script = 'empty=$1; shift; while [ "$1" != -- ]; do mount --bind "$empty" "$1" || exit 99; shift; done; shift; exec "$@"';
  return run('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', script, 'sh', empty, ...nodeExecutables(), '--', file, ...args], {
    env: { PATH: process.env.PATH, ...env },
    extendEnv: false,
    timeoutMs: 130_000,
  });
}

describe('the .deb', () => {
  it('passes lintian with no error and no warning (overrides explained in packaging/deb/lintian-overrides)', async () => {
    const result = await run('lintian', ['--fail-on', 'error,warning', packages.deb], { timeoutMs: 300_000, all: true });
    const tags = result.stderr.split('\n').filter((line) => /^[EWX]: /.test(line));
    expect(tags).toEqual([]);
    expect(result.exitCode, result.stderr).toBe(0);
  });

  it('declares its dependencies as an admin expects and has no maintainer scripts', async () => {
    const field = async (name: string) => (await ok('dpkg-deb', ['-f', packages.deb, name])).stdout;
    expect(await field('Package')).toBe(PACKAGE_JSON.name);
    expect(await field('Version')).toBe(PACKAGE_VERSION);
    expect(await field('Architecture')).toBe('amd64');
    const depends = await field('Depends');
    expect(depends).not.toMatch(/node/i);
    expect(depends).toMatch(/\blibc6 \(>= 2\.\d+\)/);
    expect(depends).toMatch(/\bresource-agents\b/);
    expect(await field('Recommends')).toMatch(/\bmoosefs-master\b/);
    expect(await field('Suggests')).toMatch(/\bdrbd-utils\b/);
    const control = (await ok('dpkg-deb', ['--info', packages.deb])).stdout;
    const members = control.split('\n').flatMap((line) => /^\s+\d+ bytes,\s+\d+ lines\s+(\S+)/.exec(line)?.[1] ?? []);
    expect(members.sort()).toEqual(['control', 'md5sums']);
  });

  it('installs, serves crmsh and ocf-tester, runs without Node.js, survives a reinstall, and is removed completely', async () => {
    await withProviderDirectory(async () => {
      if ((await installedStatus()).includes('installed')) await ok('dpkg', ['-r', PACKAGE_JSON.name]);
      if (existsSync(OCF_PROVIDER_DIR)) throw new Error(`${OCF_PROVIDER_DIR} exists already and belongs to no package: remove it first`);
      const contents = (await ok('dpkg-deb', ['-c', packages.deb])).stdout
        .split('\n')
        .map((line) => /^(\S)\S+ \S+\s+\d+ \S+ \S+ \.(\/\S*?)\/?(?: -> .*)?$/.exec(line))
        .filter((match) => match !== null)
        .map(([, type, path]) => ({ type: type!, path: path! }));
      const installedFiles = contents.filter((entry) => entry.type !== 'd').map((entry) => entry.path);
      expect(installedFiles).toContain(INSTALLED_BINARY);

      await ok('dpkg', ['-i', packages.deb], 300_000);
      try {
        expect(await installedStatus()).toBe('install ok installed');
        const binary = statSync(INSTALLED_BINARY);
        expect([binary.uid, binary.gid, binary.mode & 0o7777]).toEqual([0, 0, 0o755]);
        expect(JSON.parse((await ok(INSTALLED_BINARY, ['--programs'], 30_000)).stdout)).toEqual(programs);
        const agents = programs.filter((program) => program.kind === 'agent');
        expect(agents.map((agent) => agent.name)).toEqual(expect.arrayContaining(['mfsmaster', 'mfs-drbd-store', 'mfs-metarestore']));
        for (const { name } of agents) {
          const path = `${OCF_PROVIDER_DIR}/${name}`;
          expect(lstatSync(path).isSymbolicLink()).toBe(true);
          expect(realpathSync(path)).toBe(INSTALLED_BINARY);
        }
        for (const { name } of programs.filter((program) => program.kind === 'tool')) {
          await ok(name, ['--help'], 30_000);
          expect((await ok('man', ['-w', name], 30_000)).stdout).toBe(`/usr/share/man/man1/${name}.1.gz`);
        }

        // crmsh finds the agents and reads their meta-data from the installed executable.
        const list = await ok('crm', ['ra', 'list', 'ocf', 'mfs'], 60_000);
        for (const { name } of agents) expect(list.stdout).toMatch(new RegExp(`(^|\\s)${name}(\\s|$)`, 'm'));
        const metadata = await parseMetadata((await ok(MFSMASTER, ['meta-data'], 30_000)).stdout);
        const info = await ok('crm', ['ra', 'info', 'ocf:mfs:mfsmaster'], 60_000);
        expect(info.stdout).toContain(`${metadata.shortdesc} (ocf:mfs:mfsmaster)`);
        for (const parameter of metadata.parameters) expect(info.stdout).toMatch(new RegExp(`^${parameter.name} \\(${parameter.type}`, 'm'));
        const pcs = await ok('pcs', ['resource', 'describe', 'ocf:mfs:mfsmaster'], 60_000);
        expect(pcs.stdout).toContain(`ocf:mfs:mfsmaster - ${metadata.shortdesc}`);
        for (const parameter of metadata.parameters) expect(pcs.stdout).toMatch(new RegExp(`^ +${parameter.name}( \\(\\w+\\))*:`, 'm'));
        expect((await ok('man', ['-w', 'ocf_mfs_mfsmaster'], 30_000)).stdout).toBe('/usr/share/man/man7/ocf_mfs_mfsmaster.7.gz');

        // resource-agents' own test of an agent, on the installed one, against a real master.
        const tester = await run('ocf-tester', ['-n', 'mfs', '-o', `config=${fixture.configFile}`, MFSMASTER], { timeoutMs: 300_000, all: true });
        expect(tester.stderr, tester.stderr).toMatch(/mfsmaster passed all tests/);
        expect(tester.exitCode).toBe(0);
        expect(fixture.masterPid()).toBeUndefined();

        // With no Node.js on the machine: the namespace really hides it, and the agents still work.
        expect((await run('node', ['--version'], { timeoutMs: 30_000 })).stdout).toMatch(/^v\d+/);
        const hidden = await withoutNode('node', ['--version']);
        expect(hidden.stdout).toBe('');
        expect(hidden.exitCode, hidden.stderr).toBe(126);
        const env = ocfEnv(fixture.params);
        const probeEnv = ocfEnv(fixture.params, { OCF_RESKEY_CRM_meta_interval: '0' });
        for (const { name } of agents) {
          const withNode = await ok(`${OCF_PROVIDER_DIR}/${name}`, ['meta-data'], 30_000);
          const withoutIt = await withoutNode(`${OCF_PROVIDER_DIR}/${name}`, ['meta-data'], ocfEnv({}));
          expect(withoutIt.exitCode, withoutIt.stderr).toBe(0);
          expect(withoutIt.stdout).toBe(withNode.stdout);
        }
        expect((await withoutNode(MFSMASTER, ['monitor'], probeEnv)).exitCode).toBe(7);
        const start = await withoutNode(MFSMASTER, ['start'], env);
        expect(start.exitCode, start.stderr).toBe(0);
        const master = fixture.masterPid();
        expect(master).toBeGreaterThan(0);
        expect((await withoutNode(MFSMASTER, ['monitor'], probeEnv)).exitCode).toBe(0);

        // An upgrade (here: the same package again) leaves the running master alone.
        await ok('dpkg', ['-i', packages.deb], 300_000);
        expect(fixture.masterPid()).toBe(master);
        expect((await withoutNode(MFSMASTER, ['monitor'], probeEnv)).exitCode).toBe(0);

        const stop = await withoutNode(MFSMASTER, ['stop'], env);
        expect(stop.exitCode, stop.stderr).toBe(0);
        expect(fixture.masterPid()).toBeUndefined();
      } finally {
        await run('dpkg', ['-r', PACKAGE_JSON.name], { timeoutMs: 300_000 });
      }

      expect(await installedStatus()).not.toContain('installed');
      const left = installedFiles.filter((path) => {
        try {
          lstatSync(path);
          return true;
        } catch {
          return false;
        }
      });
      expect(left).toEqual([]);
      for (const dir of [OCF_PROVIDER_DIR, '/usr/lib/mfs-ocf', `/usr/share/doc/${PACKAGE_JSON.name}`]) expect(existsSync(dir), dir).toBe(false);
    });
  }, 900_000);
});
