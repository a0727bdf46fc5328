import { describe, expect, it } from 'vitest';
import { check, type PathState } from './checker.js';
import type { IntentEntry, JournalEntry, Operation } from './journal.js';

let clock = 0;
const acked = (seq: number, operation: Operation): JournalEntry => ({ ...operation, seq, startedAt: clock, ackedAt: ++clock, attempts: 1 });
const intent = (seq: number, operation: Operation): IntentEntry => ({ ...operation, seq, intent: true });
const fs = (state: Record<string, PathState>) => (path: string) => state[path] ?? { kind: 'missing' as const };

const journal = [
  acked(1, { op: 'mkdir', path: 'd1' }),
  acked(2, { op: 'create', path: 'f2', sha256: 'aa' }),
  acked(3, { op: 'rename', from: 'f2', path: 'r3' }),
  acked(4, { op: 'mkdir', path: 'd4' }),
  acked(5, { op: 'create', path: 'f5' }),
];
const complete = { d1: { kind: 'dir' }, r3: { kind: 'file', sha256: 'aa' }, d4: { kind: 'dir' }, f5: { kind: 'file' } } as const;

describe('checker', () => {
  it('finds nothing lost when every acknowledged effect is there', () => {
    expect(check(journal, fs(complete))).toEqual({ acknowledged: 5, lost: [], unverified: [] });
  });

  it.each([
    ['a directory', { ...complete, d4: { kind: 'missing' } }, [4]],
    ['a renamed file', { ...complete, r3: { kind: 'missing' }, f2: { kind: 'file', sha256: 'aa' } }, [3]],
    ['a file whose content changed', { ...complete, r3: { kind: 'file', sha256: 'bb' } }, [3]],
    ['the last operation', { ...complete, f5: { kind: 'missing' } }, [5]],
  ] as const)('counts %s that is missing as lost', (_case, state, seqs) => {
    expect(check(journal, fs(state as Record<string, PathState>)).lost.map((l) => l.seq)).toEqual(seqs);
  });

  it('accepts the effect of an operation issued but never acknowledged (it may have happened)', () => {
    const moved = { ...complete, f5: { kind: 'missing' }, r6: { kind: 'file' } } as const;
    const inFlight = [intent(6, { op: 'rename', from: 'f5', path: 'r6' })];
    expect(check(journal, fs(moved), inFlight).lost).toEqual([]);
    expect(check(journal, fs(complete), inFlight).lost).toEqual([]);
    expect(check(journal, fs(moved)).lost.map((l) => l.seq), 'without the intent it looks lost').toEqual([5]);
  });

  it('reports a path the file system answers with an error as unverified, not lost', () => {
    const result = check(journal, fs({ ...complete, d4: { kind: 'unreadable', error: 'EIO' } }));
    expect(result.lost).toEqual([]);
    expect(result.unverified.map((u) => [u.seq, u.found.error])).toEqual([[4, 'EIO']]);
  });

  it('does not let an intent excuse a loss it cannot explain', () => {
    const inFlight = [intent(6, { op: 'rename', from: 'f5', path: 'r6' })];
    expect(check(journal, fs({ ...complete, d4: { kind: 'missing' } }), inFlight).lost.map((l) => l.seq)).toEqual([4]);
  });
});
