import { describe, expect, it } from 'vitest';
import {
  decidePromotion,
  formatPosition,
  parsePosition,
  raiseMark,
  SCORE,
  unpromotedScore,
  type MarkState,
  type PeerPosition,
  type PromotionInput,
  type UnpromotedInput,
} from '../../../lib/moosefs/election.js';

const FS = 0xabcn;
const OTHER = 0xdefn;
const at = (version: number, fsId = FS) => ({ version: BigInt(version), fsId });
const none: MarkState = { kind: 'none' };
const mark = (version: number, fsId = FS): MarkState => ({ kind: 'known', mark: at(version, fsId) });
const unreadable: MarkState = { kind: 'unknown', why: 'CIB down' };

describe('positions as published', () => {
  it.each([
    ['75:6B04826CCC568819', { version: 75n, fsId: 0x6b04826ccc568819n }],
    ['1:0000000000000000', { version: 1n, fsId: 0n }],
    ['75', undefined],
    ['none', undefined],
    ['-1:AB', undefined],
    ['75:XYZ', undefined],
    [undefined, undefined],
  ])('%s', (text, expected) => {
    expect(parsePosition(text)).toEqual(expected);
  });

  it('round-trips', () => {
    expect(parsePosition(formatPosition(at(12345, 0x6b04826ccc568819n)))).toEqual(at(12345, 0x6b04826ccc568819n));
    expect(formatPosition(at(7, 0xabcn))).toBe('7:0000000000000ABC');
  });
});

const base: UnpromotedInput = { position: at(1000), mark: none, masterVersion: 1000n, connected: true, maxLag: 100n, overrideMark: false, bootstrapNode: false };

