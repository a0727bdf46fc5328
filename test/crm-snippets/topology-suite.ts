/**
 * One topology of mfs-crm, judged by Pacemaker's own tools: the built generator's output in
 * all three formats is loaded by the real crmsh, pcs and cibadmin (the XML by crmsh as well)
 * into empty CIB files, the
 * results are compared, checked with crm_verify and run through crm_simulate (start, node
 * failure with fencing, standby, monitor failures), asserting on the transition graphs' actions
 * and their dependencies. Each topology's test file calls topologySuite() with what it expects.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mfsmaster from '../../agents/mfsmaster/agent.js';
import { advertisedActions } from '../../lib/ocf/agent.js';
import { parseOcfTime } from '../../lib/runtime/deadline.js';
import { promotionScoreAttribute } from '../../lib/pacemaker/cib.js';
import { run } from '../../lib/process/run.js';
import { withInstalledAgents } from '../helpers/installed-agents.js';
import { FAST_TOKEN_MS } from '../../crm-snippets/topologies.js';
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

export const NODES = ['alpha', 'beta'] as const;
const FORMATS = ['crmsh', 'pcs', 'xml'] as const;
type Format = (typeof FORMATS)[number];

/** Fencing for the tests: one fence_ipmilan device per node (fence-agents' agent; never run here). */
export const FENCING = [
  '--fence-agent', 'fence_ipmilan',
  '--fence-param', 'username=admin', '--fence-param', 'password=not a secret', '--fence-param', 'lanplus=1',
  '--fence-node-param', 'alpha:ip=198.51.100.1', '--fence-node-param', 'beta:ip=198.51.100.2',
];

/** Fencing with one device for both nodes (pcmk_host_list="alpha beta"), as with a power switch. */
export const ONE_DEVICE_FENCING = [
  '--fence-agent', 'stonith:fence_apc', '--fence-param', 'ip=198.51.100.9', '--fence-param', 'username=apc', '--fence-param', 'password=apc pw',
];

export interface TopologyExpectations {
  topology: string;
  /** Every argument after the topology name, fencing included. */
  args: string[];
  /** The promotable primitive at the bottom and its clone. */
  base: { primitive: string; clone: string; agent: string };
  /** The group's members in start order. */
  members: string[];
  /** Pieces the normalized configuration must hold (beyond ids). */
  contains: string[];
  /** What the crmsh output's comment says about CHANGELOG_SAVE_MODE. */
  changelog: RegExp;
}

/** The master's monitor interval as its own declaration advertises it (the generator's default). */
const MASTER_MONITOR_MS = parseOcfTime(advertisedActions(mfsmaster).find((a) => a.name === 'monitor')!.interval!);
const MIGRATION_THRESHOLD = 3;

