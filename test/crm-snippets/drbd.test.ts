/**
 * `mfs-crm drbd`, judged by Pacemaker's own tools: the built generator's output in all three
 * formats is loaded by the real crmsh, pcs and cibadmin into empty CIB files, the results are
 * compared, checked with crm_verify and run through crm_simulate (start, node failure with
 * fencing, standby, monitor failures), asserting on the transition graphs' actions and their
 * dependencies.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mfsmaster from '../../agents/mfsmaster/agent.js';
import { advertisedActions } from '../../lib/ocf/agent.js';
import { parseOcfTime } from '../../lib/ocf/deadline.js';
import { withInstalledAgents } from '../helpers/installed-agents.js';
import {
  cibadminModify,
  crmLoadUpdate,
  crmVerify,
  emptyCib,
  nextTransition,
  nodeOf,
  normalizedConfiguration,
  onlineNodes,
  placements,
  runPcsScript,
  setNodeAttribute,
  simulate,
  succeeded,
  type TransitionGraph,
} from '../helpers/pacemaker.js';
import { runCrm } from './mfs-crm.js';

const NODES = ['alpha', 'beta'] as const;
const FORMATS = ['crmsh', 'pcs', 'xml'] as const;
type Format = (typeof FORMATS)[number];

const ARGS = [
  'drbd',
  ...NODES.flatMap((node) => ['--node', node]),
  '--ip', '192.0.2.10', '--cidr-netmask', '24', '--nic', 'eth0',
  '--drbd-resource', 'mfsmeta', '--device', '/dev/drbd0', '--directory', '/var/lib/mfs', '--fstype', 'ext4',
  '--mount-options', 'noatime,nodiratime',
  '--config', '/etc/mfs/mfsmaster.cfg',
  '--fence-agent', 'fence_ipmilan',
  '--fence-param', 'username=admin', '--fence-param', 'password=not a secret', '--fence-param', 'lanplus=1',
  '--fence-node-param', 'alpha:ip=198.51.100.1', '--fence-node-param', 'beta:ip=198.51.100.2',
];

/** The master's monitor interval as its own declaration advertises it (the generator's default). */
const MASTER_MONITOR_MS = parseOcfTime(advertisedActions(mfsmaster).find((a) => a.name === 'monitor')!.interval!);
const MIGRATION_THRESHOLD = 3;

let dir: string;
const cibs = {} as Record<Format, string>;
const outputs = {} as Record<Format, string>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mfs-crm-drbd-'));
  for (const format of FORMATS) {
    const result = await runCrm([...ARGS, '--format', format]);
    expect(result.exitCode, result.stderr).toBe(0);
    outputs[format] = result.stdout;
    cibs[format] = await emptyCib(join(dir, `${format}.xml`));
  }
  await withInstalledAgents(async () => {
    succeeded(await crmLoadUpdate(cibs.crmsh, outputs.crmsh), 'crm configure load update');
    succeeded(await runPcsScript(cibs.pcs, outputs.pcs, dir), 'the pcs script');
    succeeded(await cibadminModify(cibs.xml, outputs.xml, dir), 'cibadmin --modify');
  });
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('mfs-crm drbd: the three formats', () => {
  it('describe the same configuration once loaded by crmsh, pcs and cibadmin', async () => {
    const crmsh = await normalizedConfiguration(cibs.crmsh);
    expect(await normalizedConfiguration(cibs.pcs)).toEqual(crmsh);
    expect(await normalizedConfiguration(cibs.xml)).toEqual(crmsh);
    // and what they describe is what was asked for
    const text = JSON.stringify(crmsh);
    for (const piece of ['ocf:linbit:drbd', 'name=monitor interval=10s timeout=20s role=Promoted', 'name=monitor interval=20s timeout=20s role=Unpromoted', 'options=noatime,nodiratime', 'password=not a secret']) {
      expect(text).toContain(piece);
    }
    expect(crmsh).toMatchObject({ properties: ['stonith-enabled=true'] });
  });

  it.each(FORMATS)('%s: crm_verify is clean', async (format) => {
    const verify = await crmVerify(cibs[format]);
    expect(verify.exitCode, verify.stderr).toBe(0);
    expect(verify.stderr).not.toMatch(/error/i);
  });

  it('the crmsh output uses a promotable clone and Promoted, never ms or Master', () => {
    expect(outputs.crmsh).toMatch(/^clone mfs-drbd-clone mfs-drbd \\\n\tmeta promotable=true notify=true promoted-max=1 promoted-node-max=1 clone-max=2 clone-node-max=1$/m);
    expect(outputs.crmsh).not.toMatch(/^ms |Master|Slave/m);
    expect(outputs.crmsh).toMatch(/CHANGELOG_SAVE_MODE = 2/);
  });
});

/** A running cluster: both nodes online with quorum, DRBD's promotion scores set as the agent would, first transition run. */
async function running(format: Format, tag: string): Promise<{ cib: string; graph: TransitionGraph; active: string; other: string }> {
  const base = await onlineNodes(cibs[format], NODES, join(dir, `${format}-${tag}-base.xml`));
  for (const node of NODES) await setNodeAttribute(base, node, 'master-mfs-drbd', '10000');
  const { graph, cib } = await simulate(base, join(dir, `${format}-${tag}-running.xml`), { directory: dir });
  const active = await nodeOf(cib, 'mfs-drbd', 'Promoted');
  return { cib, graph, active, other: NODES.find((node) => node !== active)! };
}

