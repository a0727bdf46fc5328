/**
 * ocf:mfs:mfs-drbd-store through the built executable, over two emulated DRBD 9 nodes on this
 * machine (test/drbd-emulator: the real drbdadm 9.22 over an emulated drbdsetup, one loop
 * device as the replicated disk, ext4 on it), promotion scores in an offline CIB (CIB_file):
 * start, promote, refusals, demote. Failures, split brain, ocf-tester and the real master:
 * mfs-drbd-store.failover.test.ts.
 */
import { spawn } from 'node:child_process';
import { chownSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exitCodeName } from '../../lib/ocf/exit-codes.js';
import { lookupUser } from '../../lib/system/accounts.js';
import { ocfEnv, runAgent } from '../helpers/built.js';
import { afterEach, describe, expect, it } from 'vitest';
import { Deadline } from '../../lib/runtime/deadline.js';
import { liveProcess } from '../../lib/process/proc.js';
import { findMount } from '../../lib/system/mount.js';
import { run } from '../../lib/process/run.js';
import { agent, cluster, holdMount, monitor, NODES, onCleanup, reason, runCleanups, score, startBoth, state } from './mfs-drbd-store.fixture.js';

afterEach(runCleanups);

describe('mfs-drbd-store over two emulated DRBD nodes', () => {
  it('starts both nodes Unpromoted, connected, with scores and reasons; start and probe are idempotent', async () => {
    const c = await cluster();
    for (const node of NODES) {
      expect((await agent(c, node, 'monitor', {}, { OCF_RESKEY_CRM_meta_interval: '0' })).name, 'probe before start').toBe('OCF_NOT_RUNNING');
    }
    const first = await agent(c, 'alpha', 'start');
    expect(first.name, first.stderr).toBe('OCF_SUCCESS');
    expect(await score(c, 'alpha'), 'alone, the peer unknown').toBe(1000);
    expect(await reason(c, 'alpha')).toContain('the disk of peer beta is unknown');
    const second = await agent(c, 'beta', 'start');
    expect(second.name, second.stderr).toBe('OCF_SUCCESS');
    for (const node of NODES) {
      const s = await state(c, node);
      expect(s?.role).toBe('Secondary');
      expect(s?.peers[0]?.connection).toBe('Connected');
      expect((await monitor(c, node, { OCF_RESKEY_CRM_meta_interval: '20000' })).name).toBe('OCF_SUCCESS');
      expect((await agent(c, node, 'monitor', {}, { OCF_RESKEY_CRM_meta_interval: '0' })).name, 'probe of a running store').toBe('OCF_SUCCESS');
      expect(await score(c, node)).toBe(10000);
      expect(await reason(c, node)).toBe('UpToDate data, every peer known');
    }
    const again = await agent(c, 'alpha', 'start');
    expect(again.name).toBe('OCF_SUCCESS');
    expect(again.stderr).toContain('is already up');
    // A third node that the resource file does not name: probes say not running, no error.
    const elsewhere = await runAgent(
      'mfs-drbd-store',
      'monitor',
      ocfEnv({ ...c.params, directory: c.mnt.alpha }, { ...c.drbd.env('gamma'), CIB_file: c.cib, OCF_RESKEY_CRM_meta_on_node: 'gamma', OCF_RESKEY_CRM_meta_interval: '0' }),
    );
    expect(exitCodeName(elsewhere.code ?? -1), elsewhere.stderr).toBe('OCF_NOT_RUNNING');
    expect(elsewhere.stderr).toContain('not defined in your config (for this host)');
  });

  it('promotes one node: Primary, mounted, data directory owned by mfs and writable; the other node is refused', async () => {
    const c = await cluster();
    await startBoth(c);
    const promote = await agent(c, 'alpha', 'promote');
    expect(promote.name, promote.stderr).toBe('OCF_SUCCESS');
    expect((await state(c, 'alpha'))?.role).toBe('Primary');
    expect(findMount(c.mnt.alpha)?.options).toContain('noatime');
    const dataPath = join(c.mnt.alpha, 'mfs');
    const mfs = (await lookupUser('mfs'))!;
    expect(statSync(dataPath)).toMatchObject({ uid: mfs.id, gid: mfs.gid });
    writeFileSync(join(dataPath, 'probe'), 'x');
    expect((await monitor(c, 'alpha')).name).toBe('OCF_RUNNING_PROMOTED');
    expect(await score(c, 'alpha')).toBe(10000);
    expect((await agent(c, 'alpha', 'promote')).name, 'promoting a Promoted store').toBe('OCF_SUCCESS');

    // A peer still Primary: promote first waits (half its 20 s budget) for DRBD to notice a
    // peer that may be gone (a stale view, as real DRBD 8.4 shows for seconds), then refuses.
    const started = Date.now();
    const refused = await agent(c, 'beta', 'promote', {}, { OCF_RESKEY_CRM_meta_timeout: '20000' });
    expect(refused.name).toBe('OCF_ERR_GENERIC');
    expect(refused.exitReason).toContain('peer alpha is Primary; staying Secondary');
    expect(refused.stderr).toContain('still shows peer alpha Connected and Primary: waiting for DRBD to notice whether it is gone');
    expect(Date.now() - started).toBeLessThan(20_000);
    expect((await state(c, 'beta'))?.role).toBe('Secondary');
    expect(findMount(c.mnt.beta)).toBeUndefined();
    // DRBD itself refuses too, with its own words and code.
    const direct = await c.drbd.drbdadm('beta', ['primary', c.resource]);
    expect(direct.exitCode).toBe(11);
    expect(direct.stderr).toContain('(-1) Multiple primaries not allowed by config');
  });

  it('promotes over another mount at the directory (not its device): the store goes on top, demote leaves the other', async () => {
    const c = await cluster();
    await startBoth(c);
    mkdirSync(c.mnt.alpha, { recursive: true });
    const tmpfs = await run('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', c.mnt.alpha]);
    expect(tmpfs.ok, tmpfs.stderr).toBe(true);
    onCleanup(async () => void (await run('umount', [c.mnt.alpha])));
    const promote = await agent(c, 'alpha', 'promote');
    expect(promote.name, promote.stderr).toBe('OCF_SUCCESS');
    expect(findMount(c.mnt.alpha)?.fstype).toBe('ext4');
    expect((await monitor(c, 'alpha')).name).toBe('OCF_RUNNING_PROMOTED');
    const demote = await agent(c, 'alpha', 'demote');
    expect(demote.name, demote.stderr).toBe('OCF_SUCCESS');
    expect(findMount(c.mnt.alpha)?.fstype, 'the other mount is left alone').toBe('tmpfs');
    expect((await state(c, 'alpha'))?.role).toBe('Secondary');
  });

  it('demotes with a process holding the mount: listed, ended, unmounted, Secondary; the other node then promotes', async () => {
    const c = await cluster();
    await startBoth(c);
    expect((await agent(c, 'alpha', 'promote')).name).toBe('OCF_SUCCESS');
    writeFileSync(join(c.mnt.alpha, 'mfs', 'before-switch'), 'kept');
    const holder = holdMount(c.mnt.alpha);
    await new Deadline(5000).poll(() => (readFileSync(`/proc/${holder.pid}/stat`, 'utf8') ? true : undefined));
    const demote = await agent(c, 'alpha', 'demote', { unmount_signal_delay: '2' });
    expect(demote.name, demote.stderr).toBe('OCF_SUCCESS');
    expect(demote.stderr).toMatch(new RegExp(`cannot unmount .*held by pid ${holder.pid} \\(sleep, cwd\\)`));
    expect(demote.stderr).toContain(`sending SIGTERM to pid ${holder.pid}`);
    expect(liveProcess(holder.pid!)).toBeUndefined();
    expect(findMount(c.mnt.alpha)).toBeUndefined();
    expect((await state(c, 'alpha'))?.role).toBe('Secondary');
    expect((await monitor(c, 'alpha')).name).toBe('OCF_SUCCESS');
    expect((await agent(c, 'alpha', 'demote')).name, 'demoting an Unpromoted store').toBe('OCF_SUCCESS');

    expect((await agent(c, 'beta', 'promote')).name).toBe('OCF_SUCCESS');
    expect(readFileSync(join(c.mnt.beta, 'mfs', 'before-switch'), 'utf8')).toBe('kept');
  });

  it('a failed unmount (a holder that survives the configured signals) leaves DRBD Primary and mounted', async () => {
    const c = await cluster();
    await startBoth(c);
    expect((await agent(c, 'alpha', 'promote')).name).toBe('OCF_SUCCESS');
    const stubborn = spawn('sh', ['-c', "trap '' TERM; while :; do sleep 0.1; done"], { cwd: c.mnt.alpha, stdio: 'ignore', detached: true });
    onCleanup(async () => {
      if (stubborn.pid && liveProcess(stubborn.pid)) process.kill(-stubborn.pid, 'SIGKILL');
    });
    const failed = await agent(c, 'alpha', 'demote', { unmount_signals: 'TERM', unmount_signal_delay: '2' }, { OCF_RESKEY_CRM_meta_timeout: '15000' });
    expect(failed.name).toBe('OCF_ERR_GENERIC');
    expect(failed.exitReason).toContain('stays Primary with its file system mounted');
    expect(failed.stderr).toMatch(new RegExp(`held by pid ${stubborn.pid} \\(sh, cwd\\)`));
    expect(liveProcess(stubborn.pid!)).toBeDefined();
    expect((await state(c, 'alpha'))?.role).toBe('Primary');
    expect(findMount(c.mnt.alpha)).toBeDefined();
    expect((await monitor(c, 'alpha')).name).toBe('OCF_RUNNING_PROMOTED');
    // With KILL allowed, the same demote goes through.
    const demote = await agent(c, 'alpha', 'demote', { unmount_signals: 'TERM,KILL', unmount_signal_delay: '1' });
    expect(demote.name, demote.stderr).toBe('OCF_SUCCESS');
    expect(demote.stderr).toContain(`sending SIGKILL to pid ${stubborn.pid}`);
    expect((await state(c, 'alpha'))?.role).toBe('Secondary');
  });

  it('a demote that DRBD refuses (device held open) leaves a whole Promoted store, never half-demoted', async () => {
    const c = await cluster();
    await startBoth(c);
    expect((await agent(c, 'alpha', 'promote')).name).toBe('OCF_SUCCESS');
    expect((await c.drbd.fault(['hold-open', c.resource, 'alpha', 'backup-tool'])).ok).toBe(true);
    const refused = await agent(c, 'alpha', 'demote', {}, { OCF_RESKEY_CRM_meta_timeout: '30000' });
    expect(refused.name).toBe('OCF_ERR_GENERIC');
    expect(refused.exitReason).toContain('(-12) Device is held open by someone');
    expect(refused.exitReason).toContain('backup-tool');
    expect(refused.exitReason).toContain('DRBD stays Primary with its file system mounted again');
    expect((await state(c, 'alpha'))?.role).toBe('Primary');
    expect((await monitor(c, 'alpha')).name).toBe('OCF_RUNNING_PROMOTED');
    expect((await c.drbd.fault(['release', c.resource, 'alpha'])).ok).toBe(true);
    expect((await agent(c, 'alpha', 'demote')).name).toBe('OCF_SUCCESS');
    expect((await state(c, 'alpha'))?.role).toBe('Secondary');
  });

  it('refuses a data directory owned by other numeric ids (users differ between nodes), back to Secondary', async () => {
    const c = await cluster();
    await startBoth(c);
    expect((await agent(c, 'alpha', 'promote')).name).toBe('OCF_SUCCESS');
    // As if alpha's mfs user had uid/gid 4242: files written there carry those ids.
    chownSync(join(c.mnt.alpha, 'mfs'), 4242, 4242);
    writeFileSync(join(c.mnt.alpha, 'mfs', 'metadata.mfs'), '');
    expect((await agent(c, 'alpha', 'demote')).name).toBe('OCF_SUCCESS');
    const refused = await agent(c, 'beta', 'promote');
    expect(refused.name).toBe('OCF_ERR_INSTALLED');
    expect(refused.exitReason).toMatch(/data directory .*\/mfs on the store belongs to uid 4242 gid 4242, but on this node \(beta\) the master runs as mfs \(uid \d+\)/);
    expect(refused.exitReason).toContain('the numeric user and group ids differ between the nodes');
    expect(refused.exitReason).toContain('back to Secondary');
    expect((await state(c, 'beta'))?.role).toBe('Secondary');
    expect(findMount(c.mnt.beta)).toBeUndefined();
  });

});
