/**
 * ocf:mfs:mfs-drbd-store through the built executable, over two emulated DRBD 9 nodes on this
 * machine (test/drbd-emulator: the real drbdadm 9.22 over an emulated drbdsetup, one loop
 * device as the replicated disk, ext4 on it), promotion scores in an offline CIB (CIB_file).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseEvents2, type ResourceState } from '../../lib/drbd/state.js';
import { DEFAULT_HISTORY_DIR } from '../../lib/drbd/history.js';
import { Deadline } from '../../lib/ocf/deadline.js';
import { exitCodeName } from '../../lib/ocf/exit-codes.js';
import { getPromotionScore, readReason } from '../../lib/pacemaker/attributes.js';
import { findProcesses, liveProcess, terminate } from '../../lib/process/proc.js';
import { run } from '../../lib/process/run.js';
import { lookupUser } from '../../lib/system/accounts.js';
import { findMount } from '../../lib/system/mount.js';
import { agentPath, ocfEnv, runAgent } from '../helpers/built.js';
import { createMasterFixture, mountClient, QUIET_LOG, unmountClient, type MasterFixture } from '../helpers/moosefs.js';
import { nodeOf, simulate } from '../helpers/pacemaker.js';
import { createTwoNodeSetup, type TwoNodeOptions, type TwoNodeSetup } from '../drbd-emulator/index.js';

const NODES = ['alpha', 'beta'] as const;
type Node = (typeof NODES)[number];

interface Cluster {
  drbd: TwoNodeSetup;
  resource: string;
  cib: string;
  /** Per node: its mount point (`directory`) and its mfsmaster.cfg. */
  mnt: Record<Node, string>;
  masterConfig: Record<Node, string>;
  params: Record<string, string>;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function cluster(options: TwoNodeOptions & { params?: Record<string, string> } = {}): Promise<Cluster> {
  const resource = `st${randomBytes(3).toString('hex')}`;
  const drbd = await createTwoNodeSetup({ resource, nodes: [...NODES], sizeMiB: 32, ...options });
  cleanups.push(async () => {
    for (const node of NODES) if (findMount(join(drbd.dir, node, 'mnt'))) await run('umount', ['-l', join(drbd.dir, node, 'mnt')]);
    await drbd.cleanup();
    for (const file of readdirSafe(DEFAULT_HISTORY_DIR)) if (file.startsWith(`drbd-${resource}-`)) rmSync(join(DEFAULT_HISTORY_DIR, file), { force: true });
  });
  chmodSync(drbd.dir, 0o755); // the master runs as mfs and must reach its DATA_PATH
  const mkfs = await run('mkfs.ext4', ['-q', '-F', drbd.loop], { timeoutMs: 30_000 });
  expect(mkfs.exitCode, mkfs.stderr).toBe(0);
  const empty = await run('cibadmin', ['--empty'], { timeoutMs: 10_000 });
  writeFileSync(join(drbd.dir, 'empty.xml'), empty.stdout.replace('<cib ', '<cib have-quorum="1" '));
  const cib = join(drbd.dir, 'cib.xml');
  const sim = await run('crm_simulate', ['-x', join(drbd.dir, 'empty.xml'), '-q', 'true', '-u', 'alpha', '-u', 'beta', '-O', cib], { timeoutMs: 20_000 });
  expect(sim.exitCode, sim.stderr).toBe(0);
  const mnt = {} as Record<Node, string>;
  const masterConfig = {} as Record<Node, string>;
  for (const node of NODES) {
    mkdirSync(join(drbd.dir, node), { recursive: true });
    mnt[node] = join(drbd.dir, node, 'mnt');
    masterConfig[node] = join(drbd.dir, node, 'mfsmaster.cfg');
    writeFileSync(masterConfig[node], `WORKING_USER = mfs\nDATA_PATH = ${join(mnt[node], 'mfs')}\n`);
  }
  return {
    drbd,
    resource,
    cib,
    mnt,
    masterConfig,
    params: { drbd_resource: resource, drbdconf: drbd.config, fstype: 'ext4', options: 'noatime', ...options.params },
  };
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Runs an action of the built agent "on" a node, as Pacemaker would there. */
async function agent(c: Cluster, node: Node, action: string, params: Record<string, string> = {}, extra: Record<string, string> = {}) {
  const env = ocfEnv(
    { ...c.params, directory: c.mnt[node], master_config: c.masterConfig[node], ...params },
    {
      ...c.drbd.env(node),
      CIB_file: c.cib,
      OCF_RESOURCE_INSTANCE: 'store',
      OCF_RESKEY_CRM_meta_on_node: node,
      OCF_RESKEY_CRM_meta_timeout: '60000',
      // As Pacemaker runs it: a promotable clone of two with notify=true.
      OCF_RESKEY_CRM_meta_clone_max: '2',
      OCF_RESKEY_CRM_meta_notify: 'true',
      OCF_RESKEY_CRM_meta_promoted_max: '1',
      ...extra,
    },
  );
  const result = await runAgent('mfs-drbd-store', action, env);
  return { ...result, name: exitCodeName(result.code ?? -1) };
}

const monitor = (c: Cluster, node: Node, extra: Record<string, string> = {}) => agent(c, node, 'monitor', {}, { OCF_RESKEY_CRM_meta_interval: '10000', ...extra });

async function state(c: Cluster, node: Node): Promise<ResourceState | undefined> {
  const result = await c.drbd.drbdsetup(node, ['events2', '--now', c.resource]);
  return parseEvents2(result.stdout, c.resource);
}

function target(c: Cluster, node: Node) {
  return { instance: 'store', node, env: { CIB_file: c.cib }, deadline: new Deadline(10_000), log: QUIET_LOG() };
}

const score = (c: Cluster, node: Node) => getPromotionScore(target(c, node));
const reason = (c: Cluster, node: Node) => readReason(target(c, node));

/**
 * Where Pacemaker promotes the clone with the scores the agent wrote: the test's CIB plus a
 * promotable clone of the agent (id `store`, as the scores' instance), through crm_simulate.
 */
async function pacemakerPromotes(c: Cluster): Promise<string> {
  const cib = join(c.drbd.dir, 'with-clone.xml');
  writeFileSync(cib, readFileSync(c.cib, 'utf8'));
  const resources = `<resources><clone id="store-clone"><meta_attributes id="store-clone-meta">
    <nvpair id="store-clone-promotable" name="promotable" value="true"/><nvpair id="store-clone-notify" name="notify" value="true"/>
    <nvpair id="store-clone-promoted-max" name="promoted-max" value="1"/></meta_attributes>
    <primitive id="store" class="ocf" provider="mfs" type="mfs-drbd-store"><instance_attributes id="store-ia">
    <nvpair id="store-ia-res" name="drbd_resource" value="${c.resource}"/></instance_attributes></primitive></clone></resources>`;
  writeFileSync(join(c.drbd.dir, 'resources.xml'), resources);
  const env = { CIB_file: cib };
  expect((await run('cibadmin', ['--replace', '-o', 'resources', '--xml-file', join(c.drbd.dir, 'resources.xml')], { env })).exitCode).toBe(0);
  expect((await run('crm_attribute', ['-t', 'crm_config', '-n', 'stonith-enabled', '-v', 'false'], { env })).exitCode).toBe(0);
  const step = await simulate(cib, join(c.drbd.dir, 'simulated.xml'));
  const promotes = step.graph.find({ operation: 'promote', rsc: 'store' }).map((action) => action.node ?? '');
  expect(promotes, step.graph.describe()).toHaveLength(1);
  expect(await nodeOf(step.cib, 'store', 'Promoted')).toBe(promotes[0]);
  return promotes[0]!;
}

async function startBoth(c: Cluster): Promise<void> {
  for (const node of NODES) {
    const start = await agent(c, node, 'start');
    expect(start.name, `start on ${node}: ${start.stderr}`).toBe('OCF_SUCCESS');
  }
}

/** A process with its working directory in the mount; ended by PID in cleanup. */
function holdMount(dir: string): ChildProcess {
  const child = spawn('sleep', ['300'], { cwd: dir, stdio: 'ignore', detached: true });
  cleanups.push(async () => {
    if (child.pid && liveProcess(child.pid)) child.kill('SIGKILL');
  });
  return child;
}

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

    const refused = await agent(c, 'beta', 'promote');
    expect(refused.name).toBe('OCF_ERR_GENERIC');
    expect(refused.exitReason).toContain('peer alpha is Primary; staying Secondary');
    expect((await state(c, 'beta'))?.role).toBe('Secondary');
    expect(findMount(c.mnt.beta)).toBeUndefined();
    // DRBD itself refuses too, with its own words and code.
    const direct = await c.drbd.drbdadm('beta', ['primary', c.resource]);
    expect(direct.exitCode).toBe(11);
    expect(direct.stderr).toContain('(-1) Multiple primaries not allowed by config');
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
    cleanups.push(async () => {
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

describe('mfs-drbd-store with the real mfsmaster', () => {
  it('runs the master on the promoted store; data written before a switch-over is there after it', async () => {
    const c = await cluster();
    const fixture: MasterFixture = await createMasterFixture({ metadata: 'none' });
    cleanups.push(async () => {
      const masters = findProcesses((p) => p.comm === 'mfsmaster' && NODES.some((n) => p.argv.includes(c.masterConfig[n]) || p.argv.some((a) => a.includes(c.mnt[n]))));
      await terminate(masters.map((p) => p.pid), { deadline: new Deadline(15_000), log: QUIET_LOG(), what: 'test mfsmaster', afterKill: 'test cleanup' });
      await fixture.cleanup();
    });
    // The fixture's configuration (ports, exports), with DATA_PATH on each node's store.
    const base = readFileSync(fixture.configFile, 'utf8').replace(/^DATA_PATH = .*$/m, '');
    for (const node of NODES) writeFileSync(c.masterConfig[node], `${base}DATA_PATH = ${join(c.mnt[node], 'mfs')}\n`);
    const master = (node: Node, action: string, params: Record<string, string> = {}) =>
      runAgent('mfsmaster', action, ocfEnv({ config: c.masterConfig[node], ...params }, { OCF_RESKEY_CRM_meta_timeout: '60000', OCF_RESOURCE_INSTANCE: 'master' }));

    await startBoth(c);
    expect((await agent(c, 'alpha', 'promote')).name).toBe('OCF_SUCCESS');
    const first = await master('alpha', 'start', { allow_empty_init: 'true' });
    expect(first.code, first.stderr).toBe(0);
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
