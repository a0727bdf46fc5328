/**
 * ocf:mfs:mfsmaster through the built executable, against the real mfsmaster on loopback ports.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, writeFileSync, chownSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Deadline } from '../../lib/runtime/deadline.js';
import { OCF } from '../../lib/ocf/exit-codes.js';
import { liveProcess, signalProcess, waitForExit } from '../../lib/process/proc.js';
import { ocfEnv, runAgent } from '../helpers/built.js';
import { chownToMfs, masterAgent, masterFixtures, mountClient, unmountClient, type MasterFixtureOptions } from '../helpers/moosefs.js';
import { DEBIAN_MOOSEFS, MOOSEFS, type MooseFsInstall } from '../helpers/moosefs-versions.js';
import { validateMetadata } from '../helpers/metadata.js';

const fixtures = masterFixtures();
/** A fixture factory for one MooseFS version. Tests that start no daemon use Debian's programs only. */
const forVersion = (moosefs: MooseFsInstall) => (options: MasterFixtureOptions = {}) => fixtures({ moosefs, ...options });
const agent = masterAgent;

const recurring = { OCF_RESKEY_CRM_meta_interval: '10000' };

describe('mfsmaster: meta-data and dispatch', () => {
  const fixture = forVersion(DEBIAN_MOOSEFS);

  it('prints meta-data valid for ocf-tester and resource-agents', async () => {
    const f = await fixture();
    const result = await agent(f, 'meta-data');
    expect(result.code).toBe(OCF.SUCCESS);
    await validateMetadata(result.stdout);
    for (const name of ['config', 'binary', 'allow_empty_init']) expect(result.stdout).toContain(`<parameter name="${name}"`);
  });

  it('answers no action with usage and OCF_ERR_ARGS, an unknown one with OCF_ERR_UNIMPLEMENTED', async () => {
    const f = await fixture();
    const none = await runAgent('mfsmaster', undefined, ocfEnv(f.params));
    expect(none.code).toBe(OCF.ERR_ARGS);
    expect(none.stderr).toContain('usage: mfsmaster {start|stop|monitor|reload|validate-all|meta-data|usage}');
    expect((await agent(f, 'migrate_to')).code).toBe(OCF.ERR_UNIMPLEMENTED);
  });
});

