/**
 * selfAndAncestors: what a sweep of processes that name a path must spare (cluster.ts's
 * teardown killed the `timeout` that ran down.ts with the lab directory as its argument).
 */
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { liveProcess, selfAndAncestors } from '../../../lib/process/proc.js';

const children: number[] = [];
afterEach(() => {
  for (const pid of children.splice(0)) if (liveProcess(pid)) process.kill(pid, 'SIGKILL');
});

describe('selfAndAncestors', () => {
  it('is this process and its chain of parents, never a child or another process', () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    children.push(child.pid!);
    const lineage = selfAndAncestors();
    expect(lineage.has(process.pid)).toBe(true);
    expect(lineage.has(process.ppid)).toBe(true);
    expect(lineage.has(child.pid!)).toBe(false);
    // A chain: every member but the oldest has its parent in the set.
    const withoutParent = [...lineage].filter((pid) => !lineage.has(liveProcess(pid)?.ppid ?? 0));
    expect(withoutParent).toHaveLength(1);
  });
});
