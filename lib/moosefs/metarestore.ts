/**
 * mfs-metarestore's work, one function per action (run by agents/mfs-metarestore, as
 * lib/drbd/store.ts is for mfs-drbd-store): the Promoted marker, following the master,
 * gathering the other candidates' positions, settling attrd, raising the high-water mark.
 * The decisions come from election.ts (pure), the metalogger from metalogger*.ts, the
 * attributes and the promotion score from lib/pacemaker.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Deadline } from '../runtime/deadline.js';
import { Failure, type ResourceStatus } from '../runtime/errors.js';
import type { Logger } from '../runtime/log.js';
import { baseInstance, publishReason, setPromotionScore, type AttributeTarget, type Read } from '../pacemaker/attributes.js';
import { electionStore, type ElectionStore } from '../pacemaker/election.js';
import { checkPromotableClone, promotionPublisher, publishedFile } from '../pacemaker/promotion.js';
import { renderReason, type Reason } from '../pacemaker/reason.js';
import { connectAddress, readMasterConfig, readMetaloggerConfig, type MasterConfig, type MetaloggerConfig } from './config.js';
import { METADATA_FILE } from './data-path.js';
import { decidePromotion, formatPosition, hexId, parsePosition, raiseMark, SCORE, unpromotedScore, type MarkState, type PeerPosition, type Position } from './election.js';
import { MasterProgram } from './master-program.js';
import { masterPid } from './master-service.js';
import { connectedTo, metaloggerPid, startMetalogger, stopMetalogger, validateMetaloggerEnvironment } from './metalogger.js';
import { betterSource, describeSource, inspectSource, readImage, type MetadataSource } from './metalogger-files.js';
import { bootstrapFileSystem, rebuildMasterMetadata, setAsideMasterFiles } from './metalogger-promote.js';
import { queryMasterInfo, type MasterInfo } from './protocol.js';
import { MR } from './reasons.js';

/** How long a value published through attrd may take to be visible (bounded by the action's deadline too). */
const SETTLE_MS = 3000;
/** A steady monitor rewrites a reason whose figures alone moved (the lag) at most this often. */
const REASON_REFRESH_MS = 60_000;

export interface MetarestoreSettings {
  metaloggerConfig: string;
  metaloggerBinary: string;
  masterConfig: string;
  masterBinary: string;
  maxLag: bigint;
  ignoreHighWaterMark: boolean;
  promoteWithoutElection: boolean;
  highWaterIntervalMs: number;
  bootstrapNode: string | undefined;
  /** OCF_RESOURCE_INSTANCE; this node's name; OCF_RESKEY_CRM_meta_on_node as given (the attributes' node). */
  instance: string;
  node: string;
  onNode: string | undefined;
  /** HA_RSCTMP: where the Promoted marker and the published record live (a tmpfs). */
  stateDir: string;
  /** The clone's clone-max (1 when not cloned). */
  cloneMax: number;
  env: NodeJS.ProcessEnv;
}

/** The notification Pacemaker sends (lib/ocf/agent.ts NotifyInfo). */
export interface Notification {
  type: string;
  operation: string;
  unames: Record<string, string[]>;
}

export interface MetarestoreContext {
  settings: MetarestoreSettings;
  deadline: Deadline;
  log: Logger;
  /** The action running (a monitor publishes only what changed). */
  action: string;
  notify?: Notification | undefined;
}

interface Marker {
  version: string;
  fsId: string;
  at: string;
  /** The high-water mark this node last wrote, and when (ms since the epoch). */
  markVersion?: string;
  markWrittenAt?: number;
}

/** The Promoted state: a file under HA_RSCTMP (a tmpfs: a reboot forgets it, as it forgets the master). */
function markerPath(s: MetarestoreSettings): string {
  return join(s.stateDir, `mfs-metarestore-${baseInstance(s.instance).replace(/[^A-Za-z0-9_.-]/g, '_')}.promoted`);
}

function readMarker(s: MetarestoreSettings): Marker | undefined {
  try {
    return JSON.parse(readFileSync(markerPath(s), 'utf8')) as Marker;
  } catch {
    return undefined;
  }
}

