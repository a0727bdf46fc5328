/**
 * The reason contract (lib/pacemaker/reason.ts): `mfs-crm status` decides from codes and
 * fields, never from the English. Every declared reason is published here as the agents
 * produce it, once rendered in English and once reworded by other renderers; the explainer
 * must give the same verdicts and the same overrides. Pure: clusterStatus() on hand-made views.
 */
import { describe, expect, it } from 'vitest';
import { promoteCheck } from '../../lib/drbd/decisions.js';
import { DR } from '../../lib/drbd/reasons.js';
import { promotionScore, parseScoreTable } from '../../lib/drbd/scores.js';
import type { DiskState, ResourceState } from '../../lib/drbd/state.js';
import { decidePromotion, unpromotedScore, type MarkState, type PromotionInput } from '../../lib/moosefs/election.js';
import { MR } from '../../lib/moosefs/reasons.js';
import { reasonAttributeName } from '../../lib/pacemaker/attributes.js';
import { promotionScoreAttribute } from '../../lib/pacemaker/cib.js';
import { declaredReasonCodes, decodeReasons, encodeReasons, renderReason, type Reason, type Renderer } from '../../lib/pacemaker/reason.js';
import type { CibFacts, MonResource, MonStatus } from '../../lib/pacemaker/status.js';
import { clusterStatus, type StatusInput } from '../../crm-snippets/status.js';
import { drbdState } from '../helpers/drbd-state.js';

const MR_AGENT = 'ocf:mfs:mfs-metarestore';
const DS_AGENT = 'ocf:mfs:mfs-drbd-store';
const ID = 'res';

interface Place {
  role: 'Promoted' | 'Unpromoted' | 'Stopped';
  score?: number;
  reasons: Reason[];
}
interface Scenario {
  name: string;
  agent: string;
  params?: Record<string, string>;
  places: Record<string, Place>;
}

function input(scenario: Scenario, render: Renderer): StatusInput {
  const nodes = Object.keys(scenario.places);
  const resources = new Map<string, MonResource>([
    [
      ID,
      {
        id: ID,
        agent: scenario.agent,
        instances: nodes.filter((n) => scenario.places[n]!.role !== 'Stopped').map((n) => ({ node: n, role: scenario.places[n]!.role, failed: false, blocked: false, managed: true })),
      },
    ],
  ]);
  const promoted = nodes.find((n) => scenario.places[n]!.role === 'Promoted');
  resources.set('master', { id: 'master', agent: 'ocf:mfs:mfsmaster', instances: [{ node: promoted, role: promoted ? 'Started' : 'Stopped', failed: false, blocked: false, managed: true }] });
  const mon: MonStatus = { nodes: nodes.map((name) => ({ name, online: true, standby: false, maintenance: false, unclean: false })), resources, failures: [] };
  const cib: CibFacts = {
    primitives: [
      { id: ID, agent: scenario.agent, clone: `${ID}-clone`, params: { drbd_resource: 'r0', ...scenario.params }, meta: { promotable: 'true' } },
      { id: 'master', agent: 'ocf:mfs:mfsmaster', group: 'g', params: {}, meta: {} },
    ],
    properties: {},
    nodeAttributes: new Map(
      nodes.map((n) => {
        const p = scenario.places[n]!;
        const attributes: Record<string, string> = { [reasonAttributeName(ID)]: encodeReasons(p.reasons, render) };
        if (p.score !== undefined) attributes[promotionScoreAttribute(ID)] = String(p.score);
        return [n, attributes];
      }),
    ),
    fenceConstraints: [],
  };
  return { mon, cib, durabilityDefault: 'process' };
}

// --- every reason, as the decisions produce them ----------------------------------------------

const FS = 0xabcn;
const at = (version: bigint) => ({ version, fsId: FS });
const known: MarkState = { kind: 'known', mark: at(500n) };
const score = (over: Partial<Parameters<typeof unpromotedScore>[0]>) =>
  unpromotedScore({ position: at(400n), mark: known, masterVersion: undefined, connected: false, maxLag: 100n, overrideMark: false, bootstrapNode: false, ...over });
const promotion = (over: Partial<PromotionInput>) =>
  decidePromotion({ node: 'alpha', self: at(600n), mark: known, peers: [], peersKnown: true, overrideMark: false, allowUnknownPeers: false, bootstrapNode: undefined, ...over });

const scoreReasons = [
  score({ position: undefined, mark: { kind: 'none' }, bootstrapNode: true }),
  score({ position: undefined, masterVersion: 10n }),
  score({ position: { version: 400n, fsId: 0x999n } }),
  score({ masterVersion: 'unknown' }),
  score({ masterVersion: 'unknown', connected: true }),
  score({ masterVersion: 300n, connected: true }),
  score({ masterVersion: 450n }),
  score({ masterVersion: 4500n, connected: true }),
  score({ masterVersion: 450n, connected: true }),
  score({}),
  score({ overrideMark: true }),
  score({ position: at(600n), peers: [{ node: 'beta', position: at(700n) }] }),
  score({ position: at(600n) }),
].map((d) => d.why);