async function expectAllOn(cib: string, node: string): Promise<void> {
  expect(await nodeOf(cib, 'mfs-drbd', 'Promoted')).toBe(node);
  for (const primitive of ['mfs-fs', 'mfs-master', 'mfs-ip']) expect(await nodeOf(cib, primitive, 'Started')).toBe(node);
  // a fence device never runs on (nor is used by) the node it fences
  const placed = await placements(cib);
  for (const target of NODES) {
    const where = (placed.get(`mfs-fence-${target}`) ?? []).flatMap((p) => p.nodes);
    expect(where).not.toContain(target);
  }
}

/** The start of the service on `node`: promote, mount, master, IP, each waiting for the one before. */
function expectStartChain(graph: TransitionGraph, node: string): void {
  const promote = graph.one({ rsc: 'mfs-drbd', operation: 'promote', node });
  const mount = graph.one({ rsc: 'mfs-fs', operation: 'start', node });
  const master = graph.one({ rsc: 'mfs-master', operation: 'start', node });
  const ip = graph.one({ rsc: 'mfs-ip', operation: 'start', node });
  expect(graph.chain(promote, mount, master, ip), graph.describe()).toBe(true);
  expect(graph.before(ip, promote)).toBe(false);
}

describe.each(FORMATS)('mfs-crm drbd in crm_simulate (%s)', (format) => {
  it('starts everything on one node, in order: promote, mount, master, IP', async () => {
    const { cib, graph, active, other } = await running(format, 'start');
    expectStartChain(graph, active);
    await expectAllOn(cib, active);
    expect(await nodeOf(cib, 'mfs-drbd', 'Unpromoted')).toBe(other);
    expect((await nextTransition(cib)).isEmpty).toBe(true);
  });

  it('node failure: the node is fenced, then everything starts on the other one in order', async () => {
    const { cib, active, other } = await running(format, 'fail');
    const failed = await simulate(cib, join(dir, `${format}-failed.xml`), { nodeFail: active, directory: dir });
    const { graph } = failed;
    const fence = graph.one({ kind: 'crm_event', operation: 'stonith', node: active });
    const promote = graph.one({ rsc: 'mfs-drbd', operation: 'promote', node: other });
    expect(graph.before(fence, promote), graph.describe()).toBe(true);
    expectStartChain(graph, other);
    expect(graph.find({ node: active, operation: 'start' })).toEqual([]);
    expect(await nodeOf(failed.cib, 'mfs-drbd', 'Promoted')).toBe(other);
    for (const primitive of ['mfs-fs', 'mfs-master', 'mfs-ip']) expect(await nodeOf(failed.cib, primitive, 'Started')).toBe(other);
  });

  it('standby: stops in reverse order (IP, master, unmount, demote) before starting on the other node', async () => {
    const { cib, active, other } = await running(format, 'standby');
    await setNodeAttribute(cib, active, 'standby', 'on', 'forever');
    const { graph, cib: after } = await simulate(cib, join(dir, `${format}-standby.xml`), { directory: dir });
    const stops = ['mfs-ip', 'mfs-master', 'mfs-fs'].map((rsc) => graph.one({ rsc, operation: 'stop', node: active }));
    const demote = graph.one({ rsc: 'mfs-drbd', operation: 'demote', node: active });
    expect(graph.chain(...stops, demote), graph.describe()).toBe(true);
    expect(graph.before(demote, graph.one({ rsc: 'mfs-drbd', operation: 'promote', node: other }))).toBe(true);
    expectStartChain(graph, other);
    await expectAllOn(after, other);
  });

  it(`a failing master monitor: restarted in place, and after ${MIGRATION_THRESHOLD} failures the whole service moves`, async () => {
    const start = await running(format, 'monitor');
    const { active, other } = start;
    let cib = start.cib;
    for (let failure = 1; failure <= MIGRATION_THRESHOLD; failure++) {
      const step = await simulate(cib, join(dir, `${format}-monitor-${failure}.xml`), {
        opInject: [`mfs-master_monitor_${MASTER_MONITOR_MS}@${active}=7`],
        directory: dir,
      });
      const { graph } = step;
      if (failure < MIGRATION_THRESHOLD) {
        // recovery in place: the IP goes down first and comes back last; DRBD stays Promoted
        const chain = [
          graph.one({ rsc: 'mfs-ip', operation: 'stop', node: active }),
          graph.one({ rsc: 'mfs-master', operation: 'stop', node: active }),
          graph.one({ rsc: 'mfs-master', operation: 'start', node: active }),
          graph.one({ rsc: 'mfs-ip', operation: 'start', node: active }),
        ];
        expect(graph.chain(...chain), graph.describe()).toBe(true);
        expect(graph.find({ rsc: 'mfs-drbd', operation: 'demote' })).toEqual([]);
        expect(graph.find({ rsc: 'mfs-fs', operation: 'stop' })).toEqual([]);
        expect(await nodeOf(step.cib, 'mfs-master', 'Started')).toBe(active);
      } else {
        const demote = graph.one({ rsc: 'mfs-drbd', operation: 'demote', node: active });
        const unmount = graph.one({ rsc: 'mfs-fs', operation: 'stop', node: active });
        expect(graph.chain(graph.one({ rsc: 'mfs-master', operation: 'stop', node: active }), unmount, demote), graph.describe()).toBe(true);
        expect(graph.before(demote, graph.one({ rsc: 'mfs-drbd', operation: 'promote', node: other }))).toBe(true);
        expectStartChain(graph, other);
        await expectAllOn(step.cib, other);
        const failedHere = ((await placements(step.cib)).get('mfs-master') ?? []).filter((p) => p.nodes.includes(active));
        expect(failedHere).toEqual([]);
      }
      cib = step.cib;
    }
  });
});
