/**
 * The DRBD emulator through its built executables: drbdadm (the real one over the emulated
 * drbdsetup), formats and exit codes per shared/DRBD-FACTS.md sections 2 and 3, two nodes.
 */
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createTwoNodeSetup, EMULATOR_BIN, type TwoNodeOptions, type TwoNodeSetup } from './index.js';
import { join } from 'node:path';
import { Deadline } from '../../lib/runtime/deadline.js';

const setups: TwoNodeSetup[] = [];
afterEach(async () => {
  for (const setup of setups.splice(0)) await setup.cleanup();
});

async function twoNodes(options: TwoNodeOptions = {}): Promise<TwoNodeSetup> {
  const setup = await createTwoNodeSetup(options);
  setups.push(setup);
  return setup;
}

function majorOf(path: string): number {
  return Math.floor(statSync(path).rdev / 256) & 0xfff;
}

describe('drbdadm over the emulated kernel', () => {
  it('reports a DRBD 9 kernel and answers sh-dev and dump from the real parser', async () => {
    const drbd = await twoNodes();
    const version = await drbd.drbdadm('alpha', ['--version']);
    expect(version.stdout).toContain('DRBD_KERNEL_VERSION_CODE=0x090202');
    expect(version.stdout).toContain('DRBDADM_VERSION=9.22.0');
    const dev = await drbd.drbdadm('beta', ['sh-dev', drbd.resource]);
    expect(dev.stdout).toBe(drbd.devices.beta);
    const dump = await drbd.drbdadm('alpha', ['dump', drbd.resource]);
    expect(dump.stdout).toMatch(/^# resource r0 on alpha: not ignored, not stacked/);
    expect(dump.stderr).not.toContain('PRETENDING');
    const unknown = await drbd.drbdadm('alpha', ['up', 'nosuch']);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toContain("'nosuch' not defined in your config (for this host).");
  });

  it('up on both nodes: Connected, UpToDate, events2 and promotion score as the kernel shows them', async () => {
    const drbd = await twoNodes();
    expect((await drbd.drbdadm('alpha', ['up', 'r0'])).exitCode).toBe(0);
    // One node up: its peer is Connecting.
    const alone = await drbd.drbdsetup('alpha', ['events2', '--now', 'r0']);
    expect(alone.stdout).toContain('exists resource name:r0 role:Secondary suspended:no force-io-failures:no may_promote:yes promotion_score:10101');
    expect(alone.stdout).toContain('connection:Connecting role:Unknown');
    expect(alone.stdout).toContain('replication:Off peer-disk:DUnknown');
    expect((await drbd.drbdadm('beta', ['up', 'r0'])).exitCode).toBe(0);
    const events = await drbd.drbdsetup('alpha', ['events2', '--now', 'r0']);
    expect(events.exitCode).toBe(0);
    const p = `name:r0 peer-node-id:1 conn-name:beta`;
    expect(events.stdout.split('\n')).toEqual([
      'exists resource name:r0 role:Secondary suspended:no force-io-failures:no may_promote:yes promotion_score:10102',
      `exists connection ${p} connection:Connected role:Secondary`,
      `exists device name:r0 volume:0 minor:0 backing_dev:${drbd.loop} disk:UpToDate client:no quorum:yes`,
      `exists peer-device ${p} volume:0 replication:Established peer-disk:UpToDate peer-client:no resync-suspended:no`,
      expect.stringMatching(new RegExp(`^exists path ${p} local:ipv4:127\\.0\\.0\\.1:\\d+ peer:ipv4:127\\.0\\.0\\.1:\\d+ established:yes$`)),
      'exists -',
    ]);
    const status = await drbd.drbdadm('alpha', ['status', 'r0']);
    expect(status.stdout).toBe('r0 role:Secondary\n  disk:UpToDate\n  beta role:Secondary\n    peer-disk:UpToDate\n');
    expect((await drbd.drbdadm('alpha', ['role', 'r0'])).stdout).toBe('Secondary');
    expect((await drbd.drbdadm('alpha', ['cstate', 'r0'])).stdout).toBe('Connected');
    expect((await drbd.drbdadm('alpha', ['dstate', 'r0'])).stdout).toBe('UpToDate/UpToDate');
    // Running config matches the file: adjust has nothing to do.
    const adjust = await drbd.drbdadm('alpha', ['-d', 'adjust', 'r0']);
    expect(adjust.stdout).toBe('');
    expect(adjust.exitCode).toBe(0);
    // Both published devices exist as block devices; a Secondary's is DRBD's (major 147).
    expect(statSync(drbd.devices.alpha!).isBlockDevice()).toBe(true);
    expect(majorOf(drbd.devices.alpha!)).toBe(147);
  });

  it('statistics, verbose and JSON formats', async () => {
    const drbd = await twoNodes({ up: true });
    const stats = await drbd.drbdsetup('alpha', ['events2', '--now', '--statistics', 'r0']);
    expect(stats.stdout).toContain('force-io-failures:no write-ordering:flush may_promote:yes');
    expect(stats.stdout).toContain('connection:Connected role:Secondary congested:no ap-in-flight:0 rs-in-flight:0');
    expect(stats.stdout).toMatch(/disk:UpToDate client:no quorum:yes size:\d+ read:0 written:0 al-writes:0 bm-writes:0 upper-pending:0 lower-pending:0 al-suspended:no blocked:no\n/);
    expect(stats.stdout).toContain('resync-suspended:no received:0 sent:0 out-of-sync:0 pending:0 unacked:0\n');
    const verbose = await drbd.drbdsetup('alpha', ['status', 'r0', '--verbose']);
    expect(verbose.stdout).toContain('r0 node-id:0 role:Secondary suspended:no force-io-failures:no');
    expect(verbose.stdout).toContain(`volume:0 minor:0 disk:UpToDate backing_dev:${drbd.loop} quorum:yes blocked:no`);
    expect(verbose.stdout).toContain('beta node-id:1 connection:Connected role:Secondary congested:no ap-in-flight:0');
    // drbdadm status takes --verbose as its own flag: it echoes the drbdsetup command.
    const admVerbose = await drbd.drbdadm('alpha', ['status', 'r0', '--verbose']);
    expect(admVerbose.stdout).toMatch(/^drbdsetup status r0\nr0 role:Secondary\n/);
    expect((await drbd.drbdadm('alpha', ['status', 'r0', '--json'])).exitCode).toBe(1);
    const json = await drbd.drbdsetup('alpha', ['status', 'r0', '--json']);
    const parsed = JSON.parse(json.stdout) as Record<string, unknown>[];
    expect(parsed[0]).toMatchObject({ name: 'r0', 'node-id': 0, role: 'Secondary', 'force-io-failures': false, 'write-ordering': 'flush' });
    expect(parsed[0]!.devices).toMatchObject([{ volume: 0, minor: 0, 'disk-state': 'UpToDate', client: false, quorum: true }]);
    expect(parsed[0]!.connections).toMatchObject([
      { 'peer-node-id': 1, name: 'beta', 'connection-state': 'Connected', 'peer-role': 'Secondary', peer_devices: [{ 'replication-state': 'Established', 'peer-disk-state': 'UpToDate', 'percent-in-sync': 100 }] },
    ]);
    expect(json.stdout).toContain('"connection-state": "Connected", \n');
  });

  it('roles: second Primary refused (rc 11), Primary without UpToDate data refused (rc 17), --force', async () => {
    const drbd = await twoNodes({ up: true });
    expect((await drbd.drbdadm('alpha', ['primary', 'r0'])).exitCode).toBe(0);
    const status = await drbd.drbdadm('beta', ['status', 'r0']);
    expect(status.stdout).toBe('r0 role:Secondary\n  disk:UpToDate\n  alpha role:Primary\n    peer-disk:UpToDate\n');
    expect((await drbd.drbdsetup('beta', ['events2', '--now', 'r0'])).stdout).toContain('role:Secondary suspended:no force-io-failures:no may_promote:no promotion_score:10102');
    const second = await drbd.drbdadm('beta', ['primary', 'r0']);
    expect(second.exitCode).toBe(11);
    expect(second.stderr).toContain('r0: State change failed: (-1) Multiple primaries not allowed by config');
    expect(second.stderr).toContain("Command 'drbdsetup primary r0' terminated with exit code 11");
    expect((await drbd.drbdadm('beta', ['primary', '--force', 'r0'])).exitCode).toBe(11);
    // The Primary's device is the writable loop device; the Secondary's cannot be opened.
    expect(majorOf(drbd.devices.alpha!)).toBe(7);
    expect(majorOf(drbd.devices.beta!)).toBe(147);
    const dd = await import('../../lib/process/run.js').then(({ run }) => run('dd', ['if=/dev/zero', `of=${drbd.devices.beta}`, 'bs=4k', 'count=1']));
    expect(dd.exitCode).not.toBe(0);
    expect(dd.stderr).toContain('No such device or address');
    expect((await drbd.drbdadm('alpha', ['secondary', 'r0'])).exitCode).toBe(0);
    expect(majorOf(drbd.devices.alpha!)).toBe(147);

    const fresh = await twoNodes({ initial: 'inconsistent', up: true });
    const refused = await fresh.drbdadm('alpha', ['primary', 'r0']);
    expect(refused.exitCode).toBe(17);
    expect(refused.stderr).toContain('r0: State change failed: (-2) Need access to UpToDate data');
    expect((await fresh.drbdsetup('alpha', ['events2', '--now', 'r0'])).stdout).toContain('may_promote:no promotion_score:0');
    expect((await fresh.drbdadm('alpha', ['primary', '--force', 'r0'])).exitCode).toBe(0);
    expect((await fresh.drbdadm('beta', ['dstate', 'r0'])).stdout).toBe('UpToDate/UpToDate');
    const log = await fresh.fault(['log']);
    expect(log.stdout).toContain('Forced to consider local data as UpToDate!');
  });

  it('allow-two-primaries lets both nodes be Primary', async () => {
    const drbd = await twoNodes({ up: true, net: 'allow-two-primaries yes;' });
    expect((await drbd.drbdadm('alpha', ['primary', 'r0'])).exitCode).toBe(0);
    expect((await drbd.drbdadm('beta', ['primary', 'r0'])).exitCode).toBe(0);
    const dump = await drbd.drbdadm('alpha', ['-d', '-v', 'dump', 'r0']);
    expect(dump.stdout).toMatch(/^\s*allow-two-primaries\s+yes;$/m);
  });

  it('secondary and down refused while the device is held open (rc 11), secondary --force', async () => {
    const drbd = await twoNodes({ up: true });
    expect((await drbd.drbdadm('alpha', ['primary', 'r0'])).exitCode).toBe(0);
    // A real opener: a process holding the published device open.
    const opener = spawn('sh', ['-c', `exec 3<>${drbd.devices.alpha}; echo ready; exec sleep 60`], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      await new Promise<void>((resolve) => opener.stdout!.once('data', () => resolve()));
      const refused = await drbd.drbdadm('alpha', ['secondary', 'r0']);
      expect(refused.exitCode).toBe(11);
      expect(refused.stderr).toContain('r0: State change failed: (-12) Device is held open by someone\nadditional info from kernel:\n');
      expect(refused.stderr).toMatch(new RegExp(`${drbd.devices.alpha} opened by sleep \\(pid ${opener.pid}\\) at \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3}`));
      const down = await drbd.drbdadm('alpha', ['down', 'r0']);
      expect(down.exitCode).toBe(11);
      expect(down.stderr).toContain('(-12) Device is held open by someone');
      expect((await drbd.drbdadm('alpha', ['secondary', '--force', 'r0'])).exitCode).toBe(0);
      expect((await drbd.drbdadm('alpha', ['status', 'r0'])).stdout).toContain('r0 role:Secondary force-io-failures:yes\n');
      // While I/O fails for the old opener, the node cannot be promoted again.
      const again = await drbd.drbdadm('alpha', ['primary', 'r0']);
      expect(again.exitCode).toBe(11);
      expect(again.stderr).toContain('(-12) Device is held open by someone');
    } finally {
      opener.kill('SIGKILL');
      await new Promise((resolve) => opener.once('exit', resolve));
    }
    expect((await drbd.drbdadm('alpha', ['status', 'r0'])).stdout).toMatch(/^r0 role:Secondary\n/);
    expect((await drbd.drbdadm('alpha', ['down', 'r0'])).exitCode).toBe(0);
  });

  it('a reader does not block demotion (the kernel counts writers only)', async () => {
    const drbd = await twoNodes({ up: true });
    expect((await drbd.drbdadm('alpha', ['primary', 'r0'])).exitCode).toBe(0);
    const reader = spawn('sh', ['-c', `exec 3<${drbd.devices.alpha}; echo ready; exec sleep 60`], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      await new Promise<void>((resolve) => reader.stdout!.once('data', () => resolve()));
      expect((await drbd.drbdadm('alpha', ['secondary', 'r0'])).exitCode).toBe(0);
    } finally {
      reader.kill('SIGKILL');
      await new Promise((resolve) => reader.once('exit', resolve));
    }
  });

  it('a copy of the mount in another mount namespace holds it open after the unmount: the refusal names that namespace and its processes', async () => {
    const drbd = await twoNodes({ up: true });
    const { run, startBackground } = await import('../../lib/process/run.js');
    const { signalProcess, waitForExit } = await import('../../lib/process/proc.js');
    expect((await drbd.drbdadm('alpha', ['primary', 'r0'])).exitCode).toBe(0);
    expect((await run('mkfs.ext4', ['-q', drbd.devices.alpha!])).exitCode).toBe(0);
    const mountpoint = `${drbd.dir}/mnt`;
    await run('mkdir', [mountpoint]);
    expect((await run('mount', [drbd.devices.alpha!, mountpoint])).exitCode).toBe(0);
    // What a lab node's leftover namespace, or any `unshare --mount` made meanwhile, does.
    const copy = await startBackground('unshare', ['--mount', '--propagation', 'private', '--', 'sleep', '60'], { quiet: true });
    try {
      const inCopy = await new Deadline(5000).poll(async () => ((await run('findmnt', ['-N', String(copy.pid), mountpoint])).ok ? true : undefined), { intervalMs: 20 });
      expect(inCopy).toBe(true);
      expect((await run('umount', [mountpoint])).exitCode).toBe(0);
      const refused = await drbd.drbdadm('alpha', ['secondary', 'r0']);
      expect(refused.exitCode).toBe(11);
      expect(refused.stderr).toMatch(new RegExp(`${drbd.devices.alpha} opened by mount \\(pid 0\\) at [^;]*; mounted in mnt:\\[\\d+\\] at ${mountpoint}, processes ${copy.pid} sleep`));
    } finally {
      signalProcess(copy.pid, 'SIGKILL');
      await waitForExit([copy.pid], new Deadline(5000));
      await run('umount', [mountpoint]);
    }
    expect((await drbd.drbdadm('alpha', ['secondary', 'r0'])).exitCode).toBe(0);
  });

  it('a mount on the Primary holds it open; the Secondary cannot mount', async () => {
    const drbd = await twoNodes({ up: true });
    const { run } = await import('../../lib/process/run.js');
    expect((await drbd.drbdadm('alpha', ['primary', 'r0'])).exitCode).toBe(0);
    expect((await run('mkfs.ext4', ['-q', drbd.devices.alpha!])).exitCode).toBe(0);
    const mountpoint = `${drbd.dir}/mnt`;
    await run('mkdir', [mountpoint]);
    expect((await run('mount', [drbd.devices.beta!, mountpoint])).exitCode).not.toBe(0);
    expect((await run('mount', [drbd.devices.alpha!, mountpoint])).exitCode).toBe(0);
    try {
      const refused = await drbd.drbdadm('alpha', ['secondary', 'r0']);
      expect(refused.exitCode).toBe(11);
      expect(refused.stderr).toContain(`${drbd.devices.alpha} opened by mount`);
    } finally {
      await run('umount', [mountpoint]);
    }
    expect((await drbd.drbdadm('alpha', ['secondary', 'r0'])).exitCode).toBe(0);
  });

  it('unknown and down resources: messages and exit codes', async () => {
    const drbd = await twoNodes();
    const role = await drbd.drbdadm('alpha', ['role', 'r0']);
    expect(role.exitCode).toBe(10);
    expect(role.stderr).toContain('r0: Unknown resource');
    expect(role.stderr).toContain("Command 'drbdsetup role r0' terminated with exit code 10");
    const cstate = await drbd.drbdadm('alpha', ['cstate', 'r0']);
    expect(cstate.exitCode).toBe(10);
    expect(cstate.stderr).toContain('r0: No such connection');
    const status = await drbd.drbdsetup('alpha', ['status', 'r0']);
    expect(status.exitCode).toBe(10);
    expect(status.stderr).toBe('r0: No such resource');
    const events = await drbd.drbdsetup('alpha', ['events2', '--now', 'r0']);
    expect(events).toMatchObject({ exitCode: 0, stdout: 'exists -' });
    expect(await drbd.drbdsetup('alpha', ['down', 'r0'])).toMatchObject({ exitCode: 0, stdout: '', stderr: '' });
    const primary = await drbd.drbdsetup('alpha', ['primary', 'r0']);
    expect(primary.exitCode).toBe(10);
    expect(primary.stderr).toBe('r0: Failure: (158) Unknown resource');
    const wait = await drbd.drbdsetup('alpha', ['wait-connect-resource', 'r0', '--wfc-timeout=1']);
    expect(wait.exitCode).toBe(10);
  });

  it('connect when connected, disconnect, reconnect; wait-connect times out with rc 5', async () => {
    const drbd = await twoNodes();
    expect((await drbd.drbdadm('alpha', ['up', 'r0'])).exitCode).toBe(0);
    const started = Date.now();
    const wait = await drbd.drbdsetup('alpha', ['wait-connect-resource', 'r0', '--wfc-timeout=1', '--degr-wfc-timeout=1', '--outdated-wfc-timeout=1']);
    expect(wait.exitCode).toBe(5);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect((await drbd.drbdadm('beta', ['up', 'r0'])).exitCode).toBe(0);
    expect((await drbd.drbdsetup('alpha', ['wait-connect-resource', 'r0', '--wfc-timeout=5'])).exitCode).toBe(0);
    const again = await drbd.drbdadm('alpha', ['connect', 'r0']);
    expect(again.exitCode).toBe(10);
    expect(again.stderr).toContain('r0: Failure: (125) Device has a net-config (use disconnect first)');
    expect((await drbd.drbdadm('alpha', ['disconnect', 'r0'])).exitCode).toBe(0);
    expect((await drbd.drbdadm('alpha', ['cstate', 'r0'])).stdout).toBe('StandAlone');
    expect((await drbd.drbdadm('beta', ['cstate', 'r0'])).stdout).toBe('Connecting');
    expect((await drbd.drbdadm('alpha', ['status', 'r0'])).stdout).toBe('r0 role:Secondary\n  disk:UpToDate\n  beta connection:StandAlone\n');
    expect((await drbd.drbdadm('alpha', ['disconnect', 'r0'])).exitCode).toBe(0);
    // adjust reconnects a StandAlone connection.
    const adjust = await drbd.drbdadm('alpha', ['-v', 'adjust', 'r0']);
    expect(adjust.stdout).toContain('drbdsetup connect r0 1');
    expect((await drbd.drbdadm('alpha', ['cstate', 'r0'])).stdout).toBe('Connected');
  });

  it('two nodes change the shared state at once without losing updates', async () => {
    const drbd = await twoNodes();
    await Promise.all([drbd.drbdadm('alpha', ['up', 'r0']), drbd.drbdadm('beta', ['up', 'r0'])]);
    for (let round = 0; round < 3; round++) {
      const results = await Promise.all([drbd.drbdsetup('alpha', ['primary', 'r0']), drbd.drbdsetup('beta', ['primary', 'r0'])]);
      // Exactly one wins; the other is refused as a second Primary.
      expect(results.map((r) => r.exitCode).sort()).toEqual([0, 11]);
      const roles = await Promise.all(drbd.nodes.map((node) => drbd.drbdadm(node, ['role', 'r0'])));
      expect(roles.map((r) => r.stdout).sort()).toEqual(['Primary', 'Secondary']);
      await Promise.all(drbd.nodes.map((node) => drbd.drbdsetup(node, ['secondary', 'r0'])));
    }
  });

  it('events2 without --now follows changes: exists, then change lines, until killed', async () => {
    const drbd = await twoNodes({ up: true });
    const follower = spawn(join(EMULATOR_BIN, 'drbdsetup'), ['events2', 'r0'], { env: { ...process.env, ...drbd.env('alpha') }, stdio: ['ignore', 'pipe', 'ignore'] });
    let seen = '';
    follower.stdout!.on('data', (chunk: Buffer) => (seen += chunk.toString()));
    try {
      const deadline = new Deadline(20_000);
      expect(await deadline.poll(() => (seen.includes('exists -\n') ? true : undefined), { intervalMs: 50 })).toBe(true);
      expect(seen).toContain('exists resource name:r0 role:Secondary');
      expect((await drbd.drbdadm('alpha', ['primary', 'r0'])).exitCode).toBe(0);
      expect(await deadline.poll(() => (/^change resource name:r0 role:Primary may_promote:no promotion_score:10102$/m.test(seen) ? true : undefined), { intervalMs: 50 })).toBe(true);
      expect((await drbd.drbdadm('beta', ['disconnect', 'r0'])).exitCode).toBe(0);
      expect(await deadline.poll(() => (/^change connection name:r0 peer-node-id:1 conn-name:beta connection:Connecting role:Unknown$/m.test(seen) ? true : undefined), { intervalMs: 50 })).toBe(true);
    } finally {
      follower.kill('SIGKILL');
      await new Promise((resolve) => follower.once('exit', resolve));
    }
  });
});
