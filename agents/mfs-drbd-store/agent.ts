/**
 * ocf:mfs:mfs-drbd-store: the DRBD-replicated store of the MooseFS master's DATA_PATH as a
 * promotable clone (notify=true). Parameters and wiring: the work is lib/drbd/store.ts's, the
 * parameters become its settings in lib/drbd/store-settings.ts.
 */
import { hostname } from 'node:os';
import { defineAgent, promotableMonitors, type ActionContext } from '../../lib/ocf/agent.js';
import { OCF, OcfError } from '../../lib/ocf/exit-codes.js';
import { param } from '../../lib/ocf/parameters.js';
import { Failure } from '../../lib/runtime/errors.js';
import { checkPromotableClone } from '../../lib/pacemaker/promotion.js';
import { SPLIT_BRAIN_POLICIES } from '../../lib/drbd/decisions.js';
import { Drbd } from '../../lib/drbd/drbdadm.js';
import { DEFAULT_HISTORY_DIR } from '../../lib/drbd/history.js';
import { DEFAULT_SCORE_TABLE_TEXT, parseScoreTable } from '../../lib/drbd/scores.js';
import { masterSide, parseScoreParameter, parseSignals } from '../../lib/drbd/store-settings.js';
import { demoteStore, monitorStore, notifyStore, promoteStore, startStore, stopStore, type StoreContext, type StoreSettings } from '../../lib/drbd/store.js';
import { PACKAGE_VERSION } from '../../lib/version.js';

const SIGNAL_LIST = /^\s*(SIG)?[A-Z][A-Z0-9]*(\s*[ ,]\s*(SIG)?[A-Z][A-Z0-9]*)*\s*$/;

const parameters = {
  drbd_resource: param.name({
    shortdesc: 'DRBD resource',
    longdesc: 'Name of the DRBD resource (as in the DRBD configuration) that holds the file system with the master\'s DATA_PATH.',
    required: true,
    unique: true,
  }),
  drbdconf: param.path({
    shortdesc: 'DRBD configuration file',
    longdesc: 'Passed to drbdadm as -c. Unset: drbdadm\'s default (/etc/drbd.conf).',
  }),
  device: param.path({
    shortdesc: 'DRBD device',
    longdesc: 'The block device to mount. Unset: asked from "drbdadm sh-dev <drbd_resource>" (its first volume).',
  }),
  directory: param.path({
    shortdesc: 'Mount point',
    longdesc: 'Where the DRBD device is mounted on the Promoted node. The master\'s DATA_PATH must be this directory or lie below it.',
    default: '/var/lib/mfs',
    unique: true,
  }),
  fstype: param.string({
    shortdesc: 'File system type',
    longdesc: 'Type given to mount -t and fsck -t (ext4, xfs...). Unset: detected by mount.',
    pattern: /^[a-z0-9._-]{1,32}$/,
    patternText: 'a file system type name such as ext4 or xfs',
  }),
  options: param.string({
    shortdesc: 'Mount options',
    longdesc: 'Options for mount -o, comma separated (e.g. noatime). Unset: none.',
    pattern: /^[A-Za-z0-9_.=:/@+-]+(,[A-Za-z0-9_.=:/@+-]+)*$/,
    patternText: 'comma-separated mount options (letters, digits, _ . = : / @ + -)',
  }),
  fsck: param.boolean({
    shortdesc: 'Check the file system before mounting',
    longdesc: 'Run fsck -p on the device before mounting it at promote (exit codes 0 and 1 are accepted).',
    default: false,
  }),
  master_config: param.path({
    shortdesc: 'mfsmaster.cfg',
    longdesc:
      'The master\'s configuration file: DATA_PATH, WORKING_USER and WORKING_GROUP are read from it (one source of truth with ocf:mfs:mfsmaster). ' +
      'Promote makes sure DATA_PATH exists on the store, owned by that user and group, and refuses when it belongs to other numeric ids.',
    default: '/etc/mfs/mfsmaster.cfg',
  }),
  split_brain_policy: param.select({
    shortdesc: 'What to do after a DRBD split brain',
    longdesc:
      'manual: report loudly (log and the mfs-ocf-reason node attribute), keep serving on the Primary, never discard data. ' +
      'discard-secondary: the Secondary drops the changes it made while it was Primary apart from its peer and resynchronises from the Primary ' +
      '(drbdadm connect --discard-my-data); what is discarded is named in the log. A Secondary whose connection DRBD dropped (StandAlone) counts ' +
      'as that Secondary even without memory of having been Primary (a fenced old Primary after its reboot), and so does one disconnected by hand: ' +
      'it reconnects. Either way a Secondary gets no promotion score from a StandAlone until it replicates again.',
    options: SPLIT_BRAIN_POLICIES,
    default: 'manual',
  }),
  unmount_signals: param.string({
    shortdesc: 'Signals for processes holding the mount',
    longdesc:
      'When demote cannot unmount because processes hold the file system, they are listed in the log, then sent these signals in turn ' +
      '(space- or comma-separated), waiting unmount_signal_delay after each, as ocf:heartbeat:Filesystem does.',
    default: 'TERM KILL',
    pattern: SIGNAL_LIST,
    patternText: 'signal names such as "TERM KILL"',
  }),
  unmount_signal_delay: param.integer({
    shortdesc: 'Seconds to wait after each signal',
    longdesc: 'How long demote waits for the processes to end after each signal. 0: the demote timeout is split evenly between the signals.',
    default: 0,
    min: 0,
    max: 3600,
  }),
  adjust_master_score: param.string({
    shortdesc: 'Promotion scores',
    longdesc:
      'Four non-decreasing integers as in LINBIT\'s drbd agent: only Consistent data; only a peer\'s UpToDate data (not used: this agent never promotes ' +
      'without local UpToDate data); local UpToDate data with a peer unknown; local UpToDate data and Primary, or every peer known. ' +
      '0 means no score. Outdated, Inconsistent and Diskless nodes get no score at all.',
    default: DEFAULT_SCORE_TABLE_TEXT,
    pattern: /^\s*\d+(\s+\d+){3}\s*$/,
    patternText: 'four integers such as "0 10 1000 10000"',
  }),
};

