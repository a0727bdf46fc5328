import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ASIDE_DIRECTORY, changelogFiles, cutChangesBefore, inspectChangelog, newestCompleteVersion, repairTornChangelog } from '../../../lib/moosefs/changelog.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync('/tmp/mfs-ocf-changelog-');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const line = (version: number) => `${version}: 1795456404|CREATE(1,file${version},1,438,18,0,0,0):${version + 100}\n`;
const lines = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => line(from + i)).join('');

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe('inspecting a changelog', () => {
  it.each([
    ['a whole file', lines(5, 9), 5n, 9n, 0],
    ['a torn last line', `${lines(5, 9)}10: 1795456404|CRE`, 5n, 9n, 18],
    ['one partial line only', '10: 17954', 10n, undefined, 9],
    ['an empty file', '', undefined, undefined, 0],
    ['a file that does not start with a version', `garbage\n${line(1000)}`, undefined, 1000n, 0],
  ])('%s', (_case, content, first, last, torn) => {
    const tail = inspectChangelog(file('changelog.0.mfs', content));
    expect(tail.firstVersion).toBe(first);
    expect(tail.lastCompleteVersion).toBe(last);
    expect(tail.tornBytes).toBe(torn);
  });

  it('finds the last complete line of a file larger than one read', () => {
    const content = `${lines(1, 5000)}5001: partial`;
    expect(content.length).toBeGreaterThan(3 * 65536);
    const tail = inspectChangelog(file('changelog_ml.0.mfs', content));
    expect(tail).toMatchObject({ firstVersion: 1n, lastCompleteVersion: 5000n, tornBytes: "5001: partial".length });
  });
});

describe('repairing a torn changelog', () => {
  it('copies the original aside, cuts the partial line, and says what it cut', () => {
    const torn = `${lines(5, 9)}10: 1795456404|CRE`;
    const path = file('changelog_ml.0.mfs', torn);
    const repair = repairTornChangelog(path, new Date('2026-11-23T10:00:00Z'));
    expect(repair).toEqual({
      path,
      original: join(dir, ASIDE_DIRECTORY, 'changelog_ml.0.mfs.torn-2026-11-23T10-00-00-000Z'),
      bytesCut: 18,
      lastCompleteVersion: 9n,
    });
    expect(readFileSync(path, 'utf8')).toBe(lines(5, 9));
    expect(readFileSync(repair!.original, 'utf8')).toBe(torn);
    expect(inspectChangelog(path).tornBytes).toBe(0);
  });

  it('leaves a whole file alone and keeps nothing aside', () => {
    const path = file('changelog.0.mfs', lines(1, 3));
    expect(repairTornChangelog(path)).toBeUndefined();
    expect(existsSync(join(dir, ASIDE_DIRECTORY))).toBe(false);
  });
});

describe('cutting changes older than the image', () => {
  it('cuts an earlier history before a jump, keeping the original aside (the metalogger appends to the file it finds)', () => {
    const path = file('changelog_ml.0.mfs', lines(2, 40) + lines(500, 520));
    const cut = cutChangesBefore(path, 500n, new Date('2026-11-23T21:00:00Z'));
    expect(cut?.linesCut).toBe(39);
    expect(readFileSync(path, 'utf8')).toBe(lines(500, 520));
    expect(readFileSync(cut!.original, 'utf8')).toBe(lines(2, 40) + lines(500, 520));
    expect(inspectChangelog(path).firstVersion).toBe(500n);
  });

  it.each([
    ['a file that starts at the image', lines(500, 520), 500n],
    ['a file wholly older than the image (the recovery skips it)', lines(2, 40), 500n],
    ['a file wholly newer', lines(600, 610), 500n],
  ])('leaves alone %s', (_case, content, version) => {
    const path = file('changelog_ml.0.mfs', content);
    expect(cutChangesBefore(path, version)).toBeUndefined();
    expect(readFileSync(path, 'utf8')).toBe(content);
    expect(existsSync(join(dir, ASIDE_DIRECTORY))).toBe(false);
  });
});

describe('changelog files', () => {
  it('are the names the master recovery reads, and their newest complete version', () => {
    file('changelog.0.mfs', lines(20, 25));
    file('changelog.1.mfs', lines(10, 19));
    file('changelog_ml.0.mfs', `${lines(20, 27)}28: x`);
    file('changelog_ml_back.1.mfs', lines(1, 9));
    file('changelog.0.mfs.torn', lines(90, 99));
    file('metadata.mfs.back', 'MFSM 2.0');
    const files = changelogFiles(dir);
    expect(files.map((f) => f.slice(dir.length + 1))).toEqual(['changelog.0.mfs', 'changelog.1.mfs', 'changelog_ml.0.mfs', 'changelog_ml_back.1.mfs']);
    expect(newestCompleteVersion(files.map(inspectChangelog))).toBe(27n);
    expect(readdirSync(dir)).toContain('changelog.0.mfs.torn');
  });
});
