import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Failure } from '../../../lib/runtime/errors.js';
import { METALOGGER_DEFAULTS, metaloggerConfigFrom, parseMfsConfig } from '../../../lib/moosefs/config.js';
import { betterSource, describeSource, inspectSource, readImage } from '../../../lib/moosefs/metalogger-files.js';
import { setAsideMasterFiles } from '../../../lib/moosefs/metalogger-promote.js';

describe('mfsmetalogger.cfg', () => {
  it('fills in the program defaults', () => {
    expect(metaloggerConfigFrom('/etc/mfs/mfsmetalogger.cfg', parseMfsConfig('# nothing set\n'))).toEqual({
      file: '/etc/mfs/mfsmetalogger.cfg',
      dataPath: '/var/lib/mfs',
      workingUser: 'mfs',
      workingGroup: undefined,
      masterHost: 'mfsmaster',
      masterPort: 9419,
      metaDownloadFreq: 24,
      backLogs: 50,
      masterReconnectionDelay: 5,
      masterTimeout: 10,
    });
    expect(METALOGGER_DEFAULTS.MASTER_PORT).toBe('9419');
  });

  it('reads what is set', () => {
    const config = metaloggerConfigFrom('f', parseMfsConfig('DATA_PATH = /srv/ml\nMASTER_HOST = 10.0.0.10\nMASTER_PORT = 19419\nWORKING_GROUP = mfs\nMETA_DOWNLOAD_FREQ = 2\nBACK_LOGS = 10'));
    expect(config).toMatchObject({ dataPath: '/srv/ml', masterHost: '10.0.0.10', masterPort: 19419, workingGroup: 'mfs', metaDownloadFreq: 2, backLogs: 10 });
  });

  it.each([
    ['DATA_PATH = relative/path', /DATA_PATH = "relative\/path" must be an absolute path/],
    ['MASTER_PORT = 70000', /MASTER_PORT = "70000" is not a TCP port/],
    ['MASTER_HOST = *', /MASTER_HOST = "\*" is not an address or a host name/],
    ['MASTER_HOST = a;b', /MASTER_HOST = "a;b" is not an address/],
    ['META_DOWNLOAD_FREQ = often', /META_DOWNLOAD_FREQ = "often" is not an integer/],
  ])('refuses %s', (line, message) => {
    expect(() => metaloggerConfigFrom('f', parseMfsConfig(line))).toThrow(Failure);
    expect(() => metaloggerConfigFrom('f', parseMfsConfig(line))).toThrow(message);
  });
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync('/tmp/mfs-ocf-metalogger-');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A metadata image as the master writes it: header, some body, the EOF marker. */
function image(name: string, version: number, fsId: bigint, { marker = true } = {}): string {
  const header = Buffer.alloc(24);
  header.write('MFSM 2.0', 0, 'latin1');
  header.writeBigUInt64BE(BigInt(version), 8);
  header.writeBigUInt64BE(fsId, 16);
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat([header, Buffer.alloc(100), marker ? Buffer.from('[MFS EOF MARKER]', 'latin1') : Buffer.alloc(0)]));
  return path;
}

const line = (version: number) => `${version}: 1795456404|CREATE(1,f${version},1,438,18,0,0,0):${version + 100}\n`;
const lines = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => line(from + i)).join('');
const changelog = (name: string, content: string) => writeFileSync(join(dir, name), content);

