/**
 * ocf:mfs:mfs-metarestore through the built executables, against real MooseFS daemons on
 * loopback: emulated nodes (own metalogger and master data paths, same "virtual IP" ports), a
 * FUSE client, an offline CIB for scores, reasons, positions and the high-water mark.
 */
import { appendFileSync, closeSync, cpSync, existsSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Deadline } from '../../lib/runtime/deadline.js';
import { ASIDE_DIRECTORY, inspectChangelog } from '../../lib/moosefs/changelog.js';
import { lockOwner, readMetadataHeader } from '../../lib/moosefs/data-path.js';
import { queryMasterInfo } from '../../lib/moosefs/protocol.js';
import { signalProcess, waitForExit } from '../../lib/process/proc.js';
import { run } from '../../lib/process/run.js';
import { chownToMfs, createMasterFixture, createMetaloggerFixture, executableOf, METALOGGER_LOCK, mountClient, unmountClient, type MasterFixture, type MetaloggerFixture } from '../helpers/moosefs.js';
import { freePorts } from '../helpers/ports.js';
import { MOOSEFS, mfsProgram, type MooseFsInstall } from '../helpers/moosefs-versions.js';
import { VirtualIp } from '../helpers/virtual-ip.js';
import { runCrm } from '../crm-snippets/mfs-crm.js';
import {
  cloneMeta,
  contentHashes,
  createCluster,
  highWaterMark,
  metarestore,
  mfsmaster,
  nodeAttribute,
  prePromote,
  promotionScore,
  reason,
  RESOURCE,
  setHighWaterMark,
  vanished,
  waitCaughtUp,
  type Cluster,
  type Node,
} from './mfs-metarestore.helpers.js';

const clusters: Cluster[] = [];
const extraFixtures: MasterFixture[] = [];
const extraMetaloggers: MetaloggerFixture[] = [];
const extraCleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of extraCleanups.splice(0)) await cleanup();
  for (const m of extraMetaloggers.splice(0)) await m.cleanup();
  for (const c of clusters.splice(0)) await c.cleanup();
  for (const f of extraFixtures.splice(0)) await f.cleanup();
});

async function makeCluster(names: string[], moosefs: MooseFsInstall, options: Parameters<typeof createCluster>[2] = {}): Promise<Cluster> {
  const c = await createCluster(names, moosefs, options);
  clusters.push(c);
  return c;
}

const MONITOR = { OCF_RESKEY_CRM_meta_interval: '20000' };
/** Unpromoted monitors run back to back under fast writers (before the fix, two in three of them said AHEAD on either version). */
const MONITORS_UNDER_LOAD = 60;

/** Starts the original master and the agent on every node, and waits until each metalogger follows it. */
async function startAll(c: Cluster): Promise<void> {
  const master = await mfsmaster(c.origin, 'start');
  expect(master.name, master.stderr).toBe('OCF_SUCCESS');
  for (const node of c.nodes) {
    const start = await metarestore(c, node, 'start');
    expect(start.name, start.stderr).toBe('OCF_SUCCESS');
  }
  for (const node of c.nodes) await waitFollowing(c, node);
  // Each daemon is the cluster's MooseFS version's own program.
  expect(executableOf(c.origin.masterPid())).toBe(mfsProgram(c.moosefs, 'mfsmaster'));
  for (const node of c.nodes) expect(executableOf(node.ml.pid()), node.name).toBe(mfsProgram(c.moosefs, 'mfsmetalogger'));
}

async function waitFollowing(c: Cluster, node: Node): Promise<void> {
  let last = '';
  const ok = await new Deadline(20_000).poll(async () => {
    const monitor = await metarestore(c, node, 'monitor', {}, MONITOR);
    last = `${monitor.name} ${monitor.stderr}`;
    return monitor.name === 'OCF_SUCCESS' ? true : undefined;
  }, { intervalMs: 300 });
  expect(ok, `${node.name} never followed the master: ${last}`).toBe(true);
}

interface Op {
  name: string;
  ackedAt: number;
}

/** Creates directories and empty files through the client, recording when each was acknowledged. */
async function writeOps(mount: string, prefix: string, count: number): Promise<Op[]> {
  const ops: Op[] = [];
  for (let i = 0; i < count; i++) {
    const dir = `${prefix}-d${i}`;
    await mkdir(join(mount, dir));
    ops.push({ name: dir, ackedAt: performance.now() });
    const file = `${prefix}-f${i}`;
    closeSync(openSync(join(mount, file), 'w'));
    ops.push({ name: file, ackedAt: performance.now() });
  }
  return ops;
}

/**
 * Concurrent writers (directories and empty files) through the client; once `killAfter`
 * operations are acknowledged, SIGKILL of the master while they run. Returns the operations
 * acknowledged before the kill.
 */
async function writeWhileKilling(c: Cluster, mount: string, writers: number, killAfter: number): Promise<{ acked: Op[]; killedAt: number }> {
  const ops: Op[] = [];
  let stop = false;
  const writer = async (w: number) => {
    for (let i = 0; !stop; i++) {
      const name = `w${w}-${i}`;
      try {
        if (i % 2 === 0) await mkdir(join(mount, name));
        else closeSync(openSync(join(mount, name), 'w'));
      } catch {
        return;
      }
      ops.push({ name, ackedAt: performance.now() });
    }
  };
  const running = Array.from({ length: writers }, (_, w) => writer(w));
  const enough = await new Deadline(30_000).poll(() => (ops.length >= killAfter ? true : undefined), { intervalMs: 1 });
  expect(enough).toBe(true);
  const pid = c.origin.masterPid()!;
  signalProcess(pid, 'SIGKILL');
  const killedAt = performance.now();
  stop = true;
  const acked = ops.filter((op) => op.ackedAt < killedAt);
  expect(await waitForExit([pid], new Deadline(5000))).toBe(true);
  await unmountClient(mount);
  await Promise.allSettled(running);
  return { acked, killedAt };
}

