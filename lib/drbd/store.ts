/**
 * The DRBD-replicated store of the master's DATA_PATH as a promotable resource: Unpromoted =
 * the DRBD resource up, Secondary, connected; Promoted = Primary with its file system mounted
 * and the MooseFS data directory in it, owned by the master's working user.
 *
 * Each function is one action's work, run by agents/mfs-drbd-store; the decisions come from
 * decisions.ts and scores.ts (pure), the commands from drbdadm.ts, the mount from
 * lib/system/mount.ts, the attributes from lib/pacemaker/attributes.ts.
 */
import { chownSync, mkdirSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { relative } from 'node:path';
import type { Deadline } from '../runtime/deadline.js';
import { Failure, type ResourceStatus } from '../runtime/errors.js';
import type { Logger } from '../runtime/log.js';
import { promotionPublisher, publishedFile } from '../pacemaker/promotion.js';
import type { Reason } from '../pacemaker/reason.js';
import { lookupGroup, lookupUser } from '../system/accounts.js';
import { blockDeviceNumbers, checkFilesystem, findMount, mountDevice, probeWritable, unmountWithKill } from '../system/mount.js';
import {
  detectSplitBrain,
  droppedPeers,
  monitorVerdict,
  connectedPrimaryPeer,
  promoteCheck,
  splitBrainPlan,
  updateHistory,
  type DiscardStep,
  type MountHealth,
  type MonitorVerdict,
  type SplitBrainPolicy,
} from './decisions.js';
import type { Drbd } from './drbdadm.js';
import { historyFile, readMemory, writeMemory, type NodeMemory } from './history.js';
import { DR, DR_CODE } from './reasons.js';
import { promotionScore, type ScoreTable } from './scores.js';
import { describeState, peerLabel, type ResourceState } from './state.js';

/**
 * How long promote waits for DRBD to notice that a peer it still shows Connected and Primary is
 * gone. Pacemaker promotes here only once it holds that peer demoted or fenced; DRBD notices a
 * lost peer at its next ping (8.4's defaults: ping-int 10 s, ping-timeout 0.5 s), which on real
 * DRBD 8.4 in the UML lab came 23 s and more after a partition whose node had been fenced.
 */
const PEER_LOSS_WAIT_MS = 30_000;

export interface StoreSettings {
  drbd: Drbd;
  /** The DRBD device to mount (first volume). */
  device: string;
  directory: string;
  fstype: string | undefined;
  mountOptions: string;
  fsck: boolean;
  /** DATA_PATH, under `directory`, and who must own it. */
  dataPath: string | undefined;
  workingUser: string | undefined;
  workingGroup: string | undefined;
  splitBrainPolicy: SplitBrainPolicy;
  unmountSignals: readonly NodeJS.Signals[];
  unmountSignalDelayMs: number;
  scores: ScoreTable;
  /** Pacemaker's name of this node, and the resource instance. */
  node: string;
  instance: string;
  historyDir: string;
  env: NodeJS.ProcessEnv;
}

export interface StoreContext {
  settings: StoreSettings;
  deadline: Deadline;
  log: Logger;
  /** A probe: look and report, change nothing in DRBD (no split-brain recovery). */
  probe?: boolean;
}

function memoryPath(s: StoreSettings): string {
  return historyFile(s.historyDir, s.drbd.resource, s.node);
}

/** Records what this state says about split brains; returns the memory after it. */
function remember(ctx: StoreContext, state: ResourceState | undefined): NodeMemory {
  const file = memoryPath(ctx.settings);
  const before = readMemory(file);
  const after: NodeMemory = { ...before, peers: updateHistory(before.peers, state, Date.now()) };
  try {
    writeMemory(file, before, after);
  } catch (error) {
    ctx.log.warn(`cannot record DRBD history in ${file}: ${(error as Error).message}`);
  }
  return after;
}

function publisher(ctx: StoreContext) {
  const s = ctx.settings;
  const target = { instance: s.instance, node: s.node, env: s.env, deadline: ctx.deadline, log: ctx.log };
  return promotionPublisher(target, publishedFile(s.historyDir, `drbd-${s.drbd.resource}`, s.node));
}

/**
 * Publishes the promotion score this state deserves, and why (lib/pacemaker/promotion.ts:
 * bounded and soft, skips the tools when nothing changed recently).
 */
export async function publishScore(ctx: StoreContext, state: ResourceState | undefined, { force = false, notes = [] }: { force?: boolean; notes?: readonly Reason[] } = {}): Promise<void> {
  const history = readMemory(memoryPath(ctx.settings)).peers;
  const splitBrains = detectSplitBrain(state, history).map((b) => b.peer);
  const decision = promotionScore(state, ctx.settings.scores, splitBrains, droppedPeers(history));
  if (decision.kind === 'keep') {
    ctx.log.debug(`promotion score unchanged: ${decision.reason}`);
    return;
  }
  await publisher(ctx).publish(decision.kind === 'set' ? decision.score : undefined, [decision.why, ...notes], { force });
}

/** Removes the score and says why (stop). */
export async function removeScore(ctx: StoreContext, reason: Reason): Promise<void> {
  await publisher(ctx).publish(undefined, [reason], { force: true });
}

/** Applies the split-brain policy to what this node sees; returns a note for the reason attribute. */
async function handleSplitBrain(ctx: StoreContext, state: ResourceState | undefined, memory: NodeMemory): Promise<Reason | undefined> {
  const s = ctx.settings;
  // A probe only reports: what the policy does waits for the recurring monitor.
  const plan = splitBrainPlan(state, memory.peers, ctx.probe ? 'manual' : s.splitBrainPolicy, s.node);
  switch (plan.kind) {
    case 'none':
      return undefined;
    case 'report':
      ctx.log.crit(plan.message);
      return DR.splitBrainManual({ peers: plan.splitBrains.map((b) => b.peer) });
    case 'reconnect': {
      ctx.log.warn(plan.message);
      const result = await s.drbd.connect(ctx.deadline);
      if (!result.ok) ctx.log.warn(`drbdadm connect ${s.drbd.resource}: ${result.said || `exit code ${result.exitCode}`}`);
      return DR.splitBrainReconnecting({ peers: plan.splitBrains.map((b) => b.peer) });
    }
    case 'discard-local': {
      ctx.log.crit(plan.message);
      const run: Record<DiscardStep, () => ReturnType<Drbd['connect']>> = {
        disconnect: () => s.drbd.disconnect(ctx.deadline),
        secondary: () => s.drbd.secondary(ctx.deadline),
        'connect --discard-my-data': () => s.drbd.connect(ctx.deadline, { discardMyData: true }),
      };
      for (const name of plan.steps) {
        const result = await run[name]();
        if (!result.ok) {
          ctx.log.error(`split-brain recovery: drbdadm ${name} ${s.drbd.resource} failed: ${result.said || `exit code ${result.exitCode}`}`);
          return DR.splitBrainRecoveryFailed({ step: name });
        }
      }
      ctx.log.warn(`split-brain recovery: ${s.drbd.resource} reconnects with --discard-my-data and will resynchronise from the peer`);
      return DR.splitBrainDiscarded();
    }
  }
}

/** The state after a split-brain plan may have changed it. */
async function observe(ctx: StoreContext): Promise<{ state: ResourceState | undefined; note: Reason | undefined }> {
  let state = await ctx.settings.drbd.state(ctx.deadline);
  const memory = remember(ctx, state);
  const note = await handleSplitBrain(ctx, state, memory);
  if (note && note.code !== DR_CODE.splitBrainManual) state = await ctx.settings.drbd.state(ctx.deadline);
  return { state, note };
}

/** How the mount of a Primary looks. */
export function mountHealth(s: StoreSettings, { writeProbe }: { writeProbe: boolean }): MountHealth {
  const mount = findMount(s.directory);
  if (!mount) return 'not-mounted';
  const numbers = blockDeviceNumbers(s.device);
  if (numbers !== undefined ? mount.majorMinor !== numbers : realPath(mount.source) !== realPath(s.device)) return 'wrong-device';
  if (mount.readOnly) return 'read-only';
  if (s.dataPath) {
    try {
      if (!statSync(s.dataPath).isDirectory()) return 'no-data-directory';
    } catch {
      return 'no-data-directory';
    }
  }
  if (writeProbe && !probeWritable(s.directory, `.mfs-ocf-write-check-${s.node}`)) return 'unwritable';
  return 'ok';
}

function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

export async function monitorStore(ctx: StoreContext): Promise<MonitorVerdict> {
  const { state, note } = await observe(ctx);
  const memory = readMemory(memoryPath(ctx.settings));
  const health = state?.role === 'Primary' ? mountHealth(ctx.settings, { writeProbe: true }) : undefined;
  const splitBrains = detectSplitBrain(state, memory.peers);
  const verdict = monitorVerdict(state, health, splitBrains);
  if (state) await publishScore(ctx, state, note ? { notes: [note] } : {});
  if (verdict.status !== 'ok' && verdict.status !== 'promoted' && verdict.status !== 'not-running') {
    ctx.log.warn(`${verdict.reason}${state ? ` (${describeState(state)})` : ''}`);
  }
  return verdict;
}

/** Waits (bounded) until every peer is connected; returns the last state seen. */
async function waitConnected(ctx: StoreContext, maxMs: number): Promise<ResourceState | undefined> {
  let last: ResourceState | undefined;
  const wait = ctx.deadline.slice(1, maxMs, 2000);
  await wait.poll(
    async () => {
      last = await ctx.settings.drbd.state(ctx.deadline);
      return last && last.peers.every((p) => p.connection === 'Connected' || p.connection === 'StandAlone') ? true : undefined;
    },
    { intervalMs: 200 },
  );
  return last;
}

export async function startStore(ctx: StoreContext): Promise<ResourceStatus> {
  const { drbd } = ctx.settings;
  let state = await drbd.state(ctx.deadline);
  if (!state) {
    ctx.log.info(`bringing DRBD resource ${drbd.resource} up (attach, connect) as Secondary`);
    await drbd.up(ctx.deadline);
  } else {
    if (state.role === 'Primary') {
      ctx.log.warn(`DRBD resource ${drbd.resource} is Primary at start: demoting it to Secondary`);
      await demoteStore(ctx);
    }
    state = await drbd.state(ctx.deadline);
    const lostDisk = state?.volumes.some((v) => (v.disk === 'Diskless' && !v.client) || v.disk === 'Failed');
    const notConnecting = state?.peers.some((p) => p.connection === 'StandAlone');
    if (lostDisk || notConnecting) {
      ctx.log.info(`DRBD resource ${drbd.resource} is up but ${lostDisk ? 'without its disk' : 'StandAlone'}: drbdadm adjust`);
      const result = await drbd.adjust(ctx.deadline).catch((error: Error) => ctx.log.warn(error.message));
      void result;
    } else {
      ctx.log.info(`DRBD resource ${drbd.resource} is already up: ${state ? describeState(state) : 'down'}`);
    }
  }
  state = await waitConnected(ctx, 5000);
  if (!state) throw new Failure('failed', `DRBD resource ${drbd.resource} is still down after drbdadm up`);
  const { state: now, note } = await observe(ctx);
  await publishScore(ctx, now, { force: true, ...(note ? { notes: [note] } : {}) });
  ctx.log.info(`DRBD resource ${drbd.resource} started: ${now ? describeState(now) : 'down'}`);
  return 'ok';
}

/** Who must own the data directory, as numeric ids; undefined when the config names nobody. */
async function expectedOwner(s: StoreSettings): Promise<{ uid: number; gid: number; text: string } | undefined> {
  if (!s.workingUser) return undefined;
  const user = await lookupUser(s.workingUser);
  if (!user) throw new Failure('not-installed', `the master's working user ${s.workingUser} does not exist on this node`);
  let gid = user.gid ?? user.id;
  let groupName = `${s.workingUser}'s primary group`;
  if (s.workingGroup) {
    const group = await lookupGroup(s.workingGroup);
    if (!group) throw new Failure('not-installed', `the master's working group ${s.workingGroup} does not exist on this node`);
    gid = group.id;
    groupName = s.workingGroup;
  }
  return { uid: user.id, gid, text: `${s.workingUser} (uid ${user.id}) and ${groupName} (gid ${gid})` };
}

/**
 * Makes sure DATA_PATH exists on the mounted store, owned by the working user and group.
 * Creates it (or takes over a fresh file system's root) when new; refuses when it exists with
 * other numeric ids: the users' ids differ between nodes (seed 002's failure).
 */
export async function verifyDataDirectory(ctx: StoreContext): Promise<void> {
  const s = ctx.settings;
  if (!s.dataPath) return;
  const owner = await expectedOwner(s);
  let stat;
  try {
    stat = statSync(s.dataPath);
  } catch {
    mkdirSync(s.dataPath, { recursive: true, mode: 0o755 });
    if (owner) chownSync(s.dataPath, owner.uid, owner.gid);
    ctx.log.info(`created the MooseFS data directory ${s.dataPath} on the store${owner ? `, owned by ${owner.text}` : ''}`);
    return;
  }
  if (!stat.isDirectory()) throw new Failure('misconfigured', `DATA_PATH ${s.dataPath} on the store is not a directory`);
  if (!owner || (stat.uid === owner.uid && stat.gid === owner.gid)) return;
  const fresh = stat.uid === 0 && readdirSync(s.dataPath).every((name) => name === 'lost+found');
  if (fresh) {
    chownSync(s.dataPath, owner.uid, owner.gid);
    ctx.log.info(`the store's data directory ${s.dataPath} was new and empty: now owned by ${owner.text}`);
    return;
  }
  throw new Failure(
    'not-installed',
    `the MooseFS data directory ${s.dataPath} on the store belongs to uid ${stat.uid} gid ${stat.gid}, but on this node (${s.node}) the master runs as ${owner.text}: ` +
      'the numeric user and group ids differ between the nodes; give the working user and group the same uid and gid on every node',
  );
}

/** Secondary again after a failed promote: unmount what we mounted, demote. Never throws. */
async function backToSecondary(ctx: StoreContext): Promise<void> {
  const s = ctx.settings;
  try {
    const health = mountHealth(s, { writeProbe: false });
    if (health !== 'not-mounted' && health !== 'wrong-device') {
      await unmountWithKill({ directory: s.directory, signals: [], signalDelayMs: 0, deadline: ctx.deadline, reserveMs: 1000, log: ctx.log });
    }
    const result = await s.drbd.secondary(ctx.deadline);
    if (!result.ok) ctx.log.error(`drbdadm secondary ${s.drbd.resource} after a failed promote: ${result.said}`);
  } catch (error) {
    ctx.log.error(`returning to Secondary after a failed promote: ${(error as Error).message}`);
  }
}

export async function promoteStore(ctx: StoreContext): Promise<ResourceStatus> {
  const s = ctx.settings;
  const { drbd } = s;
  let state = await drbd.state(ctx.deadline);
  const memory = remember(ctx, state);
  if (state?.role !== 'Primary' && connectedPrimaryPeer(state)) state = await awaitPeerLossNoticed(ctx, state!);
  if (state?.role !== 'Primary') {
    const check = promoteCheck(state, droppedPeers(memory.peers));
    if (!check.ok) {
      await publishScore(ctx, state, { notes: [DR.promoteRefused(), check.why] });
      throw new Failure('failed', `${check.reason}; staying Secondary`);
    }
    ctx.log.info(`promoting DRBD resource ${drbd.resource}: ${describeState(state!)}`);
    // Transient refusals are retried while time is left; definitive ones end the promote.
    const outcome = await ctx.deadline.poll(
      async () => {
        const result = await drbd.primary(ctx.deadline);
        if (result.ok) return { ok: true as const };
        if (result.refusal === 'need-uptodate-data' || result.refusal === 'multiple-primaries' || result.refusal === 'peer-not-outdated' || result.refusal === 'no-quorum') {
          return { ok: false as const, said: result.said };
        }
        ctx.log.warn(`drbdadm primary ${drbd.resource}: ${result.said || `exit code ${result.exitCode}`}; retrying`);
        return undefined;
      },
      { intervalMs: 1000, marginMs: ctx.deadline.totalMs / 2 },
    );
    if (!outcome || !outcome.ok) {
      state = await drbd.state(ctx.deadline);
      const said = outcome && !outcome.ok ? outcome.said.replace(/\s*\n\s*/g, ' | ') : 'drbdadm primary kept failing';
      await publishScore(ctx, state, { notes: [DR.promoteFailed(), DR.drbdRefused({ said })] });
      throw new Failure('failed', `DRBD refused to promote ${drbd.resource}: ${said}; staying Secondary`);
    }
  }
  try {
    // Mount unless our device is already mounted there: another mount at the directory (a bind
    // mount, an empty tmpfs) is not the store, and the store goes on top of it.
    const before = mountHealth(s, { writeProbe: false });
    if (before === 'not-mounted' || before === 'wrong-device') {
      if (s.fsck) {
        ctx.log.info(`checking the file system on ${s.device}`);
        await checkFilesystem(s.device, s.fstype, ctx.deadline.slice(0.6, Infinity, 2000), ctx.log);
      }
      mkdirSync(s.directory, { recursive: true });
      await mountDevice({ device: s.device, directory: s.directory, fstype: s.fstype, options: s.mountOptions, deadline: ctx.deadline });
      ctx.log.info(`mounted ${s.device} on ${s.directory}`);
    }
    const health = mountHealth(s, { writeProbe: false });
    if (health !== 'ok' && health !== 'no-data-directory') throw new Failure('failed', `after mounting, ${s.directory} is ${health}`);
    await verifyDataDirectory(ctx);
    if (mountHealth(s, { writeProbe: true }) !== 'ok') throw new Failure('failed', `the store mounted on ${s.directory} cannot be written`);
  } catch (error) {
    await backToSecondary(ctx);
    await publishScore(ctx, await drbd.state(ctx.deadline), { notes: [DR.promoteFailed(), DR.failure({ message: (error as Error).message }), DR.backToSecondary()] });
    if (error instanceof Failure) throw new Failure(error.kind, `${error.message}; back to Secondary`, { cause: error });
    throw new Failure('failed', `${(error as Error).message}; back to Secondary`, { cause: error });
  }
  state = await drbd.state(ctx.deadline);
  remember(ctx, state);
  await publishScore(ctx, state, { force: true });
  ctx.log.info(`DRBD resource ${drbd.resource} promoted: ${state ? describeState(state) : '?'}, mounted on ${s.directory}`);
  return 'ok';
}

/**
 * Unmounts (ending the processes that hold the mount, as configured), then Secondary. When
 * the unmount fails DRBD stays Primary with its file system mounted, never half-demoted.
 */
export async function demoteStore(ctx: StoreContext): Promise<ResourceStatus> {
  const s = ctx.settings;
  const { drbd } = s;
  const state = await drbd.state(ctx.deadline);
  if (!state) return 'not-running';
  remember(ctx, state);
  // The unmount takes only the top mount at the directory (the store's), never one beneath it.
  const wasMounted = findMount(s.directory) !== undefined;
  if (wasMounted) {
    // Keep time for DRBD's own demotion after the unmount.
    const reserveMs = Math.min(10_000, Math.max(1000, ctx.deadline.totalMs / 10));
    ctx.log.info(`unmounting ${s.directory}`);
    const unmounted = await unmountWithKill({
      directory: s.directory,
      signals: s.unmountSignals,
      signalDelayMs: s.unmountSignalDelayMs,
      deadline: ctx.deadline,
      reserveMs,
      log: ctx.log,
    });
    if (!unmounted) {
      throw new Failure('failed', `cannot unmount ${s.directory}: DRBD resource ${drbd.resource} stays Primary with its file system mounted`);
    }
  }
  if (state.role === 'Primary') {
    let last = '';
    // Brief opens (udev, blkid) pass within seconds; keep the rest of the budget to re-mount.
    const retries = ctx.deadline.slice(0.5, 10_000, 2000);
    const demoted = await retries.poll(
      async () => {
        const result = await drbd.secondary(ctx.deadline);
        if (result.ok) return true;
        last = result.said || `exit code ${result.exitCode}`;
        return undefined;
      },
      { intervalMs: 500 },
    );
    if (!demoted) {
      // Never half-demoted: Primary gets its file system back, so that it stays a whole Promoted store.
      let after = 'DRBD is still Primary, its file system unmounted';
      if (wasMounted) {
        try {
          await mountDevice({ device: s.device, directory: s.directory, fstype: s.fstype, options: s.mountOptions, deadline: ctx.deadline });
          after = `DRBD stays Primary with its file system mounted again on ${s.directory}`;
        } catch (error) {
          ctx.log.error(`re-mounting ${s.directory} after the failed demotion: ${(error as Error).message}`);
        }
      }
      throw new Failure('failed', `drbdadm secondary ${drbd.resource} failed: ${last.replace(/\s*\n\s*/g, ' | ')}; ${after}`);
    }
    ctx.log.info(`DRBD resource ${drbd.resource} is Secondary`);
  }
  const { state: now, note } = await observe(ctx);
  await publishScore(ctx, now, { force: true, ...(note ? { notes: [note] } : {}) });
  return 'ok';
}

export async function stopStore(ctx: StoreContext): Promise<ResourceStatus> {
  const { drbd } = ctx.settings;
  const state = await drbd.state(ctx.deadline);
  if (state) {
    if (state.role === 'Primary' || findMount(ctx.settings.directory)) {
      const status = await demoteStore(ctx);
      if (status !== 'ok') throw new Failure('failed', `cannot demote ${drbd.resource} before stopping it`);
    }
    let last = '';
    const down = await ctx.deadline.poll(
      async () => {
        const result = await drbd.down(ctx.deadline);
        if (result.ok && !(await drbd.state(ctx.deadline))) return true;
        last = result.said || `exit code ${result.exitCode}`;
        return undefined;
      },
      { intervalMs: 500, marginMs: 1000 },
    );
    if (!down) throw new Failure('failed', `drbdadm down ${drbd.resource} failed: ${last.replace(/\s*\n\s*/g, ' | ')}`);
    ctx.log.info(`DRBD resource ${drbd.resource} is down`);
  } else {
    ctx.log.info(`DRBD resource ${drbd.resource} is already down`);
  }
  await removeScore(ctx, DR.stopped());
  return 'ok';
}

/** notify: keep the score right after peers start or stop. */
export async function notifyStore(ctx: StoreContext, type: string, operation: string): Promise<ResourceStatus> {
  // Only a peer starting or stopping changes what the scores rest on (peer disk states known or
  // not); a promote or demote changes no disk state, and these notifications lie on the path of
  // every switch-over.
  if (type !== 'post' || (operation !== 'start' && operation !== 'stop')) return 'ok';
  const { drbd } = ctx.settings;
  const state = await drbd.state(ctx.deadline);
  if (!state) return 'ok';
  const { state: now, note } = await observe(ctx);
  await publishScore(ctx, now, { force: true, ...(note ? { notes: [note] } : {}) });
  return 'ok';
}

/** DATA_PATH must be the store's directory or lie below it. */
export function dataPathProblem(dataPath: string, directory: string): string | undefined {
  const rel = relative(directory, dataPath);
  if (rel === '') return undefined;
  if (rel.startsWith('..') || rel.startsWith('/')) return `DATA_PATH ${dataPath} does not lie under directory ${directory}: the master would not use the replicated store`;
  return undefined;
}

/** Re-reads the state until no peer shows Connected and Primary, within PEER_LOSS_WAIT_MS (or half the time left). */
async function awaitPeerLossNoticed(ctx: StoreContext, state: ResourceState): Promise<ResourceState | undefined> {
  const peer = connectedPrimaryPeer(state);
  ctx.log.info(`DRBD resource ${ctx.settings.drbd.resource} still shows ${peerLabel(peer!.name)} Connected and Primary: waiting for DRBD to notice whether it is gone`);
  let last: ResourceState | undefined = state;
  await ctx.deadline.slice(0.5, PEER_LOSS_WAIT_MS).poll(
    async () => {
      last = await ctx.settings.drbd.state(ctx.deadline);
      return connectedPrimaryPeer(last) ? undefined : true;
    },
    { intervalMs: 500 },
  );
  return last;
}