type Context = ActionContext<typeof parameters>;

function drbdFor(ctx: Context, device?: string): Drbd {
  return new Drbd({ resource: ctx.params.drbd_resource, configFile: ctx.params.drbdconf, log: ctx.log, device });
}

/** A checked value; a stop falls back to the default instead: a bad parameter never fails a stop. */
function lenient<T>(ctx: Context, checked: () => T, fallback: () => T): T {
  try {
    return checked();
  } catch (error) {
    if (ctx.action !== 'stop' || !(error instanceof Failure)) throw error;
    ctx.log.warn(`${error.message}: stopping with the default`);
    return fallback();
  }
}

async function store(ctx: Context, { needMaster = false, needDevice = true } = {}): Promise<StoreContext> {
  const device = ctx.params.device ?? (needDevice ? (await drbdFor(ctx).devices(ctx.deadline))[0]! : '');
  const settings: StoreSettings = {
    drbd: drbdFor(ctx, device || undefined),
    device,
    directory: ctx.params.directory,
    fstype: ctx.params.fstype,
    mountOptions: ctx.params.options ?? '',
    fsck: ctx.params.fsck,
    ...masterSide(ctx.params.master_config, ctx.params.directory, needMaster, ctx.log),
    splitBrainPolicy: ctx.params.split_brain_policy,
    unmountSignals: lenient(ctx, () => parseSignals(ctx.params.unmount_signals), () => parseSignals(parameters.unmount_signals.defaultText!)),
    unmountSignalDelayMs: ctx.params.unmount_signal_delay * 1000,
    scores: lenient(ctx, () => parseScoreParameter(ctx.params.adjust_master_score), () => parseScoreTable(DEFAULT_SCORE_TABLE_TEXT)),
    node: ctx.meta('on_node') || hostname(),
    instance: ctx.instance,
    historyDir: DEFAULT_HISTORY_DIR,
    env: ctx.env,
  };
  return { settings, deadline: ctx.deadline, log: ctx.log, probe: ctx.isProbe };
}

export default defineAgent({
  name: 'mfs-drbd-store',
  version: PACKAGE_VERSION,
  shortdesc: 'DRBD-replicated store for the MooseFS master\'s metadata',
  longdesc:
    'Manages the DRBD resource that holds the MooseFS master\'s DATA_PATH, as a promotable clone (set notify=true). Unpromoted: the DRBD ' +
    'resource is up, Secondary, connected and replicating. Promoted: DRBD Primary, its file system mounted at "directory", the data directory ' +
    'present and owned by the master\'s working user. Promotion scores follow the disk state like LINBIT\'s drbd agent (crm_attribute --promotion), ' +
    'with the reason in the node attribute mfs-ocf-reason-<resource>. Promote refuses data that is not UpToDate; demote ends the processes ' +
    'that hold the mount before DRBD becomes Secondary. Monitor: 8 Primary and mounted, 191 Primary with a peer not connected, 9 Primary without ' +
    'a usable mount, 0 Secondary, 190 Secondary in a split brain, 7 down. Works with DRBD 9 and 8.4.',
  parameters,
  async validate(ctx) {
    parseScoreParameter(ctx.params.adjust_master_score);
    parseSignals(ctx.params.unmount_signals);
    checkPromotableClone(ctx.meta, { notify: 'scores follow peers starting and stopping', promotedMax: "the store's file system is mounted on one node only" });
    const drbd = drbdFor(ctx);
    if (ctx.params.device) await drbd.checkDevice(ctx.params.device, ctx.deadline);
    else await drbd.devices(ctx.deadline);
    if (ctx.action === 'promote' || ctx.action === 'validate-all') masterSide(ctx.params.master_config, ctx.params.directory, true, ctx.log);
  },
  actions: {
    start: { timeout: '240s', run: async (ctx) => startStore(await store(ctx)) },
    stop: { timeout: '100s', run: async (ctx) => stopStore(await store(ctx, { needDevice: false })) },
    promote: { timeout: '90s', run: async (ctx) => promoteStore(await store(ctx, { needMaster: true })) },
    demote: { timeout: '90s', run: async (ctx) => demoteStore(await store(ctx)) },
    notify: {
      timeout: '90s',
      async run(ctx) {
        if (!ctx.notify) return OCF.SUCCESS;
        try {
          return await notifyStore(await store(ctx), ctx.notify.type, ctx.notify.operation);
        } catch (error) {
          // A notification must not fail: the score is corrected by the next monitor.
          ctx.log.warn(`notify ${ctx.notify.type}-${ctx.notify.operation}: ${(error as Error).message}`);
          return OCF.SUCCESS;
        }
      },
    },
    monitor: {
      timeout: '20s',
      advertise: promotableMonitors(),
      async run(ctx) {
        const verdict = await monitorStore(await store(ctx));
        // with its reason as the exit reason
        if (verdict.status === 'failed') throw new Failure('failed', verdict.reason);
        if (verdict.status === 'failed-promoted') throw new OcfError(OCF.FAILED_PROMOTED, verdict.reason);
        return verdict.status;
      },
    },
  },
});