describe('Unpromoted scores', () => {
  it.each<[string, Partial<UnpromotedInput>, number | undefined, boolean, RegExp]>([
    ['in step with the master', {}, SCORE.best, false, /metadata at version 1000, 0 change\(s\) behind the master at 1000/],
    ['a few changes behind: the same score', { masterVersion: 1000n + 7n, maxLag: 10_000n }, SCORE.best, false, /7 change\(s\) behind/],
    ['one step (1% of max_lag) behind', { masterVersion: 1000n + 150n, maxLag: 10_000n }, 999, false, /150 change\(s\) behind/],
    ['at max_lag', { masterVersion: 1000n + 10_000n, maxLag: 10_000n }, SCORE.floorInSync, false, /10000 change\(s\) behind/],
    ['max_lag 0, in step', { maxLag: 0n }, SCORE.best, false, /0 change/],
    ['past max_lag', { masterVersion: 1101n }, SCORE.lagging, true, /101 change\(s\) behind the master \(more than max_lag 100\)/],
    ['ahead of the running master (a failover lost changes)', { masterVersion: 990n }, SCORE.lagging, true, /10 change\(s\) AHEAD of the running master at 990: changes were lost at a failover/],
    ['not connected to a live master', { connected: false, masterVersion: 1000n }, SCORE.lagging, true, /not connected/],
    ['no master, no mark', { masterVersion: undefined, connected: false }, SCORE.best, false, /no master answers \(no high-water mark yet\)/],
    ['no master, at the mark', { masterVersion: undefined, mark: mark(1000) }, SCORE.best, false, /high-water mark 1000/],
    ['no master, below the mark', { masterVersion: undefined, mark: mark(1001) }, undefined, false, /^not promotable: .*behind the high-water mark 1001/],
    ['no master, below the mark, override', { masterVersion: undefined, mark: mark(1001), overrideMark: true }, SCORE.lastResort, false, /ignore_high_water_mark=true/],
    ['no master, mark unreadable', { masterVersion: undefined, mark: unreadable }, SCORE.best, false, /unreadable: CIB down/],
    ['no master, a candidate published newer metadata (it won the last election)', { masterVersion: undefined, peers: [{ node: 'b', position: at(1001) }] }, SCORE.lagging, false, /b published newer metadata \(version 1001\) at the last pre-promote: it goes first/],
    ['no master, candidates published older, equal or nothing', { masterVersion: undefined, peers: [{ node: 'b', position: at(999) }, { node: 'c', position: at(1000) }, { node: 'd', none: true }, { node: 'e', unknown: 'x' }] }, SCORE.best, false, /no master answers/],
    ['no master, newer metadata of another file system counts for nothing', { masterVersion: undefined, peers: [{ node: 'b', position: at(5000, OTHER) }] }, SCORE.best, false, /no master answers/],
    // A master whose answer does not decode (a release newer than the decoder) still serves: never "no master".
    ['a master answers, its version unreadable: following it, lag not judged', { masterVersion: 'unknown', mark: mark(5000), peers: [{ node: 'b', position: at(5000) }] }, SCORE.floorInSync, false, /following a master whose metadata version cannot be read: lag not judged/],
    ['a master answers, its version unreadable, not connected', { masterVersion: 'unknown', connected: false }, SCORE.lagging, true, /a master answers \(its metadata version unreadable\), and the metalogger is not connected to it/],
    ['no metadata, a master answers with its version unreadable, not connected', { position: undefined, masterVersion: 'unknown', connected: false, bootstrapNode: true }, undefined, true, /not connected/],
    ['a master answers: what candidates published is not asked', { peers: [{ node: 'b', position: at(5000) }] }, SCORE.best, false, /0 change\(s\) behind the master/],
    ['another file system than the mark', { mark: mark(10, OTHER) }, undefined, true, /belongs to file system 0000000000000ABC, the cluster serves 0000000000000DEF/],
    ['no metadata', { position: undefined, problem: 'no metadata in /x yet' }, undefined, false, /^not promotable: no metadata in \/x yet$/],
    ['no metadata, not following', { position: undefined, connected: false }, undefined, true, /not connected/],
    ['no metadata, bootstrap node, first boot', { position: undefined, bootstrapNode: true, masterVersion: undefined }, SCORE.lastResort, false, /bootstrap_node names this node/],
    ['no metadata, bootstrap node, but the cluster served', { position: undefined, bootstrapNode: true, masterVersion: undefined, mark: mark(5) }, undefined, false, /^not promotable/],
  ])('%s', (_case, input, score, degraded, reason) => {
    const decision = unpromotedScore({ ...base, ...input });
    expect(decision.score).toBe(score);
    expect(decision.degraded).toBe(degraded);
    expect(decision.reason).toMatch(reason);
  });
});

const peer = (node: string, version: number, fsId = FS): PeerPosition => ({ node, position: at(version, fsId) });
const election: PromotionInput = {
  node: 'n1',
  self: at(1000),
  mark: none,
  peers: [],
  peersKnown: true,
  overrideMark: false,
  allowUnknownPeers: false,
  bootstrapNode: undefined,
};

