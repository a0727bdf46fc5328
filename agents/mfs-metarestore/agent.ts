/**
 * ocf:mfs:mfs-metarestore: DRBD-less high availability for the MooseFS master. A promotable
 * clone (notify=true): Unpromoted runs mfsmetalogger following the master through the virtual
 * IP; promote rebuilds the master's metadata from the best files on this node, only on the
 * node with the newest metadata; the master itself is ocf:mfs:mfsmaster, colocated with the
 * Promoted role and ordered after promote. Parameters and wiring: the work is
 * lib/moosefs/metarestore.ts's, the election's overrides are declared in
 * lib/moosefs/election-parameters.ts.
 */
import { hostname } from 'node:os';
import { defineAgent, promotableMonitors, type ActionContext } from '../../lib/ocf/agent.js';
import { param } from '../../lib/ocf/parameters.js';
import { electionParameters } from '../../lib/moosefs/election-parameters.js';
import { TESTED_MOOSEFS_VERSIONS } from '../../lib/moosefs/master-program.js';
import {
  demoteMetarestore,
  monitorMetarestore,
  notifyMetarestore,
  promoteMetarestore,
  startMetarestore,
  stopMetarestore,
  validateMetarestore,
  type MetarestoreContext,
} from '../../lib/moosefs/metarestore.js';
import { PACKAGE_VERSION } from '../../lib/version.js';

const { ignore_high_water_mark, promote_without_election, bootstrap_node } = electionParameters;

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
  ignore_high_water_mark,
  promote_without_election,
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
  bootstrap_node,
};

function work(ctx: ActionContext<typeof parameters>): MetarestoreContext {
  const p = ctx.params;
  return {
    settings: {
      metaloggerConfig: p.metalogger_config,
      metaloggerBinary: p.metalogger_binary,
      masterConfig: p.master_config,
      masterBinary: p.master_binary,
      maxLag: BigInt(p.max_lag),
      ignoreHighWaterMark: p.ignore_high_water_mark,
      promoteWithoutElection: p.promote_without_election,
      highWaterIntervalMs: p.high_water_interval * 1000,
      bootstrapNode: p.bootstrap_node,
      instance: ctx.instance,
      node: ctx.meta('on_node') || hostname(),
      onNode: ctx.meta('on_node'),
      stateDir: ctx.env.HA_RSCTMP || '/run/resource-agents',
      cloneMax: Number(ctx.meta('clone_max') ?? '1'),
      env: ctx.env,
    },
    deadline: ctx.deadline,
    log: ctx.log,
    action: ctx.action,
    notify: ctx.notify,
  };
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
  validate: (ctx) => validateMetarestore(work(ctx), ctx.meta),
  actions: {
    start: { timeout: '60s', run: (ctx) => startMetarestore(work(ctx)) },
    stop: { timeout: '60s', run: (ctx) => stopMetarestore(work(ctx)) },
    monitor: { timeout: '20s', advertise: promotableMonitors(), run: (ctx) => monitorMetarestore(work(ctx)) },
    notify: { timeout: '20s', run: (ctx) => notifyMetarestore(work(ctx)) },
    promote: { timeout: '120s', run: (ctx) => promoteMetarestore(work(ctx)) },
    demote: { timeout: '60s', run: (ctx) => demoteMetarestore(work(ctx)) },
  },
});
