/**
 * The built mfs-writer on a plain directory: when acknowledged files vanish under it (as a
 * master that lost them after a power cut), it abandons the renames of the lost files and goes
 * on, instead of retrying them forever and stalling the scenario that waits for it.
 */
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startBackground } from '../../lib/process/run.js';
import { WRITER } from '../durability/crash.js';
import { readJournal } from './journal.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('mfs-writer', () => {
  it('abandons the rename of an acknowledged file that is gone, and keeps acknowledging', async () => {
    dir = mkdtempSync(join(tmpdir(), 'mfs-writer-'));
    const mount = join(dir, 'mount');
    const journal = join(dir, 'journal.jsonl');
    mkdirSync(mount);
    // Every created file is deleted as soon as it is seen: some before the writer renames them.
    const watcher = watch(mount, (_event, name) => {
      if (name && /-f\d+$/.test(name)) {
        try {
          unlinkSync(join(mount, name));
        } catch {
          // already renamed or deleted
        }
      }
    });
    try {
      const writer = await startBackground(WRITER, ['--mount', mount, '--journal', journal, '--duration-ms', '3000'], { timeoutMs: 20_000 });
      const result = await writer.result;
      expect(result.exitCode, result.stderr).toBe(0);
    } finally {
      watcher.close();
    }
    const { entries, failures } = readJournal(journal);
    const abandoned = failures.filter((f) => f.failure.startsWith('abandoned: '));
    expect(abandoned.length, 'some renames found their source deleted').toBeGreaterThan(0);
    // Abandoned operations are never acknowledged, and the writer went on after them.
    const acknowledgedSeqs = new Set(entries.map((e) => e.seq));
    for (const f of abandoned) expect(acknowledgedSeqs.has(f.seq)).toBe(false);
    expect(Math.max(...entries.map((e) => e.seq))).toBeGreaterThan(Math.min(...abandoned.map((f) => f.seq)));
  });
});