function writeMarker(s: MetarestoreSettings, marker: Marker): void {
  mkdirSync(s.stateDir, { recursive: true });
  writeFileSync(markerPath(s), `${JSON.stringify(marker)}\n`);
}

function configs(ctx: MetarestoreContext): { metalogger: MetaloggerConfig; master: MasterConfig } {
  const master = readMasterConfig(ctx.settings.masterConfig);
  ctx.log.addSecrets(master.secrets);
  return { metalogger: readMetaloggerConfig(ctx.settings.metaloggerConfig), master };
}

const attributeTarget = (ctx: MetarestoreContext): AttributeTarget => ({
  instance: baseInstance(ctx.settings.instance),
  node: ctx.settings.onNode,
  env: ctx.settings.env,
  deadline: ctx.deadline,
  log: ctx.log,
});
const store = (ctx: MetarestoreContext): ElectionStore => electionStore({ instance: ctx.settings.instance, node: ctx.settings.node, env: ctx.settings.env, deadline: ctx.deadline, log: ctx.log });
const publisher = (ctx: MetarestoreContext) => promotionPublisher(attributeTarget(ctx), publishedFile(ctx.settings.stateDir, `mfs-metarestore-${ctx.settings.instance}`, ctx.settings.node));

/** Publishes a decision: actions always write, a monitor only what changed (lib/pacemaker/promotion.ts). */
function publish(ctx: MetarestoreContext, score: number | undefined, reasons: readonly Reason[]): Promise<void> {
  return publisher(ctx).publish(score, reasons, { force: ctx.action !== 'monitor', reasonRefreshMs: REASON_REFRESH_MS });
}

/**
 * The running master's metadata version at host:port: undefined when none answers, 'unknown'
 * when one answers in a form this agent cannot decode (it serves all the same: every guard
 * treats it as a master; said once in the log).
 */
async function runningMasterVersion(host: string, port: number, ctx: MetarestoreContext): Promise<bigint | 'unknown' | undefined> {
  let info: MasterInfo;
  try {
    info = await queryMasterInfo(host, port, Math.max(100, Math.min(2000, ctx.deadline.remainingMs(2000))));
  } catch {
    return undefined;
  }
  if (info.metadataVersion !== undefined) return info.metadataVersion;
  ctx.log.warnOnce(`the master at ${host}:${port} answers, but ${info.undecoded ?? `mfsmaster ${info.programVersion} reports no metadata version`}: treated as a running master of unknown version`);
  return 'unknown';
}

function localSources(metalogger: MetaloggerConfig, master: MasterConfig): { metalogger: MetadataSource; master: MetadataSource; best: MetadataSource } {
  const fromMetalogger = inspectSource('metalogger', metalogger.dataPath);
  const fromMaster = inspectSource('master', master.dataPath);
  return { metalogger: fromMetalogger, master: fromMaster, best: betterSource(fromMetalogger, fromMaster) };
}

const positionOf = (source: MetadataSource): Position | undefined => (source.version === undefined ? undefined : { version: source.version, fsId: source.fsId });

async function readMarkState(s: ElectionStore): Promise<MarkState> {
  const read = await s.readMark();
  if (!read.ok) return { kind: 'unknown', why: read.why };
  if (read.value === undefined) return { kind: 'none' };
  const mark = parsePosition(read.value);
  return mark ? { kind: 'known', mark } : { kind: 'unknown', why: `unreadable value ${JSON.stringify(read.value.slice(0, 60))}` };
}

/**
 * Unpromoted monitor (and start, demote): scores from this node's metadata against the running
 * master. `masterJustStopped` (demote): the master this node ran has just stopped and no other
 * may start before this demote ends, so nothing is asked of the virtual IP, which nobody holds
 * then (the query would wait its whole timeout on the switch-over's critical path).
 */
