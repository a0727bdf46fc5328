import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sleep } from '../../lib/runtime/deadline.js';
import { liveProcess } from '../../lib/process/proc.js';
import { withDirectoryLock } from './lock.js';

const dir = mkdtempSync('/tmp/mfs-ocf-lock-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A PID no process has now. */
function deadPid(): number {
  const max = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
  for (let pid = max - 1; pid > 1; pid--) if (!liveProcess(pid) && !existsSync(`/proc/${pid}`)) return pid;
  throw new Error('no free pid');
}

describe('withDirectoryLock', () => {
  it('serialises holders and records the owner PID while held', async () => {
    const lock = join(dir, 'serial');
    const events: string[] = [];
    const holder = (name: string) =>
      withDirectoryLock(lock, async () => {
        expect(readFileSync(join(lock, 'pid'), 'utf8')).toBe(String(process.pid));
        events.push(`${name} in`);
        await sleep(150);
        events.push(`${name} out`);
      });
    await Promise.all([holder('a'), holder('b')]);
    expect([events.slice(0, 2), events.slice(2)].every(([inn, out]) => inn?.replace(' in', '') === out?.replace(' out', ''))).toBe(true);
    expect(existsSync(lock)).toBe(false);
  });

  it('takes over a lock whose owner is gone', async () => {
    const lock = join(dir, 'stale');
    mkdirSync(lock);
    writeFileSync(join(lock, 'pid'), String(deadPid()));
    const started = Date.now();
    expect(await withDirectoryLock(lock, async () => 'got it', 5000)).toBe('got it');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(existsSync(lock)).toBe(false);
  });

  it('waits for a live owner, and a lock with no owner file, up to the bound', async () => {
    for (const owner of [String(process.pid), undefined]) {
      const lock = join(dir, `live-${owner ?? 'none'}`);
      mkdirSync(lock);
      if (owner) writeFileSync(join(lock, 'pid'), owner);
      await expect(withDirectoryLock(lock, async () => 'never', 300)).rejects.toThrow(/still held/);
      expect(existsSync(lock), 'the other holder keeps its lock').toBe(true);
    }
  });

  it('releases the lock when the body throws', async () => {
    const lock = join(dir, 'throws');
    await expect(withDirectoryLock(lock, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(existsSync(lock)).toBe(false);
  });
});