export function topologySuite(t: TopologyExpectations): void {
  let dir: string;
  const cibs = {} as Record<Format, string>;
  const outputs = {} as Record<Format, string>;
  /** The XML format loaded by crmsh (crm configure load xml update) rather than cibadmin. */
  let crmXmlCib: string;
  const { primitive: basePrimitive, clone: baseClone } = t.base;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), `mfs-crm-${t.topology}-`));
    for (const format of FORMATS) {
      const result = await runCrm([t.topology, ...t.args, '--format', format]);
      expect(result.exitCode, result.stderr).toBe(0);
      outputs[format] = result.stdout;
      cibs[format] = await emptyCib(join(dir, `${format}.xml`));
    }
    crmXmlCib = await emptyCib(join(dir, 'crm-xml.xml'));
    await withInstalledAgents(async () => {
      succeeded(await crmLoadUpdate(cibs.crmsh, outputs.crmsh), 'crm configure load update');
      succeeded(await runPcsScript(cibs.pcs, outputs.pcs, dir), 'the pcs script');
      succeeded(await cibadminModify(cibs.xml, outputs.xml, dir), 'cibadmin --modify');
      // the XML format's other way in, named in its header
      writeFileSync(join(dir, 'crm-load.xml'), outputs.xml);
      const args = ['-D', 'plain', 'configure', 'load', 'xml', 'update', join(dir, 'crm-load.xml')];
      succeeded(await run('crm', args, { env: { CIB_file: crmXmlCib }, timeoutMs: 60_000 }), 'crm configure load xml update');
    });
  });

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe(`mfs-crm ${t.topology}: the three formats`, () => {
    it('describe the same configuration once loaded by crmsh, pcs and cibadmin (and the XML by crmsh too)', async () => {
      const crmsh = await normalizedConfiguration(cibs.crmsh);
      expect(await normalizedConfiguration(cibs.pcs)).toEqual(crmsh);
      expect(await normalizedConfiguration(cibs.xml)).toEqual(crmsh);
      expect(await normalizedConfiguration(crmXmlCib)).toEqual(crmsh);
      // and what they describe is what was asked for
      const text = JSON.stringify(crmsh);
      for (const piece of [t.base.agent, 'name=monitor interval=10s timeout=20s role=Promoted', 'name=monitor interval=20s timeout=20s role=Unpromoted', ...t.contains]) {
        expect(text).toContain(piece);
      }
      expect(crmsh).toMatchObject({ properties: ['stonith-enabled=true'] });
    });

    it.each(FORMATS)('%s: crm_verify is clean', async (format) => {
      const verify = await crmVerify(cibs[format]);
      expect(verify.exitCode, verify.stderr).toBe(0);
      expect(verify.stderr).not.toMatch(/error/i);
    });

    it('the crmsh output uses a promotable clone and Promoted, never ms or Master, and says what CHANGELOG_SAVE_MODE gives', () => {
      expect(outputs.crmsh).toContain(
        `clone ${baseClone} ${basePrimitive} \\\n\tmeta promotable=true notify=true promoted-max=1 promoted-node-max=1 clone-max=2 clone-node-max=1\n`,
      );
      expect(outputs.crmsh).not.toMatch(/^ms |Master|Slave/m);
      expect(outputs.crmsh).toMatch(t.changelog);
    });

    it.each(FORMATS)("%s: carries the fast Corosync profile as a commented totem block (a comment each format's tools accept, loaded above)", (format) => {
      const line = (text: string) => (format === 'xml' ? `<!-- ${text} -->` : `# ${text}`);
      expect(outputs[format]).toContain(`${line(`    token: ${FAST_TOKEN_MS}`)}\n${line(`    consensus: ${FAST_TOKEN_MS * 1.2}`)}\n`);
      expect(outputs[format]).toContain('corosync-cfgtool -R');
    });
  });

  /** A running cluster: both nodes online with quorum, promotion scores set as the agent would, first transition run. */
  async function running(format: Format, tag: string): Promise<{ cib: string; graph: TransitionGraph; active: string; other: string }> {
    const base = await onlineNodes(cibs[format], NODES, join(dir, `${format}-${tag}-base.xml`));
    for (const node of NODES) await setNodeAttribute(base, node, promotionScoreAttribute(basePrimitive), '10000');
    const { graph, cib } = await simulate(base, join(dir, `${format}-${tag}-running.xml`));
    const active = await nodeOf(cib, basePrimitive, 'Promoted');
    return { cib, graph, active, other: NODES.find((node) => node !== active)! };
  }

  async function expectAllOn(cib: string, node: string): Promise<void> {
    expect(await nodeOf(cib, basePrimitive, 'Promoted')).toBe(node);
    for (const member of t.members) expect(await nodeOf(cib, member, 'Started')).toBe(node);
    // a fence device never runs on (nor is used by) the node it fences
    const placed = await placements(cib);
    for (const target of NODES) {
      const where = (placed.get(`mfs-fence-${target}`) ?? []).flatMap((p) => p.nodes);
      expect(where).not.toContain(target);
    }
  }

  /** The start of the service on `node`: promote, then each member in order, each waiting for the one before. */
  function expectStartChain(graph: TransitionGraph, node: string): void {
    const promote = graph.one({ rsc: basePrimitive, operation: 'promote', node });
    const starts = t.members.map((rsc) => graph.one({ rsc, operation: 'start', node }));
    expect(graph.chain(promote, ...starts), graph.describe()).toBe(true);
    expect(graph.before(starts.at(-1)!, promote)).toBe(false);
  }

  describe.each(FORMATS)(`mfs-crm ${t.topology} in crm_simulate (%s)`, (format) => {
    it(`starts everything on one node, in order: promote, ${t.members.join(', ')}`, async () => {
      const { cib, graph, active, other } = await running(format, 'start');
      expectStartChain(graph, active);
      await expectAllOn(cib, active);
      expect(await nodeOf(cib, basePrimitive, 'Unpromoted')).toBe(other);
      expect((await nextTransition(cib)).isEmpty).toBe(true);
    });

    it('node failure: the node is fenced, then everything starts on the other one in order', async () => {
      const { cib, active, other } = await running(format, 'fail');
      const failed = await simulate(cib, join(dir, `${format}-failed.xml`), { nodeFail: active });
      const { graph } = failed;
      const fence = graph.one({ kind: 'crm_event', operation: 'stonith', node: active });
      const promote = graph.one({ rsc: basePrimitive, operation: 'promote', node: other });
      expect(graph.before(fence, promote), graph.describe()).toBe(true);
      expectStartChain(graph, other);
      expect(graph.find({ node: active, operation: 'start' })).toEqual([]);
      expect(await nodeOf(failed.cib, basePrimitive, 'Promoted')).toBe(other);
      for (const member of t.members) expect(await nodeOf(failed.cib, member, 'Started')).toBe(other);
    });

    it('standby: stops in reverse order, then demotes, before starting on the other node', async () => {
      const { cib, active, other } = await running(format, 'standby');
      await setNodeAttribute(cib, active, 'standby', 'on', 'forever');
      const { graph, cib: after } = await simulate(cib, join(dir, `${format}-standby.xml`));
      const stops = [...t.members].reverse().map((rsc) => graph.one({ rsc, operation: 'stop', node: active }));
      const demote = graph.one({ rsc: basePrimitive, operation: 'demote', node: active });
      expect(graph.chain(...stops, demote), graph.describe()).toBe(true);
      expect(graph.before(demote, graph.one({ rsc: basePrimitive, operation: 'promote', node: other }))).toBe(true);
      expectStartChain(graph, other);
      await expectAllOn(after, other);
    });

    it(`a failing master monitor: restarted in place, and after ${MIGRATION_THRESHOLD} failures the whole service moves`, async () => {
      const start = await running(format, 'monitor');
      const { active, other } = start;
      const after = t.members.slice(t.members.indexOf('mfs-master') + 1);
      let cib = start.cib;
      for (let failure = 1; failure <= MIGRATION_THRESHOLD; failure++) {
        const step = await simulate(cib, join(dir, `${format}-monitor-${failure}.xml`), {
          opInject: [`mfs-master_monitor_${MASTER_MONITOR_MS}@${active}=7`],
        });
        const { graph } = step;
        if (failure < MIGRATION_THRESHOLD) {
          // recovery in place: what starts after the master goes down first and comes back last; the base stays Promoted
          const chain = [
            ...[...after].reverse().map((rsc) => graph.one({ rsc, operation: 'stop', node: active })),
            graph.one({ rsc: 'mfs-master', operation: 'stop', node: active }),
            graph.one({ rsc: 'mfs-master', operation: 'start', node: active }),
            ...after.map((rsc) => graph.one({ rsc, operation: 'start', node: active })),
          ];
          expect(graph.chain(...chain), graph.describe()).toBe(true);
          expect(graph.find({ rsc: basePrimitive, operation: 'demote' })).toEqual([]);
          for (const before of t.members.slice(0, t.members.indexOf('mfs-master'))) expect(graph.find({ rsc: before, operation: 'stop' })).toEqual([]);
          expect(await nodeOf(step.cib, 'mfs-master', 'Started')).toBe(active);
        } else {
          const demote = graph.one({ rsc: basePrimitive, operation: 'demote', node: active });
          const stops = [...t.members].reverse().map((rsc) => graph.one({ rsc, operation: 'stop', node: active }));
          expect(graph.chain(...stops, demote), graph.describe()).toBe(true);
          expect(graph.before(demote, graph.one({ rsc: basePrimitive, operation: 'promote', node: other }))).toBe(true);
          expectStartChain(graph, other);
          await expectAllOn(step.cib, other);
        }
        cib = step.cib;
      }
    });
  });
}
