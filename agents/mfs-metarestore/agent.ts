/**
 * ocf:mfs:mfs-metarestore: DRBD-less high availability for the MooseFS master. A promotable
 * clone (notify=true): Unpromoted runs mfsmetalogger following the master through the virtual
 * IP; promote rebuilds the master's metadata from the best files on this node, only on the
 * node with the newest metadata; the master itself is ocf:mfs:mfsmaster, colocated with the
 * Promoted role and ordered after promote. A declaration over lib/: MooseFS knowledge in
 * lib/moosefs (metalogger*, election), node attributes in lib/pacemaker.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { defineAgent, promotableMonitors, type ActionContext } from '../../lib/ocf/agent.js';
import { OCF, OcfError, type OcfExitCode } from '../../lib/ocf/exit-codes.js';
import { param } from '../../lib/ocf/parameters.js';
import { connectAddress, readMasterConfig, readMetaloggerConfig, type MasterConfig, type MetaloggerConfig } from '../../lib/moosefs/config.js';
import { MasterProgram, TESTED_MOOSEFS_VERSIONS } from '../../lib/moosefs/master-program.js';
import { masterPid } from '../../lib/moosefs/master-service.js';
import { queryMasterInfo, type MasterInfo } from '../../lib/moosefs/protocol.js';
import { connectedTo, metaloggerPid, startMetalogger, stopMetalogger, validateMetaloggerEnvironment } from '../../lib/moosefs/metalogger.js';
import { betterSource, describeSource, inspectSource, readImage, type MetadataSource } from '../../lib/moosefs/metalogger-files.js';
import { METADATA_FILE } from '../../lib/moosefs/data-path.js';
import { bootstrapFileSystem, rebuildMasterMetadata, setAsideMasterFiles } from '../../lib/moosefs/metalogger-promote.js';
import {
  decidePromotion,
  formatPosition,
  hexId,
  parsePosition,
  raiseMark,
  SCORE,
  unpromotedScore,
  type MarkState,
  type PeerPosition,
  type Position,
} from '../../lib/moosefs/election.js';
import { publishReason, setPromotionScore, type AttributeTarget } from '../../lib/pacemaker/attributes.js';
import { electionStore, type ElectionStore, type Read } from '../../lib/pacemaker/election.js';
import { PACKAGE_VERSION } from '../../lib/version.js';

/** How long a value published through attrd may take to be visible (bounded by the action's deadline too). */
const SETTLE_MS = 3000;
const NODE_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;

const parameters = {
  metalogger_config: param.path({
    shortdesc: 'mfsmetalogger.cfg',
    longdesc:
      "Path of this node's metalogger configuration. Its DATA_PATH holds the metalogger's files; MASTER_HOST and MASTER_PORT must reach the " +
      'master through the address that follows it (the virtual IP), so that the metalogger follows whichever node is master.',
    default: '/etc/mfs/mfsmetalogger.cfg',
    unique: true,
  }),
  metalogger_binary: param.path({ shortdesc: 'mfsmetalogger program', longdesc: 'Path of the mfsmetalogger program.', default: '/usr/sbin/mfsmetalogger' }),
  master_config: param.path({
    shortdesc: 'mfsmaster.cfg',
    longdesc:
      'Path of the master configuration used by the ocf:mfs:mfsmaster resource on this node: promote rebuilds metadata in its DATA_PATH, and ' +
      "MATOCL_LISTEN_PORT is where the running master's metadata version is asked (at MASTER_HOST of the metalogger configuration).",
    default: '/etc/mfs/mfsmaster.cfg',
  }),
  master_binary: param.path({
    shortdesc: 'mfsmaster program',
    longdesc: `Path of the mfsmaster program, whose own recovery ('mfsmaster restore') rebuilds metadata. Tested with MooseFS ${TESTED_MOOSEFS_VERSIONS.join(' and ')}; validate-all and promote say so when another version is installed, and use it.`,
    default: '/usr/sbin/mfsmaster',
  }),
  max_lag: param.integer({
    shortdesc: 'Largest tolerated lag, in changes',
    longdesc:
      'How many metadata changes the metalogger may be behind the running master before monitor reports it degraded and its promotion score ' +
      'drops to a last resort. The metalogger flushes once a second, so a busy master is always some changes ahead.',
    default: 10000,
    min: 0,
  }),
  ignore_high_water_mark: param.boolean({
    shortdesc: 'Promote below the high-water mark',
    longdesc:
      'The Promoted instance records in the CIB (cluster property mfs-ocf-high-water-<resource>) the highest metadata version the cluster has ' +
      'served. A node whose metadata is older refuses to be promoted, so that after a full-cluster restart only a node holding the latest ' +
      'metadata becomes master. Set to true only to accept losing the difference (e.g. the node with the latest metadata is lost for good); ' +
      'set it back to false afterwards.',
    default: false,
  }),
  promote_without_election: param.boolean({
    shortdesc: 'Promote when other candidates cannot be compared',
    longdesc:
      "Before promotion, the chosen node compares its metadata version with every other candidate's (published at pre-promote). When a " +
      "candidate's version cannot be read, or no candidate list exists (notify=false), it refuses by default: that candidate may be ahead. " +
      'true promotes anyway.',
    default: false,
  }),
  high_water_interval: param.integer({
    shortdesc: 'Seconds between high-water mark updates',
    longdesc:
      "The Promoted instance's monitor records the running master's metadata version in the CIB (cluster property " +
      'mfs-ocf-high-water-<resource>) at most this often, since every configuration change makes Pacemaker compute a transition; demote ' +
      "records the master's final version at once. A mark up to this old lets a candidate that lacks only the most recent changes be promoted " +
      'when every node holding them is gone; 0 records at every monitor.',
    default: 60,
    min: 0,
  }),
  bootstrap_node: param.string({
    shortdesc: 'Node that may create a new file system',
    longdesc:
      'First boot: when no node has any metadata and the cluster has never served any (no high-water mark), promotion is refused unless this ' +
      'names the node to be promoted, which then creates a new, empty file system. Leave empty otherwise.',
    pattern: NODE_NAME,
    patternText: 'a node name',
  }),
};

