/**
 * `mfs-crm status --cib FILE`, the built tool on CIB files made by Pacemaker's own tools: the
 * configuration mfs-crm generates, loaded with cibadmin, nodes brought online and transitions
 * run with crm_simulate, promotion scores and the agents' reasons injected as the agents write
 * them (crm_attribute), failed operations made with crm_simulate's --op-inject/--op-fail and
 * given the exit reason the agent would have written. The reasons are produced by the agents'
 * own decision functions (lib/moosefs/election.ts, lib/drbd/scores.ts), so that the overrides
 * mfs-crm status names follow the agents' wording.
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseScoreTable, promotionScore } from '../../lib/drbd/scores.js';
import type { DiskState, ResourceState } from '../../lib/drbd/state.js';
import { decidePromotion, unpromotedScore } from '../../lib/moosefs/election.js';
import { reasonAttributeName } from '../../lib/pacemaker/attributes.js';
import { encodeReasons, type Reason } from '../../lib/pacemaker/reason.js';
import { MR as REASON } from '../../lib/moosefs/reasons.js';
import { DR } from '../../lib/drbd/reasons.js';
import { promotionScoreAttribute } from '../../lib/pacemaker/cib.js';
import { highWaterProperty } from '../../lib/pacemaker/election.js';
import { run } from '../../lib/process/run.js';
import { clusterStatus, NotOursError, renderText, type ClusterStatus, type StatusInput, type Verdict } from '../../crm-snippets/status.js';
import type { CibFacts, FailedAction, FenceConstraint, MonResource, MonStatus } from '../../lib/pacemaker/status.js';
import {
  cibadminModify,
  deleteNodeAttribute,
  emptyCib,
  onlineNodes,
  setClusterProperty,
  setExitReason,
  setNodeAttribute,
  simulate,
  succeeded,
} from '../helpers/pacemaker.js';
import { ocfEnv, runAgent } from '../helpers/built.js';
import { createMasterFixture, createMetaloggerFixture } from '../helpers/moosefs.js';
import { mfsCrmStatus, type Exec } from '../helpers/status.js';
import { runCrm } from './mfs-crm.js';

const NODES = ['alpha', 'beta'] as const;
const ML = 'mfs-metalogger';
const STORE = 'mfs-store';
const FS_ID = 0x1234abcdn;

let dir: string;
/** Both nodes online, nothing run yet, per topology. */
const base = {} as Record<'metalogger' | 'drbd-store', string>;
let step = 0;
const file = (tag: string) => join(dir, `${++step}-${tag}.xml`);

async function configured(topology: 'metalogger' | 'drbd-store', extra: string[]): Promise<string> {
  const generated = await runCrm([topology, ...NODES.flatMap((n) => ['--node', n]), '--ip', '192.0.2.20', '--no-fencing', '--format', 'xml', ...extra]);
  expect(generated.exitCode, generated.stderr).toBe(0);
  const cib = await emptyCib(join(dir, `${topology}-empty.xml`));
  succeeded(await cibadminModify(cib, generated.stdout, dir), 'cibadmin --modify');
  return onlineNodes(cib, NODES, join(dir, `${topology}-online.xml`));
}

/** What the agents publish for a decision (lib/pacemaker/reason.ts); a plain string is a previous version's reason (legacy). */
type Published = { why: Reason } | { reasons: Reason[] } | string;
const published = (p: Published): string => (typeof p === 'string' ? p : encodeReasons('why' in p ? [p.why] : p.reasons));

/** A copy of `from` with each node's promotion score (null: none) and reason, as the agent publishes them. */
async function withScores(from: string, primitive: string, scores: Record<string, { score: number | null; reason: Published }>): Promise<string> {
  const cib = file('scores');
  copyFileSync(from, cib);
  for (const [node, { score, reason }] of Object.entries(scores)) {
    if (score !== null) await setNodeAttribute(cib, node, promotionScoreAttribute(primitive), String(score));
    await setNodeAttribute(cib, node, reasonAttributeName(primitive), published(reason));
  }
  return cib;
}

async function status(cib: string, format: 'text' | 'json' = 'text') {
  const result = await runCrm(['status', '--cib', cib, '--format', format]);
  expect(result.exitCode, result.stderr).toBe(0);
  return result;
}

/** Through the helper the live-cluster tests use (test/helpers/status.ts), here with a local exec. */
async function json(cib: string): Promise<ClusterStatus> {
  const exec: Exec = async (file, args) => {
    const result = await run(file, args, { timeoutMs: 60_000 });
    return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
  };
  return mfsCrmStatus(exec, { cib });
}

const at = (version: bigint) => ({ version, fsId: FS_ID });
const mark = { kind: 'known' as const, mark: at(48290n) };

/** mfs-metarestore's Unpromoted decision, as its monitor publishes it. */
function unpromoted(version: bigint, masterVersion?: bigint) {
  return unpromotedScore({ position: at(version), mark, masterVersion, connected: masterVersion !== undefined, maxLag: 10000n, overrideMark: false, bootstrapNode: false });
}

