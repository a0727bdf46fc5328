/**
 * ocf:mfs:mfs-drbd-store over two emulated DRBD nodes (see mfs-drbd-store.fixture.ts): Outdated
 * data, lost mounts and disks, stop, notifications, Pacemaker's choice from the scores, split
 * brain under each policy, ocf-tester, and the real mfsmaster across a switch-over.
 */
import { mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findProcesses, terminate } from '../../lib/process/proc.js';
import { agentPath, ocfEnv, runAgent } from '../helpers/built.js';
import { createMasterFixture, executableOf, mountClient, QUIET_LOG, unmountClient, type MasterFixture } from '../helpers/moosefs.js';
import { MOOSEFS, mfsProgram } from '../helpers/moosefs-versions.js';
import { lockOwner, MASTER_LOCK_FILE } from '../../lib/moosefs/data-path.js';
import { afterEach, describe, expect, it } from 'vitest';
import { Deadline } from '../../lib/runtime/deadline.js';
import { DEFAULT_HISTORY_DIR } from '../../lib/drbd/history.js';
import { run } from '../../lib/process/run.js';
import { findMount } from '../../lib/system/mount.js';
import { agent, cluster, monitor, NODES, onCleanup, pacemakerPromotes, reason, runCleanups, score, startBoth, state, type Cluster, type Node } from './mfs-drbd-store.fixture.js';

afterEach(runCleanups);

describe('mfs-drbd-store over two emulated DRBD nodes: failures', () => {
  it('refuses to promote Outdated data and gives it no score; a Primary without its peer is degraded', async () => {
    const c = await cluster();
    await startBoth(c);
    expect((await agent(c, 'alpha', 'promote')).name).toBe('OCF_SUCCESS');
    expect((await c.drbd.fault(['cut', c.resource])).ok).toBe(true);
    expect((await c.drbd.fault(['outdate', c.resource, 'beta'])).ok).toBe(true);
    const degraded = await monitor(c, 'alpha');
    expect(degraded.name).toBe('OCF_DEGRADED_PROMOTED');
    expect(degraded.stderr).toContain('Primary, peer not connected: beta');
    expect((await monitor(c, 'beta')).name).toBe('OCF_SUCCESS');
    expect(await score(c, 'beta')).toBeUndefined();
    expect(await reason(c, 'beta')).toContain('disk is Outdated');
    expect(await pacemakerPromotes(c), 'Pacemaker, given these scores').toBe('alpha');
    // Pacemaker would not try; if it did (say alpha's node died), the promote must refuse.
    expect((await agent(c, 'alpha', 'demote')).name).toBe('OCF_SUCCESS');
    const refused = await agent(c, 'beta', 'promote');
    expect(refused.name).toBe('OCF_ERR_GENERIC');
    expect(refused.exitReason).toContain('Refusing to promote DRBD resource');
    expect(refused.exitReason).toContain('local data is Outdated, not UpToDate; staying Secondary');
    expect(await reason(c, 'beta'), 'the refusal is published beside the score').toMatch(/^disk is Outdated: .*; promote refused: Refusing to promote DRBD resource .*: local data is Outdated, not UpToDate$/);
    expect((await state(c, 'beta'))?.role).toBe('Secondary');
    expect(findMount(c.mnt.beta)).toBeUndefined();
  });

  it('reports a Primary whose mount is read-only, without data directory or gone as failed promoted, and a failed disk as an error with no score', async () => {
    const c = await cluster();
    await startBoth(c);
    expect((await agent(c, 'alpha', 'promote')).name).toBe('OCF_SUCCESS');
    expect((await run('mount', ['-o', 'remount,ro', c.mnt.alpha])).ok).toBe(true);
    const readOnly = await monitor(c, 'alpha');
    expect(readOnly.name).toBe('OCF_FAILED_PROMOTED');
    expect(readOnly.exitReason).toContain('is Primary but its file system is mounted read-only');
    expect((await run('mount', ['-o', 'remount,rw', c.mnt.alpha])).ok).toBe(true);
    expect((await monitor(c, 'alpha')).name).toBe('OCF_RUNNING_PROMOTED');
    rmSync(join(c.mnt.alpha, 'mfs'), { recursive: true });
    const noData = await monitor(c, 'alpha');
    expect(noData.name).toBe('OCF_FAILED_PROMOTED');
    expect(noData.exitReason).toContain('the MooseFS data directory is missing');
    expect((await run('umount', [c.mnt.alpha])).ok).toBe(true);
    const failed = await monitor(c, 'alpha');
    expect(failed.name).toBe('OCF_FAILED_PROMOTED');
    expect(failed.exitReason).toContain('is Primary but its file system is not mounted');
    expect((await c.drbd.fault(['fail-disk', c.resource, 'beta'])).ok).toBe(true);
    const diskless = await monitor(c, 'beta');
    expect(diskless.name).toBe('OCF_ERR_GENERIC');
    expect(diskless.exitReason).toContain('without its disk (Diskless)');
    expect(await score(c, 'beta')).toBeUndefined();
  });

  it('stops a Promoted store (demote, down, score removed); stop is idempotent', async () => {
    const c = await cluster();
    await startBoth(c);
    expect((await agent(c, 'alpha', 'promote')).name).toBe('OCF_SUCCESS');
    const stop = await agent(c, 'alpha', 'stop');
    expect(stop.name, stop.stderr).toBe('OCF_SUCCESS');
    expect(await state(c, 'alpha')).toBeUndefined();
    expect(findMount(c.mnt.alpha)).toBeUndefined();
    expect(await score(c, 'alpha')).toBeUndefined();
    const again = await agent(c, 'alpha', 'stop');
    expect(again.name).toBe('OCF_SUCCESS');
    expect(again.stderr).toContain('is already down');
    expect((await monitor(c, 'alpha')).name).toBe('OCF_NOT_RUNNING');
    expect((await agent(c, 'alpha', 'monitor', {}, { OCF_RESKEY_CRM_meta_interval: '0' })).name).toBe('OCF_NOT_RUNNING');
    // The peer sees it gone and keeps a lower score.
    expect((await monitor(c, 'beta')).name).toBe('OCF_SUCCESS');
    expect(await score(c, 'beta')).toBe(1000);
    expect(await pacemakerPromotes(c), 'Pacemaker, given these scores').toBe('beta');
    // A configuration file gone meanwhile does not block the stop (drbdsetup down, as LINBIT's agent).
    const blind = await agent(c, 'beta', 'stop', { drbdconf: join(c.drbd.dir, 'gone.res') });
    expect(blind.name, blind.stderr).toBe('OCF_SUCCESS');
    expect(blind.stderr).toContain('using drbdsetup down');
    expect(await state(c, 'beta')).toBeUndefined();
  });

  it('keeps scores right through notifications', async () => {
    const c = await cluster();
    await startBoth(c);
    expect((await agent(c, 'alpha', 'stop')).name).toBe('OCF_SUCCESS');
    const notify = (type: string, operation: string) =>
      agent(c, 'beta', 'notify', {}, { OCF_RESKEY_CRM_meta_notify_type: type, OCF_RESKEY_CRM_meta_notify_operation: operation, OCF_RESKEY_CRM_meta_notify_stop_uname: 'alpha' });
    expect((await notify('post', 'stop')).name).toBe('OCF_SUCCESS');
    expect(await score(c, 'beta'), 'after the peer stopped').toBe(1000);
    expect((await agent(c, 'alpha', 'start')).name).toBe('OCF_SUCCESS');
    expect((await notify('pre', 'start')).name).toBe('OCF_SUCCESS');
    expect((await notify('post', 'start')).name).toBe('OCF_SUCCESS');
    expect(await score(c, 'beta'), 'after the peer started').toBe(10000);
  });
});