const promotionReasons = [
  promotion({ self: undefined, peers: [{ node: 'beta', position: at(9n) }] }),
  promotion({ self: undefined }),
  promotion({ self: undefined, bootstrapNode: 'alpha' }),
  promotion({ self: undefined, bootstrapNode: 'alpha', mark: { kind: 'none' }, peers: [{ node: 'beta', unknown: 'no answer' }] }),
  promotion({ self: undefined, bootstrapNode: 'alpha', mark: { kind: 'none' } }),
  promotion({ self: { version: 600n, fsId: 0x999n } }),
  promotion({ peers: [{ node: 'beta', position: at(700n) }] }),
  promotion({ peers: [{ node: 'beta', unknown: 'no answer' }] }),
  promotion({ mark: { kind: 'unknown', why: 'no CIB' } }),
  promotion({ self: at(400n) }),
  promotion({}),
].map((d) => d.why);

const actionReasons = [
  MR.stopped(),
  MR.promoteRefused(),
  MR.promoteFailed(),
  MR.promoted({ version: '600' }),
  MR.scoreSetByElection({ score: 1000, node: 'alpha' }),
  MR.masterRunsHere({ pid: 42, dataPath: '/var/lib/mfs' }),
  MR.masterAnswers({ address: '192.0.2.1:9421' }),
  MR.failure({ message: 'mfsmaster restore failed' }),
  MR.aheadOfNewMaster({ version: '700', peer: 'beta', peerVersion: '600', directory: '/var/lib/mfs/aside' }),
];

/** One volume, one peer (named peer) unless told otherwise. */
function drbd(disk: DiskState, { role = 'Secondary', peerDisk = 'UpToDate', quorum = true, peers = 1 }: { role?: 'Primary' | 'Secondary'; peerDisk?: DiskState; quorum?: boolean; peers?: number } = {}): ResourceState {
  const peer = peerDisk === 'DUnknown' ? { name: 'peer', connection: 'Connecting' as const } : { name: 'peer', disk: peerDisk };
  return drbdState({ role, disk, quorum, peers: Array.from({ length: peers }, () => peer) });
}
const table = parseScoreTable('0 10 1000 10000');
const storeReasons = [
  promotionScore(undefined, table),
  promotionScore(drbd('Outdated'), table, ['beta']),
  promotionScore(drbd('UpToDate', { peerDisk: 'DUnknown' }), table, [], ['beta']),
  promotionScore({ ...drbd('UpToDate'), volumes: [] }, table),
  promotionScore(drbd('UpToDate', { quorum: false }), table),
  promotionScore(drbd('UpToDate', { role: 'Primary' }), table),
  promotionScore(drbd('UpToDate', { peerDisk: 'DUnknown' }), table),
  promotionScore(drbd('UpToDate', { peers: 0 }), table),
  promotionScore(drbd('UpToDate'), table),
  promotionScore(drbd('Attaching'), table),
  promotionScore(drbd('Consistent'), table),
  promotionScore(drbd('Outdated'), table),
].map((d) => d.why);
const checkReasons = [promoteCheck(undefined), promoteCheck({ ...drbd('UpToDate'), volumes: [] }), promoteCheck(drbd('Outdated')), promoteCheck(drbd('UpToDate', { quorum: false }))]
  .concat([promoteCheck(drbdState({ peers: [{ role: 'Primary' }] })), promoteCheck(drbd('UpToDate'), ['beta'])])
  .map((c) => (c.ok ? undefined : c.why))
  .filter((r): r is Reason => r !== undefined);
const noteReasons = [
  DR.splitBrainManual({ peers: ['beta'] }),
  DR.splitBrainReconnecting({ peers: ['beta'] }),
  DR.splitBrainRecoveryFailed({ step: 'disconnect' }),
  DR.splitBrainDiscarded(),
  DR.promoteRefused(),
  DR.promoteFailed(),
  DR.drbdRefused({ said: '(-2) Need access to UpToDate data' }),
  DR.failure({ message: 'after mounting, /srv is read-only' }),
  DR.backToSecondary(),
  DR.stopped(),
];

const up = (reasons: Reason[], extra: Partial<Place> = {}): Place => ({ role: 'Unpromoted', reasons, ...extra });