async function kill(pid: number | undefined): Promise<void> {
  expect(pid).toBeDefined();
  signalProcess(pid!, 'SIGKILL');
  expect(await waitForExit([pid!], new Deadline(5000))).toBe(true);
}

async function survivors(master: MasterFixture, name: string): Promise<Set<string>> {
  const mount = await mountClient(master, name);
  const seen = new Set(readdirSync(mount));
  await unmountClient(mount);
  return seen;
}

/** Crashes the original master (SIGKILL) and deletes its data path, as the scenario does. */
async function crashOrigin(c: Cluster, mount: string | undefined): Promise<number> {
  await kill(c.origin.masterPid());
  const killedAt = performance.now();
  if (mount) await unmountClient(mount);
  rmSync(c.origin.dataPath, { recursive: true, force: true });
  return killedAt;
}

async function promoteAmong(c: Cluster, promoted: Node, candidates: Node[], params: Record<string, string> = {}) {
  for (const node of candidates) {
    const notify = await metarestore(c, node, 'notify', params, prePromote(promoted, candidates));
    expect(notify.name, notify.stderr).toBe('OCF_SUCCESS');
  }
  return metarestore(c, promoted, 'promote', params, cloneMeta(candidates.length));
}

describe.each(MOOSEFS)('mfs-metarestore: failover from the metalogger, MooseFS $version', (moosefs) => {
  const cluster = (names: string[]) => makeCluster(names, moosefs);

  it('promotes the metalogger node after kill -9 of the master and deletion of its data path; the master starts there with every change', async () => {
    const c = await cluster(['node2']);
    const node2 = c.nodes[0]!;
    await startAll(c);
    expect(await promotionScore(c, 'node2')).toMatch(/^\d+$/);
    expect(await reason(c, 'node2')).toMatch(/change\(s\) behind the master/);

    const mount = await mountClient(c.origin);
    const { acked, killedAt } = await writeWhileKilling(c, mount, 4, 400);
    rmSync(c.origin.dataPath, { recursive: true, force: true });
    const before = contentHashes(node2.ml.dataPath, node2.master.dataPath);

    const promoteStarted = performance.now();
    const promote = await promoteAmong(c, node2, [node2]);
    const promoteMs = performance.now() - promoteStarted;
    expect(promote.name, promote.stderr).toBe('OCF_SUCCESS');
    const restoreMs = /INFO: .*mfsmaster -c \S+ -x restore rebuilt \S+metadata\.mfs in (\d+) ms/.exec(promote.stderr)?.[1];
    expect(restoreMs).toBeDefined();
    console.log(`notify + promote: ${promoteMs.toFixed(0)} ms, of which mfsmaster restore ${restoreMs} ms`);
    expect((await metarestore(c, node2, 'monitor', {}, MONITOR)).name).toBe('OCF_RUNNING_PROMOTED');
    expect(node2.ml.pid(), 'promote stops the metalogger').toBeUndefined();
    expect(await promotionScore(c, 'node2')).toBe('1001');
    expect(await reason(c, 'node2')).toMatch(/^promoted at metadata version \d+: newest metadata/);

    const start = await mfsmaster(node2.master, 'start');
    expect(start.name, start.stderr).toBe('OCF_SUCCESS');
    expect(start.stderr, 'metadata.mfs was rebuilt: a clean start').not.toMatch(/recover/);
    expect(executableOf(node2.master.masterPid())).toBe(mfsProgram(moosefs, 'mfsmaster'));
    const seen = await survivors(node2.master, 'mnt-node2');
    const lost = acked.filter((op) => !seen.has(op.name));
    // Only what the metalogger had not received can be lost: operations acknowledged just before the kill.
    const window = lost.length > 0 ? killedAt - Math.min(...lost.map((op) => op.ackedAt)) : 0;
    expect(window).toBeLessThan(1000);
    expect(seen.size).toBeGreaterThanOrEqual(acked.length - lost.length);
    console.log(
      `loss window (4 writers, master killed under load, metalogger alive): ${lost.length} of ${acked.length} acknowledged operations lost; ` +
        `the earliest lost was acknowledged ${window.toFixed(1)} ms before the kill`,
    );

    // Promote recorded the rebuilt version as the high-water mark; the Promoted monitor raises it to what
    // the master serves, at most once per high_water_interval (a CIB configuration write each time).
    const rebuilt = readMetadataHeader(join(node2.master.dataPath, 'metadata.mfs.back'))!;
    const fsHex = rebuilt.fsId.toString(16).toUpperCase().padStart(16, '0');
    expect(await highWaterMark(c)).toBe(`${rebuilt.version}:${fsHex}`);
    const PROMOTED_MONITOR = { OCF_RESKEY_CRM_meta_interval: '10000' };
    expect((await metarestore(c, node2, 'monitor', {}, PROMOTED_MONITOR)).name).toBe('OCF_RUNNING_PROMOTED');
    expect(await highWaterMark(c), 'not again within high_water_interval').toBe(`${rebuilt.version}:${fsHex}`);
    expect((await metarestore(c, node2, 'monitor', { high_water_interval: '0' }, PROMOTED_MONITOR)).name).toBe('OCF_RUNNING_PROMOTED');
    const served = (await queryMasterInfo('127.0.0.1', c.origin.ports.client, 5000)).metadataVersion!;
    expect(served).toBeGreaterThan(rebuilt.version); // the client's session came and went
    const mark = await highWaterMark(c);
    expect(mark).toBe(`${served}:${fsHex}`);
    expect(vanished(before, node2.ml.dataPath, node2.master.dataPath)).toEqual([]);

    // Demote refuses while the master runs; after the master stops it returns to metalogger.
    const early = await metarestore(c, node2, 'demote');
    expect(early.name).toBe('OCF_ERR_GENERIC');
    expect(early.exitReason).toMatch(/mfsmaster \(pid \d+\) still runs on .*: the master resource must stop before demote/);
    expect((await mfsmaster(node2.master, 'stop')).name).toBe('OCF_SUCCESS');
    const demote = await metarestore(c, node2, 'demote');
    expect(demote.name, demote.stderr).toBe('OCF_SUCCESS');
    const final = readMetadataHeader(join(node2.master.dataPath, 'metadata.mfs'))!;
    expect(await highWaterMark(c), "demote records the stopped master's final version").toBe(`${final.version}:${mark!.split(':')[1]}`);
    expect(node2.ml.pid()).toBeDefined();
    expect((await metarestore(c, node2, 'monitor', {}, MONITOR)).name).toBe('OCF_SUCCESS');
  });

  it('repairs a torn changelog_ml.0.mfs (metalogger killed mid-line): only the metalogger lag is lost, where plain mfsmaster restore loses the whole file', async () => {
    const c = await cluster(['node2']);
    const node2 = c.nodes[0]!;
    await startAll(c);
    const mount = await mountClient(c.origin);
    const flushed = await writeOps(mount, 'a', 60);
    await waitCaughtUp(c, node2); // the metalogger flushes once a second
    const unflushed = await writeOps(mount, 'b', 10);
    const changelog = join(node2.ml.dataPath, 'changelog_ml.0.mfs');
    await kill(node2.ml.pid());
    const killedAt = performance.now();
    await crashOrigin(c, mount);
    const last = inspectChangelog(changelog).lastCompleteVersion!;
    appendFileSync(changelog, `${last + 1n}: 1795457736|CREATE(1,torn`);
    const torn = readFileSync(changelog);

    // The program alone, on a copy of the same files.
    const plain = await createMasterFixture({ moosefs, metadata: 'none' });
    extraFixtures.push(plain);
    cpSync(node2.ml.dataPath, plain.dataPath, { recursive: true });
    for (const name of readdirSync(plain.dataPath)) await chownToMfs(join(plain.dataPath, name));
    const restore = await run(mfsProgram(moosefs, 'mfsmaster'), ['-c', plain.configFile, '-x', 'restore'], { timeoutMs: 30_000, all: true });
    expect(restore.stderr).toMatch(/skipping changelog file: changelog_ml\.0\.mfs/);
    const plainVersion = existsSync(join(plain.dataPath, 'metadata.mfs')) ? readMetadataHeader(join(plain.dataPath, 'metadata.mfs'))!.version : 0n;

    const promote = await promoteAmong(c, node2, [node2]);
    expect(promote.name, promote.stderr).toBe('OCF_SUCCESS');
    expect(promote.stderr).toMatch(
      new RegExp(`WARNING: ${node2.master.dataPath}/changelog_ml\\.0\\.mfs: its last line was partial .*cut \\d+ byte\\(s\\), original kept as .*${ASIDE_DIRECTORY}/changelog_ml\\.0\\.mfs\\.torn-.*; last complete change: version ${last}`),
    );
    const rebuilt = readMetadataHeader(join(node2.master.dataPath, 'metadata.mfs'))!.version;
    expect(rebuilt).toBe(last + 1n);
    expect(plainVersion).toBeLessThan(rebuilt);
    expect(readFileSync(changelog).equals(torn), "the metalogger's own file is untouched").toBe(true);

    expect((await mfsmaster(node2.master, 'start')).name).toBe('OCF_SUCCESS');
    const seen = await survivors(node2.master, 'mnt-node2');
    expect(flushed.filter((op) => !seen.has(op.name))).toEqual([]);
    const lost = [...flushed, ...unflushed].filter((op) => !seen.has(op.name));
    const window = lost.length > 0 ? killedAt - Math.min(...lost.map((op) => op.ackedAt)) : 0;
    expect(window).toBeLessThan(1500); // the metalogger flushes once a second
    console.log(
      `torn changelog (metalogger SIGKILLed, then the master): agent reached version ${rebuilt}, plain restore ${plainVersion}; ` +
        `${lost.length} of ${flushed.length + unflushed.length} operations lost, acknowledged in the last ${window.toFixed(1)} ms before the metalogger died`,
    );
  });

  it("works when the metalogger and the master share one DATA_PATH (Debian's defaults): the metalogger's files stay in place", async () => {
    const c = await cluster(['node2']);
    const node2 = c.nodes[0]!;
    // node2's metalogger writes into its master's DATA_PATH.
    const shared = await createMetaloggerFixture(c.origin.ports.metalogger, { DATA_PATH: node2.master.dataPath }, moosefs);
    extraMetaloggers.push(shared);
    const sharedPid = () => lockOwner(node2.master.dataPath, METALOGGER_LOCK);
    const sameDir: Node = { ...node2, ml: { ...shared, dataPath: node2.master.dataPath, pid: sharedPid } };
    extraCleanups.push(async () => {
      const pid = sharedPid();
      if (pid !== undefined) await kill(pid);
    });
    expect((await mfsmaster(c.origin, 'start')).name).toBe('OCF_SUCCESS');
    expect((await metarestore(c, sameDir, 'start')).name).toBe('OCF_SUCCESS');
    await waitCaughtUp(c, sameDir);
    const mount = await mountClient(c.origin);
    const ops = await writeOps(mount, 's', 30);
    await waitCaughtUp(c, sameDir);
    await crashOrigin(c, mount);
    const before = contentHashes(node2.master.dataPath);
    const metaloggerFiles = readdirSync(node2.master.dataPath).filter((n) => /^(metadata_ml|changelog_ml)/.test(n)).sort();
    expect(metaloggerFiles.length).toBeGreaterThan(0);

    const promote = await promoteAmong(c, sameDir, [sameDir]);
    expect(promote.name, promote.stderr).toBe('OCF_SUCCESS');
    expect(readdirSync(node2.master.dataPath).filter((n) => /^(metadata_ml|changelog_ml)/.test(n)).sort()).toEqual(metaloggerFiles);
    expect((await mfsmaster(node2.master, 'start')).name).toBe('OCF_SUCCESS');
    const seen = await survivors(node2.master, 'mnt-node2');
    expect(ops.filter((op) => !seen.has(op.name))).toEqual([]);
    expect(vanished(before, node2.master.dataPath)).toEqual([]);
    expect((await mfsmaster(node2.master, 'stop')).name).toBe('OCF_SUCCESS');
    expect((await metarestore(c, sameDir, 'demote')).name).toBe('OCF_SUCCESS');
    expect(sharedPid()).toBeDefined();
  });

  it("promotes from this node's own master files when they are newer than its metalogger's (the old master's node after a full-cluster crash)", async () => {
    const c = await cluster(['node2']);
    const node2 = c.nodes[0]!;
    await startAll(c);
    const mount = await mountClient(c.origin);
    const early = await writeOps(mount, 'o', 10);
    await waitCaughtUp(c, node2);
    await kill(node2.ml.pid()); // the metalogger stops here
    const late = await writeOps(mount, 'n', 10);
    await kill(c.origin.masterPid());
    await unmountClient(mount);
    // node2 is where that master ran: its files are in node2's master DATA_PATH.
    cpSync(c.origin.dataPath, node2.master.dataPath, { recursive: true });
    for (const name of readdirSync(node2.master.dataPath)) await chownToMfs(join(node2.master.dataPath, name));
    const before = contentHashes(node2.ml.dataPath, node2.master.dataPath);

    const promote = await promoteAmong(c, node2, [node2]);
    expect(promote.name, promote.stderr).toBe('OCF_SUCCESS');
    expect(promote.stderr).toMatch(/INFO: promoting: .*rebuilding from version \d+ of file system [0-9A-F]{16} \(master files in /);
    expect(promote.stderr).toMatch(/INFO: copied \d+ file\(s\) of .* into .*before-promote-/);
    expect((await mfsmaster(node2.master, 'start')).name).toBe('OCF_SUCCESS');
    const seen = await survivors(node2.master, 'mnt-node2');
    expect([...early, ...late].filter((op) => !seen.has(op.name))).toEqual([]);
    expect(vanished(before, node2.ml.dataPath, node2.master.dataPath)).toEqual([]);
  });

  it('fails loudly, naming the files, when the rebuilt metadata does not reach the newest complete changelog line', async () => {
    const c = await cluster(['node2']);
    const node2 = c.nodes[0]!;
    await startAll(c);
    const mount = await mountClient(c.origin);
    await writeOps(mount, 'g', 5);
    await waitCaughtUp(c, node2);
    await crashOrigin(c, mount);
    // A changelog the recovery skips (it does not start with a version) although its last line is newer.
    const skipped = join(node2.ml.dataPath, 'changelog_ml.3.mfs');
    writeFileSync(skipped, 'garbage that is not a change\n100000: 1795456999|SESSION():7\n');
    await chownToMfs(skipped);
    const before = contentHashes(node2.ml.dataPath, node2.master.dataPath);
    const promote = await promoteAmong(c, node2, [node2]);
    expect(promote.name).toBe('OCF_ERR_GENERIC');
    expect(promote.exitReason).toMatch(
      /^rebuilt metadata version \d+ does not reach version 100001 \(candidate 100001, newest complete changelog line 100000 in .*changelog_ml\.3\.mfs.*\): refusing to serve older metadata; the rebuilt image was moved to .*mfs-ocf-aside\/rejected-.*\/metadata\.mfs, every other file left in place$/,
    );
    expect(readdirSync(node2.master.dataPath)).not.toContain('metadata.mfs');
    expect(await reason(c, 'node2')).toMatch(/^promote failed: rebuilt metadata version/);
    expect(await promotionScore(c, 'node2')).toBeUndefined();
    expect(vanished(before, node2.ml.dataPath, node2.master.dataPath)).toEqual([]);
    // And the master resource cannot start from what is left.
    expect((await mfsmaster(node2.master, 'start')).name).not.toBe('OCF_SUCCESS');
  });
});

describe.each(MOOSEFS)('mfs-metarestore: the election, MooseFS $version', (moosefs) => {
  const cluster = (names: string[]) => makeCluster(names, moosefs);

  it('fails the promote of the older of two candidates on purpose, swapping scores, and promotes the newer', async () => {
    const c = await cluster(['node2', 'node3']);
    const [node2, node3] = c.nodes as [Node, Node];
    await startAll(c);
    const mount = await mountClient(c.origin);
    await writeOps(mount, 'x', 20);
    await waitCaughtUp(c, node3);
    await kill(node3.ml.pid()); // node3 stops following
    await writeOps(mount, 'y', 20);
    await crashOrigin(c, mount);
    const before = contentHashes(node2.ml.dataPath, node2.master.dataPath, node3.ml.dataPath, node3.master.dataPath);

    const older = await promoteAmong(c, node3, [node2, node3]);
    expect(older.name).toBe('OCF_ERR_GENERIC');
    expect(older.exitReason).toMatch(/^promote refused: node2 has newer metadata \(version (\d+)\) than this node \(version (\d+)\): let it be promoted$/);
    const [, v2, v3] = /version (\d+)\) than this node \(version (\d+)/.exec(older.exitReason!)!;
    expect(BigInt(v2!)).toBeGreaterThan(BigInt(v3!));
    expect(await nodeAttribute(c, 'node2', `mfs-ocf-position-${RESOURCE}`)).toMatch(new RegExp(`^${v2}:`));
    expect(await promotionScore(c, 'node3')).toBe('1');
    expect(await promotionScore(c, 'node2')).toBe('1000');
    expect(await reason(c, 'node3')).toMatch(/^promote refused: node2 has newer metadata/);
    expect(await reason(c, 'node2')).toMatch(/^promotion score 1000 set by the election on node3: node2 has newer metadata/);
    expect(readdirSync(node3.master.dataPath).filter((n) => n.endsWith('.mfs'))).toEqual([]);

    const newer = await promoteAmong(c, node2, [node2, node3]);
    expect(newer.name, newer.stderr).toBe('OCF_SUCCESS');
    expect(await reason(c, 'node2')).toMatch(new RegExp(`^promoted at metadata version ${v2}: newest metadata: version ${v2}, peers: node3 ${v3}`));
    expect(vanished(before, node2.ml.dataPath, node2.master.dataPath, node3.ml.dataPath, node3.master.dataPath)).toEqual([]);

    // node3 follows the new master; master files left on node3 are history the cluster moved on from: set aside.
    expect((await mfsmaster(node2.master, 'start')).name).toBe('OCF_SUCCESS');
    cpSync(join(node2.master.dataPath, 'metadata.mfs.back'), join(node3.master.dataPath, 'metadata.mfs'));
    await waitFollowing(c, node3);
    expect(readdirSync(node3.master.dataPath)).not.toContain('metadata.mfs');
    const superseded = readdirSync(join(node3.master.dataPath, ASIDE_DIRECTORY)).filter((n) => n.startsWith('superseded-'));
    expect(superseded).toHaveLength(1);
    expect(readdirSync(join(node3.master.dataPath, ASIDE_DIRECTORY, superseded[0]!))).toEqual(['metadata.mfs']);
  });

  it('promotes without comparing only when told to, and the node left ahead keeps its files before its metalogger meets the new master', async () => {
    const c = await cluster(['node2', 'node3']);
    const [node2, node3] = c.nodes as [Node, Node];
    await startAll(c);
    const mount = await mountClient(c.origin);
    await writeOps(mount, 'p', 10);
    await waitCaughtUp(c, node2);
    await kill(node2.ml.pid()); // node2 falls behind, node3 keeps following
    await writeOps(mount, 'q', 10);
    await waitCaughtUp(c, node3);
    await crashOrigin(c, mount);
    // node3 never publishes its position (its notification is lost): node2 cannot compare.
    expect((await metarestore(c, node2, 'notify', {}, prePromote(node2, [node2, node3]))).name).toBe('OCF_SUCCESS');
    const blind = await metarestore(c, node2, 'promote', {}, cloneMeta(2));
    expect(blind.name).toBe('OCF_ERR_GENERIC');
    expect(blind.exitReason).toMatch(/cannot compare version \d+ with node3 \(published no position at pre-promote\), which may be ahead/);
    expect((await metarestore(c, node2, 'notify', {}, prePromote(node2, [node2, node3]))).name).toBe('OCF_SUCCESS');
    const anyway = await metarestore(c, node2, 'promote', { promote_without_election: 'true' }, cloneMeta(2));
    expect(anyway.name, anyway.stderr).toBe('OCF_SUCCESS');
    expect(anyway.stderr).toMatch(/WARNING: promoting without comparing with node3/);

    const post = await metarestore(c, node3, 'notify', {}, { ...prePromote(node2, [node2, node3]), OCF_RESKEY_CRM_meta_notify_type: 'post' });
    expect(post.name).toBe('OCF_SUCCESS');
    expect(post.stderr).toMatch(/WARNING: this node's metadata \(version \d+\) is ahead of node2's \(\d+\): copied the metalogger's files into .*ahead-of-new-master-/);
    const kept = readdirSync(join(node3.ml.dataPath, ASIDE_DIRECTORY)).filter((n) => n.startsWith('ahead-of-new-master-'));
    expect(kept).toHaveLength(1);
    expect(readdirSync(join(node3.ml.dataPath, ASIDE_DIRECTORY, kept[0]!))).toContain('changelog_ml.0.mfs');
    expect(await reason(c, 'node3')).toMatch(/ahead of node2's/);
  });

  it('refuses a candidate below the high-water mark or of another file system unless overridden, and says so', async () => {
    const c = await cluster(['node2']);
    const node2 = c.nodes[0]!;
    await startAll(c);
    const mount = await mountClient(c.origin);
    await writeOps(mount, 'h', 10);
    await crashOrigin(c, mount);
    expect((await metarestore(c, node2, 'notify', {}, prePromote(node2, [node2]))).name).toBe('OCF_SUCCESS');
    const [version, fsId] = (await nodeAttribute(c, 'node2', `mfs-ocf-position-${RESOURCE}`))!.split(':') as [string, string];
    const before = contentHashes(node2.ml.dataPath, node2.master.dataPath);

    await setHighWaterMark(c, `${BigInt(version) + 100n}:${fsId}`);
    const monitor = await metarestore(c, node2, 'monitor', {}, MONITOR);
    expect(monitor.name).toBe('OCF_SUCCESS');
    expect(await promotionScore(c, 'node2'), 'no score below the mark').toBeUndefined();
    expect(await reason(c, 'node2')).toMatch(new RegExp(`^not promotable: metadata at version ${version} is behind the high-water mark ${BigInt(version) + 100n}`));
    const below = await promoteAmong(c, node2, [node2]);
    expect(below.name).toBe('OCF_ERR_GENERIC');
    expect(below.exitReason).toBe(
      `promote refused: version ${version} is behind the high-water mark ${BigInt(version) + 100n}: 100 change(s) the cluster served would be lost; set ignore_high_water_mark=true to accept that`,
    );

    await setHighWaterMark(c, `${version}:0123456789ABCDEF`);
    const foreign = await promoteAmong(c, node2, [node2]);
    expect(foreign.name).toBe('OCF_ERR_GENERIC');
    expect(foreign.exitReason).toMatch(new RegExp(`of file system ${fsId}, the cluster served 0123456789ABCDEF: never mixed in$`));
    expect(vanished(before, node2.ml.dataPath, node2.master.dataPath)).toEqual([]);
    expect(readdirSync(node2.master.dataPath).filter((n) => n.endsWith('.mfs'))).toEqual([]);

    await setHighWaterMark(c, `${BigInt(version) + 100n}:${fsId}`);
    const forced = await promoteAmong(c, node2, [node2], { ignore_high_water_mark: 'true' });
    expect(forced.name, forced.stderr).toBe('OCF_SUCCESS');
    expect(forced.stderr).toMatch(/WARNING: .*behind the high-water mark .*promoting because ignore_high_water_mark=true/);
  });

  it('refuses a first boot with no metadata anywhere unless bootstrap_node names the node', async () => {
    const c = await cluster(['node2']);
    const node2 = c.nodes[0]!;
    // No master ever ran: the metalogger has nothing.
    expect((await metarestore(c, node2, 'start')).name).toBe('OCF_SUCCESS');
    expect(await promotionScore(c, 'node2')).toBeUndefined();
    const refused = await promoteAmong(c, node2, [node2]);
    expect(refused.name).toBe('OCF_ERR_GENERIC');
    expect(refused.exitReason).toMatch(/no metadata .*no other candidate has any: a first boot needs bootstrap_node=node2/);
    const boot = await promoteAmong(c, node2, [node2], { bootstrap_node: 'node2' });
    expect(boot.name, boot.stderr).toBe('OCF_SUCCESS');
    expect(readFileSync(join(node2.master.dataPath, 'metadata.mfs'), 'latin1')).toBe('MFSM NEW');
    expect((await mfsmaster(node2.master, 'start')).name).toBe('OCF_SUCCESS');
  });

  it('refuses without a candidate list on a clone of several, unless promote_without_election is set', async () => {
    const c = await cluster(['node2']);
    const node2 = c.nodes[0]!;
    await startAll(c);
    await crashOrigin(c, undefined);
    const blind = await metarestore(c, node2, 'promote', {}, cloneMeta(2));
    expect(blind.name).toBe('OCF_ERR_GENERIC');
    expect(blind.exitReason).toMatch(/cannot compare version \d+ with the other instances \(no candidate list: set notify=true on the clone\), which may be ahead/);
    expect(node2.ml.pid(), 'a refused node goes back to following').toBeDefined();
    // Without the CIB the high-water mark cannot be read: refused too, rather than taken for "never served".
    const noCib = await metarestore(c, node2, 'promote', { promote_without_election: 'true' }, { ...cloneMeta(2), CIB_file: join(c.dir, 'unreachable.xml') });
    expect(noCib.name).toBe('OCF_ERR_GENERIC');
    expect(noCib.exitReason).toMatch(/^promote refused: cannot read the high-water mark \(.*Could not connect to the CIB.*\); set ignore_high_water_mark=true to promote anyway$/);
    const anyway = await metarestore(c, node2, 'promote', { promote_without_election: 'true' }, cloneMeta(2));
    expect(anyway.name, anyway.stderr).toBe('OCF_SUCCESS');
  });

  it('refuses to promote while a master still answers at the master address', async () => {
    const c = await cluster(['node2']);
    const node2 = c.nodes[0]!;
    await startAll(c);
    const promote = await promoteAmong(c, node2, [node2]);
    expect(promote.name).toBe('OCF_ERR_GENERIC');
    expect(promote.exitReason).toMatch(/a master still answers at 127\.0\.0\.1:\d+ \(metadata version \d+\): promoting would make two masters/);
    expect(await reason(c, 'node2'), 'the refusal is published beside the score').toMatch(/^promote refused: a master still answers at 127\.0\.0\.1:\d+/);
    expect(node2.ml.pid()).toBeDefined();

    // A metalogger that does not reach the live master (wrong MASTER_PORT) is degraded, and says why.
    const [wrongPort] = await freePorts(1);
    const stray = await createMetaloggerFixture(wrongPort!, {}, moosefs);
    extraMetaloggers.push(stray);
    const strayNode: Node = { ...node2, ml: stray };
    expect((await metarestore(c, strayNode, 'start')).name).toBe('OCF_SUCCESS');
    const monitor = await metarestore(c, strayNode, 'monitor', {}, MONITOR);
    expect(monitor.name).toBe('OCF_DEGRADED');
    expect(monitor.stderr).toMatch(/WARNING: not promotable: no metadata in .* yet; the metalogger is not connected to the master/);
    expect(await reason(c, 'node2')).toMatch(/the metalogger is not connected to the master/);
  });
});

describe.each(MOOSEFS)('mfs-metarestore: the Unpromoted monitor under a fast writer, MooseFS $version', (moosefs) => {
  const cluster = (names: string[]) => makeCluster(names, moosefs);

  it('never reports the metalogger AHEAD of the master it follows, however often its files are flushed while the monitor runs', async () => {
    const c = await cluster(['node2']);
    const node2 = c.nodes[0]!;
    await startAll(c);
    const mount = await mountClient(c.origin);
    // Concurrent writers, as fast as the client goes; the metalogger's files jump at each of its once-a-second flushes.
    let stop = false;
    let acked = 0;
    const writer = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const name = `fast${w}-${i}`;
        if (i % 2 === 0) await mkdir(join(mount, name));
        else closeSync(openSync(join(mount, name), 'w'));
        acked++;
      }
    };
    const writers = Array.from({ length: 4 }, (_, w) => writer(w));
    const results: Array<{ name: string; stderr: string }> = [];
    const started = performance.now();
    try {
      for (let i = 0; i < MONITORS_UNDER_LOAD; i++) {
        const monitor = await metarestore(c, node2, 'monitor', {}, MONITOR);
        results.push({ name: monitor.name, stderr: monitor.stderr });
      }
    } finally {
      stop = true;
      await Promise.allSettled(writers);
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(`${results.length} monitors in ${seconds.toFixed(1)} s under ${(acked / seconds).toFixed(0)} acknowledged operations/s`);
    expect(acked / seconds, 'the writers kept the master busy').toBeGreaterThan(100);
    const wrong = results.filter((r) => r.name !== 'OCF_SUCCESS' || /AHEAD/.test(r.stderr));
    expect(wrong.map((r) => `${r.name}: ${r.stderr.trim()}`)).toEqual([]);
    expect(await reason(c, 'node2')).toMatch(/^metadata at version \d+, \d+ change\(s\) behind the master at \d+$/);
  });
});

/**
 * Bytes received but not yet read by the daemon listening at 127.0.0.1:`port`: the rx_queue of
 * its established connections in /proc/net/tcp (those of a VirtualIp's relay, local address
 * 127.0.0.2, are the relay's own).
 */
function unreadBytes(port: number): number {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  let total = 0;
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    // sl local_address rem_address st tx_queue:rx_queue ...
    const fields = line.trim().split(/\s+/);
    if (fields.length < 5 || fields[1] !== local || fields[3] !== '01') continue;
    total += parseInt(fields[4]!.split(':')[1]!, 16);
  }
  return total;
}

/** The metalogger topology's group as the built mfs-crm writes it: its members in start order. */
async function generatedGroup(): Promise<string[]> {
  const generated = await runCrm(['metalogger', '--node', 'node1', '--node', 'node2', '--ip', '127.0.0.2', '--no-fencing']);
  expect(generated.exitCode, generated.stderr).toBe(0);
  const line = /^group mfs-group ([^\\\n]*[^\\\s])/m.exec(generated.stdout);
  expect(line, generated.stdout).not.toBeNull();
  return line![1]!.split(' ');
}

describe.each(MOOSEFS)('mfs-metarestore: a planned switch-over in the order of the generated group, MooseFS $version', (moosefs) => {
  /** Writers through the IP; with the chmod below they may block all four threads of libuv's pool while no master answers. */
  const WRITERS = 3;
  const SETATTR_BYTES = 50;

  it('promotes the other node: its metalogger received every change the stopped master made, up to the high-water mark demote records', async () => {
    // The metaloggers and the client reach the master through a virtual IP, 127.0.0.2 (relayed to the node holding it).
    const c = await makeCluster(['node1', 'node2'], moosefs, { masterHost: '127.0.0.2' });
    const [node1, node2] = c.nodes as [Node, Node];
    const ip = new VirtualIp('127.0.0.2', Object.values(c.origin.ports));
    extraCleanups.push(async () => ip.close());
    const members = await generatedGroup();
    expect([...members].sort()).toEqual(['mfs-ip', 'mfs-master']);
    const startGroup = async (node: Node) => {
      for (const member of members) {
        if (member === 'mfs-ip') await ip.up();
        else expect((await mfsmaster(node.master, 'start')).name).toBe('OCF_SUCCESS');
      }
    };
    const stopMember = async (node: Node, member: string) => {
      if (member === 'mfs-ip') ip.down();
      else expect((await mfsmaster(node.master, 'stop')).name).toBe('OCF_SUCCESS');
    };

    // node1 serves a new file system; node2's metalogger follows it through the IP.
    const boot = await promoteAmong(c, node1, [node1], { bootstrap_node: 'node1' });
    expect(boot.name, boot.stderr).toBe('OCF_SUCCESS');
    await startGroup(node1);
    expect((await metarestore(c, node2, 'start')).name).toBe('OCF_SUCCESS');
    await waitFollowing(c, node2);

    // Writers through the IP, each operation recorded once acknowledged; an operation that fails is not retried under its name.
    // Asynchronous calls only: the IP's relay runs in this process's event loop.
    const mount = await mountClient(c.origin, 'mnt-vip', { host: '127.0.0.2' });
    const acked: string[] = [];
    let stop = false;
    /** While set, each writer waits before its next operation (and says so in `idle`). */
    let paused: Promise<void> | undefined;
    const idle = new Set<number>();
    // Each writer in a directory of its own (MooseFS 4's client runs one operation at a time in a directory).
    for (let w = 0; w < WRITERS; w++) await mkdir(join(mount, `so${w}`));
    const writer = async (w: number) => {
      for (let i = 0; !stop; i++) {
        if (paused) {
          idle.add(w);
          await paused;
          idle.delete(w);
        }
        const name = `so${w}/${i}`;
        try {
          if (i % 2 === 0) await mkdir(join(mount, name));
          else await (await open(join(mount, name), 'w')).close();
          acked.push(name);
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    };
    const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));
    extraCleanups.push(async () => {
      stop = true;
      await unmountClient(mount);
      await Promise.allSettled(writers);
    });
    expect(await new Deadline(30_000).poll(() => (acked.length >= 300 ? true : undefined), { intervalMs: 20 })).toBe(true);
    const target = await open(join(mount, 'chmod-target'), 'w');
    await target.chmod(0o644);

    // The switch-over (node1 in standby), beginning while the master has a client's change in its
    // socket buffer that it has not read yet (a loaded node's master is behind its sockets): the
    // master stopped (SIGSTOP) with the writers paused, a chmod of an open file sent (a change that
    // needs no lookup first: the one request waiting), then the writers going on, the group's first
    // stop begun, and SIGCONT.
    let resume!: () => void;
    paused = new Promise((resolve) => (resume = resolve));
    expect(await new Deadline(10_000).poll(() => (idle.size === WRITERS ? true : undefined), { intervalMs: 5 })).toBe(true);
    const pid = node1.master.masterPid()!;
    signalProcess(pid, 'SIGSTOP');
    const unread = unreadBytes(c.origin.ports.client);
    const chmod = target.chmod(0o600).then(
      () => 'acknowledged',
      (error: Error) => error.message,
    );
    // CLTOMA_FUSE_SETATTR is 50 bytes (3.0 and 4.x); the client's keep-alives, 12 bytes a second, cannot make that up in 2 s.
    const waiting = await new Deadline(2000).poll(() => (unreadBytes(c.origin.ports.client) >= unread + SETATTR_BYTES ? true : undefined), { intervalMs: 5 });
    expect(waiting, 'the chmod waits unread in the stopped master').toBe(true);
    paused = undefined;
    resume();
    const [first, ...rest] = [...members].reverse() as [string, ...string[]];
    const firstStop = stopMember(node1, first);
    await new Promise((resolve) => setTimeout(resolve, 100));
    signalProcess(pid, 'SIGCONT');
    await firstStop;
    for (const member of rest) await stopMember(node1, member);
    const demote = await metarestore(c, node1, 'demote');
    expect(demote.name, demote.stderr).toBe('OCF_SUCCESS');
    const image = readMetadataHeader(join(node1.master.dataPath, 'metadata.mfs'))!;
    expect(await highWaterMark(c)).toMatch(new RegExp(`^${image.version}:`));
    expect((await metarestore(c, node1, 'stop')).name).toBe('OCF_SUCCESS');

    const promote = await promoteAmong(c, node2, [node2]);
    expect(promote.name, `${promote.exitReason}\n${promote.stderr}`).toBe('OCF_SUCCESS');
    expect(promote.stderr).toMatch(new RegExp(`promoting: newest metadata: version ${image.version}`));
    await startGroup(node2);
    const before = acked.length;
    expect(await new Deadline(60_000).poll(() => (acked.length >= before + 100 ? true : undefined), { intervalMs: 50 }), 'the writers go on through the IP on node2').toBe(true);
    expect(await chmod, 'the chmod the stopping master applied').toBe('acknowledged');
    await target.close();
    stop = true;
    await unmountClient(mount);
    await Promise.allSettled(writers);
    const check = await mountClient(node2.master, 'mnt-node2');
    const seen = new Set(Array.from({ length: WRITERS }, (_, w) => readdirSync(join(check, `so${w}`)).map((name) => `so${w}/${name}`)).flat());
    const mode = statSync(join(check, 'chmod-target')).mode & 0o777;
    await unmountClient(check);
    expect(acked.filter((name) => !seen.has(name))).toEqual([]);
    expect(mode.toString(8)).toBe('600');
    console.log(`switch-over in the order of the generated group (${members.join(', ')}): promoted node2 at version ${image.version}; ${acked.length} acknowledged, 0 lost`);
  });
});