/**
 * A split brain: alpha Primary (mounted, written), the link cut, beta made Primary as well by
 * hand (both sides wrote apart), the link healed: DRBD drops the connection to StandAlone on
 * both sides. Pacemaker then demotes one side, alpha, and completes the other's promotion.
 * (The emulator's two nodes share one disk, so only one side can have it mounted at a time.)
 */
async function splitBrain(policy: string): Promise<{ c: Cluster; demoteLog: string }> {
  const c = await cluster({ params: { split_brain_policy: policy } });
  await startBoth(c);
  expect((await agent(c, 'alpha', 'promote')).name).toBe('OCF_SUCCESS');
  expect((await c.drbd.fault(['cut', c.resource])).ok).toBe(true);
  expect((await c.drbd.drbdadm('beta', ['primary', c.resource])).ok).toBe(true);
  writeFileSync(join(c.mnt.alpha, 'mfs', 'written-apart'), 'alpha');
  expect((await c.drbd.fault(['heal', c.resource])).ok).toBe(true);
  for (const node of NODES) {
    const s = await state(c, node);
    expect([s?.role, s?.peers[0]?.connection], node).toEqual(['Primary', 'StandAlone']);
  }
  expect((await monitor(c, 'alpha')).name, 'a Primary in split brain').toBe('OCF_DEGRADED_PROMOTED');
  const demote = await agent(c, 'alpha', 'demote');
  expect(demote.name, demote.stderr).toBe('OCF_SUCCESS');
  const promote = await agent(c, 'beta', 'promote');
  expect(promote.name, promote.stderr).toBe('OCF_SUCCESS');
  expect(findMount(c.mnt.beta)).toBeDefined();
  return { c, demoteLog: demote.stderr };
}