type Context = ActionContext<typeof parameters>;

interface Marker {
  version: string;
  fsId: string;
  at: string;
  /** The high-water mark this node last wrote, and when (ms since the epoch). */
  markVersion?: string;
  markWrittenAt?: number;
}

const baseInstance = (ctx: Context) => ctx.instance.replace(/:\d+$/, '');
const nodeName = (ctx: Context) => ctx.meta('on_node') || hostname();

/** The Promoted state: a file under HA_RSCTMP (a tmpfs: a reboot forgets it, as it forgets the master). */
function markerPath(ctx: Context): string {
  return join(ctx.env.HA_RSCTMP || '/run/resource-agents', `mfs-metarestore-${baseInstance(ctx).replace(/[^A-Za-z0-9_.-]/g, '_')}.promoted`);
}

function readMarker(ctx: Context): Marker | undefined {
  try {
    return JSON.parse(readFileSync(markerPath(ctx), 'utf8')) as Marker;
  } catch {
    return undefined;
  }
}

function writeMarker(ctx: Context, marker: Marker): void {
  mkdirSync(join(markerPath(ctx), '..'), { recursive: true });
  writeFileSync(markerPath(ctx), `${JSON.stringify(marker)}\n`);
}

const configs = (ctx: Context): { metalogger: MetaloggerConfig; master: MasterConfig } => {
  const master = readMasterConfig(ctx.params.master_config);
  ctx.log.addSecrets(master.secrets);
  return { metalogger: readMetaloggerConfig(ctx.params.metalogger_config), master };
};

const attributeTarget = (ctx: Context): AttributeTarget => ({ instance: baseInstance(ctx), node: ctx.meta('on_node'), env: ctx.env, deadline: ctx.deadline, log: ctx.log });
const store = (ctx: Context): ElectionStore => electionStore({ instance: ctx.instance, node: nodeName(ctx), env: ctx.env, deadline: ctx.deadline, log: ctx.log });

interface Published {
  score: number | null;
  reason: string;
  reasonAt: number;
}

/** A steady monitor rewrites the reason at most this often (its lag figures change all the time). */
const REASON_REFRESH_MS = 60_000;

const publishedPath = (ctx: Context) => markerPath(ctx).replace(/\.promoted$/, '.published');

function readPublished(ctx: Context): Published | undefined {
  try {
    return JSON.parse(readFileSync(publishedPath(ctx), 'utf8')) as Published;
  } catch {
    return undefined;
  }
}

/**
 * Publishes a decision: the promotion score and its reason. Actions always write; a monitor
 * writes only what changed (the reason at most once a minute unless the score changed), so
 * that a steady monitor costs no CIB update.
 */
