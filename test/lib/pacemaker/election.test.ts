/**
 * The election's attribute store: with an offline CIB (the real crm_attribute), and with attrd
 * (a stand-in attrd_updater on PATH that records its arguments, since attrd exists only in a
 * running cluster: the live path is exercised by the later cluster tests).
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Deadline } from '../../../lib/runtime/deadline.js';
import { electionStore, highWaterProperty, positionAttribute } from '../../../lib/pacemaker/election.js';
import { QUIET_LOG } from '../../helpers/moosefs.js';
import { emptyCib, onlineNodes } from '../../helpers/pacemaker.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync('/tmp/mfs-ocf-election-');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const target = (node: string, env: NodeJS.ProcessEnv) => ({ instance: 'meta:1', node, env, deadline: new Deadline(30_000), log: QUIET_LOG() });

describe('names', () => {
  it('drop the clone instance number', () => {
    expect(positionAttribute('meta:1')).toBe('mfs-ocf-position-meta');
    expect(highWaterProperty('meta')).toBe('mfs-ocf-high-water-meta');
  });
});

describe('the election store on an offline CIB', () => {
  it('publishes and reads positions per node, the candidate list, and the high-water mark', async () => {
    const cib = await onlineNodes(await emptyCib(join(dir, 'empty.xml')), ['n1', 'n2'], join(dir, 'cib.xml'));
    const n1 = electionStore(target('n1', { CIB_file: cib }));
    const n2 = electionStore(target('n2', { CIB_file: cib }));
    expect(await n1.readPosition('n2')).toEqual({ ok: true, value: undefined });
    expect(await n2.publishPosition('42:0000000000000ABC')).toBe(true);
    expect(await n1.readPosition('n2')).toEqual({ ok: true, value: '42:0000000000000ABC' });
    expect(await n1.readPosition('n1')).toEqual({ ok: true, value: undefined });

    expect(await n1.saveCandidates(['n2'])).toBe(true);
    expect(await n1.readCandidates()).toEqual({ ok: true, value: 'n2' });
    expect(await n2.readCandidates()).toEqual({ ok: true, value: undefined });
    expect(await n1.saveCandidates([])).toBe(true);
    expect(await n1.readCandidates()).toEqual({ ok: true, value: undefined });

    expect(await n1.readMark()).toEqual({ ok: true, value: undefined });
    expect(await n1.writeMark('50:0000000000000ABC')).toBe(true);
    expect(await n2.readMark()).toEqual({ ok: true, value: '50:0000000000000ABC' });
    expect(readFileSync(cib, 'utf8')).toContain('name="mfs-ocf-high-water-meta" value="50:0000000000000ABC"');
  });

  it('reports what it cannot read as unknown, never as a value', async () => {
    const store = electionStore(target('n1', { CIB_file: join(dir, 'missing.xml') }));
    // crm_attribute exits 105 here too, as for an attribute that is not set: the words tell them apart.
    const read = await store.readMark();
    expect(read.ok).toBe(false);
    expect(read.ok === false && read.why).toMatch(/Could not connect to the CIB/);
    expect(await store.readPosition('n2')).toMatchObject({ ok: false });
    expect(await store.writeMark('1:0')).toBe(false);
  });
});

describe('the election store with attrd', () => {
  it('keeps positions private (attrd_updater --private) and reads them per node', async () => {
    const calls = join(dir, 'calls');
    const fake = join(dir, 'attrd_updater');
    // Records its arguments; knows n2's position only, answering as attrd_updater 2.1 prints.
    writeFileSync(
      fake,
      `#!/bin/sh\necho "$*" >> ${calls}\ncase "$*" in\n  *--query*--node\\ n2*) echo 'name="mfs-ocf-position-meta" host="n2" value="7:0000000000000001"' ;;\n  *--query*) echo "attrd_updater: Could not query value of x: attribute does not exist" >&2; exit 102 ;;\nesac\n`,
    );
    chmodSync(fake, 0o755);
    const path = process.env.PATH;
    process.env.PATH = `${dir}:${path}`;
    try {
      const store = electionStore(target('n1', {}));
      expect(await store.publishPosition('9:0000000000000001')).toBe(true);
      expect(await store.readPosition('n2')).toEqual({ ok: true, value: '7:0000000000000001' });
      expect(await store.readPosition('n3')).toEqual({ ok: true, value: undefined });
      expect(await store.saveCandidates(['n2', 'n3'])).toBe(true);
    } finally {
      process.env.PATH = path;
    }
    expect(readFileSync(calls, 'utf8').trim().split('\n')).toEqual([
      '--private --name mfs-ocf-position-meta --update 9:0000000000000001',
      '--query --name mfs-ocf-position-meta --node n2',
      '--query --name mfs-ocf-position-meta --node n3',
      '--private --name mfs-ocf-candidates-meta --update n2 n3',
    ]);
  });
});