describe('mfs-drbd-store: split brain', () => {
  it('manual: reported loudly on both sides, the Primary keeps serving, nothing is discarded', async () => {
    const { c, demoteLog } = await splitBrain('manual');
    expect(demoteLog).toMatch(/CRIT: SPLIT BRAIN on DRBD resource \w+ with beta: .*nothing is discarded automatically/);
    expect(demoteLog).not.toContain('DISCARDING');
    const victim = await monitor(c, 'alpha');
    expect(victim.name).toBe('OCF_DEGRADED');
    expect(victim.stderr).toContain('CRIT: SPLIT BRAIN');
    expect(await reason(c, 'alpha')).toContain('SPLIT BRAIN with beta (split_brain_policy=manual: resolve by hand)');
    expect(await score(c, 'alpha'), 'diverged data is not promotable').toBeUndefined();
    expect(await score(c, 'beta')).toBe(10000);
    const primary = await monitor(c, 'beta');
    expect(primary.name).toBe('OCF_DEGRADED_PROMOTED');
    expect(primary.stderr).toContain('keeps serving as Primary');
    // Still apart: nobody reconnected, nobody discarded anything; alpha keeps its own data.
    for (const node of NODES) expect((await state(c, node))?.peers[0]?.connection).toBe('StandAlone');
    expect((await state(c, 'alpha'))?.volumes[0]?.disk).toBe('UpToDate');
    expect((await c.drbd.fault(['log'])).stdout).not.toMatch(/discard|manually solved/i);
  });

  it('discard-secondary: the Secondary discards its changes (named in the log) and resynchronises from the Primary', async () => {
    const { c, demoteLog } = await splitBrain('discard-secondary');
    // The Primary's monitor reconnects: DRBD meets the split brain again, both StandAlone.
    await monitor(c, 'beta');
    expect((await state(c, 'alpha'))?.peers[0]?.connection).toBe('StandAlone');
    // A probe only reports; it discards nothing.
    const probe = await agent(c, 'alpha', 'monitor', {}, { OCF_RESKEY_CRM_meta_interval: '0' });
    expect(probe.name).toBe('OCF_DEGRADED');
    expect(probe.stderr).toContain('CRIT: SPLIT BRAIN');
    expect(probe.stderr).not.toContain('DISCARDING');
    expect((await state(c, 'alpha'))?.peers[0]?.connection).toBe('StandAlone');
    // Recurring monitors on both sides: the Secondary discards its changes, the Primary reconnects.
    let logs = demoteLog;
    const reconnected = await new Deadline(30_000).poll(
      async () => {
        for (const node of NODES) logs += (await monitor(c, node)).stderr;
        const [a, b] = [await state(c, 'alpha'), await state(c, 'beta')];
        return b?.peers[0]?.connection === 'Connected' && a?.volumes[0]?.disk === 'UpToDate' ? true : undefined;
      },
      { intervalMs: 300 },
    );
    expect(reconnected, 'alpha and beta connected again').toBe(true);
    expect(logs).toMatch(
      /CRIT: split brain on DRBD resource \w+ with beta: split_brain_policy=discard-secondary: DISCARDING on alpha \(Secondary\) every volume of \w+: changes this node \(alpha\) made while Primary without beta since \d{4}-/,
    );
    expect(logs).not.toContain('DISCARDING on beta');
    expect((await monitor(c, 'beta')).name).toBe('OCF_RUNNING_PROMOTED');
    expect((await monitor(c, 'alpha')).name).toBe('OCF_SUCCESS');
    expect(await score(c, 'alpha')).toBe(10000);
    expect((await c.drbd.fault(['log'])).stdout).toMatch(/alpha: .*Split-Brain detected, manually solved\. Sync from peer node/);
  });
});

/**
 * The old Primary fenced while cut off: its DRBD started a new data generation when it lost its
 * peer, then the power went (the kernel forgot the resource, a reboot emptied /run and with it
 * the agent's memory of having been Primary apart). beta took over and wrote. When alpha starts
 * again, DRBD refuses the handshake (split brain) and drops the connection: that StandAlone
 * alone must keep alpha from any promotion, and no later reconnect may erase it.
 */