async function followMaster(ctx: MetarestoreContext, metalogger: MetaloggerConfig, master: MasterConfig, pid: number, { masterJustStopped = false } = {}): Promise<ResourceStatus> {
  const masterHost = metalogger.masterHost;
  // This node's files first, the master's version after: a master's version only grows, and the
  // metalogger holds only what the master sent it, so files read before the question are never
  // ahead of the answer. The other way round, whatever the metalogger wrote between the answer and
  // the reading of its files (its stdio buffer reaches the file whenever it fills, many times a
  // second under load, and at least once a second) made a busy cluster's metalogger look AHEAD of
  // its master: "changes were lost at a failover", OCF_DEGRADED, a failed monitor that Pacemaker
  // then had to cancel at the next failover.
  const sources = localSources(metalogger, master);
  const connected = connectedTo(pid, metalogger.masterPort);
  const masterVersion = masterJustStopped ? undefined : await runningMasterVersion(masterHost, master.clientListener.port, ctx);
  // This node's own master files are history the cluster has moved on from once it follows a live master.
  if (connected && masterVersion !== undefined && sources.master.files.length > 0 && masterPid(master) === undefined && master.dataPath !== metalogger.dataPath) {
    const aside = setAsideMasterFiles(master.dataPath, 'superseded');
    if (aside) {
      ctx.log.warn(
        `set aside this node's old master files (${describeSource(sources.master)}) into ${aside.directory}: the cluster runs a master at version ${masterVersion}`,
      );
    }
  }
  const following = masterVersion !== undefined && connected;
  const best = following ? sources.metalogger : sources.best;
  // With no master, what the other candidates published at the last pre-promote orders the scores.
  const peers = masterVersion === undefined ? (await gatherPeers(ctx, store(ctx), { settle: false })).peers : [];
  const s = ctx.settings;
  const decision = unpromotedScore({
    position: positionOf(best),
    problem: best.problem ?? (best.version === undefined ? `no metadata in ${metalogger.dataPath} yet` : undefined),
    // Following a live master, the mark adds nothing but its file-system id: read it only when it decides.
    mark: following ? { kind: 'unknown', why: 'not read while following a live master' } : await readMarkState(store(ctx)),
    masterVersion,
    connected,
    maxLag: s.maxLag,
    overrideMark: s.ignoreHighWaterMark,
    bootstrapNode: s.bootstrapNode === s.node,
    peers,
  });
  await publish(ctx, decision.score, [decision.why]);
  if (decision.degraded) ctx.log.warn(decision.reason);
  else ctx.log.debug(decision.reason);
  return decision.degraded ? 'degraded' : 'ok';
}

/**
 * Raises the cluster's high-water mark to `version` (never lowers it). A cluster property is
 * configuration: each write makes Pacemaker run a transition, so a monitor writes at most once
 * per high_water_interval; demote (after a clean stop of the master) always writes.
 */
async function raiseHighWater(ctx: MetarestoreContext, marker: Marker, version: bigint, { always = false } = {}): Promise<void> {
  const now = Date.now();
  if (marker.markVersion !== undefined && BigInt(marker.markVersion) >= version) return;
  if (!always && marker.markWrittenAt !== undefined && now - marker.markWrittenAt < ctx.settings.highWaterIntervalMs) return;
  const s = store(ctx);
  const current = await readMarkState(s);
  if (current.kind === 'unknown') return;
  const raised = raiseMark(current, { version, fsId: BigInt(`0x${marker.fsId}`) });
  if (raised && !(await s.writeMark(formatPosition(raised)))) return;
  if (raised) ctx.log.debug(`high-water mark raised to ${raised.version}`);
  if (readMarker(ctx.settings)) writeMarker(ctx.settings, { ...marker, markVersion: String(raised?.version ?? version), markWrittenAt: now });
}

function candidatesFromNotify(ctx: MetarestoreContext): string[] {
  const unames = ctx.notify?.unames ?? {};
  const self = ctx.settings.node;
  const stopping = new Set(unames.stop_uname ?? []);
  const all = [...(unames.active_uname ?? []), ...(unames.unpromoted_uname ?? []), ...(unames.slave_uname ?? []), ...(unames.promote_uname ?? [])];
  return [...new Set(all)].filter((node) => node !== self && !stopping.has(node)).sort();
}

