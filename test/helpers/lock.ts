/**
 * Exclusive locks between test files (and test runs) on this machine: a directory that holds
 * its owner's PID. A lock whose owner is gone (a run killed at a hook timeout) is taken over
 * instead of blocking everyone until the wait ends.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sleep } from '../../lib/runtime/deadline.js';
import { liveProcess } from '../../lib/process/proc.js';

function owner(lock: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(lock, 'pid'), 'utf8'));
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Removes `lock` if the process that took it has ended; true if it did. */
function takeOverStale(lock: string): boolean {
  const pid = owner(lock);
  if (pid === undefined || liveProcess(pid)) return false;
  const aside = `${lock}.stale-${process.pid}`;
  try {
    renameSync(lock, aside);
  } catch {
    return false;
  }
  // Another waiter may have taken it over first and made a new lock: give that one back.
  if (owner(aside) !== pid && !existsSync(lock)) renameSync(aside, lock);
  else rmSync(aside, { recursive: true, force: true });
  return true;
}

/** Runs `body` while holding the lock directory `lock` (bounded wait). */
export async function withDirectoryLock<T>(lock: string, body: () => Promise<T>, maxWaitMs = 600_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (takeOverStale(lock)) continue;
      if (Date.now() - started > maxWaitMs) throw new Error(`${lock}: still held by ${owner(lock) ?? 'an unknown process'} after ${maxWaitMs} ms`, { cause: error });
      await sleep(100);
    }
  }
  try {
    return await body();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
