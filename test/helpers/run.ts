/** For harness code: a command that must succeed, or the harness stops with what it said. */
import type { RunResult } from '../../lib/process/run.js';

export async function must(promise: Promise<RunResult>): Promise<RunResult> {
  const result = await promise;
  if (!result.ok) throw new Error(`${result.command}: ${(result.stderr || result.stdout).trim() || `exit ${result.exitCode}`}`);
  return result;
}