describe.each(MOOSEFS)('mfsmaster: life cycle, MooseFS $version', (moosefs) => {
  const fixture = forVersion(moosefs);

  it('starts, monitors at every depth, starts again, stops, stops again', async () => {
    const f = await fixture();
    expect((await agent(f, 'monitor')).name).toBe('OCF_NOT_RUNNING');
    expect((await agent(f, 'validate-all')).name).toBe('OCF_SUCCESS');

    const start = await agent(f, 'start');
    expect(start.name, start.stderr).toBe('OCF_SUCCESS');
    const pid = f.masterPid();
    expect(pid).toBeDefined();
    expect(start.stderr).toMatch(new RegExp(`mfsmaster\\(test\\)\\[\\d+\\]: INFO: mfsmaster started \\(pid ${pid}\\)`));

    for (const level of ['0', '10', '20']) {
      const monitor = await agent(f, 'monitor', {}, { ...recurring, OCF_CHECK_LEVEL: level, HA_debug: '1' });
      expect(monitor.name, `level ${level}: ${monitor.stderr}`).toBe('OCF_SUCCESS');
      // The version is the one the master itself reports in its CLTOMA_INFO answer.
      if (level === '20') expect(monitor.stderr).toMatch(new RegExp(`DEBUG: mfsmaster ${moosefs.version.replaceAll('.', '\\.')} \\(pid ${pid}\\) at metadata version \\d+`));
    }
    expect((await agent(f, 'monitor')).name, 'probe of a running master').toBe('OCF_SUCCESS');

    const again = await agent(f, 'start');
    expect(again.name).toBe('OCF_SUCCESS');
    expect(again.stderr).toContain(`already running (pid ${pid})`);
    expect(f.masterPid()).toBe(pid);

    const stop = await agent(f, 'stop');
    expect(stop.name, stop.stderr).toBe('OCF_SUCCESS');
    expect(liveProcess(pid!)).toBeUndefined();
    expect(existsSync(join(f.dataPath, 'metadata.mfs')), 'a clean stop writes the metadata image').toBe(true);
    expect(stop.stderr).not.toContain('did not stop within');

    const stopAgain = await agent(f, 'stop');
    expect(stopAgain.name).toBe('OCF_SUCCESS');
    expect(stopAgain.stderr).toContain('mfsmaster is not running');
    expect((await agent(f, 'monitor', {}, recurring)).name).toBe('OCF_NOT_RUNNING');
  });

  it.each([
    [1, 'process', true],
    [2, 'power', true],
    [0, 'none', false],
  ] as const)('CHANGELOG_SAVE_MODE = %d: the stop ends the data writer at once only where the master writes its changelog itself; nothing is lost, no recovery follows', async (mode, durability, writerKilled) => {
    const f = await fixture({ config: { CHANGELOG_SAVE_MODE: mode } });
    expect((await agent(f, 'start', { durability })).name).toBe('OCF_SUCCESS');
    const mnt = await mountClient(f);
    mkdirSync(join(mnt, 'd'));
    for (let i = 0; i < 200; i++) writeFileSync(join(mnt, 'd', `f${i}`), '');
    await unmountClient(mnt);
    const stop = await agent(f, 'stop', { durability });
    expect(stop.name, stop.stderr).toBe('OCF_SUCCESS');
    expect(stop.stderr).not.toContain('did not stop within');
    if (writerKilled) expect(stop.stderr).toContain(`with SIGKILL: the data writer holds nothing with CHANGELOG_SAVE_MODE = ${mode}`);
    else expect(stop.stderr, 'mode 0: the writer holds changelog lines and ends gracefully').not.toContain('SIGKILL');
    expect(existsSync(join(f.dataPath, 'metadata.mfs')), 'the master wrote its image').toBe(true);
    const start = await agent(f, 'start', { durability });
    expect(start.name, start.stderr).toBe('OCF_SUCCESS');
    expect(start.stderr, 'a clean stop: no recovery').not.toMatch(/unclean stop|recover/);
    const again = await mountClient(f, 'again');
    expect(readdirSync(join(again, 'd'))).toHaveLength(200);
  });

  it('reloads a running master and refuses to reload a stopped one', async () => {
    const f = await fixture();
    expect((await agent(f, 'reload')).name).toBe('OCF_NOT_RUNNING');
    expect((await agent(f, 'start')).name).toBe('OCF_SUCCESS');
    const reload = await agent(f, 'reload');
    expect(reload.name, reload.stderr).toBe('OCF_SUCCESS');
    expect((await agent(f, 'monitor', {}, { ...recurring, OCF_CHECK_LEVEL: '20' })).name).toBe('OCF_SUCCESS');
  });

  it('reports a master that died as not running, and a deeper check failing as an error', async () => {
    const f = await fixture();
    expect((await agent(f, 'start')).name).toBe('OCF_SUCCESS');
    const pid = f.masterPid()!;
    // SIGSTOP: the process lives but does not answer: level 0 passes, level 20 fails.
    signalProcess(pid, 'SIGSTOP');
    try {
      expect((await agent(f, 'monitor', {}, recurring)).name).toBe('OCF_SUCCESS');
      const deep = await agent(f, 'monitor', {}, { ...recurring, OCF_CHECK_LEVEL: '20', OCF_RESKEY_CRM_meta_timeout: '3000' });
      expect(deep.name).toBe('OCF_ERR_GENERIC');
      expect(deep.exitReason).toContain('does not answer CLTOMA_INFO');
    } finally {
      signalProcess(pid, 'SIGCONT');
    }
    signalProcess(pid, 'SIGKILL');
    await waitForExit([pid], new Deadline(5000));
    expect((await agent(f, 'monitor', {}, recurring)).name).toBe('OCF_NOT_RUNNING');
  });
});

