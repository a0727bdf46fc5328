/**
 * The release history in packaging/CHANGELOG.md (the one source), rendered as an RPM
 * %changelog and as a Debian changelog; and the package version forms of a package.json
 * version. Pure functions: scripts/package.mjs writes the files.
 */

export interface Release {
  version: string;
  /** YYYY-MM-DD */
  date: string;
  changes: string[];
}

/** Parses `## VERSION (YYYY-MM-DD)` sections with `- ` items (continued by indented lines). */
export function parseChangelog(markdown: string): Release[] {
  const releases: Release[] = [];
  for (const line of markdown.split('\n')) {
    const heading = /^##\s+(\S+)\s+\((\d{4}-\d{2}-\d{2})\)\s*$/.exec(line);
    if (heading) {
      releases.push({ version: heading[1]!, date: heading[2]!, changes: [] });
      continue;
    }
    const current = releases.at(-1);
    if (!current) continue;
    if (/^[-*]\s+/.test(line)) current.changes.push(line.replace(/^[-*]\s+/, '').trim());
    else if (/^\s+\S/.test(line) && current.changes.length) current.changes[current.changes.length - 1] += ` ${line.trim()}`;
    else if (line.trim() !== '') throw new Error(`CHANGELOG: unexpected line in ${current.version}: ${line}`);
  }
  for (const release of releases) if (release.changes.length === 0) throw new Error(`CHANGELOG: ${release.version} lists no change`);
  return releases;
}

/**
 * RPM and Debian version of a package.json (semver) version: a pre-release `1.0.0-rc.1`
 * must sort before `1.0.0`, which both tools do with `~` (and `-` is not allowed in an RPM version).
 */
export function packageVersion(semver: string): string {
  if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?(\+[0-9A-Za-z.]+)?$/.test(semver)) throw new Error(`not a semver version: ${semver}`);
  return semver.replace(/\+.*$/, '').replace('-', '~');
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function day(date: string): Date {
  const parsed = new Date(`${date}T00:00:00Z`);
  if (Number.isNaN(parsed.getTime())) throw new Error(`bad date ${date}`);
  return parsed;
}

/** Wraps `text` at `width` columns, continuation lines prefixed by `indent`. */
function wrap(text: string, width: number, first: string, indent: string): string[] {
  const words = text.split(/\s+/).filter(Boolean);
  const lines: string[] = [];
  let line = first + (words.shift() ?? '');
  for (const word of words) {
    if (line.length + 1 + word.length > width) {
      lines.push(line);
      line = indent + word;
    } else line += ` ${word}`;
  }
  lines.push(line);
  return lines;
}

/** The body of an RPM %changelog; `%` doubled so that rpm does not expand it. */
export function rpmChangelog(releases: Release[], maintainer: string, release = '1'): string {
  return releases
    .map((entry) => {
      const date = day(entry.date);
      const header = `* ${DAYS[date.getUTCDay()]} ${MONTHS[date.getUTCMonth()]} ${String(date.getUTCDate()).padStart(2, '0')} ${date.getUTCFullYear()} ${maintainer} - ${packageVersion(entry.version)}-${release}`;
      const items = entry.changes.flatMap((change) => wrap(change, 79, '- ', '  '));
      return [header, ...items].join('\n').replace(/%/g, '%%');
    })
    .join('\n\n');
}

/** A Debian changelog (native package: the version has no Debian revision). */
export function debianChangelog(releases: Release[], packageName: string, maintainer: string): string {
  return releases
    .map((entry) => {
      const date = day(entry.date);
      const stamp = `${DAYS[date.getUTCDay()]}, ${String(date.getUTCDate()).padStart(2, '0')} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()} 00:00:00 +0000`;
      const items = entry.changes.flatMap((change) => wrap(change, 79, '  * ', '    '));
      return [`${packageName} (${packageVersion(entry.version)}) unstable; urgency=medium`, '', ...items, '', ` -- ${maintainer}  ${stamp}`].join('\n');
    })
    .join('\n\n')
    .concat('\n');
}