async function fencedOldPrimaryReturns(policy: string): Promise<{ c: Cluster; startLog: string }> {
  const c = await cluster({ params: { split_brain_policy: policy } });
  await startBoth(c);
  expect((await agent(c, 'alpha', 'promote')).name).toBe('OCF_SUCCESS');
  expect((await c.drbd.fault(['cut', c.resource])).ok).toBe(true);
  writeFileSync(join(c.mnt.alpha, 'mfs', 'written-apart'), 'alpha');
  expect((await run('umount', ['-l', c.mnt.alpha])).ok).toBe(true);
  expect((await c.drbd.fault(['crash', 'alpha'])).ok).toBe(true);
  for (const file of readdirSync(DEFAULT_HISTORY_DIR)) if (file.startsWith(`drbd-${c.resource}-alpha`)) rmSync(join(DEFAULT_HISTORY_DIR, file));
  expect((await monitor(c, 'beta')).name).toBe('OCF_SUCCESS');
  const promote = await agent(c, 'beta', 'promote');
  expect(promote.name, promote.stderr).toBe('OCF_SUCCESS');
  writeFileSync(join(c.mnt.beta, 'mfs', 'written-by-survivor'), 'beta');
  expect((await c.drbd.fault(['heal', c.resource])).ok).toBe(true);
  const start = await agent(c, 'alpha', 'start');
  expect(start.name, start.stderr).toBe('OCF_SUCCESS');
  expect((await c.drbd.fault(['log'])).stdout, 'DRBD refused the handshake').toMatch(/alpha: .*Split-Brain detected but unresolved/);
  expect(await score(c, 'alpha'), 'diverged data: no score from start').toBeUndefined();
  // Pacemaker's post-start notification, on both instances.
  const notify = (node: Node) => agent(c, node, 'notify', {}, { OCF_RESKEY_CRM_meta_notify_type: 'post', OCF_RESKEY_CRM_meta_notify_operation: 'start', OCF_RESKEY_CRM_meta_notify_start_uname: 'alpha' });
  for (const node of NODES) expect((await notify(node)).name).toBe('OCF_SUCCESS');
  return { c, startLog: start.stderr };
}

