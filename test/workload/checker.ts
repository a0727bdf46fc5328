/**
 * Compares a file system with the writer's journal: every acknowledged operation must have
 * left its effect (the directory, the file with its content, the rename's target and not its
 * source). Pure over an `inspect` function, so it is tested with tables and run on real mounts.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { IntentEntry, JournalEntry, Operation } from './journal.js';

export interface PathState {
  /** unreadable: the file system answered with an error other than "no such file" (EIO, ENOTCONN...). */
  kind: 'dir' | 'file' | 'missing' | 'unreadable';
  sha256?: string;
  /** The error code, when unreadable. */
  error?: string;
}

export interface Expectation {
  path: string;
  kind: 'dir' | 'file' | 'missing';
  sha256?: string;
  /** The acknowledged operation that demands it. */
  seq: number;
}

function apply(byPath: Map<string, Expectation>, entry: Operation & { seq: number }): void {
  if (entry.op === 'mkdir') byPath.set(entry.path, { path: entry.path, kind: 'dir', seq: entry.seq });
  else if (entry.op === 'create') byPath.set(entry.path, { path: entry.path, kind: 'file', seq: entry.seq, ...(entry.sha256 ? { sha256: entry.sha256 } : {}) });
  else {
    const moved = byPath.get(entry.from);
    byPath.set(entry.from, { path: entry.from, kind: 'missing', seq: entry.seq });
    byPath.set(entry.path, { path: entry.path, kind: moved?.kind === 'dir' ? 'dir' : 'file', seq: entry.seq, ...(moved?.sha256 ? { sha256: moved.sha256 } : {}) });
  }
}

/** What the journal says must hold, the last operation on each path winning. */
export function expectations(entries: readonly JournalEntry[]): Expectation[] {
  const byPath = new Map<string, Expectation>();
  for (const entry of [...entries].sort((a, b) => a.seq - b.seq)) apply(byPath, entry);
  return [...byPath.values()];
}

/** The states that unacknowledged operations may also have left (they may or may not have happened). */
function alternatives(entries: readonly JournalEntry[], intents: readonly IntentEntry[]): Map<string, Expectation> {
  const acked = new Set(entries.map((e) => e.seq));
  const byPath = new Map(expectations(entries).map((e) => [e.path, e]));
  const maybe = new Map<string, Expectation>();
  for (const intent of [...intents].filter((i) => !acked.has(i.seq)).sort((a, b) => a.seq - b.seq)) {
    const after = new Map(byPath);
    apply(after, intent);
    for (const [path, state] of after) if (byPath.get(path) !== state) maybe.set(path, state);
  }
  return maybe;
}

export interface CheckResult {
  acknowledged: number;
  /** Acknowledged operations whose effect is missing or wrong. */
  lost: Array<Expectation & { found: PathState }>;
  /** Acknowledged operations that could not be checked: the file system answered with an error. */
  unverified: Array<Expectation & { found: PathState }>;
}

const matches = (found: PathState, expected: Expectation | undefined) =>
  expected !== undefined && found.kind === expected.kind && (expected.sha256 === undefined || found.sha256 === expected.sha256);

export function check(
  entries: readonly JournalEntry[],
  inspect: (path: string, wantContent: boolean) => PathState,
  intents: readonly IntentEntry[] = [],
): CheckResult {
  const maybe = alternatives(entries, intents);
  // Keyed by operation: a rename demands two things but is lost once.
  const lost = new Map<number, CheckResult['lost'][number]>();
  const unverified = new Map<number, CheckResult['unverified'][number]>();
  for (const expected of expectations(entries)) {
    const found = inspect(expected.path, expected.sha256 !== undefined);
    // An error is not an absence: it says nothing of what the file system holds.
    const into = found.kind === 'unreadable' ? unverified : lost;
    if (!matches(found, expected) && !matches(found, maybe.get(expected.path)) && !into.has(expected.seq)) into.set(expected.seq, { ...expected, found });
  }
  return { acknowledged: entries.length, lost: [...lost.values()], unverified: [...unverified.values()] };
}

/** The result, when every path could be inspected; otherwise nothing can be concluded from it. */
export function verified(result: CheckResult): CheckResult {
  if (result.unverified.length) {
    const some = result.unverified.slice(0, 3).map((u) => `${u.path}: ${u.found.error}`);
    throw new Error(`the file system answered ${result.unverified.length} check(s) with errors, nothing can be concluded (${some.join(', ')})`);
  }
  return result;
}

/** Inspects paths under a mounted directory. */
export function mountInspector(root: string): (path: string, wantContent: boolean) => PathState {
  return (path, wantContent) => {
    const full = join(root, path);
    try {
      const stat = statSync(full);
      if (stat.isDirectory()) return { kind: 'dir' };
      return wantContent ? { kind: 'file', sha256: createHash('sha256').update(readFileSync(full)).digest('hex') } : { kind: 'file' };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? String(error);
      return code === 'ENOENT' ? { kind: 'missing' } : { kind: 'unreadable', error: code };
    }
  };
}
