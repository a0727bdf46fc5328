import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { debianChangelog, packageVersion, parseChangelog, rpmChangelog } from '../../packaging/changelog.js';
import { ROOT } from '../helpers/built.js';

const SAMPLE = `# Changes

Prose before the first release is ignored.

## 1.1.0 (2026-12-01)

- Fixed 100% of the problems with a change
  that continues on the next line.
- Second change.

## 1.0.0 (2026-11-23)

- First release.
`;

describe('packaging/CHANGELOG.md', () => {
  it('starts with the version of package.json', () => {
    const releases = parseChangelog(readFileSync(join(ROOT, 'packaging', 'CHANGELOG.md'), 'utf8'));
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(releases[0]?.version).toBe(pkg.version);
    expect(releases[0]?.changes.length).toBeGreaterThan(0);
  });

  it('parses releases, items and continuation lines', () => {
    expect(parseChangelog(SAMPLE)).toEqual([
      { version: '1.1.0', date: '2026-12-01', changes: ['Fixed 100% of the problems with a change that continues on the next line.', 'Second change.'] },
      { version: '1.0.0', date: '2026-11-23', changes: ['First release.'] },
    ]);
  });

  it.each([
    ['## 1.0.0 (2026-11-23)\n\nnot an item\n', /unexpected line/],
    ['## 1.0.0 (2026-11-23)\n', /lists no change/],
  ])('refuses %j', (text, error) => {
    expect(() => parseChangelog(text)).toThrow(error);
  });
});

describe('package versions', () => {
  it.each([
    ['0.1.0', '0.1.0'],
    ['1.0.0-rc.1', '1.0.0~rc.1'],
    ['2.3.4+build.5', '2.3.4'],
  ])('%s -> %s', (semver, expected) => {
    expect(packageVersion(semver)).toBe(expected);
  });

  it.each(['1.0', 'v1.0.0', '1.0.0 ; rm -rf /'])('refuses %j', (semver) => {
    expect(() => packageVersion(semver)).toThrow(/not a semver/);
  });
});

describe('rendered changelogs', () => {
  const releases = parseChangelog(SAMPLE);
  const maintainer = 'A Maintainer <a@example.org>';

  it('RPM: a dated header per release, % escaped, lines within 80 columns', () => {
    const text = rpmChangelog(releases, maintainer);
    expect(text.split('\n')[0]).toBe('* Tue Dec 01 2026 A Maintainer <a@example.org> - 1.1.0-1');
    expect(text).toContain('* Mon Nov 23 2026 A Maintainer <a@example.org> - 1.0.0-1\n- First release.');
    expect(text).toContain('100%% of');
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
  });

  it('Debian: the dpkg-parsechangelog format', () => {
    const text = debianChangelog(releases, 'mfs-ocf', maintainer);
    expect(text.startsWith('mfs-ocf (1.1.0) unstable; urgency=medium\n\n  * Fixed 100% of')).toBe(true);
    expect(text).toContain('\n -- A Maintainer <a@example.org>  Tue, 01 Dec 2026 00:00:00 +0000\n');
    expect(text).toContain('\n -- A Maintainer <a@example.org>  Mon, 23 Nov 2026 00:00:00 +0000\n');
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
  });
});