/** attrd spreads a value to the other nodes asynchronously: a value not set yet is read again, briefly (bounded). */
async function readSettled(ctx: MetarestoreContext, read: () => Promise<Read>, expected?: string): Promise<Read> {
  let last: Read = { ok: true, value: undefined };
  const budget = ctx.deadline.slice(0.25, SETTLE_MS);
  await budget.poll(
    async () => {
      last = await read();
      const settled = !last.ok || (expected === undefined ? last.value !== undefined : last.value === expected);
      return settled ? true : undefined;
    },
    { intervalMs: 200 },
  );
  return last;
}

/** The candidates saved at the last pre-promote on this node, with what each published; `settle`: wait briefly for attrd (a monitor does not). */
async function gatherPeers(ctx: MetarestoreContext, s: ElectionStore, { settle = true } = {}): Promise<{ peers: PeerPosition[]; peersKnown: boolean }> {
  const list = await s.readCandidates();
  if (!list.ok || list.value === undefined) return { peers: [], peersKnown: !(ctx.settings.cloneMax > 1) };
  const nodes = list.value.split(/\s+/).filter((n) => n && n !== '-' && n !== ctx.settings.node);
  const peers: PeerPosition[] = [];
  for (const node of nodes) {
    const read = settle ? await readSettled(ctx, () => s.readPosition(node)) : await s.readPosition(node);
    if (!read.ok) peers.push({ node, unknown: read.why });
    else if (read.value === undefined) peers.push({ node, unknown: 'published no position at pre-promote' });
    else if (read.value === 'none') peers.push({ node, none: true });
    else {
      const position = parsePosition(read.value);
      peers.push(position ? { node, position } : { node, unknown: `unreadable position ${JSON.stringify(read.value.slice(0, 60))}` });
    }
  }
  return { peers, peersKnown: true };
}

/**
 * post-promote on the other nodes: when this node holds changes the new master lacks (it was
 * promoted with an override, or without comparing), copy the metalogger's files aside now.
 * mfsmetalogger deletes its changelogs when the master it reconnects to is behind it ("some
 * changes lost ... download metadata again"), and they may be the only copy of those changes.
 */
