/**
 * Compares a file system with the writer's journal: every acknowledged operation must have
 * left its effect (the directory, the file with its content, the rename's target and not its
 * source). Pure over an `inspect` function, so it is tested with tables and run on real mounts.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { JournalEntry } from './journal.js';

export interface PathState {
  kind: 'dir' | 'file' | 'missing';
  sha256?: string;
}

export interface Expectation {
  path: string;
  kind: 'dir' | 'file' | 'missing';
  sha256?: string;
  /** The acknowledged operation that demands it. */
  seq: number;
}

/** What the journal says must hold, the last operation on each path winning. */
export function expectations(entries: readonly JournalEntry[]): Expectation[] {
  const byPath = new Map<string, Expectation>();
  for (const entry of [...entries].sort((a, b) => a.seq - b.seq)) {
    if (entry.op === 'mkdir') byPath.set(entry.path, { path: entry.path, kind: 'dir', seq: entry.seq });
    else if (entry.op === 'create') byPath.set(entry.path, { path: entry.path, kind: 'file', seq: entry.seq, ...(entry.sha256 ? { sha256: entry.sha256 } : {}) });
    else {
      const moved = byPath.get(entry.from);
      byPath.set(entry.from, { path: entry.from, kind: 'missing', seq: entry.seq });
      byPath.set(entry.path, { path: entry.path, kind: moved?.kind === 'dir' ? 'dir' : 'file', seq: entry.seq, ...(moved?.sha256 ? { sha256: moved.sha256 } : {}) });
    }
  }
  return [...byPath.values()];
}

export interface CheckResult {
  acknowledged: number;
  /** Acknowledged operations whose effect is missing or wrong. */
  lost: Array<Expectation & { found: PathState }>;
}

export function check(entries: readonly JournalEntry[], inspect: (path: string, wantContent: boolean) => PathState): CheckResult {
  // Keyed by operation: a rename demands two things but is lost once.
  const lost = new Map<number, CheckResult['lost'][number]>();
  for (const expected of expectations(entries)) {
    const found = inspect(expected.path, expected.sha256 !== undefined);
    const ok = found.kind === expected.kind && (expected.sha256 === undefined || found.sha256 === expected.sha256);
    if (!ok && !lost.has(expected.seq)) lost.set(expected.seq, { ...expected, found });
  }
  return { acknowledged: entries.length, lost: [...lost.values()] };
}

/** Inspects paths under a mounted directory. */
export function mountInspector(root: string): (path: string, wantContent: boolean) => PathState {
  return (path, wantContent) => {
    const full = join(root, path);
    try {
      const stat = statSync(full);
      if (stat.isDirectory()) return { kind: 'dir' };
      return wantContent ? { kind: 'file', sha256: createHash('sha256').update(readFileSync(full)).digest('hex') } : { kind: 'file' };
    } catch {
      return { kind: 'missing' };
    }
  };
}