describe('the promotion decision', () => {
  it.each<[string, Partial<PromotionInput>, 'promote' | 'bootstrap' | 'refuse', RegExp, string?]>([
    ['alone', {}, 'promote', /^newest metadata: version 1000$/],
    ['ahead of its peers', { peers: [peer('n2', 990), peer('n3', 1000)] }, 'promote', /peers: n2 990, n3 1000/],
    ['behind a peer', { peers: [peer('n2', 990), peer('n3', 1005)] }, 'refuse', /^n3 has newer metadata \(version 1005\) than this node \(version 1000\)/, 'n3'],
    ['behind a peer of another file system: not compared', { peers: [peer('n2', 5000, OTHER)] }, 'promote', /^newest metadata: version 1000$/],
    ['a peer unreadable', { peers: [{ node: 'n2', unknown: 'attrd down' }] }, 'refuse', /cannot compare version 1000 with n2 \(attrd down\), which may be ahead/],
    ['a peer unreadable, allowed', { peers: [{ node: 'n2', unknown: 'attrd down' }], allowUnknownPeers: true }, 'promote', /newest/],
    ['a peer ahead wins over an unreadable one', { peers: [{ node: 'n2', unknown: 'x' }, peer('n3', 2000)] }, 'refuse', /^n3 has newer/, 'n3'],
    ['no candidate list', { peersKnown: false }, 'refuse', /no candidate list: set notify=true/],
    ['at the mark', { mark: mark(1000) }, 'promote', /high-water mark 1000/],
    ['below the mark', { mark: mark(1010) }, 'refuse', /behind the high-water mark 1010: 10 change\(s\) the cluster served would be lost; set ignore_high_water_mark=true/],
    ['below the mark, override', { mark: mark(1010), overrideMark: true }, 'promote', /newest/],
    ['mark unreadable', { mark: unreadable }, 'refuse', /cannot read the high-water mark \(CIB down\)/],
    ['mark unreadable, override', { mark: unreadable, overrideMark: true }, 'promote', /newest/],
    ['other file system than the mark', { mark: mark(10, OTHER) }, 'refuse', /file system 0000000000000ABC, the cluster served 0000000000000DEF: never mixed in/],
    ['unknown own id, mark known', { self: at(1000, 0n), mark: mark(1000) }, 'promote', /newest/],
    ['no metadata, a peer has some', { self: undefined, peers: [peer('n2', 5)] }, 'refuse', /no metadata on this node, while n2 has version 5/, 'n2'],
    ['no metadata anywhere', { self: undefined, peers: [{ node: 'n2', none: true }] }, 'refuse', /a first boot needs bootstrap_node=n1/],
    ['first boot, named', { self: undefined, bootstrapNode: 'n1', peers: [{ node: 'n2', none: true }] }, 'bootstrap', /creating a new file system/],
    ['first boot, another node named', { self: undefined, bootstrapNode: 'n2' }, 'refuse', /bootstrap_node=n1/],
    ['named, but the cluster served', { self: undefined, bootstrapNode: 'n1', mark: mark(3) }, 'refuse', /served metadata up to version 3: not a first boot/],
    ['named, mark unreadable', { self: undefined, bootstrapNode: 'n1', mark: unreadable }, 'refuse', /cannot be read/],
    ['named, a peer unknown', { self: undefined, bootstrapNode: 'n1', peers: [{ node: 'n2', unknown: 'x' }] }, 'refuse', /cannot tell whether n2 \(x\) hold metadata/],
  ])('%s', (_case, input, action, reason, better) => {
    const decision = decidePromotion({ ...election, ...input });
    expect(decision.action).toBe(action);
    expect(decision.reason).toMatch(reason);
    if (decision.action === 'refuse') expect(decision.better).toBe(better);
  });

  it('says what it overrode', () => {
    const decision = decidePromotion({ ...election, mark: mark(1010), overrideMark: true, peers: [{ node: 'n2', unknown: 'x' }], allowUnknownPeers: true });
    expect(decision.action === 'promote' && decision.warnings).toEqual([
      'promoting without comparing with n2 (x) (promote_without_election=true)',
      'version 1000 is behind the high-water mark 1010: 10 change(s) the cluster served would be lost; promoting because ignore_high_water_mark=true',
    ]);
  });
});

describe('raising the high-water mark', () => {
  it.each<[string, MarkState, ReturnType<typeof at>, ReturnType<typeof at> | undefined]>([
    ['first record', none, at(10), at(10)],
    ['higher', mark(10), at(12), at(12)],
    ['equal', mark(10), at(10), undefined],
    ['lower: never lowered', mark(10), at(9), undefined],
    ['another file system: left for the admin', mark(10, OTHER), at(50), undefined],
    ['unknown id keeps the recorded one', mark(10), at(20, 0n), at(20)],
  ])('%s', (_case, current, observed, expected) => {
    expect(raiseMark(current, observed)).toEqual(expected);
  });
});
