/**
 * ocf:mfs:mfsmaster and durability (issue 9): CHANGELOG_SAVE_MODE against the required level,
 * torn changelogs repaired before recovery, and the recovered version checked.
 */
import { appendFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Deadline } from '../../lib/runtime/deadline.js';
import { ASIDE_DIRECTORY, inspectChangelog } from '../../lib/moosefs/changelog.js';
import { signalProcess, waitForExit } from '../../lib/process/proc.js';
import { run } from '../../lib/process/run.js';
import { chownToMfs, mountClient, unmountClient, masterAgent, masterFixtures, type MasterFixture, type MasterFixtureOptions } from '../helpers/moosefs.js';
import { DEBIAN_MOOSEFS, MOOSEFS, mfsProgram, type MooseFsInstall } from '../helpers/moosefs-versions.js';

const fixtures = masterFixtures();
/** A fixture factory for one MooseFS version. Tests that start no daemon use Debian's programs only. */
const forVersion = (moosefs: MooseFsInstall) => (options: MasterFixtureOptions = {}) => fixtures({ moosefs, ...options });
const agent = masterAgent;

/** Makes entries through a FUSE client, then crashes the master (SIGKILL). */
async function writeThenCrash(f: MasterFixture, count: number): Promise<string[]> {
  const mount = await mountClient(f);
  const names = Array.from({ length: count }, (_, i) => `entry-${i}`);
  for (const name of names) mkdirSync(join(mount, name));
  await unmountClient(mount);
  const pid = f.masterPid()!;
  signalProcess(pid, 'SIGKILL');
  expect(await waitForExit([pid], new Deadline(5000))).toBe(true);
  return names;
}

async function entries(f: MasterFixture, name: string): Promise<string[]> {
  const mount = await mountClient(f, name);
  const seen = readdirSync(mount).filter((n) => n.startsWith('entry-')).sort();
  await unmountClient(mount);
  return seen;
}

describe('mfsmaster: CHANGELOG_SAVE_MODE against the durability required', () => {
  const fixture = forVersion(DEBIAN_MOOSEFS);

  it('refuses mode 0 under the default durability, naming the setting and the value needed', async () => {
    const f = await fixture({ config: { CHANGELOG_SAVE_MODE: 0 } });
    for (const action of ['validate-all', 'start']) {
      const result = await agent(f, action);
      expect(result.name, action).toBe('OCF_ERR_CONFIGURED');
      expect(result.exitReason).toContain(`${f.configFile}: CHANGELOG_SAVE_MODE = 0 does not give durability=process: set CHANGELOG_SAVE_MODE = 1 or higher`);
    }
    expect(f.masterPid()).toBeUndefined();
    const power = await agent(f, 'validate-all', { durability: 'power' });
    expect(power.exitReason).toContain('set CHANGELOG_SAVE_MODE = 2 or higher');
  });
});

describe.each(MOOSEFS)('mfsmaster: CHANGELOG_SAVE_MODE at start, MooseFS $version', (moosefs) => {
  const fixture = forVersion(moosefs);

  it('starts mode 0 when the admin requires no durability, and says once what is at risk', async () => {
    const f = await fixture({ config: { CHANGELOG_SAVE_MODE: 0 } });
    const start = await agent(f, 'start', { durability: 'none' });
    expect(start.name, start.stderr).toBe('OCF_SUCCESS');
    expect(start.stderr.match(/WARNING: .*CHANGELOG_SAVE_MODE = 0: the master acknowledges changes before writing them/g)).toHaveLength(1);
    const monitor = await agent(f, 'monitor', { durability: 'none' }, { OCF_RESKEY_CRM_meta_interval: '10000' });
    expect(monitor.name).toBe('OCF_SUCCESS');
    expect(monitor.stderr).not.toContain('WARNING');
  });

  it('warns at start, not at monitor, that mode 1 does not survive a power loss', async () => {
    const f = await fixture();
    const start = await agent(f, 'start');
    expect(start.name).toBe('OCF_SUCCESS');
    expect(start.stderr).toMatch(/WARNING: .*CHANGELOG_SAVE_MODE = 1: .*power loss/);
    expect((await agent(f, 'monitor', {}, { OCF_RESKEY_CRM_meta_interval: '10000' })).stderr).toBe('');
  });
});