/** A DRBD state with one volume and one connected peer. */
function drbd(disk: DiskState, peerDisk: DiskState): ResourceState {
  return {
    name: 'mfsmeta',
    role: 'Secondary',
    mayPromote: undefined,
    kernelPromotionScore: undefined,
    forceIoFailures: false,
    suspended: false,
    volumes: [{ volume: 0, minor: 1, disk, client: false, quorum: true }],
    peers: [{ nodeId: 1, name: 'peer', connection: 'Connected', role: 'Secondary', volumes: [{ volume: 0, replication: 'Established', peerDisk, peerClient: false, done: undefined }] }],
  };
}
function storeReason(disk: DiskState, peerDisk: DiskState): { score: number | null; reason: Published; text: string } {
  const decision = promotionScore(drbd(disk, peerDisk), parseScoreTable('0 10 1000 10000'));
  if (decision.kind === 'keep') throw new Error('transitional');
  return { score: decision.kind === 'set' ? decision.score : null, reason: decision, text: decision.reason };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mfs-crm-status-'));
  base.metalogger = await configured('metalogger', []);
  base['drbd-store'] = await configured('drbd-store', ['--drbd-resource', 'mfsmeta', '--device', '/dev/drbd1', '--directory', '/srv/mfs', '--fstype', 'xfs']);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('mfs-crm status --cib: metalogger topology', () => {
  let healthy: string;
  const alpha = unpromoted(48290n);
  const beta = unpromoted(48288n, 48290n);

  beforeAll(async () => {
    const scored = await withScores(base.metalogger, ML, { alpha: { score: 1000, reason: alpha }, beta: { score: 900, reason: beta } });
    healthy = (await simulate(scored, file('healthy'))).cib;
    await setClusterProperty(healthy, highWaterProperty(ML), `48290:${FS_ID.toString(16).toUpperCase().padStart(16, '0')}`);
  });

  it('healthy: promoted on one node, unpromoted on the other, each with its score and reason', async () => {
    const { stdout } = await status(healthy);
    expect(stdout).toMatch(/^verdict: healthy: alpha serves$/m);
    expect(stdout).toMatch(new RegExp(`^  alpha\\s+Promoted\\s+score 1000\\s+${alpha.reason.replace(/[()]/g, '\\$&')}$`, 'm'));
    expect(stdout).toMatch(/^ {2}beta\s+Unpromoted\s+score 900\s+metadata at version 48288, 2 change\(s\) behind the master at 48290$/m);
    expect(stdout).toContain('high-water mark: version 48290 (file system 000000001234ABCD)');
    expect(stdout).toContain('mfs-master (ocf:mfs:mfsmaster): started on alpha');
    expect(stdout).toContain('durability: process (parameter of mfs-master)'); // mfs-crm metalogger sets it
    expect(stdout).not.toContain('failed actions');
    // The faster planned switch-over (bench:failover), and the clear without which alpha stays barred.
    expect(stdout).toContain(`switch-over to beta: crm_resource --ban --promoted --resource ${ML}-clone --node alpha\n  once beta serves: crm_resource --clear --resource ${ML}-clone`);
  });

  it('the live path (crm_mon, cibadmin --query) reads the same: here pointed at the file by CIB_file, as Pacemaker\'s tools allow', async () => {
    const live = await runCrm(['status', '--format', 'json'], { CIB_file: healthy });
    expect(live.exitCode, live.stderr).toBe(0);
    expect(JSON.parse(live.stdout)).toEqual(await json(healthy));
  });

  it('--format json: per resource the promoted node, each node role, score and reason; the verdict', async () => {
    const s = await json(healthy);
    expect(s.verdict).toEqual({ kind: 'healthy', why: 'alpha serves' });
    expect(s.resources).toHaveLength(1);
    expect(s.resources[0]).toMatchObject({
      id: ML,
      clone: `${ML}-clone`,
      agent: 'ocf:mfs:mfs-metarestore',
      promoted: ['alpha'],
      highWaterMark: { version: '48290', fsId: '000000001234ABCD' },
      nodes: [
        { node: 'alpha', online: true, role: 'Promoted', failed: false, score: 1000, reason: alpha.reason },
        { node: 'beta', online: true, role: 'Unpromoted', failed: false, score: 900, reason: beta.reason },
      ],
    });
    expect(s.durability).toEqual({ mode: 'process', source: 'parameter', resource: 'mfs-master' });
    expect(s.failedActions).toEqual([]);
    expect(s.switchOver, 'our agents publish what a switch-over depends on: nothing to check by hand').toMatchObject({ from: 'alpha', to: 'beta', check: null });
  });

  it('degraded: the peer instance failed and stopped; the failed action shows its exit reason; the peer publishes why', async () => {
    const failed = await simulate(healthy, file('peer-failed'), { opInject: [`${ML}_monitor_20000@beta=1`], opFail: [`${ML}_start_0@beta=1`] });
    const why = "mfsmetalogger did not start: /var/lib/mfs is not writable by mfs (parameter 'metalogger_config', /etc/mfs/mfsmetalogger.cfg)";
    await setExitReason(failed.cib, `${ML}_last_failure_0`, why);
    await deleteNodeAttribute(failed.cib, 'beta', promotionScoreAttribute(ML));
    await setNodeAttribute(failed.cib, 'beta', reasonAttributeName(ML), published({ why: REASON.stopped() }));
    // what attrd records after a failed start (crm_simulate does not): the instance stays stopped there
    await setNodeAttribute(failed.cib, 'beta', `fail-count-${ML}#start_0`, 'INFINITY');
    const stopped = (await simulate(failed.cib, file('peer-stopped'))).cib;
    const { stdout } = await status(stopped);
    expect(stdout).toMatch(/^ {2}beta\s+Stopped\s+no score\s+stopped: no metalogger, no promotion score$/m);
    expect(stdout).toContain(`failed actions:\n  ${ML} start on beta: error (rc 1): ${why} at `);
    const verdict = stdout.split('\n').find((line) => line.startsWith('verdict:'))!;
    expect(verdict).toBe(`verdict: degraded: alpha serves, but beta: mfs-metalogger stopped (stopped: no metalogger, no promotion score); mfs-metalogger start failed on beta (${why})`);
    const s = await json(stopped);
    expect(s.verdict.kind).toBe('degraded');
    expect(s.resources[0]!.promoted).toEqual(['alpha']);
    expect(s.failedActions).toEqual([expect.objectContaining({ resource: ML, node: 'beta', task: 'start', exitCode: 1, exitReason: why })]);
    expect(s.switchOver, 'no switch-over to a node that cannot take over').toBeNull();
    expect(stdout).not.toContain('switch-over');
  });

  it('degraded: both run, but the peer lags (the reason its monitor publishes) and has no usable score', async () => {
    const lagging = unpromotedScore({ position: undefined, problem: 'no metadata in /var/lib/mfs yet', mark, masterVersion: 48290n, connected: false, maxLag: 10000n, overrideMark: false, bootstrapNode: false });
    const cib = file('peer-no-score');
    copyFileSync(healthy, cib);
    await deleteNodeAttribute(cib, 'beta', promotionScoreAttribute(ML));
    await setNodeAttribute(cib, 'beta', reasonAttributeName(ML), published(lagging));
    const s = await json(cib);
    expect(s.verdict).toEqual({ kind: 'degraded', why: `alpha serves, but beta cannot take over: ${lagging.reason}` });
  });

  it('blocked: no node has a score, each below the high-water mark: the override is ignore_high_water_mark, with its risk', async () => {
    const a = unpromoted(48213n);
    const b = unpromoted(48250n);
    expect(a.score).toBeUndefined();
    const cib = await withScores(base.metalogger, ML, { alpha: { score: null, reason: a }, beta: { score: null, reason: b } });
    await setClusterProperty(cib, highWaterProperty(ML), '48290:000000001234ABCD');
    const after = (await simulate(cib, file('below-mark'))).cib;
    const { stdout } = await status(after);
    expect(stdout).toContain(`verdict: blocked: no node is promoted: alpha: ${a.reason}; beta: ${b.reason}\n`);
    expect(stdout).toContain(`override: crm resource param ${ML} set ignore_high_water_mark true\n`);
    expect(stdout).toMatch(/risk: beta would be promoted at metadata version 48250: the 40 change\(s\) the cluster served after it \(up to the high-water mark 48290\) are lost/);
    const s = await json(after);
    expect(s.resources[0]!.promoted).toEqual([]);
    expect(s.verdict).toMatchObject({ kind: 'blocked', override: { node: 'beta', command: `crm resource param ${ML} set ignore_high_water_mark true` } });
    expect(s.resources[0]!.nodes.map((n) => [n.role, n.score])).toEqual([
      ['Unpromoted', null],
      ['Unpromoted', null],
    ]);
  });

  it('blocked: the election failed the promote on purpose; its exit reason is among the failed actions', async () => {
    const refusal = decidePromotion({ node: 'alpha', self: at(48213n), mark, peers: [{ node: 'beta', none: true }], peersKnown: true, overrideMark: false, allowUnknownPeers: false, bootstrapNode: undefined });
    expect(refusal.action).toBe('refuse');
    const cib = await withScores(base.metalogger, ML, { alpha: { score: 1000, reason: unpromoted(48213n) }, beta: { score: null, reason: { why: REASON.noMetadata({ problem: 'no metadata in /var/lib/mfs yet', notFollowing: false }) } } });
    const failed = await simulate(cib, file('promote-failed'), { opFail: [`${ML}_promote_0@alpha=1`] });
    // what the agent does when it refuses: score removed, reason published, exit reason written
    await setExitReason(failed.cib, `${ML}_last_failure_0`, `promote refused: ${refusal.reason}`);
    await deleteNodeAttribute(failed.cib, 'alpha', promotionScoreAttribute(ML));
    await setNodeAttribute(failed.cib, 'alpha', reasonAttributeName(ML), published({ reasons: [REASON.promoteRefused(), refusal.why] }));
    const { stdout } = await status(failed.cib);
    expect(stdout).toContain(`${ML} promote on alpha: error (rc 1): promote refused: ${refusal.reason}`);
    expect(stdout).toMatch(/^verdict: blocked: no node is promoted: alpha: mfs-metalogger failed \(promote refused: version 48213 is behind the high-water mark 48290/m);
    expect(stdout).toContain(`override: crm resource param ${ML} set ignore_high_water_mark true`);
    expect(stdout).toContain('risk: alpha would be promoted at metadata version 48213: the 77 change(s)');
  });

  it('the durability in force: the mfsmaster parameter when set, else the agent\'s declared default, named as such', async () => {
    const cib = file('durability');
    copyFileSync(healthy, cib);
    const crmResource = (args: string[]) => run('crm_resource', ['--resource', 'mfs-master', ...args], { env: { CIB_file: cib }, timeoutMs: 30_000 });
    succeeded(await crmResource(['--set-parameter', 'durability', '--parameter-value', 'power']));
    expect((await status(cib)).stdout).toContain('durability: power (parameter of mfs-master)');
    expect((await json(cib)).durability).toEqual({ mode: 'power', source: 'parameter', resource: 'mfs-master' });
    succeeded(await crmResource(['--delete-parameter', 'durability']));
    expect((await status(cib)).stdout).toContain('durability: process (default of ocf:mfs:mfsmaster, not set on mfs-master)');
    expect((await json(cib)).durability).toEqual({ mode: 'process', source: 'default', resource: 'mfs-master' });
  });

  it('the drbd-store configuration sets durability=power', async () => {
    expect((await json(base['drbd-store'])).durability).toEqual({ mode: 'power', source: 'parameter', resource: 'mfs-master' });
  });
});

describe('mfs-crm status --cib: what the built mfs-metarestore itself publishes', () => {
  it('start and a refused promote on a node without metadata: its reason, and the override it names (bootstrap_node)', async () => {
    const cib = file('agent');
    copyFileSync(base.metalogger, cib);
    const master = await createMasterFixture({ metadata: 'none' });
    const metalogger = await createMetaloggerFixture(master.ports.metalogger);
    const rsctmp = mkdtempSync(join(dir, 'rsctmp-'));
    const agent = (action: string) =>
      runAgent(
        'mfs-metarestore',
        action,
        ocfEnv(
          { metalogger_config: metalogger.configFile, master_config: master.configFile },
          { OCF_RESOURCE_INSTANCE: `${ML}:0`, OCF_RESKEY_CRM_meta_on_node: 'alpha', OCF_RESKEY_CRM_meta_timeout: '60000', CIB_file: cib, HA_RSCTMP: rsctmp },
        ),
      );
    try {
      const start = await agent('start');
      expect(start.code, start.stderr).toBe(0);
      const started = await json(cib);
      expect(started.resources[0]!.nodes[0]).toMatchObject({ node: 'alpha', score: null, reason: `not promotable: no metadata in ${metalogger.dataPath} yet` });
      const promote = await agent('promote');
      expect(promote.code).toBe(1);
      expect(promote.exitReason).toMatch(/^promote refused: no metadata in .*, and no other candidate has any: a first boot needs bootstrap_node=alpha/);
      const s = await json(cib);
      expect(s.resources[0]!.nodes[0]).toMatchObject({ node: 'alpha', score: null, reason: promote.exitReason });
      expect(s.verdict).toMatchObject({ kind: 'blocked', override: { node: 'alpha', command: `crm resource param ${ML} set bootstrap_node alpha` } });
      // Pacemaker ran no transition in this CIB: both instances are stopped in its view, the agent's reason beside alpha's
      expect(s.verdict.why).toBe(`no node is promoted: alpha: ${ML} stopped (${promote.exitReason}); beta: ${ML} stopped`);
      const stop = await agent('stop');
      expect(stop.code, stop.stderr).toBe(0);
      expect((await json(cib)).resources[0]!.nodes[0]).toMatchObject({ score: null, reason: 'stopped: no metalogger, no promotion score' });
    } finally {
      await metalogger.cleanup();
      await master.cleanup();
    }
  });
});

describe('mfs-crm status --cib: drbd-store topology', () => {
  it('healthy with UpToDate data on both nodes', async () => {
    const upToDate = storeReason('UpToDate', 'UpToDate');
    const cib = await withScores(base['drbd-store'], STORE, { alpha: upToDate, beta: upToDate });
    const after = (await simulate(cib, file('store-healthy'))).cib;
    const s = await json(after);
    const [active] = s.resources[0]!.promoted;
    expect(s.verdict).toEqual({ kind: 'healthy', why: `${active} serves` });
    expect(s.resources[0]).toMatchObject({ id: STORE, agent: 'ocf:mfs:mfs-drbd-store', drbdResource: 'mfsmeta', highWaterMark: null, promoted: [active] });
    expect(s.resources[0]!.nodes.map((n) => [n.score, n.reason])).toEqual([
      [10000, 'UpToDate data, every peer known'],
      [10000, 'UpToDate data, every peer known'],
    ]);
    expect(s.service.map((m) => [m.id, m.nodes])).toEqual([
      ['mfs-master', [active]],
      ['mfs-ip', [active]],
    ]);
  });

  it('degraded: the Secondary has lost its peer (a lower score, and the reason says so)', async () => {
    const cib = await withScores(base['drbd-store'], STORE, { alpha: storeReason('UpToDate', 'UpToDate'), beta: { score: 1000, reason: 'UpToDate data, but the disk of peer alpha is unknown (not connected)' } });
    const s = await json((await simulate(cib, file('store-peer-lost'))).cib);
    expect(s.verdict).toEqual({ kind: 'degraded', why: 'alpha serves, but beta is a weaker candidate (score 1000): UpToDate data, but the disk of peer alpha is unknown (not connected)' });
  });

  it('blocked: Outdated and Inconsistent, no score anywhere: the override is drbdadm primary --force on the Outdated node', async () => {
    const outdated = storeReason('Outdated', 'Inconsistent');
    const inconsistent = storeReason('Inconsistent', 'Outdated');
    expect([outdated.score, inconsistent.score]).toEqual([null, null]);
    const cib = await withScores(base['drbd-store'], STORE, { alpha: inconsistent, beta: outdated });
    const after = (await simulate(cib, file('store-outdated'))).cib;
    const { stdout } = await status(after);
    expect(stdout).toContain(`verdict: blocked: no node is promoted: alpha: ${inconsistent.text}; beta: ${outdated.text}\n`);
    expect(stdout).toContain('override: on beta: drbdadm primary --force mfsmeta && drbdadm secondary mfsmeta\n');
    expect(stdout).toMatch(/risk: beta's Outdated data becomes UpToDate by decree and is promoted: whatever alpha wrote that beta lacks is discarded/);
  });

  it('blocked without an override when no node has usable data (both Inconsistent)', async () => {
    const inconsistent = storeReason('Inconsistent', 'Inconsistent');
    const cib = await withScores(base['drbd-store'], STORE, { alpha: inconsistent, beta: inconsistent });
    const s = await json((await simulate(cib, file('store-inconsistent'))).cib);
    expect(s.verdict.kind).toBe('blocked');
    expect(s.verdict.override).toBeUndefined();
    expect(s.verdict.why).toContain('no node has usable data (Inconsistent');
  });
});

describe("mfs-crm status --cib: DRBD's fence-peer constraint (crm-fence-peer.sh)", () => {
  const id = `drbd-fence-by-handler-mfsmeta-${STORE}-clone`;
  /** The constraint as drbd-utils' crm-fence-peer.sh places it on `keeper` (its setup, then `cibadmin -C -o constraints -X`). */
  const constraint = (keeper: string) => `<rsc_location rsc="${STORE}-clone" id="${id}">
  <rule role="Master" score="-INFINITY" id="drbd-fence-by-handler-mfsmeta-rule-${STORE}-clone">
    <expression attribute="#uname" operation="ne" value="${keeper}" id="drbd-fence-by-handler-mfsmeta-expr-${STORE}-clone"/>
  </rule>
</rsc_location>`;
  const cibadmin = async (cib: string, args: string[]) => succeeded(await run('cibadmin', args, { env: { CIB_file: cib }, timeoutMs: 30_000 }));

  it('blocked: the survivor has UpToDate data and a score, the handler kept promotion for the lost Primary: the override removes the constraint', async () => {
    const cib = await withScores(base['drbd-store'], STORE, {
      alpha: { score: null, reason: { why: DR.stopped() } },
      beta: { score: 1000, reason: { why: DR.peerUnknown({ peers: ['alpha'] }) } },
    });
    await cibadmin(cib, ['-C', '-o', 'constraints', '-X', constraint('alpha')]);
    const after = (await simulate(cib, file('fenced'))).cib;
    const s = await json(after);
    expect(s.resources[0]!.promoted).toEqual([]);
    expect(s.resources[0]!.fenceConstraints).toEqual([{ id, allowed: ['alpha'] }]);
    expect(s.verdict.kind).toBe('blocked');
    expect(s.verdict.why).toContain(`beta: score 1000, yet not promoted (UpToDate data, but the disk of peer alpha is unknown (not connected)); DRBD's fence-peer handler allows promotion only on alpha (constraint ${id}`);
    expect(s.verdict.override).toEqual({
      node: 'beta',
      command: `cibadmin --delete --xpath "//rsc_location[@id='${id}']"`,
      risk: expect.stringMatching(/crm-unfence-peer removes it once the resync ends\); remove it only when you know alpha's data is not newer than beta's/) as unknown as string,
    });
    const { stdout } = await status(after);
    expect(stdout).toContain(`  fence constraint: DRBD's fence-peer handler allows promotion only on alpha (constraint ${id}, removed by crm-unfence-peer after the resync)\n`);
    // the override, applied: Pacemaker promotes the survivor
    await cibadmin(after, ['--delete', '--xpath', `//rsc_location[@id='${id}']`]);
    expect((await json((await simulate(after, file('unfenced'))).cib)).resources[0]!.promoted).toEqual(['beta']);
  });

  it('degraded: the Primary serves, the other node may not take over until the resync removes the constraint', async () => {
    const cib = await withScores(base['drbd-store'], STORE, { alpha: storeReason('UpToDate', 'UpToDate'), beta: storeReason('UpToDate', 'UpToDate') });
    await cibadmin(cib, ['-C', '-o', 'constraints', '-X', constraint('alpha')]);
    const s = await json((await simulate(cib, file('fenced-serving'))).cib);
    expect(s.resources[0]!.promoted).toEqual(['alpha']);
    expect(s.verdict).toEqual({ kind: 'degraded', why: `alpha serves, but beta cannot take over: DRBD's fence-peer handler allows promotion only on alpha (constraint ${id}, removed by crm-unfence-peer after the resync)` });
  });

  it('blocked, Outdated survivor: forcing DRBD is not enough, the constraint goes too', async () => {
    const cib = await withScores(base['drbd-store'], STORE, { alpha: { score: null, reason: { why: DR.stopped() } }, beta: storeReason('Outdated', 'DUnknown') });
    await cibadmin(cib, ['-C', '-o', 'constraints', '-X', constraint('alpha')]);
    const s = await json((await simulate(cib, file('fenced-outdated'))).cib);
    expect(s.verdict.override).toMatchObject({
      node: 'beta',
      command: `on beta: drbdadm primary --force mfsmeta && drbdadm secondary mfsmeta; then cibadmin --delete --xpath "//rsc_location[@id='${id}']"`,
    });
  });
});

describe('mfs-crm status: bad input', () => {
  it.each([
    ['a missing file', () => join(dir, 'missing.xml'), /^mfs-crm status: cannot read the CIB file: ENOENT: no such file or directory/],
    ['a file that is not XML', () => write('garbage.xml', '<cib><configuration>'), /^mfs-crm status: .*garbage\.xml: the CIB is not readable XML/],
    ['XML that is not a CIB', () => write('other.xml', '<html><body/></html>'), /^mfs-crm status: .*other\.xml: not a CIB: no <cib> element/],
  ])('%s: exit 1 and a clear message', async (_what, make, message) => {
    const result = await runCrm(['status', '--cib', make()]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
  });

  it('a CIB without resources of ours: exit 1, nothing to explain', async () => {
    const empty = await emptyCib(join(dir, 'no-resources.xml'));
    const result = await runCrm(['status', '--cib', empty]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe('mfs-crm status: the CIB has no resource of ours (no ocf:mfs:* primitive): nothing to explain');
  });

  it('bad options: exit 2', async () => {
    for (const args of [['--format', 'yaml'], ['--cib'], ['--bogus'], ['extra']]) {
      const result = await runCrm(['status', ...args]);
      expect(result.exitCode, args.join(' ')).toBe(2);
      expect(result.stderr).toMatch(/^mfs-crm status: /);
    }
  });

  it('no cluster to read: exit 1, says how to run it', async () => {
    // CIB_file naming no file: crm_mon and cibadmin cannot connect, whatever runs on this machine
    const result = await runCrm(['status'], { CIB_file: join(dir, 'no-such-cib.xml') });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      /^mfs-crm status: cannot read (the cluster's status \(crm_mon: .+\)|the CIB \(cibadmin --query: .+\)): run mfs-crm status on a cluster node, as root or a member of haclient, or read a saved CIB with --cib FILE$/,
    );
  });
});

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

// --- the verdict, pure: clusterStatus() on hand-made views -------------------------------------

interface Place {
  role: string;
  failed?: boolean;
  score?: number | string;
  reason?: string;
}
interface Shape {
  agent: string;
  params?: Record<string, string>;
  places: Record<string, Place>;
  offline?: string[];
  master?: { on?: string; failed?: boolean };
  properties?: Record<string, string>;
  failures?: FailedAction[];
  fenceConstraints?: FenceConstraint[];
}

const PRIMITIVE = 'mfs-base';

function input(shape: Shape): StatusInput {
  const nodes = Object.keys(shape.places);
  const resources = new Map<string, MonResource>();
  resources.set(PRIMITIVE, {
    id: PRIMITIVE,
    agent: shape.agent,
    instances: nodes.filter((n) => shape.places[n]!.role !== 'Stopped').map((n) => ({ node: n, role: shape.places[n]!.role, failed: shape.places[n]!.failed ?? false, blocked: false, managed: true })),
  });
  const master = shape.master ?? { on: nodes.find((n) => shape.places[n]!.role === 'Promoted') };
  resources.set('mfs-master', { id: 'mfs-master', agent: 'ocf:mfs:mfsmaster', instances: master.on ? [{ node: master.on, role: 'Started', failed: master.failed ?? false, blocked: false, managed: true }] : [{ node: undefined, role: 'Stopped', failed: false, blocked: false, managed: true }] });
  const mon: MonStatus = {
    nodes: nodes.map((name) => ({ name, online: !(shape.offline ?? []).includes(name), standby: false, maintenance: false, unclean: false })),
    resources,
    failures: shape.failures ?? [],
  };
  const cib: CibFacts = {
    primitives: [
      { id: PRIMITIVE, agent: shape.agent, clone: `${PRIMITIVE}-clone`, params: shape.params ?? {}, meta: { promotable: 'true' } },
      { id: 'mfs-master', agent: 'ocf:mfs:mfsmaster', group: 'mfs-group', params: {}, meta: {} },
    ],
    properties: shape.properties ?? {},
    fenceConstraints: shape.fenceConstraints ?? [],
    nodeAttributes: new Map(
      nodes.map((n) => {
        const p = shape.places[n]!;
        const attributes: Record<string, string> = {};
        if (p.score !== undefined) attributes[promotionScoreAttribute(PRIMITIVE)] = String(p.score);
        if (p.reason !== undefined) attributes[reasonAttributeName(PRIMITIVE)] = p.reason;
        return [n, attributes];
      }),
    ),
  };
  return { mon, cib, durabilityDefault: 'process' };
}

const MR = 'ocf:mfs:mfs-metarestore';
const DS = 'ocf:mfs:mfs-drbd-store';
const SB_MANUAL = (peer: string) => `SPLIT BRAIN with ${peer} (split_brain_policy=manual: resolve by hand)`;
const firstBoot = decidePromotion({ node: 'alpha', self: undefined, selfProblem: 'no metadata in /var/lib/mfs or /var/lib/mfs', mark: { kind: 'none' }, peers: [{ node: 'beta', none: true }], peersKnown: true, overrideMark: false, allowUnknownPeers: false, bootstrapNode: undefined });
const blind = decidePromotion({ node: 'alpha', self: at(500n), mark: { kind: 'none' }, peers: [{ node: 'beta', unknown: 'published no position at pre-promote' }], peersKnown: true, overrideMark: false, allowUnknownPeers: false, bootstrapNode: undefined });

describe('the verdict (clusterStatus), as a table', () => {
  it.each<[string, Shape, Partial<Verdict> & { whyMatches?: RegExp }]>([
    ['healthy', { agent: MR, places: { alpha: { role: 'Promoted', score: 1001, reason: 'promoted' }, beta: { role: 'Unpromoted', score: 'INFINITY', reason: 'in sync' } } }, { kind: 'healthy', why: 'alpha serves' }],
    [
      'degraded: the peer node is offline',
      { agent: MR, places: { alpha: { role: 'Promoted', score: 1001 }, beta: { role: 'Stopped' } }, offline: ['beta'] },
      { kind: 'degraded', why: 'alpha serves, but beta is offline' },
    ],
    [
      'degraded: the promoted node is lost and not fenced yet (crm_mon still shows its role)',
      { agent: MR, places: { alpha: { role: 'Promoted', score: 1001 }, beta: { role: 'Unpromoted', score: 'INFINITY', reason: 'in sync' } }, offline: ['alpha'] },
      { kind: 'degraded', whyMatches: /^alpha holds the Promoted role but is offline: nothing is served until it is fenced/ },
    ],
    [
      'degraded: the metalogger lags (a last-resort score, with the reason its monitor publishes)',
      { agent: MR, places: { alpha: { role: 'Promoted', score: 1001 }, beta: { role: 'Unpromoted', score: 10, reason: unpromoted(30000n, 48290n).reason } } },
      { kind: 'degraded', why: `alpha serves, but beta is a weaker candidate (score 10): ${unpromoted(30000n, 48290n).reason}` },
    ],
    [
      'degraded: the DRBD peer is not connected (the score of a Secondary whose peer is unknown)',
      { agent: DS, places: { alpha: { role: 'Promoted', score: 10000 }, beta: { role: 'Unpromoted', score: 1000, reason: 'UpToDate data, but the disk of peer alpha is unknown (not connected)' } } },
      { kind: 'degraded', why: 'alpha serves, but beta is a weaker candidate (score 1000): UpToDate data, but the disk of peer alpha is unknown (not connected)' },
    ],
    [
      'healthy: with adjust_master_score, the full score is that table\'s',
      { agent: DS, params: { adjust_master_score: '0 10 100 1000' }, places: { alpha: { role: 'Promoted', score: 1000 }, beta: { role: 'Unpromoted', score: 1000, reason: 'UpToDate data, every peer known' } } },
      { kind: 'healthy', why: 'alpha serves' },
    ],
    [
      'degraded: a degraded monitor result, which crm_mon lists with the failures, is said as such',
      {
        agent: DS,
        places: { alpha: { role: 'Promoted', score: 10000 }, beta: { role: 'Unpromoted', score: 10000 } },
        failures: [
          { resource: PRIMITIVE, node: 'alpha', task: 'monitor', intervalMs: 9000, exitStatus: 'promoted (degraded)', exitCode: 191, exitReason: 'Primary, peer not connected: beta', status: 'complete', lastRcChange: '' },
          { resource: 'mfs-master', node: 'beta', task: 'start', intervalMs: 0, exitStatus: 'not configured', exitCode: 6, exitReason: "parameter 'config': /etc/mfs/mfsmaster.cfg is missing", status: 'complete', lastRcChange: '' },
          { resource: 'fence', node: 'beta', task: 'start', intervalMs: 0, exitStatus: 'error', exitCode: 1, exitReason: 'not ours', status: 'complete', lastRcChange: '' },
        ],
      },
      {
        kind: 'degraded',
        why: "alpha serves, but mfs-base monitor reported degraded on alpha (Primary, peer not connected: beta); mfs-master start failed on beta (parameter 'config': /etc/mfs/mfsmaster.cfg is missing)",
      },
    ],
    [
      'degraded: mfsmaster does not run on the promoted node',
      { agent: MR, places: { alpha: { role: 'Promoted', score: 1001 }, beta: { role: 'Unpromoted', score: 1000 } }, master: { on: 'beta' } },
      { kind: 'degraded', why: 'alpha serves, but mfs-master (ocf:mfs:mfsmaster) is not running on alpha' },
    ],
    [
      'degraded: promoted on two nodes',
      { agent: DS, places: { alpha: { role: 'Promoted', score: 10000 }, beta: { role: 'Promoted', score: 10000 } } },
      { kind: 'degraded', whyMatches: /^alpha serves, but promoted on 2 nodes \(alpha, beta\)/ },
    ],
    [
      'degraded: a split brain under the manual policy, with DRBD\'s recovery commands',
      {
        agent: DS,
        params: { drbd_resource: 'r0' },
        places: {
          alpha: { role: 'Promoted', score: 10000, reason: `Primary with UpToDate data; ${SB_MANUAL('beta')}` },
          beta: { role: 'Unpromoted', reason: `SPLIT BRAIN with alpha: this node's data diverged, not promotable; ${SB_MANUAL('alpha')}` },
        },
      },
      {
        kind: 'degraded',
        whyMatches: /^alpha serves, but SPLIT BRAIN \(split_brain_policy=manual\): not replicating, waiting for the admin; beta cannot take over: SPLIT BRAIN/,
        override: {
          node: 'beta',
          command: 'on beta: drbdadm disconnect r0; drbdadm secondary r0; drbdadm connect --discard-my-data r0; then on alpha: drbdadm connect r0',
          risk: 'the changes beta made while the nodes were apart are discarded; it resynchronises from alpha',
        },
      },
    ],
    [
      'blocked: first boot, the override is bootstrap_node',
      { agent: MR, places: { alpha: { role: 'Unpromoted', reason: `promote refused: ${firstBoot.reason}` }, beta: { role: 'Unpromoted', reason: 'not promotable: no metadata on this node yet' } } },
      { kind: 'blocked', override: { node: 'alpha', command: `crm resource param ${PRIMITIVE} set bootstrap_node alpha`, risk: expect.stringContaining('creates a new, empty file system') as unknown as string } },
    ],
    [
      'blocked: a candidate could not be compared, the override is promote_without_election',
      { agent: MR, places: { alpha: { role: 'Unpromoted', reason: `promote refused: ${blind.reason}` }, beta: { role: 'Unpromoted' } } },
      { kind: 'blocked', override: { node: 'alpha', command: `crm resource param ${PRIMITIVE} set promote_without_election true`, risk: expect.stringContaining('may hold newer metadata') as unknown as string } },
    ],
    [
      'blocked: below the high-water mark with ignore_high_water_mark already true: no override to offer',
      { agent: MR, params: { ignore_high_water_mark: 'true' }, places: { alpha: { role: 'Unpromoted', reason: unpromoted(48000n).reason }, beta: { role: 'Stopped' } } },
      { kind: 'blocked', whyMatches: /; no override known: fix the cause named above$/, override: undefined },
    ],
    [
      'blocked: a Consistent node is the one to force (before an Outdated one)',
      { agent: DS, params: { drbd_resource: 'r0' }, places: { alpha: { role: 'Unpromoted', reason: 'disk is Outdated: no promotion without UpToDate data' }, beta: { role: 'Unpromoted', reason: 'data is only Consistent (DRBD does not know whether it is the newest) (score 0: not promotable)' } } },
      { kind: 'blocked', override: { node: 'beta', command: 'on beta: drbdadm primary --force r0 && drbdadm secondary r0', risk: expect.stringContaining("beta's Consistent data becomes UpToDate by decree") as unknown as string } },
    ],
    [
      'blocked: a node with a score that is not promoted (its promote failed, the fail count bars it)',
      {
        agent: DS,
        places: { alpha: { role: 'Unpromoted', score: 10000, reason: 'UpToDate data, every peer known' }, beta: { role: 'Stopped' } },
        offline: ['beta'],
        failures: [{ resource: PRIMITIVE, node: 'alpha', task: 'promote', intervalMs: 0, exitStatus: 'error', exitCode: 1, exitReason: 'after mounting, /srv/mfs is read-only; back to Secondary', status: 'complete', lastRcChange: '' }],
      },
      { kind: 'blocked', why: 'no node is promoted: alpha: score 10000, yet not promoted (UpToDate data, every peer known); promote failed: after mounting, /srv/mfs is read-only; back to Secondary; beta is offline; no override known: fix the cause named above' },
    ],
    [
      'blocked: an Outdated node is never forced while the other has UpToDate data and a score',
      {
        agent: DS,
        params: { drbd_resource: 'r0' },
        places: { alpha: { role: 'Unpromoted', score: 10000, reason: 'UpToDate data, every peer known' }, beta: { role: 'Unpromoted', reason: 'disk is Outdated: no promotion without UpToDate data' } },
      },
      { kind: 'blocked', whyMatches: /^no node is promoted: alpha: score 10000, yet not promoted .*; no override known/, override: undefined },
    ],
    [
      'blocked: the DRBD resource is down everywhere: nothing to force',
      { agent: DS, params: { drbd_resource: 'r0' }, places: { alpha: { role: 'Stopped', reason: 'stopped' }, beta: { role: 'Stopped', reason: 'stopped' } } },
      { kind: 'blocked', why: 'no node is promoted: alpha: mfs-base stopped (stopped); beta: mfs-base stopped (stopped); no override known: fix the cause named above' },
    ],
  ])('%s', (_what, shape, expected) => {
    const { whyMatches, ...rest } = expected;
    const { verdict } = clusterStatus(input(shape));
    if ('override' in rest && rest.override === undefined) {
      delete rest.override;
      expect(verdict.override).toBeUndefined();
    }
    expect(verdict).toMatchObject(rest);
    if (whyMatches) expect(verdict.why).toMatch(whyMatches);
  });

  it('text: ocf:linbit:drbd is shown with its scores, and said to publish no reasons', () => {
    const text = renderText(clusterStatus(input({ agent: 'ocf:linbit:drbd', params: { drbd_resource: 'r0' }, places: { alpha: { role: 'Promoted', score: 10000 }, beta: { role: 'Unpromoted', score: 10000 } } })));
    expect(text).toBe(
      [
        'mfs-base (ocf:linbit:drbd, clone mfs-base-clone, DRBD resource r0)',
        '  alpha  Promoted            score 10000   (ocf:linbit:drbd publishes no reasons)',
        '  beta   Unpromoted          score 10000   (ocf:linbit:drbd publishes no reasons)',
        'mfs-master (ocf:mfs:mfsmaster): started on alpha',
        'durability: process (default of ocf:mfs:mfsmaster, not set on mfs-master)',
        'verdict: healthy: alpha serves',
        'before a switch-over, on beta: drbdadm cstate r0 must say Connected and drbdadm dstate r0 UpToDate/UpToDate (ocf:linbit:drbd publishes no reasons; a StandAlone node may hold the older side of a split brain)',
        'switch-over to beta: crm_resource --ban --promoted --resource mfs-base-clone --node alpha',
        '  once beta serves: crm_resource --clear --resource mfs-base-clone',
        '',
      ].join('\n'),
    );
  });

  it('scores as Pacemaker writes them: INFINITY, integers; anything else is no score', () => {
    const status = clusterStatus(input({ agent: MR, places: { alpha: { role: 'Promoted', score: 'INFINITY' }, beta: { role: 'Unpromoted', score: 'junk' }, gamma: { role: 'Unpromoted', score: '-5' } } }));
    expect(status.resources[0]!.nodes.map((n) => n.score)).toEqual([1_000_000, null, -5]);
    expect(status.verdict.why).toBe('alpha serves, but beta cannot take over: no promotion score, no reason published; gamma cannot take over: no promotion score, no reason published');
  });

  it('a CIB with no resource of ours is refused', () => {
    const { mon, cib } = input({ agent: MR, places: { alpha: { role: 'Promoted' } } });
    expect(() => clusterStatus({ mon, cib: { ...cib, primitives: [{ id: 'd', agent: 'ocf:pacemaker:Dummy', params: {}, meta: {} }] }, durabilityDefault: 'process' })).toThrow(NotOursError);
  });
});