async function publish(ctx: Context, score: number | undefined, reason: string, { always = true } = {}): Promise<void> {
  const target = attributeTarget(ctx);
  const last = always ? undefined : readPublished(ctx);
  const now = Date.now();
  const scoreChanged = !last || last.score !== (score ?? null);
  const scoreOk = scoreChanged ? await setPromotionScore(target, score) : true;
  const reasonDue = !last || (last.reason !== reason && (scoreChanged || now - last.reasonAt >= REASON_REFRESH_MS));
  const reasonOk = reasonDue ? await publishReason(target, reason) : true;
  if (!scoreOk || !reasonOk) {
    rmSync(publishedPath(ctx), { force: true });
    return;
  }
  const record: Published = { score: score ?? null, reason: reasonDue ? reason : last!.reason, reasonAt: reasonDue ? now : last!.reasonAt };
  try {
    mkdirSync(join(publishedPath(ctx), '..'), { recursive: true });
    writeFileSync(publishedPath(ctx), JSON.stringify(record));
  } catch (error) {
    ctx.log.debug(`cannot remember what was published: ${(error as Error).message}`);
  }
}

/**
 * The running master's metadata version at host:port: undefined when none answers, 'unknown'
 * when one answers in a form this agent cannot decode (it serves all the same: every guard
 * treats it as a master; said once in the log).
 */