describe.each(MOOSEFS)('mfsmaster: recovery, MooseFS $version', (moosefs) => {
  const fixture = forVersion(moosefs);

  it('recovers after kill -9: what clients made before the crash is there after start', async () => {
    // Mode 1: every acknowledged change is in the changelog before the reply (MOOSEFS.md).
    const f = await fixture({ config: { CHANGELOG_SAVE_MODE: 1 } });
    expect((await agent(f, 'start')).name).toBe('OCF_SUCCESS');
    const mount = await mountClient(f);
    const names: string[] = [];
    for (let i = 0; i < 40; i++) {
      mkdirSync(join(mount, `dir-${i}`));
      writeFileSync(join(mount, `dir-${i}`, 'file'), '');
      renameSync(join(mount, `dir-${i}`, 'file'), join(mount, `dir-${i}`, `renamed-${i}`));
      names.push(`dir-${i}`);
    }
    await unmountClient(mount);

    const pid = f.masterPid()!;
    signalProcess(pid, 'SIGKILL');
    expect(await waitForExit([pid], new Deadline(5000))).toBe(true);
    expect(existsSync(join(f.dataPath, 'metadata.mfs'))).toBe(false);

    const start = await agent(f, 'start');
    expect(start.name, start.stderr).toBe('OCF_SUCCESS');
    expect(start.stderr).toMatch(/WARNING: unclean stop: no metadata\.mfs in .*; recovering from metadata\.mfs\.back.*changelog/);
    expect(start.stderr).toContain('mfsmaster recovered metadata and runs');

    const again = await mountClient(f, 'mnt-after');
    const seen = readdirSync(again).filter((n) => n.startsWith('dir-')).sort();
    expect(seen).toEqual([...names].sort());
    expect(readdirSync(join(again, 'dir-39'))).toEqual(['renamed-39']);
  });

  it('refuses to start on a DATA_PATH without metadata, unless allow_empty_init', async () => {
    const f = await fixture({ metadata: 'none' });
    const refused = await agent(f, 'start');
    expect(refused.name).toBe('OCF_ERR_INSTALLED');
    expect(refused.exitReason).toContain(`no metadata in DATA_PATH ${f.dataPath}`);
    expect(refused.exitReason).toContain('allow_empty_init=true');
    expect(f.masterPid()).toBeUndefined();
    expect(readdirSync(f.dataPath)).toEqual([]);

    const allowed = await agent(f, 'start', { allow_empty_init: 'true' });
    expect(allowed.name, allowed.stderr).toBe('OCF_SUCCESS');
    expect(allowed.stderr).toContain('created a NEW, EMPTY file system');
  });

  it('ignores a stale lock file whose PID belongs to another process', async () => {
    const f = await fixture();
    expect((await agent(f, 'start')).name).toBe('OCF_SUCCESS');
    expect((await agent(f, 'stop')).name).toBe('OCF_SUCCESS');
    writeFileSync(join(f.dataPath, '.mfsmaster.lock'), `${process.pid}\n`);
    await chownToMfs(join(f.dataPath, '.mfsmaster.lock'));
    expect((await agent(f, 'monitor', {}, recurring)).name).toBe('OCF_NOT_RUNNING');
    const start = await agent(f, 'start');
    expect(start.name, start.stderr).toBe('OCF_SUCCESS');
    expect(f.masterPid()).not.toBe(process.pid);
  });
});

