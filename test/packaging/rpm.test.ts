/**
 * The RPM of `npm run package`, as rpm and rpmlint see it, and its payload unpacked into a
 * temporary root (rpm2cpio | cpio), where the agents must run.
 */
import { existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../lib/process/run.js';
import { parseMetadata } from '../../packaging/man-page.js';
import { ocfEnv, ROOT } from '../helpers/built.js';
import { validateMetadata } from '../helpers/metadata.js';
import { createMasterFixture, type MasterFixture } from '../helpers/moosefs.js';
import { ensurePackages, PACKAGE_JSON, PACKAGE_VERSION, type Packages, type Program } from './packages.js';

let packages: Packages;
let programs: Program[];
let payload: string;
let fixture: MasterFixture;

async function rpmQuery(...args: string[]): Promise<string> {
  const result = await run('rpm', ['-qp', ...args, packages.rpm], { timeoutMs: 60_000 });
  expect(result.exitCode, result.stderr).toBe(0);
  return result.stdout;
}

beforeAll(async () => {
  packages = await ensurePackages();
  programs = packages.programs;
  payload = mkdtempSync('/tmp/mfs-ocf-rpm-payload-');
  // The payload as rpm would install it, into a temporary root (the pipe is the shell's, the file an argument).
  const unpacked = await run('sh', ['-c', 'rpm2cpio "$1" | cpio -idm --quiet', 'sh', packages.rpm], { cwd: payload, timeoutMs: 120_000 });
  expect(unpacked.exitCode, unpacked.stderr).toBe(0);
  fixture = await createMasterFixture();
}, 1_200_000);

afterAll(async () => {
  if (payload) rmSync(payload, { recursive: true, force: true });
  await fixture?.cleanup();
});

describe('the RPM', () => {
  it('is named and versioned from package.json', async () => {
    const info = await rpmQuery('--qf', '%{NAME}|%{VERSION}|%{RELEASE}|%{ARCH}|%{LICENSE}|%{SUMMARY}');
    expect(info.split('|')).toEqual([PACKAGE_JSON.name, PACKAGE_VERSION, '1', 'x86_64', PACKAGE_JSON.license, expect.stringMatching(/MooseFS/)]);
    expect(await rpmQuery('-i')).toMatch(/^Description :\n.*no\s+Node\.js/ms);
  });

  it('installs exactly the executable, a link per program, a man page per program, license and changelog, all root-owned', async () => {
    const listing = await rpmQuery('--qf', '[%{FILEMODES:perms} %{FILEUSERNAME}:%{FILEGROUPNAME} %{FILENAMES} %{FILELINKTOS}\n]');
    const files = new Map(
      listing.split('\n').map((line) => {
        const [mode, owner, path, target] = line.split(' ');
        return [path!, { mode, owner, target }];
      }),
    );
    const agents = programs.filter((program) => program.kind === 'agent');
    const tools = programs.filter((program) => program.kind === 'tool');
    expect(agents.length).toBeGreaterThan(0);
    const expected = [
      '/usr/lib/mfs-ocf',
      '/usr/lib/mfs-ocf/mfs-ocf',
      '/usr/lib/ocf/resource.d/mfs',
      ...agents.flatMap(({ name }) => [`/usr/lib/ocf/resource.d/mfs/${name}`, `/usr/share/man/man7/ocf_mfs_${name}.7.gz`]),
      ...tools.flatMap(({ name }) => [`/usr/bin/${name}`, `/usr/share/man/man1/${name}.1.gz`]),
      '/usr/share/doc/mfs-ocf',
      '/usr/share/doc/mfs-ocf/CHANGELOG.md',
      '/usr/share/licenses/mfs-ocf',
      '/usr/share/licenses/mfs-ocf/LICENSE',
    ];
    expect([...files.keys()].sort()).toEqual(expected.sort());
    for (const [path, file] of files) expect(file.owner, path).toBe('root:root');
    expect(files.get('/usr/lib/mfs-ocf/mfs-ocf')?.mode).toBe('-rwxr-xr-x');
    for (const { name } of agents) expect(files.get(`/usr/lib/ocf/resource.d/mfs/${name}`)).toMatchObject({ mode: 'lrwxrwxrwx', target: '../../../mfs-ocf/mfs-ocf' });
    for (const { name } of tools) expect(files.get(`/usr/bin/${name}`)).toMatchObject({ mode: 'lrwxrwxrwx', target: '../lib/mfs-ocf/mfs-ocf' });
  });

  it('depends on no Node.js and nothing under the build directory; needs glibc 2.28 at most (RHEL 8)', async () => {
    const requires = (await rpmQuery('--requires')).split('\n');
    expect(requires).toContain('resource-agents');
    for (const requirement of requires) {
      expect(requirement).not.toMatch(/node|npm/i);
      expect(requirement).not.toContain(ROOT);
      expect(requirement).not.toMatch(/^\//);
    }
    const glibc = requires.flatMap((requirement) => /\(GLIBC_([\d.]+)\)/.exec(requirement)?.[1] ?? []);
    expect(glibc).toContain('2.28');
    const newest = glibc.map((version) => version.split('.').map(Number)).sort((a, b) => (b[0]! - a[0]!) || ((b[1] ?? 0) - (a[1] ?? 0)))[0];
    expect(newest, 'the binary must run on glibc 2.28 (RHEL/Alma/Rocky 8)').toEqual([2, 28]);
    expect(requires.join('\n')).toMatch(/^libstdc\+\+\.so\.6\(GLIBCXX_3\.4\.\d+\)\(64bit\)$/m);
    expect((await rpmQuery('--recommends')).split('\n')).toContain('moosefs-master');
    expect((await rpmQuery('--suggests')).split('\n')).toEqual(expect.arrayContaining(['drbd-utils', 'moosefs-metalogger']));
    expect(await rpmQuery('--provides')).not.toMatch(/\.so/);
  });

  it('has no scriptlet (upgrade and removal restart nothing) and a changelog', async () => {
    expect(await rpmQuery('--scripts')).toBe('');
    expect(await rpmQuery('--triggers')).toBe('');
    expect(await rpmQuery('--changelog')).toContain(`- ${PACKAGE_VERSION}-1`);
  });

  it('passes rpmlint with no error and no warning beyond the explained filters', async () => {
    const result = await run('rpmlint', ['-c', join(ROOT, 'packaging', 'rpmlint.toml'), packages.rpm], { timeoutMs: 300_000 });
    expect(result.stdout, result.stdout).toMatch(/1 packages and 0 specfiles checked; 0 errors, 0 warnings/);
    expect(result.exitCode).toBe(0);
  });
});

describe('the RPM installed by rpm into a temporary root', () => {
  it('rpm -i installs it (no scriptlet), its agents run there, and rpm -e removes every file and directory it owns', async () => {
    const root = mkdtempSync('/tmp/mfs-ocf-rpm-root-');
    const rpm = async (...args: string[]) => {
      const result = await run('rpm', ['--root', root, ...args], { timeoutMs: 120_000 });
      expect(result.exitCode, `rpm ${args.join(' ')}: ${result.stderr}`).toBe(0);
      return result.stdout;
    };
    try {
      await rpm('--initdb');
      // --nodeps: the temporary root has no glibc or resource-agents of its own.
      await rpm('-i', '--nodeps', packages.rpm);
      const owned = (await rpm('-ql', PACKAGE_JSON.name)).split('\n');
      expect(owned).toContain('/usr/lib/mfs-ocf/mfs-ocf');
      for (const path of owned) expect(() => lstatSync(join(root, path)), path).not.toThrow();
      for (const { name } of programs.filter((program) => program.kind === 'agent')) {
        const metadata = await run(join(root, 'usr', 'lib', 'ocf', 'resource.d', 'mfs', name), ['meta-data'], { env: ocfEnv({}), timeoutMs: 30_000 });
        expect(metadata.exitCode, metadata.stderr).toBe(0);
        expect((await parseMetadata(metadata.stdout)).name).toBe(name);
      }
      await rpm('-e', PACKAGE_JSON.name);
      expect(owned.filter((path) => existsSync(join(root, path)))).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('the RPM payload, unpacked', () => {
  it('holds the agents of the built executable, which run from the unpacked root', async () => {
    const binary = join(payload, 'usr', 'lib', 'mfs-ocf', 'mfs-ocf');
    expect(lstatSync(binary).mode & 0o777).toBe(0o755);
    const listed = await run(binary, ['--programs'], { timeoutMs: 30_000 });
    expect(JSON.parse(listed.stdout)).toEqual(programs);
    for (const { name } of programs.filter((program) => program.kind === 'agent')) {
      const link = join(payload, 'usr', 'lib', 'ocf', 'resource.d', 'mfs', name);
      expect(readlinkSync(link)).toBe('../../../mfs-ocf/mfs-ocf');
      expect(realpathSync(link)).toBe(binary);
      const unpacked = await run(link, ['meta-data'], { env: ocfEnv({}), timeoutMs: 30_000 });
      expect(unpacked.exitCode).toBe(0);
      expect((await parseMetadata(unpacked.stdout)).name).toBe(name);
      await validateMetadata(unpacked.stdout);
      // The man page documents every parameter of that meta-data.
      const page = gunzipSync(readFileSync(join(payload, 'usr', 'share', 'man', 'man7', `ocf_mfs_${name}.7.gz`))).toString('utf8');
      for (const parameter of (await parseMetadata(unpacked.stdout)).parameters) expect(page).toContain(`\\fB${parameter.name.replace(/-/g, '\\-')}\\fR`);
    }
  });

  it('the unpacked mfsmaster probes a real configuration: not running, then running', async () => {
    const mfsmaster = join(payload, 'usr', 'lib', 'ocf', 'resource.d', 'mfs', 'mfsmaster');
    const probe = (extra: Record<string, string> = {}) =>
      run(mfsmaster, ['monitor'], { env: { PATH: process.env.PATH, ...ocfEnv(fixture.params, { OCF_RESKEY_CRM_meta_interval: '0', ...extra }) }, extendEnv: false, timeoutMs: 60_000 });
    expect((await probe()).exitCode).toBe(7);
    const start = await run(mfsmaster, ['start'], { env: { PATH: process.env.PATH, ...ocfEnv(fixture.params) }, extendEnv: false, timeoutMs: 130_000 });
    expect(start.exitCode, start.stderr).toBe(0);
    expect(fixture.masterPid()).toBeGreaterThan(0);
    expect((await probe()).exitCode).toBe(0);
    const stop = await run(mfsmaster, ['stop'], { env: { PATH: process.env.PATH, ...ocfEnv(fixture.params) }, extendEnv: false, timeoutMs: 130_000 });
    expect(stop.exitCode, stop.stderr).toBe(0);
    expect(fixture.masterPid()).toBeUndefined();
    expect(existsSync(join(fixture.dataPath, 'metadata.mfs'))).toBe(true);
  });
});