async function runningMasterVersion(host: string, port: number, ctx: Context): Promise<bigint | 'unknown' | undefined> {
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
async function followMaster(ctx: Context, metalogger: MetaloggerConfig, master: MasterConfig, pid: number, { masterJustStopped = false } = {}): Promise<OcfExitCode> {
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
  const peers = masterVersion === undefined ? await publishedPeers(ctx, store(ctx)) : [];
  const decision = unpromotedScore({
    position: positionOf(best),
    problem: best.problem ?? (best.version === undefined ? `no metadata in ${metalogger.dataPath} yet` : undefined),
    // Following a live master, the mark adds nothing but its file-system id: read it only when it decides.
    mark: following ? { kind: 'unknown', why: 'not read while following a live master' } : await readMarkState(store(ctx)),
    masterVersion,
    connected,
    maxLag: BigInt(ctx.params.max_lag),
    overrideMark: ctx.params.ignore_high_water_mark,
    bootstrapNode: ctx.params.bootstrap_node === nodeName(ctx),
    peers,
  });
  await publish(ctx, decision.score, decision.reason, { always: ctx.action !== 'monitor' });
  if (decision.degraded) ctx.log.warn(decision.reason);
  else ctx.log.debug(decision.reason);
  return decision.degraded ? OCF.DEGRADED : OCF.SUCCESS;
}

/**
 * Raises the cluster's high-water mark to `version` (never lowers it). A cluster property is
 * configuration: each write makes Pacemaker run a transition, so a monitor writes at most once
 * per high_water_interval; demote (after a clean stop of the master) always writes.
 */
async function raiseHighWater(ctx: Context, marker: Marker, version: bigint, { always = false } = {}): Promise<void> {
  const now = Date.now();
  if (marker.markVersion !== undefined && BigInt(marker.markVersion) >= version) return;
  if (!always && marker.markWrittenAt !== undefined && now - marker.markWrittenAt < ctx.params.high_water_interval * 1000) return;
  const s = store(ctx);
  const current = await readMarkState(s);
  if (current.kind === 'unknown') return;
  const raised = raiseMark(current, { version, fsId: BigInt(`0x${marker.fsId}`) });
  if (raised && !(await s.writeMark(formatPosition(raised)))) return;
  if (raised) ctx.log.debug(`high-water mark raised to ${raised.version}`);
  if (readMarker(ctx)) writeMarker(ctx, { ...marker, markVersion: String(raised?.version ?? version), markWrittenAt: now });
}

/** Promoted monitor: records the running master's version as the cluster's high-water mark. */
async function recordHighWater(ctx: Context, master: MasterConfig, marker: Marker): Promise<void> {
  const version = await runningMasterVersion(connectAddress(master.clientListener), master.clientListener.port, ctx);
  if (typeof version === 'bigint') await raiseHighWater(ctx, marker, version);
}

function candidatesFromNotify(ctx: Context): string[] {
  const unames = ctx.notify?.unames ?? {};
  const self = nodeName(ctx);
  const stopping = new Set(unames.stop_uname ?? []);
  const all = [...(unames.active_uname ?? []), ...(unames.unpromoted_uname ?? []), ...(unames.slave_uname ?? []), ...(unames.promote_uname ?? [])];
  return [...new Set(all)].filter((node) => node !== self && !stopping.has(node)).sort();
}

/** attrd spreads a value to the other nodes asynchronously: a value not set yet is read again, briefly (bounded). */
async function readSettled(ctx: Context, read: () => Promise<Read>, expected?: string): Promise<Read> {
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

/** The candidates saved at the last pre-promote on this node, with what each published; `settle`: wait briefly for attrd. */
async function gatherPeers(ctx: Context, s: ElectionStore, { settle = true } = {}): Promise<{ peers: PeerPosition[]; peersKnown: boolean }> {
  const list = await s.readCandidates();
  const cloneMax = Number(ctx.meta('clone_max') ?? '1');
  if (!list.ok || list.value === undefined) return { peers: [], peersKnown: !(cloneMax > 1) };
  const nodes = list.value.split(/\s+/).filter((n) => n && n !== '-' && n !== nodeName(ctx));
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

/** What the other candidates published, read once (a monitor does not wait for attrd). */
async function publishedPeers(ctx: Context, s: ElectionStore): Promise<PeerPosition[]> {
  return (await gatherPeers(ctx, s, { settle: false })).peers;
}

/**
 * post-promote on the other nodes: when this node holds changes the new master lacks (it was
 * promoted with an override, or without comparing), copy the metalogger's files aside now.
 * mfsmetalogger deletes its changelogs when the master it reconnects to is behind it ("some
 * changes lost ... download metadata again"), and they may be the only copy of those changes.
 */
async function keepChangesTheNewMasterLacks(ctx: Context): Promise<void> {
  const promoted = ctx.notify?.unames.promote_uname ?? [];
  if (promoted.length === 0 || promoted.includes(nodeName(ctx))) return;
  const { metalogger, master } = configs(ctx);
  const own = localSources(metalogger, master).metalogger;
  if (own.version === undefined) return;
  const theirs = await store(ctx).readPosition(promoted[0]!);
  const position = theirs.ok ? parsePosition(theirs.value) : undefined;
  if (position && own.version <= position.version) return;
  const aside = setAsideMasterFiles(metalogger.dataPath, 'ahead-of-new-master', { copy: true, metaloggerFiles: true });
  if (!aside) return;
  const why = position ? `this node's metadata (version ${own.version}) is ahead of ${promoted[0]}'s (${position.version})` : `${promoted[0]}'s version is unknown`;
  ctx.log.warn(`${why}: copied the metalogger's files into ${aside.directory} before the metalogger meets the new master`);
  await publishReason(attributeTarget(ctx), `${why}: metalogger files copied to ${aside.directory}`);
  rmSync(publishedPath(ctx), { force: true });
}

async function restartMetaloggerQuietly(ctx: Context, metalogger: MetaloggerConfig): Promise<void> {
  try {
    await startMetalogger(ctx.params.metalogger_binary, metalogger, ctx.deadline, ctx.log);
  } catch (error) {
    ctx.log.warn(`could not restart the metalogger: ${(error as Error).message}`);
  }
}

export default defineAgent({
  name: 'mfs-metarestore',
  version: PACKAGE_VERSION,
  shortdesc: 'MooseFS master failover from metalogger files (no DRBD)',
  longdesc:
    'A promotable clone (set notify=true) that makes the MooseFS master highly available without shared storage. Unpromoted: mfsmetalogger ' +
    "runs on the node with its own configuration and follows the master through the virtual IP; monitor checks it is connected and how far its " +
    "metadata lags the master's (OCF_DEGRADED when disconnected or past max_lag), and sets the promotion score from its metadata version. " +
    'Promotion goes only to the node with the newest metadata: at pre-promote every candidate publishes its version, and the chosen one refuses ' +
    "(failing its promote on purpose, as ClusterLabs' PAF does) when another is ahead or when it is below the highest version the cluster " +
    'served (high-water mark, kept in the CIB). Promote stops the metalogger, sets aside (never deletes) whatever is in the master\'s ' +
    "DATA_PATH, copies the metalogger's files there, cuts partial changelog lines (originals kept), rebuilds metadata.mfs with 'mfsmaster restore' " +
    'and checks the result reaches the expected version and file system. The master itself is ocf:mfs:mfsmaster, colocated with the Promoted ' +
    'role and ordered after promote. Demote, after the master has stopped, returns to metalogger. Every decision is published with its ' +
    'reason in the node attribute mfs-ocf-reason-<resource>.',
  parameters,
  async validate(ctx) {
    const { metalogger, master } = configs(ctx);
    await validateMetaloggerEnvironment(ctx.params.metalogger_binary, metalogger);
    const program = await MasterProgram.detect(ctx.params.master_binary, ctx.params.master_config, ctx.deadline);
    if (program.untestedNote) ctx.log.warn(program.untestedNote);
    if (ctx.meta('clone_max') !== undefined) {
      if (ctx.meta('notify') !== 'true') throw new OcfError(OCF.ERR_CONFIGURED, 'the clone needs meta notify=true: the election runs at pre-promote');
      const promotedMax = Number(ctx.meta('promoted_max') ?? ctx.meta('master_max') ?? '1');
      if (promotedMax > 1) throw new OcfError(OCF.ERR_CONFIGURED, `promoted-max=${promotedMax}: there is exactly one MooseFS master`);
    }
    if (metalogger.dataPath === master.dataPath) ctx.log.debug(`metalogger and master share DATA_PATH ${master.dataPath}`);
  },
  actions: {
    start: {
      timeout: '60s',
      async run(ctx) {
        const { metalogger, master } = configs(ctx);
        rmSync(markerPath(ctx), { force: true });
        const pid = await startMetalogger(ctx.params.metalogger_binary, metalogger, ctx.deadline, ctx.log);
        await followMaster(ctx, metalogger, master, pid);
        return OCF.SUCCESS;
      },
    },
    stop: {
      timeout: '60s',
      async run(ctx) {
        let metalogger: MetaloggerConfig;
        try {
          metalogger = readMetaloggerConfig(ctx.params.metalogger_config);
        } catch (error) {
          if (!(error instanceof OcfError)) throw error;
          ctx.log.warn(`${error.message}: nothing can have been started with it`);
          return OCF.SUCCESS;
        }
        await stopMetalogger(metalogger, ctx.deadline, ctx.log);
        rmSync(markerPath(ctx), { force: true });
        await publish(ctx, undefined, 'stopped: no metalogger, no promotion score');
        return OCF.SUCCESS;
      },
    },
    monitor: {
      timeout: '20s',
      advertise: promotableMonitors(),
      async run(ctx) {
        const { metalogger, master } = configs(ctx);
        const marker = readMarker(ctx);
        if (marker) {
          await recordHighWater(ctx, master, marker);
          return OCF.RUNNING_PROMOTED;
        }
        const pid = metaloggerPid(metalogger);
        if (pid === undefined) return OCF.NOT_RUNNING;
        return followMaster(ctx, metalogger, master, pid);
      },
    },
    notify: {
      timeout: '20s',
      async run(ctx) {
        if (ctx.notify?.type === 'post' && ctx.notify.operation === 'promote') {
          try {
            await keepChangesTheNewMasterLacks(ctx);
          } catch (error) {
            ctx.log.warn(`post-promote: ${(error as Error).message}`);
          }
          await store(ctx).saveCandidates([]);
          return OCF.SUCCESS;
        }
        if (!ctx.notify || ctx.notify.type !== 'pre' || ctx.notify.operation !== 'promote') return OCF.SUCCESS;
        try {
          const { metalogger, master } = configs(ctx);
          const s = store(ctx);
          const best = localSources(metalogger, master).best;
          const position = positionOf(best);
          const value = position ? formatPosition(position) : 'none';
          await s.publishPosition(value);
          const seen = await readSettled(ctx, () => s.readPosition(nodeName(ctx)), value);
          if (!seen.ok || seen.value !== value) ctx.log.warn(`pre-promote: published position ${value} not confirmed (${seen.ok ? `read ${seen.value ?? 'nothing'}` : seen.why})`);
          ctx.log.info(`pre-promote: published ${position ? describeSource(best) : 'no metadata'}`);
          if ((ctx.notify.unames.promote_uname ?? []).includes(nodeName(ctx))) {
            const candidates = candidatesFromNotify(ctx);
            await s.saveCandidates(candidates.length > 0 ? candidates : ['-']);
          }
        } catch (error) {
          ctx.log.warn(`pre-promote: ${(error as Error).message}`);
        }
        return OCF.SUCCESS;
      },
    },
    promote: {
      timeout: '120s',
      async run(ctx) {
        if (readMarker(ctx)) {
          ctx.log.info('already promoted');
          return OCF.SUCCESS;
        }
        const { metalogger, master } = configs(ctx);
        /** A refusal before the election: said in the reason attribute as well as in the exit reason. */
        const refuse = async (why: string): Promise<never> => {
          await publishReason(attributeTarget(ctx), `promote refused: ${why}`);
          rmSync(publishedPath(ctx), { force: true });
          throw new OcfError(OCF.ERR_GENERIC, why);
        };
        const running = masterPid(master);
        if (running !== undefined) await refuse(`mfsmaster (pid ${running}) already runs on ${master.dataPath}: metadata is never rebuilt under a live master`);
        const elsewhere = await runningMasterVersion(metalogger.masterHost, master.clientListener.port, ctx);
        if (elsewhere !== undefined) {
          await refuse(`a master still answers at ${metalogger.masterHost}:${master.clientListener.port} (metadata version ${elsewhere === 'unknown' ? 'unreadable' : elsewhere}): promoting would make two masters`);
        }
        await stopMetalogger(metalogger, ctx.deadline.slice(0.3, 20_000), ctx.log);
        const sources = localSources(metalogger, master);
        const s = store(ctx);
        const { peers, peersKnown } = await gatherPeers(ctx, s);
        const node = nodeName(ctx);
        const decision = decidePromotion({
          node,
          self: positionOf(sources.best),
          selfProblem: sources.best.problem ?? (sources.best.version === undefined ? `no metadata in ${metalogger.dataPath} or ${master.dataPath}` : undefined),
          mark: await readMarkState(s),
          peers,
          peersKnown,
          overrideMark: ctx.params.ignore_high_water_mark,
          allowUnknownPeers: ctx.params.promote_without_election,
          bootstrapNode: ctx.params.bootstrap_node,
        });
        if (decision.action === 'refuse') {
          const target = attributeTarget(ctx);
          if (decision.better) {
            // PAF's swap: make Pacemaker try the better candidate next.
            await setPromotionScore(target, SCORE.lastResort);
            await setPromotionScore({ ...target, node: decision.better }, SCORE.best);
            await publishReason({ ...target, node: decision.better }, `promotion score ${SCORE.best} set by the election on ${node}: ${decision.reason}`);
          } else {
            await setPromotionScore(target, undefined);
          }
          await publishReason(target, `promote refused: ${decision.reason}`);
          rmSync(publishedPath(ctx), { force: true });
          await restartMetaloggerQuietly(ctx, metalogger);
          throw new OcfError(OCF.ERR_GENERIC, `promote refused: ${decision.reason}`);
        }
        for (const warning of decision.warnings) ctx.log.warn(warning);
        let reached: Position;
        try {
          if (decision.action === 'bootstrap') {
            await bootstrapFileSystem(master, ctx.log);
            reached = { version: 1n, fsId: 0n };
          } else {
            ctx.log.info(`promoting: ${decision.reason}; rebuilding from ${describeSource(sources.best)}`);
            const outcome = await rebuildMasterMetadata({ program: await MasterProgram.detect(ctx.params.master_binary, ctx.params.master_config, ctx.deadline), master, source: sources.best, deadline: ctx.deadline, log: ctx.log });
            reached = { version: outcome.version, fsId: outcome.fsId };
          }
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          await publish(ctx, undefined, `promote failed: ${message}`);
          await restartMetaloggerQuietly(ctx, metalogger);
          throw error;
        }
        const marker: Marker = { version: String(reached.version), fsId: hexId(reached.fsId), at: new Date().toISOString() };
        writeMarker(ctx, marker);
        await raiseHighWater(ctx, marker, reached.version, { always: true });
        await s.saveCandidates([]);
        await publish(ctx, SCORE.promoted, `promoted at metadata version ${reached.version}: ${decision.reason}`);
        return OCF.SUCCESS;
      },
    },
    demote: {
      timeout: '60s',
      async run(ctx) {
        const { metalogger, master } = configs(ctx);
        const marker = readMarker(ctx);
        if (marker) {
          const running = masterPid(master);
          if (running !== undefined) {
            throw new OcfError(OCF.ERR_GENERIC, `mfsmaster (pid ${running}) still runs on ${master.dataPath}: the master resource must stop before demote (order it after promote)`);
          }
          // A clean stop left metadata.mfs: its version is exactly what this master served.
          const served = readImage(join(master.dataPath, METADATA_FILE));
          if (served && served.version > 1n) await raiseHighWater(ctx, marker, served.version, { always: true });
          rmSync(markerPath(ctx), { force: true });
          ctx.log.info('demoted: back to metalogger');
        }
        const pid = await startMetalogger(ctx.params.metalogger_binary, metalogger, ctx.deadline, ctx.log);
        await followMaster(ctx, metalogger, master, pid, { masterJustStopped: marker !== undefined });
        return OCF.SUCCESS;
      },
    },
  },
});
