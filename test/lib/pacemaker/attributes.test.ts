/**
 * Promotion scores and reasons through the real Pacemaker tools, on an offline CIB
 * (CIB_file); a missing or hanging CIB fails soft and in bounded time.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Deadline } from '../../../lib/runtime/deadline.js';
import { createLogger } from '../../../lib/runtime/log.js';
import { DR } from '../../../lib/drbd/reasons.js';
import { getPromotionScore, publishReason, readPublishedReason, readReason, reasonAttributeName, setPromotionScore } from '../../../lib/pacemaker/attributes.js';
import { run } from '../../../lib/process/run.js';

let dir: string;
let cib: string;
const lines: string[] = [];
const log = createLogger({ agent: 'test', env: {}, write: (line) => lines.push(line) });

beforeAll(async () => {
  dir = mkdtempSync('/tmp/mfs-ocf-attr-');
  const empty = await run('cibadmin', ['--empty'], { timeoutMs: 10_000 });
  writeFileSync(join(dir, 'empty.xml'), empty.stdout.replace('<cib ', '<cib have-quorum="1" '));
  cib = join(dir, 'cib.xml');
  const sim = await run('crm_simulate', ['-x', join(dir, 'empty.xml'), '-q', 'true', '-u', 'node1', '-u', 'node2', '-O', cib], { timeoutMs: 20_000 });
  expect(sim.exitCode, sim.stderr).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function target(node: string, env: NodeJS.ProcessEnv = { CIB_file: cib }, ms = 20_000) {
  return { instance: 'store', node, env, deadline: new Deadline(ms), log };
}

describe('promotion score', () => {
  it('sets, reads and deletes master-<instance> on the named node only', async () => {
    expect(await setPromotionScore(target('node1'), 10000)).toBe(true);
    expect(await setPromotionScore(target('node2'), 1000)).toBe(true);
    expect(readFileSync(cib, 'utf8')).toMatch(/<nvpair id="status-node1-master-store" name="master-store" value="10000"\/>/);
    expect(await getPromotionScore(target('node1'))).toBe(10000);
    expect(await getPromotionScore(target('node2'))).toBe(1000);
    expect(await setPromotionScore(target('node1'), undefined)).toBe(true);
    expect(await getPromotionScore(target('node1'))).toBeUndefined();
    expect(await getPromotionScore(target('node2'))).toBe(1000);
    expect(await setPromotionScore(target('node1'), undefined), 'deleting an absent score succeeds').toBe(true);
  });

  it('publishes the reason as mfs-ocf-reason-<resource>, clone suffix dropped', async () => {
    expect(reasonAttributeName('store:1')).toBe('mfs-ocf-reason-store');
    const why = DR.peerUnknown({ peers: ['node1'] });
    expect(await publishReason(target('node2'), [why])).toBe(true);
    expect(await readReason(target('node2'))).toBe('UpToDate data, but the disk of peer node1 is unknown (not connected)');
    // the value itself: the English first, then the code and fields (lib/pacemaker/reason.ts)
    expect(await readPublishedReason(target('node2'))).toEqual({ text: 'UpToDate data, but the disk of peer node1 is unknown (not connected)', reasons: [why] });
    expect(readFileSync(cib, 'utf8')).toContain('name="mfs-ocf-reason-store"');
    expect(await publishReason(target('node2'), undefined)).toBe(true);
    expect(await readReason(target('node2'))).toBeUndefined();
  });

  it('fails soft without any CIB: false, logged, fast', async () => {
    lines.length = 0;
    const started = performance.now();
    expect(await setPromotionScore(target('node1', { CIB_file: join(dir, 'missing.xml') }), 10)).toBe(false);
    expect(await publishReason(target('node1', {}), [DR.stopped()])).toBe(false);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(lines.join('')).toMatch(/WARNING: could not set the promotion score to 10: crm_attribute .*exit code/);
    expect(lines.join('')).toMatch(/WARNING: could not publish mfs-ocf-reason-store: attrd_updater/);
  });

  it('gives up on a hanging tool within its bound', async () => {
    const bin = join(dir, 'bin');
    await run('mkdir', ['-p', bin]);
    writeFileSync(join(bin, 'crm_attribute'), '#!/bin/sh\nexec sleep 60\n');
    chmodSync(join(bin, 'crm_attribute'), 0o755);
    lines.length = 0;
    const path = process.env.PATH;
    process.env.PATH = `${bin}:${path}`;
    const started = performance.now();
    let ok: boolean;
    try {
      ok = await setPromotionScore(target('node1'), 10);
    } finally {
      process.env.PATH = path;
    }
    const elapsed = performance.now() - started;
    expect(ok).toBe(false);
    expect(elapsed).toBeGreaterThan(4000);
    expect(elapsed).toBeLessThan(9000);
    expect(lines.join('')).toContain('timed out');
  });
});