describe('what a metalogger data path can rebuild', () => {
  it('is nothing in an empty directory, or a missing one', () => {
    expect(inspectSource('metalogger', dir)).toMatchObject({ version: undefined, problem: undefined, files: [] });
    expect(inspectSource('metalogger', join(dir, 'absent')).version).toBeUndefined();
  });

  it('is the newest image brought forward by complete changelog lines only', () => {
    image('metadata_ml.mfs.back', 100, 0xabcn);
    image('metadata_ml.mfs.back.1', 50, 0xabcn);
    changelog('changelog_ml.1.mfs', lines(60, 120));
    changelog('changelog_ml.0.mfs', `${lines(121, 150)}151: 1795456404|CREATE(1,tor`);
    changelog('changelog.0.mfs', lines(1, 9999)); // a master file: not the metalogger's
    const source = inspectSource('metalogger', dir);
    expect(source).toMatchObject({ version: 151n, fsId: 0xabcn, newestComplete: 150n, problem: undefined });
    expect(source.base?.path).toBe(join(dir, 'metadata_ml.mfs.back'));
    expect(source.files.map((f) => f.slice(dir.length + 1)).sort()).toEqual(['changelog_ml.0.mfs', 'changelog_ml.1.mfs', 'metadata_ml.mfs.back', 'metadata_ml.mfs.back.1']);
    expect(describeSource(source)).toBe(`version 151 of file system 0000000000000ABC (metalogger files in ${dir}: metadata_ml.mfs.back at 100, changelogs to 150)`);
  });

  it('ignores an image without its end marker (a cut download)', () => {
    image('metadata_ml.mfs.back', 100, 0xabcn, { marker: false });
    expect(readImage(join(dir, 'metadata_ml.mfs.back'))).toBeUndefined();
    expect(inspectSource('metalogger', dir).version).toBeUndefined();
  });

  it('never mixes images of different file systems', () => {
    image('metadata_ml.mfs.back', 100, 0xabcn);
    image('metadata_ml.mfs.back.1', 50, 0xdefn);
    const source = inspectSource('metalogger', dir);
    expect(source.version).toBeUndefined();
    expect(source.problem).toMatch(/images of different file systems in .*metadata_ml\.mfs\.back: id 0000000000000ABC.*metadata_ml\.mfs\.back\.1: id 0000000000000DEF.*never mixed/);
  });

  it("rebuilds a new file system's whole history from changelogs that start at version 1", () => {
    changelog('changelog_ml_back.1.mfs', `1: 1795457644|SETMETAID(7711431865761433625)\n${lines(2, 20)}`);
    changelog('changelog_ml.0.mfs', lines(21, 40));
    const source = inspectSource('metalogger', dir);
    expect(source).toMatchObject({ version: 41n, fsId: 7711431865761433625n });
    expect(source.base).toMatchObject({ version: 1n, virtualNew: true });
  });

  it('cannot use changelogs without an image to apply them to', () => {
    changelog('changelog_ml.0.mfs', lines(21, 40));
    expect(inspectSource('metalogger', dir)).toMatchObject({ version: undefined, problem: expect.stringMatching(/changelogs up to version 40 .* but no metadata image/) });
  });

  it("reads a master's own files separately, and prefers the metalogger's on a tie", () => {
    image('metadata.mfs', 200, 0xabcn);
    image('metadata_ml.mfs.back', 150, 0xabcn);
    changelog('changelog_ml.0.mfs', lines(150, 199));
    const master = inspectSource('master', dir);
    const metalogger = inspectSource('metalogger', dir);
    expect(master.version).toBe(200n);
    expect(metalogger.version).toBe(200n);
    expect(betterSource(master, metalogger).kind).toBe('metalogger');
    changelog('changelog.0.mfs', lines(200, 210));
    expect(betterSource(inspectSource('master', dir), metalogger).kind).toBe('master');
  });
});

describe('setting master files aside', () => {
  it('moves master files into a timestamped directory and leaves the metalogger files', () => {
    image('metadata.mfs.back', 10, 1n);
    changelog('changelog.0.mfs', lines(10, 12));
    writeFileSync(join(dir, 'metadata.mfs.empty'), 'MFSM NEW');
    writeFileSync(join(dir, 'stats.mfs'), 'charts');
    image('metadata_ml.mfs.back', 10, 1n);
    const aside = setAsideMasterFiles(dir, 'before-promote', { now: new Date('2026-11-23T18:00:00Z') })!;
    expect(aside.directory).toBe(join(dir, 'mfs-ocf-aside', 'before-promote-2026-11-23T18-00-00-000Z'));
    expect(aside.files.sort()).toEqual(['changelog.0.mfs', 'metadata.mfs.back', 'metadata.mfs.empty']);
    expect(readdirSync(dir).sort()).toEqual(['metadata_ml.mfs.back', 'mfs-ocf-aside', 'stats.mfs']);
    expect(readFileSync(join(aside.directory, 'changelog.0.mfs'), 'utf8')).toBe(lines(10, 12));
  });

  it('copies instead when the files are to be used in place, and does nothing when there is nothing', () => {
    expect(setAsideMasterFiles(dir, 'x')).toBeUndefined();
    expect(existsSync(join(dir, 'mfs-ocf-aside'))).toBe(false);
    image('metadata.mfs', 10, 1n);
    const aside = setAsideMasterFiles(dir, 'before-promote', { copy: true })!;
    expect(existsSync(join(dir, 'metadata.mfs'))).toBe(true);
    expect(existsSync(join(aside.directory, 'metadata.mfs'))).toBe(true);
  });

  it('sets stale metalogger copies aside too when asked', () => {
    mkdirSync(join(dir, 'sub'));
    image('metadata_ml.mfs.back', 10, 1n);
    changelog('changelog_ml.0.mfs', lines(10, 12));
    const aside = setAsideMasterFiles(dir, 'before-promote', { metaloggerFiles: true })!;
    expect(aside.files.sort()).toEqual(['changelog_ml.0.mfs', 'metadata_ml.mfs.back']);
    expect(readdirSync(dir).sort()).toEqual(['mfs-ocf-aside', 'sub']);
  });
});
