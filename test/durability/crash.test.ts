/**
 * Issue 9's crash tests, real MooseFS on loopback: SIGKILL of the master while a client writes,
 * recovery through the built agent, acknowledged operations counted. Against each tested MooseFS.
 */
import { describe, expect, it } from 'vitest';
import { MOOSEFS } from '../helpers/moosefs-versions.js';
import { crashRun } from './crash.js';

describe.each(MOOSEFS)('master crash while a client writes, MooseFS $version', (moosefs) => {
  it('loses no acknowledged operation with CHANGELOG_SAVE_MODE = 1, over repeated random kills', async () => {
    const runs = [];
    for (let i = 0; i < 4; i++) runs.push(await crashRun({ moosefs, changelogSaveMode: 1, killAfterMs: [800, 2500] }));
    for (const run of runs) {
      expect(run.version).toBe(moosefs.version);
      expect(run.acknowledged, 'the writer must have made progress').toBeGreaterThan(50);
      expect(run.lost, `lost operations ${run.lostSeqs.join(', ')}`).toBe(0);
    }
    console.log(`MooseFS ${moosefs.version}, mode 1: ${runs.map((r) => `${r.acknowledged} acknowledged / ${r.lost} lost`).join('; ')}`);
  });

  it('loses acknowledged operations with CHANGELOG_SAVE_MODE = 0 when the data writer stalls: why the agent refuses mode 0 by default', async () => {
    const run = await crashRun({ moosefs, changelogSaveMode: 0, killAfterMs: [1200, 1800], stallDataWriterMs: 300 });
    expect(run.acknowledged).toBeGreaterThan(50);
    expect(run.lost, 'operations acknowledged during the stall are lost').toBeGreaterThan(0);
    expect(run.lastSecond.lost).toBe(run.lost);
    console.log(`MooseFS ${moosefs.version}, mode 0, data writer stalled 300 ms: ${run.acknowledged} acknowledged, ${run.lost} lost (all in the last second)`);
  });
});
