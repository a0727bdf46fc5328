/**
 * The built mfs-crm as a user runs it: what goes to stdout and stderr, exit codes, bad input
 * that writes nothing, fencing never switched off silently, warnings about the local MooseFS
 * configuration. The DRBD resource file: drbd-res.test.ts.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../lib/process/run.js';
import { cibadminModify, crmVerify, emptyCib, succeeded } from '../helpers/pacemaker.js';
import { MFS_CRM, runCrm } from './mfs-crm.js';

const BASE = [
  'drbd', '--node', 'node1', '--node', 'node2', '--ip', '10.20.0.100', '--cidr-netmask', '24',
  '--drbd-resource', 'mfs', '--device', '/dev/drbd0', '--directory', '/var/lib/mfs', '--fstype', 'xfs',
];
const FENCED = [...BASE, '--fence-agent', 'fence_ipmilan', '--fence-param', 'username=admin', '--fence-param', 'password=pw',
  '--fence-node-param', 'node1:ip=10.30.0.1', '--fence-node-param', 'node2:ip=10.30.0.2'];

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mfs-crm-cli-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('mfs-crm on bad input', () => {
  it.each<[string, string[], string]>([
    ['a node twice', ['drbd', '--node', 'a', '--node', 'a', ...BASE.slice(5)], '--node'],
    ['every required option missing, all named in one error', ['drbd', '--node', 'a', '--node', 'b'], '--ip, --drbd-resource, --device, --directory, --fstype: are required'],
    ['an IP that is not an address', [...BASE.filter((_, i) => i < 5), '--ip', '10.0.0', ...BASE.slice(7)], '--ip'],
    ['a netmask out of range', [...BASE, '--cidr-netmask', '40'], '--cidr-netmask'],
    ['a relative path', [...BASE, '--config', 'etc/mfs/mfsmaster.cfg'], '--config'],
    ['a name Pacemaker refuses', [...BASE, '--name', 'mfs ha'], '--name'],
    ['a monitor interval shared by both roles', [...BASE, '--monitor-interval', 'drbd-promoted=20s'], '--monitor-interval'],
    ['an unknown option', [...BASE, '--colour', 'blue'], 'colour'],
    ['no topology', ['--node', 'a'], 'topology'],
    ['an unknown topology', ['nfs', '--node', 'a'], 'nfs'],
    ['a single-valued option twice', [...BASE, '--ip', '10.20.0.101'], '--ip: is given 2 times'],
    ['a fence agent that is not installed', [...BASE, '--fence-agent', 'fence_nosuch'], '--fence-agent'],
    ['a fence parameter the agent does not have', [...BASE, '--fence-agent', 'fence_ipmilan', '--fence-param', 'ipadress=10.0.0.1'], '--fence-param: stonith:fence_ipmilan has no parameter ipadress'],
    ['a per-node fence parameter the agent does not have', [...BASE, '--fence-agent', 'fence_ipmilan', '--fence-node-param', 'node1:plugg=1', '--fence-node-param', 'node2:plug=2'], '--fence-node-param: stonith:fence_ipmilan has no parameter plugg'],
    ['a relative metalogger config', ['metalogger', '--node', 'a', '--node', 'b', '--ip', '10.0.0.1', '--metalogger-config', 'mfsmetalogger.cfg'], '--metalogger-config'],
    ['a DRBD option for the metalogger topology', ['metalogger', '--node', 'a', '--node', 'b', '--ip', '10.0.0.1', '--device', '/dev/drbd0'], 'device'],
  ])('%s: exit 2, an error naming it, nothing written', async (_case, args, named) => {
    const resFile = join(dir, `bad-${Math.random().toString(36).slice(2)}.res`);
    const resArgs = ['--drbd-res-file', resFile, '--drbd-disk', '/dev/sdb', '--drbd-address', 'node1=10.1.0.1', '--drbd-address', 'node2=10.1.0.2'];
    const result = await runCrm(args[0] === 'drbd' ? [...args, ...resArgs] : args);
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(named);
    expect(existsSync(resFile)).toBe(false);
  });

  it('an unreadable third-party meta-data: exit 1, says which agent and why, writes nothing', async () => {
    const result = await run(MFS_CRM, BASE, { env: { PATH: '/nonexistent' }, timeoutMs: 60_000 });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/cannot read the meta-data of ocf:linbit:drbd/);
  });

  it('--help answers on stdout with exit 0', async () => {
    const result = await runCrm(['--help']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/mfs-crm drbd/);
  });
});

describe('mfs-crm fencing', () => {
  it('without fence options: a comment, a warning, no stonith-enabled, and Pacemaker refuses to start anything', async () => {
    const result = await runCrm([...BASE, '--format', 'xml']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/warning: no fence device given/);
    expect(result.stdout).toMatch(/FENCING IS NOT CONFIGURED/);
    expect(result.stdout).not.toMatch(/name="stonith-enabled"/);
    const cib = await emptyCib(join(dir, 'unfenced.xml'));
    succeeded(await cibadminModify(cib, result.stdout, dir));
    const verify = await crmVerify(cib);
    expect(verify.exitCode).not.toBe(0);
    expect(verify.stderr).toMatch(/no STONITH resources have been defined/);
  });

  it('--no-fencing: stonith-enabled=false, said in the output and on stderr', async () => {
    const result = await runCrm([...BASE, '--no-fencing']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^property cib-bootstrap-options: stonith-enabled=false$/m);
    expect(result.stdout).toMatch(/^# FENCING DISABLED/m);
    expect(result.stderr).toMatch(/warning: fencing is disabled/);
  });

  it('one device for both nodes: pcmk_host_list names them, stonith-enabled=true, no warning about fencing', async () => {
    const result = await runCrm([...BASE, '--fence-agent', 'fence_ipmilan', '--fence-param', 'ip=10.30.0.9']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^primitive mfs-fence stonith:fence_ipmilan \\\n\tparams ip=10.30.0.9 pcmk_host_list="node1 node2"/m);
    expect(result.stdout).toMatch(/stonith-enabled=true/);
    expect(result.stderr).not.toMatch(/fenc/);
  });

  it('is the same text every time (stable names and order)', async () => {
    const [a, b] = await Promise.all([runCrm(FENCED), runCrm(FENCED)]);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout.length).toBeGreaterThan(500);
  });
});

describe('mfs-crm beside the master configuration', () => {
  it('warns when the mfsmaster.cfg it is given needs a higher CHANGELOG_SAVE_MODE or keeps DATA_PATH off the store', async () => {
    const config = join(dir, 'mfsmaster.cfg');
    writeFileSync(config, 'DATA_PATH = /var/lib/mfs-elsewhere\nCHANGELOG_SAVE_MODE = 1\n');
    const result = await runCrm([...FENCED, '--config', config]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/warning: .*CHANGELOG_SAVE_MODE = 1: the drbd topology needs 2; the configuration sets durability=power on ocf:mfs:mfsmaster, which refuses to start below it/);
    expect(result.stdout).toMatch(/^primitive mfs-master ocf:mfs:mfsmaster \\\n\tparams config=\S+ durability=power \\$/m);
    expect(result.stderr).toMatch(/warning: .*DATA_PATH = \/var\/lib\/mfs-elsewhere, which is not on the replicated store mounted at \/var\/lib\/mfs/);
    writeFileSync(config, 'DATA_PATH = /var/lib/mfs\nCHANGELOG_SAVE_MODE = 2\n');
    const good = await runCrm([...FENCED, '--config', config]);
    expect(good.stderr).not.toMatch(/CHANGELOG_SAVE_MODE|DATA_PATH/);
  });
});

describe('mfs-crm metalogger beside the metalogger configuration', () => {
  it('warns when MASTER_HOST is not the virtual IP, and not when it is', async () => {
    const config = join(dir, 'mfsmetalogger.cfg');
    const args = ['metalogger', '--node', 'node1', '--node', 'node2', '--ip', '10.20.0.100', '--no-fencing', '--metalogger-config', config];
    writeFileSync(config, 'MASTER_HOST = mfsmaster\n');
    const result = await runCrm(args);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/warning: .*MASTER_HOST = mfsmaster, not the virtual IP 10.20.0.100/);
    expect(result.stdout).toMatch(/^primitive mfs-metalogger ocf:mfs:mfs-metarestore \\\n\tparams metalogger_config=\S+mfsmetalogger.cfg master_config=\/etc\/mfs\/mfsmaster.cfg/m);
    writeFileSync(config, 'MASTER_HOST = 10.20.0.100\n');
    expect((await runCrm(args)).stderr).not.toMatch(/MASTER_HOST/);
  });

  it('sets durability=process on the master, and warns when mfsmaster.cfg has CHANGELOG_SAVE_MODE 0 (the agent would refuse to start)', async () => {
    const master = join(dir, 'mfsmaster-metalogger.cfg');
    const args = ['metalogger', '--node', 'node1', '--node', 'node2', '--ip', '10.20.0.100', '--no-fencing', '--config', master];
    writeFileSync(master, 'CHANGELOG_SAVE_MODE = 0\n');
    const result = await runCrm(args);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^primitive mfs-master ocf:mfs:mfsmaster \\\n\tparams config=\S+mfsmaster-metalogger.cfg durability=process \\$/m);
    expect(result.stderr).toMatch(/warning: .*CHANGELOG_SAVE_MODE = 0: the metalogger topology needs 1; the configuration sets durability=process/);
    writeFileSync(master, 'CHANGELOG_SAVE_MODE = 1\n');
    expect((await runCrm(args)).stderr).not.toMatch(/CHANGELOG_SAVE_MODE/);
  });
});