describe('mfs-drbd-store: a fenced old Primary returns into a split brain', () => {
  it('manual: it gets no score and stays StandAlone through the notifications; Pacemaker keeps the survivor', async () => {
    const { c } = await fencedOldPrimaryReturns('manual');
    expect((await state(c, 'alpha'))?.peers[0]?.connection, 'no reconnect by the notify').toBe('StandAlone');
    expect(await score(c, 'alpha')).toBeUndefined();
    expect(await reason(c, 'alpha')).toContain('SPLIT BRAIN with beta');
    const victim = await monitor(c, 'alpha');
    expect(victim.name).toBe('OCF_DEGRADED');
    expect(victim.stderr).toMatch(/CRIT: SPLIT BRAIN on DRBD resource \w+ with beta: this node \(alpha\) holds changes made apart from beta \(DRBD dropped their connection since \d{4}-/);
    // Even once alpha only waits for its peer again (an admin's drbdadm connect), it stays unpromotable.
    expect((await c.drbd.drbdadm('alpha', ['connect', c.resource])).ok).toBe(true);
    expect((await state(c, 'alpha'))?.peers[0]?.connection).not.toBe('StandAlone');
    await monitor(c, 'alpha');
    expect(await score(c, 'alpha'), 'the refusal is remembered until the peers replicate').toBeUndefined();
    expect(await pacemakerPromotes(c), 'Pacemaker, given these scores').toBe('beta');
    // Were alpha's score stale (published before DRBD dropped it), the promote itself refuses.
    expect((await agent(c, 'beta', 'demote')).name).toBe('OCF_SUCCESS');
    const promote = await agent(c, 'alpha', 'promote');
    expect(promote.name).toBe('OCF_ERR_GENERIC');
    expect(promote.exitReason).toContain('DRBD dropped the connection to beta (StandAlone) and this node has not replicated since');
    expect((await state(c, 'alpha'))?.role).toBe('Secondary');
  });

  it('discard-secondary: the returning node discards its side (named) and resynchronises from the survivor', async () => {
    const { c, startLog } = await fencedOldPrimaryReturns('discard-secondary');
    let logs = startLog;
    const resynchronised = await new Deadline(30_000).poll(
      async () => {
        for (const node of NODES) logs += (await monitor(c, node)).stderr;
        const alpha = await state(c, 'alpha');
        return alpha?.peers[0]?.connection === 'Connected' && alpha.volumes[0]?.disk === 'UpToDate' ? true : undefined;
      },
      { intervalMs: 300 },
    );
    expect(resynchronised, 'alpha connected and UpToDate again').toBe(true);
    expect(logs).toMatch(/DISCARDING on alpha \(Secondary\) every volume of \w+: changes this node \(alpha\) made apart from beta \(DRBD dropped their connection/);
    expect(logs).not.toContain('DISCARDING on beta');
    await monitor(c, 'alpha');
    expect(await score(c, 'alpha')).toBe(10000);
    expect((await c.drbd.fault(['log'])).stdout).toMatch(/alpha: .*Split-Brain detected, manually solved\. Sync from peer node/);
  });
});

describe('mfs-drbd-store: ocf-tester', () => {
  it('passes ocf-tester on one node (the peer never started), without any CIB', async () => {
    const c = await cluster();
    const env = { ...process.env, ...c.drbd.env('alpha') };
    delete env.CIB_file;
    const params = { ...c.params, directory: c.mnt.alpha, master_config: c.masterConfig.alpha };
    const args = ['-n', 'store', ...Object.entries(params).flatMap(([k, v]) => ['-o', `${k}=${v}`]), agentPath('mfs-drbd-store')];
    const result = await run('ocf-tester', args, { env, extendEnv: false, timeoutMs: 240_000, all: true });
    expect(result.stderr, result.stderr).toContain('passed all tests');
    expect(result.exitCode).toBe(0);
    expect(await state(c, 'alpha')).toBeUndefined();
  });
});

describe.each(MOOSEFS)('mfs-drbd-store with the real mfsmaster, MooseFS $version', (moosefs) => {
  it('runs the master on the promoted store; data written before a switch-over is there after it', async () => {
    const c = await cluster();
    const fixture: MasterFixture = await createMasterFixture({ moosefs, metadata: 'none' });
    onCleanup(async () => {
      const masters = findProcesses((p) => p.comm === 'mfsmaster' && NODES.some((n) => p.argv.includes(c.masterConfig[n]) || p.argv.some((a) => a.includes(c.mnt[n]))));
      await terminate(masters.map((p) => p.pid), { deadline: new Deadline(15_000), log: QUIET_LOG(), what: 'test mfsmaster', afterKill: 'test cleanup' });
      await fixture.cleanup();
    });
    // The fixture's configuration (ports, exports), with DATA_PATH on each node's store.
    const base = readFileSync(fixture.configFile, 'utf8').replace(/^DATA_PATH = .*$/m, '');
    for (const node of NODES) writeFileSync(c.masterConfig[node], `${base}DATA_PATH = ${join(c.mnt[node], 'mfs')}\n`);
    const master = (node: Node, action: string, params: Record<string, string> = {}) =>
      runAgent('mfsmaster', action, ocfEnv({ config: c.masterConfig[node], binary: fixture.params.binary!, ...params }, { OCF_RESKEY_CRM_meta_timeout: '60000', OCF_RESOURCE_INSTANCE: 'master' }));

    await startBoth(c);
    expect((await agent(c, 'alpha', 'promote')).name).toBe('OCF_SUCCESS');
    const first = await master('alpha', 'start', { allow_empty_init: 'true' });
    expect(first.code, first.stderr).toBe(0);
    expect(executableOf(lockOwner(join(c.mnt.alpha, 'mfs'), MASTER_LOCK_FILE)), "the version's own mfsmaster").toBe(mfsProgram(moosefs, 'mfsmaster'));
    let client = await mountClient(fixture, 'client-alpha');
    // Metadata only (no chunkservers here): a directory, an empty file, a symlink carrying text.
    mkdirSync(join(client, 'dir'));
    writeFileSync(join(client, 'dir', 'empty-file'), '');
    symlinkSync('written through alpha', join(client, 'dir', 'before-switch-over'));
    await unmountClient(client);

    // Switch-over in Pacemaker's order: master stop, store demote here, store promote there, master start.
    expect((await master('alpha', 'stop')).code).toBe(0);
    const demote = await agent(c, 'alpha', 'demote');
    expect(demote.name, demote.stderr).toBe('OCF_SUCCESS');
    const promote = await agent(c, 'beta', 'promote', { fsck: 'true' });
    expect(promote.name, promote.stderr).toBe('OCF_SUCCESS');
    expect(promote.stderr).toContain('checking the file system on');
    const second = await master('beta', 'start');
    expect(second.code, second.stderr).toBe(0);
    expect((await master('beta', 'monitor', {})).code).toBe(0);
    client = await mountClient(fixture, 'client-beta');
    expect(readlinkSync(join(client, 'dir', 'before-switch-over'))).toBe('written through alpha');
    expect(statSync(join(client, 'dir', 'empty-file')).isFile()).toBe(true);
    await unmountClient(client);
    expect((await master('beta', 'stop')).code).toBe(0);
  });
});