describe.each(MOOSEFS)('mfsmaster: recovery from torn changelogs, MooseFS $version', (moosefs) => {
  const fixture = forVersion(moosefs);

  it('repairs a changelog whose writer died mid-line, where plain mfsmaster -a loses the whole file', async () => {
    const f = await fixture();
    expect((await agent(f, 'start')).name).toBe('OCF_SUCCESS');
    const names = await writeThenCrash(f, 30);
    const changelog = join(f.dataPath, 'changelog.0.mfs');
    const whole = readFileSync(changelog);
    const lastVersion = inspectChangelog(changelog).lastCompleteVersion!;
    appendFileSync(changelog, `${lastVersion + 1n}: 1795456999|CREATE(1,entry-torn`);

    // The same files, recovered by the program alone: the torn file is skipped entirely.
    const plain = await fixture();
    cpSync(f.dataPath, plain.dataPath, { recursive: true });
    await chownToMfs(plain.dataPath);
    for (const name of readdirSync(plain.dataPath)) await chownToMfs(join(plain.dataPath, name));
    const program = await run(mfsProgram(moosefs, 'mfsmaster'), ['-c', plain.configFile, '-x', '-a', 'start'], { timeoutMs: 30_000, all: true });
    expect(program.exitCode, program.stderr).toBe(0);
    expect(program.stderr).toMatch(/skipping changelog file: changelog\.0\.mfs/);
    expect(await entries(plain, 'mnt-plain')).toEqual([]);

    // Through the agent: the partial line is cut, the original kept, nothing acknowledged lost.
    const start = await agent(f, 'start');
    expect(start.name, start.stderr).toBe('OCF_SUCCESS');
    expect(start.stderr).toMatch(
      new RegExp(`WARNING: ${changelog}: its last line was partial .*cut \\d+ byte\\(s\\), original kept as .*${ASIDE_DIRECTORY}/changelog\\.0\\.mfs\\.torn-.*; last complete change: version ${lastVersion}`),
    );
    expect(start.stderr).toMatch(/INFO: recovery reached metadata version \d+ \(newest complete changelog line: \d+\)/);
    const kept = readdirSync(join(f.dataPath, ASIDE_DIRECTORY));
    expect(kept).toHaveLength(1);
    expect(readFileSync(join(f.dataPath, ASIDE_DIRECTORY, kept[0]!)).subarray(0, whole.length).equals(whole)).toBe(true);
    expect(await entries(f, 'mnt-agent')).toEqual([...names].sort());
  });

  it('fails loudly, and leaves every file, when the recovery does not reach the newest complete change', async () => {
    const f = await fixture();
    expect((await agent(f, 'start')).name).toBe('OCF_SUCCESS');
    await writeThenCrash(f, 5);
    // A changelog the program will skip (it does not start with a version) but whose lines are newer.
    const skipped = join(f.dataPath, 'changelog_ml.3.mfs');
    writeFileSync(skipped, 'garbage that is not a change\n100000: 1795456999|SESSION():7\n');
    await chownToMfs(skipped);
    const before = readdirSync(f.dataPath).sort();
    const start = await agent(f, 'start');
    expect(start.name).toBe('OCF_ERR_GENERIC');
    expect(start.exitReason).toMatch(/recovered metadata version \d+ does not reach version 100000 of the newest complete changelog line \(.*changelog_ml\.3\.mfs.*\): refusing to serve metadata that may be older; the master was killed and every file left in place$/);
    expect(f.masterPid()).toBeUndefined();
    for (const name of before.filter((n) => n.startsWith('changelog') || n.startsWith('metadata'))) expect(existsSync(join(f.dataPath, name)), name).toBe(true);
  });
});
