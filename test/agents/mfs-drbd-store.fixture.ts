/**
 * Two emulated DRBD nodes (alpha, beta) for the ocf:mfs:mfs-drbd-store tests: the emulator's
 * two-node setup with ext4 on its shared disk, an offline CIB for the scores, a mount point and
 * an mfsmaster.cfg per node, and the built agent run "on" a node as Pacemaker runs it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { parseEvents2, type ResourceState } from '../../lib/drbd/state.js';
import { DEFAULT_HISTORY_DIR } from '../../lib/drbd/history.js';
import { Deadline } from '../../lib/runtime/deadline.js';
import { exitCodeName } from '../../lib/ocf/exit-codes.js';
import { getPromotionScore, readReason } from '../../lib/pacemaker/attributes.js';
import { liveProcess } from '../../lib/process/proc.js';
import { run } from '../../lib/process/run.js';
import { findMount } from '../../lib/system/mount.js';
import { ocfEnv, runAgent } from '../helpers/built.js';
import { QUIET_LOG } from '../helpers/moosefs.js';
import { nodeOf, simulate } from '../helpers/pacemaker.js';
import { createTwoNodeSetup, type TwoNodeOptions, type TwoNodeSetup } from '../drbd-emulator/index.js';

export const NODES = ['alpha', 'beta'] as const;
export type Node = (typeof NODES)[number];

export interface Cluster {
  drbd: TwoNodeSetup;
  resource: string;
  cib: string;
  /** Per node: its mount point (`directory`) and its mfsmaster.cfg. */
  mnt: Record<Node, string>;
  masterConfig: Record<Node, string>;
  params: Record<string, string>;
}

const cleanups: Array<() => Promise<void>> = [];

/** Registers what the running test must undo; `runCleanups` (in afterEach) undoes it, last first. */
export function onCleanup(cleanup: () => Promise<void>): void {
  cleanups.push(cleanup);
}

export async function runCleanups(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
}

export async function cluster(options: TwoNodeOptions & { params?: Record<string, string> } = {}): Promise<Cluster> {
  const resource = `st${randomBytes(3).toString('hex')}`;
  const drbd = await createTwoNodeSetup({ resource, nodes: [...NODES], sizeMiB: 32, ...options });
  onCleanup(async () => {
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
export async function agent(c: Cluster, node: Node, action: string, params: Record<string, string> = {}, extra: Record<string, string> = {}) {
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

export const monitor = (c: Cluster, node: Node, extra: Record<string, string> = {}) => agent(c, node, 'monitor', {}, { OCF_RESKEY_CRM_meta_interval: '10000', ...extra });

export async function state(c: Cluster, node: Node): Promise<ResourceState | undefined> {
  const result = await c.drbd.drbdsetup(node, ['events2', '--now', c.resource]);
  return parseEvents2(result.stdout, c.resource);
}

export function target(c: Cluster, node: Node) {
  return { instance: 'store', node, env: { CIB_file: c.cib }, deadline: new Deadline(10_000), log: QUIET_LOG() };
}

export const score = (c: Cluster, node: Node) => getPromotionScore(target(c, node));
export const reason = (c: Cluster, node: Node) => readReason(target(c, node));

/**
 * Where Pacemaker promotes the clone with the scores the agent wrote: the test's CIB plus a
 * promotable clone of the agent (id `store`, as the scores' instance), through crm_simulate.
 */
export async function pacemakerPromotes(c: Cluster): Promise<string> {
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

export async function startBoth(c: Cluster): Promise<void> {
  for (const node of NODES) {
    const start = await agent(c, node, 'start');
    expect(start.name, `start on ${node}: ${start.stderr}`).toBe('OCF_SUCCESS');
  }
}

/** A process with its working directory in the mount; ended by PID in cleanup. */
export function holdMount(dir: string): ChildProcess {
  const child = spawn('sleep', ['300'], { cwd: dir, stdio: 'ignore', detached: true });
  onCleanup(async () => {
    if (child.pid && liveProcess(child.pid)) child.kill('SIGKILL');
  });
  return child;
}