describe('mfsmaster: refusals', () => {
  const fixture = forVersion(DEBIAN_MOOSEFS);

  it('refuses quickly and clearly when the client port is taken', async () => {
    const f = await fixture();
    const squatter: Server = createServer();
    await new Promise<void>((resolve) => squatter.listen(f.ports.client, '127.0.0.1', resolve));
    try {
      const started = performance.now();
      const result = await agent(f, 'start');
      expect(result.name).toBe('OCF_ERR_GENERIC');
      expect(result.exitReason).toContain(`127.0.0.1:${f.ports.client} (MATOCL_LISTEN_PORT in ${f.configFile}) is already in use`);
      expect(performance.now() - started).toBeLessThan(10_000);
      expect(f.masterPid()).toBeUndefined();
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it('reports a missing binary as not running to a probe and not installed to start', async () => {
    const f = await fixture();
    const params = { binary: '/nonexistent/sbin/mfsmaster' };
    expect((await agent(f, 'monitor', params)).name).toBe('OCF_NOT_RUNNING');
    const start = await agent(f, 'start', params);
    expect(start.name).toBe('OCF_ERR_INSTALLED');
    expect(start.exitReason).toBe('binary /nonexistent/sbin/mfsmaster is not installed or not executable (package moosefs-master)');
    expect((await agent(f, 'validate-all', params)).name).toBe('OCF_ERR_INSTALLED');
  });

  it('reports a missing configuration file as not running to a probe and not installed to start', async () => {
    const f = await fixture();
    const params = { config: join(f.dir, 'absent.cfg') };
    expect((await agent(f, 'monitor', params)).name).toBe('OCF_NOT_RUNNING');
    expect((await agent(f, 'start', params)).name).toBe('OCF_ERR_INSTALLED');
    expect((await agent(f, 'stop', params)).name).toBe('OCF_SUCCESS');
  });

  it.each([
    ['a space', (dir: string) => `${dir}/my config.cfg`],
    ['a semicolon', (dir: string) => `${dir}/mfsmaster.cfg;touch ${dir}/PWNED`],
    ['command substitution', (dir: string) => `${dir}/$(touch ${dir}/PWNED)`],
    ['backquotes', (dir: string) => `${dir}/\`touch ${dir}/PWNED\``],
    ['a relative path', () => 'mfsmaster.cfg'],
  ])('refuses a config parameter with %s and runs nothing', async (_case, value) => {
    const f = await fixture();
    for (const action of ['validate-all', 'start']) {
      const result = await agent(f, action, { config: value(f.dir) });
      expect(result.name, action).toBe('OCF_ERR_CONFIGURED');
      expect(result.exitReason).toMatch(/^parameter 'config' /);
    }
    expect(existsSync(join(f.dir, 'PWNED'))).toBe(false);
    expect(f.masterPid()).toBeUndefined();
  });

  it('refuses a binary parameter with shell characters and runs nothing', async () => {
    const f = await fixture();
    const result = await agent(f, 'start', { binary: `/usr/sbin/mfsmaster -c /etc/passwd` });
    expect(result.name).toBe('OCF_ERR_CONFIGURED');
    expect(result.exitReason).toMatch(/^parameter 'binary' may contain only/);
    expect(f.masterPid()).toBeUndefined();
  });

  it('refuses a working user that does not exist, naming the setting', async () => {
    const f = await fixture({ workingUser: 'no_such_user_here' });
    for (const action of ['validate-all', 'start']) {
      const result = await agent(f, action);
      expect(result.name, action).toBe('OCF_ERR_CONFIGURED');
      expect(result.exitReason).toBe(`${f.configFile}: WORKING_USER = "no_such_user_here" does not exist on this node`);
    }
    expect(f.masterPid()).toBeUndefined();
  });

  it('refuses a bad port in mfsmaster.cfg, naming the setting', async () => {
    const f = await fixture({ config: { MATOCL_LISTEN_PORT: 99999 } });
    const result = await agent(f, 'validate-all');
    expect(result.name).toBe('OCF_ERR_CONFIGURED');
    expect(result.exitReason).toContain('MATOCL_LISTEN_PORT = "99999" is not a TCP port (1-65535)');
  });

  it('refuses a DATA_PATH the working user cannot write', async () => {
    const f = await fixture();
    chownSync(f.dataPath, 0, 0);
    const result = await agent(f, 'start');
    expect(result.name).toBe('OCF_ERR_PERM');
    expect(result.exitReason).toContain(`DATA_PATH ${f.dataPath} is owned by uid 0, not by WORKING_USER mfs`);
  });
});

describe.each(MOOSEFS)('mfsmaster: stop, MooseFS $version', (moosefs) => {
  const fixture = forVersion(moosefs);

  it('stops a master whose configuration file has vanished', async () => {
    const f = await fixture();
    expect((await agent(f, 'start')).name).toBe('OCF_SUCCESS');
    const pid = f.masterPid()!;
    renameSync(f.configFile, `${f.configFile}.moved`);
    const stop = await agent(f, 'stop');
    expect(stop.name, stop.stderr).toBe('OCF_SUCCESS');
    expect(stop.stderr).toContain(`stopping mfsmaster processes started with ${f.configFile}`);
    expect(liveProcess(pid)).toBeUndefined();
  });

  it('escalates to SIGKILL when the master does not end within the stop timeout, and says so', async () => {
    const f = await fixture();
    expect((await agent(f, 'start')).name).toBe('OCF_SUCCESS');
    const pid = f.masterPid()!;
    signalProcess(pid, 'SIGSTOP'); // a stopped process cannot act on SIGTERM
    const started = performance.now();
    const stop = await agent(f, 'stop', {}, { OCF_RESKEY_CRM_meta_timeout: '4000' });
    expect(stop.name, stop.stderr).toBe('OCF_SUCCESS');
    expect(performance.now() - started).toBeLessThan(4000);
    expect(stop.stderr).toMatch(/CRIT: mfsmaster \(pid [\d, ]+\) did not stop within \d+ s of SIGTERM: sending SIGKILL; .*mfsmaster -a/);
    expect(liveProcess(pid)).toBeUndefined();
  });
});