async function keepChangesTheNewMasterLacks(ctx: MetarestoreContext): Promise<void> {
  const promoted = ctx.notify?.unames.promote_uname ?? [];
  if (promoted.length === 0 || promoted.includes(ctx.settings.node)) return;
  const { metalogger, master } = configs(ctx);
  const own = localSources(metalogger, master).metalogger;
  if (own.version === undefined) return;
  const theirs = await store(ctx).readPosition(promoted[0]!);
  const position = theirs.ok ? parsePosition(theirs.value) : undefined;
  if (position && own.version <= position.version) return;
  const aside = setAsideMasterFiles(metalogger.dataPath, 'ahead-of-new-master', { copy: true, metaloggerFiles: true });
  if (!aside) return;
  const why = MR.aheadOfNewMaster({ version: String(own.version), peer: promoted[0]!, peerVersion: position ? String(position.version) : undefined, directory: aside.directory });
  ctx.log.warn(`${position ? `this node's metadata (version ${own.version}) is ahead of ${promoted[0]}'s (${position.version})` : `${promoted[0]}'s version is unknown`}: copied the metalogger's files into ${aside.directory} before the metalogger meets the new master`);
  await publisher(ctx).publishReasonOnly([why]);
}

async function restartMetaloggerQuietly(ctx: MetarestoreContext, metalogger: MetaloggerConfig): Promise<void> {
  try {
    await startMetalogger(ctx.settings.metaloggerBinary, metalogger, ctx.deadline, ctx.log);
  } catch (error) {
    ctx.log.warn(`could not restart the metalogger: ${(error as Error).message}`);
  }
}

/** validate-all: configurations, programs, the clone's meta attributes. */
export async function validateMetarestore(ctx: MetarestoreContext, meta: (name: string) => string | undefined): Promise<void> {
  const { metalogger, master } = configs(ctx);
  await validateMetaloggerEnvironment(ctx.settings.metaloggerBinary, metalogger);
  const program = await MasterProgram.detect(ctx.settings.masterBinary, ctx.settings.masterConfig, ctx.deadline);
  if (program.untestedNote) ctx.log.warn(program.untestedNote);
  checkPromotableClone(meta, { notify: 'the election runs at pre-promote', promotedMax: 'there is exactly one MooseFS master' });
  if (metalogger.dataPath === master.dataPath) ctx.log.debug(`metalogger and master share DATA_PATH ${master.dataPath}`);
}

export async function startMetarestore(ctx: MetarestoreContext): Promise<ResourceStatus> {
  const { metalogger, master } = configs(ctx);
  rmSync(markerPath(ctx.settings), { force: true });
  const pid = await startMetalogger(ctx.settings.metaloggerBinary, metalogger, ctx.deadline, ctx.log);
  await followMaster(ctx, metalogger, master, pid);
  return 'ok';
}

export async function stopMetarestore(ctx: MetarestoreContext): Promise<ResourceStatus> {
  let metalogger: MetaloggerConfig;
  try {
    metalogger = readMetaloggerConfig(ctx.settings.metaloggerConfig);
  } catch (error) {
    if (!(error instanceof Failure)) throw error;
    ctx.log.warn(`${error.message}: nothing can have been started with it`);
    return 'ok';
  }
  await stopMetalogger(metalogger, ctx.deadline, ctx.log);
  rmSync(markerPath(ctx.settings), { force: true });
  await publish(ctx, undefined, [MR.stopped()]);
  return 'ok';
}

export async function monitorMetarestore(ctx: MetarestoreContext): Promise<ResourceStatus> {
  const { metalogger, master } = configs(ctx);
  const marker = readMarker(ctx.settings);
  if (marker) {
    // Promoted: record the running master's version as the cluster's high-water mark.
    const version = await runningMasterVersion(connectAddress(master.clientListener), master.clientListener.port, ctx);
    if (typeof version === 'bigint') await raiseHighWater(ctx, marker, version);
    return 'promoted';
  }
  const pid = metaloggerPid(metalogger);
  if (pid === undefined) return 'not-running';
  return followMaster(ctx, metalogger, master, pid);
}

/** pre-promote: publish this node's position (and, on the chosen node, the candidates); post-promote: keep what the new master lacks. */
export async function notifyMetarestore(ctx: MetarestoreContext): Promise<ResourceStatus> {
  const notify = ctx.notify;
  if (notify?.type === 'post' && notify.operation === 'promote') {
    try {
      await keepChangesTheNewMasterLacks(ctx);
    } catch (error) {
      ctx.log.warn(`post-promote: ${(error as Error).message}`);
    }
    await store(ctx).saveCandidates([]);
    return 'ok';
  }
  if (!notify || notify.type !== 'pre' || notify.operation !== 'promote') return 'ok';
  try {
    const { metalogger, master } = configs(ctx);
    const s = store(ctx);
    const best = localSources(metalogger, master).best;
    const position = positionOf(best);
    const value = position ? formatPosition(position) : 'none';
    await s.publishPosition(value);
    const seen = await readSettled(ctx, () => s.readPosition(ctx.settings.node), value);
    if (!seen.ok || seen.value !== value) ctx.log.warn(`pre-promote: published position ${value} not confirmed (${seen.ok ? `read ${seen.value ?? 'nothing'}` : seen.why})`);
    ctx.log.info(`pre-promote: published ${position ? describeSource(best) : 'no metadata'}`);
    if ((notify.unames.promote_uname ?? []).includes(ctx.settings.node)) {
      const candidates = candidatesFromNotify(ctx);
      await s.saveCandidates(candidates.length > 0 ? candidates : ['-']);
    }
  } catch (error) {
    ctx.log.warn(`pre-promote: ${(error as Error).message}`);
  }
  return 'ok';
}

export async function promoteMetarestore(ctx: MetarestoreContext): Promise<ResourceStatus> {
  const settings = ctx.settings;
  if (readMarker(settings)) {
    ctx.log.info('already promoted');
    return 'ok';
  }
  const { metalogger, master } = configs(ctx);
  /** A refusal before the election: said in the reason attribute as well as in the exit reason. */
  const refuse = async (why: Reason): Promise<never> => {
    await publisher(ctx).publishReasonOnly([MR.promoteRefused(), why]);
    throw new Failure('failed', renderReason(why));
  };
  const running = masterPid(master);
  if (running !== undefined) await refuse(MR.masterRunsHere({ pid: running, dataPath: master.dataPath }));
  const elsewhere = await runningMasterVersion(metalogger.masterHost, master.clientListener.port, ctx);
  if (elsewhere !== undefined) {
    await refuse(MR.masterAnswers({ address: `${metalogger.masterHost}:${master.clientListener.port}`, version: elsewhere === 'unknown' ? undefined : String(elsewhere) }));
  }
  await stopMetalogger(metalogger, ctx.deadline.slice(0.3, 20_000), ctx.log);
  const sources = localSources(metalogger, master);
  const s = store(ctx);
  const { peers, peersKnown } = await gatherPeers(ctx, s);
  const decision = decidePromotion({
    node: settings.node,
    self: positionOf(sources.best),
    selfProblem: sources.best.problem ?? (sources.best.version === undefined ? `no metadata in ${metalogger.dataPath} or ${master.dataPath}` : undefined),
    mark: await readMarkState(s),
    peers,
    peersKnown,
    overrideMark: settings.ignoreHighWaterMark,
    allowUnknownPeers: settings.promoteWithoutElection,
    bootstrapNode: settings.bootstrapNode,
  });
  if (decision.action === 'refuse') {
    const target = attributeTarget(ctx);
    if (decision.better) {
      // PAF's swap: make Pacemaker try the better candidate next.
      await setPromotionScore(target, SCORE.lastResort);
      await setPromotionScore({ ...target, node: decision.better }, SCORE.best);
      await publishReason({ ...target, node: decision.better }, [MR.scoreSetByElection({ score: SCORE.best, node: settings.node }), decision.why]);
    } else {
      await setPromotionScore(target, undefined);
    }
    await publisher(ctx).publishReasonOnly([MR.promoteRefused(), decision.why]);
    await restartMetaloggerQuietly(ctx, metalogger);
    throw new Failure('failed', `promote refused: ${decision.reason}`);
  }
  for (const warning of decision.warnings) ctx.log.warn(warning);
  let reached: Position;
  try {
    if (decision.action === 'bootstrap') {
      await bootstrapFileSystem(master, ctx.log);
      reached = { version: 1n, fsId: 0n };
    } else {
      ctx.log.info(`promoting: ${decision.reason}; rebuilding from ${describeSource(sources.best)}`);
      const program = await MasterProgram.detect(settings.masterBinary, settings.masterConfig, ctx.deadline);
      const outcome = await rebuildMasterMetadata({ program, master, source: sources.best, deadline: ctx.deadline, log: ctx.log });
      reached = { version: outcome.version, fsId: outcome.fsId };
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await publish(ctx, undefined, [MR.promoteFailed(), MR.failure({ message })]);
    await restartMetaloggerQuietly(ctx, metalogger);
    throw error;
  }
  const marker: Marker = { version: String(reached.version), fsId: hexId(reached.fsId), at: new Date().toISOString() };
  writeMarker(settings, marker);
  await raiseHighWater(ctx, marker, reached.version, { always: true });
  await s.saveCandidates([]);
  await publish(ctx, SCORE.promoted, [MR.promoted({ version: String(reached.version) }), decision.why]);
  return 'ok';
}

export async function demoteMetarestore(ctx: MetarestoreContext): Promise<ResourceStatus> {
  const { metalogger, master } = configs(ctx);
  const marker = readMarker(ctx.settings);
  if (marker) {
    const running = masterPid(master);
    if (running !== undefined) {
      throw new Failure('failed', `mfsmaster (pid ${running}) still runs on ${master.dataPath}: the master resource must stop before demote (order it after promote)`);
    }
    // A clean stop left metadata.mfs: its version is exactly what this master served.
    const served = readImage(join(master.dataPath, METADATA_FILE));
    if (served && served.version > 1n) await raiseHighWater(ctx, marker, served.version, { always: true });
    rmSync(markerPath(ctx.settings), { force: true });
    ctx.log.info('demoted: back to metalogger');
  }
  const pid = await startMetalogger(ctx.settings.metaloggerBinary, metalogger, ctx.deadline, ctx.log);
  await followMaster(ctx, metalogger, master, pid, { masterJustStopped: marker !== undefined });
  return 'ok';
}