/** One scenario per reason (beside a healthy Promoted node, and with nobody promoted), and the ones that lead to an override. */
const scenarios: Scenario[] = [
  ...[...scoreReasons, ...promotionReasons, ...actionReasons].flatMap((reason): Scenario[] => [
    { name: `metarestore, beside a master: ${reason.code}`, agent: MR_AGENT, places: { alpha: { role: 'Promoted', score: 1001, reasons: [MR.promoted({ version: '600' })] }, beta: up([reason], { score: 900 }) } },
    { name: `metarestore, nobody promoted: ${reason.code}`, agent: MR_AGENT, places: { alpha: up([MR.promoteRefused(), reason]), beta: up([reason]) } },
  ]),
  ...[...storeReasons, ...checkReasons, ...noteReasons].flatMap((reason): Scenario[] => [
    { name: `drbd-store, beside a Primary: ${reason.code}`, agent: DS_AGENT, places: { alpha: { role: 'Promoted', score: 10000, reasons: [DR.primaryUpToDate({})] }, beta: up([reason], { score: 1000 }) } },
    { name: `drbd-store, nobody promoted: ${reason.code}`, agent: DS_AGENT, places: { alpha: up([reason]), beta: up([DR.diskNotUpToDate({ disks: ['Inconsistent'] })]) } },
  ]),
  {
    name: 'metarestore: two nodes below the mark, the better one is named',
    agent: MR_AGENT,
    places: { alpha: up([score({ position: at(420n) }).why]), beta: up([MR.promoteRefused(), promotion({ self: at(480n) }).why]) },
  },
  { name: 'metarestore: the override already set', agent: MR_AGENT, params: { ignore_high_water_mark: 'true' }, places: { alpha: up([score({}).why]), beta: up([]) } },
  {
    name: 'drbd-store: a split brain under the manual policy',
    agent: DS_AGENT,
    places: { alpha: { role: 'Promoted', score: 10000, reasons: [DR.primaryUpToDate({}), DR.splitBrainManual({ peers: ['beta'] })] }, beta: up([DR.splitBrainDiverged({ peers: ['alpha'] }), DR.splitBrainManual({ peers: ['alpha'] })]) },
  },
  { name: 'drbd-store: Consistent before Outdated', agent: DS_AGENT, places: { alpha: up([promotionScore(drbd('Outdated'), table).why]), beta: up([promotionScore(drbd('Consistent'), table).why]) } },
];

/** Other wordings: the English reversed, and words that share nothing with it. */
const REWORDINGS: Array<[string, Renderer]> = [
  ['reversed', (r) => [...renderReason(r)].reverse().join('')],
  ['garbled', (r) => `zz${r.code.length}-${Object.keys(r.fields).length} [x] ; ( ) : version`],
];

describe('the reason contract: the explainer reads codes, never prose', () => {
  it('every declared reason is published by some scenario', () => {
    const published = new Set(scenarios.flatMap((s) => Object.values(s.places).flatMap((p) => p.reasons.map((r) => r.code))));
    expect(declaredReasonCodes().filter((code) => !published.has(code))).toEqual([]);
  });

  it('a published value reads back as its text and its codes', () => {
    for (const reason of [...scoreReasons, ...storeReasons, ...noteReasons]) {
      const value = encodeReasons([reason, DR.splitBrainManual({ peers: ['b; c]'] })]);
      expect(decodeReasons(value).reasons).toEqual([reason, DR.splitBrainManual({ peers: ['b; c]'] })]);
      expect(value.startsWith(renderReason(reason))).toBe(true);
    }
    expect(decodeReasons('disk is Outdated: no promotion without UpToDate data')).toEqual({ text: 'disk is Outdated: no promotion without UpToDate data', reasons: undefined });
  });

  it('overrides follow the codes: the ones the agents name are offered', () => {
    const verdict = (name: string) => clusterStatus(input(scenarios.find((s) => s.name === name)!, renderReason)).verdict;
    expect(verdict('metarestore: two nodes below the mark, the better one is named').override).toMatchObject({ node: 'beta', command: `crm resource param ${ID} set ignore_high_water_mark true` });
    expect(verdict('metarestore: the override already set').override).toBeUndefined();
    expect(verdict(`metarestore, nobody promoted: ${promotion({ self: undefined }).why.code}`).override).toMatchObject({ command: `crm resource param ${ID} set bootstrap_node alpha` });
    expect(verdict(`metarestore, nobody promoted: ${promotion({ peers: [{ node: 'beta', unknown: 'x' }] }).why.code}`).override).toMatchObject({ command: `crm resource param ${ID} set promote_without_election true` });
    expect(verdict('drbd-store: a split brain under the manual policy').override?.command).toBe('on beta: drbdadm disconnect r0; drbdadm secondary r0; drbdadm connect --discard-my-data r0; then on alpha: drbdadm connect r0');
    expect(verdict('drbd-store: Consistent before Outdated').override).toMatchObject({ node: 'beta', command: 'on beta: drbdadm primary --force r0 && drbdadm secondary r0' });
    expect(verdict(`drbd-store, nobody promoted: ${storeReasons[1]!.code}`)).toMatchObject({ kind: 'blocked', why: expect.stringContaining('no node has usable data (Inconsistent') as unknown as string });
  });

  it.each(REWORDINGS)('reworded (%s): the same verdict kinds and the same overrides, for every scenario', (_name, render) => {
    for (const scenario of scenarios) {
      const english = clusterStatus(input(scenario, renderReason));
      const reworded = clusterStatus(input(scenario, render));
      expect({ kind: reworded.verdict.kind, override: reworded.verdict.override }, scenario.name).toEqual({ kind: english.verdict.kind, override: english.verdict.override });
      expect(reworded.resources[0]!.nodes.map((n) => n.reasons)).toEqual(english.resources[0]!.nodes.map((n) => n.reasons));
    }
  });
});
