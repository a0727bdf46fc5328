/**
 * The built artifacts under dist/, which the tests exercise (not the TypeScript sources):
 * `npm test` builds them first.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, type RunResult } from '../../lib/process/run.js';

/** The repository root: the nearest package.json of mfs-ocf above this module (also when bundled into dist/ or elsewhere). */
function findRoot(): string {
  if (process.env.MFS_OCF_ROOT) return process.env.MFS_OCF_ROOT;
  let dir = typeof import.meta.dirname === 'string' ? import.meta.dirname : dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 10; depth++) {
    try {
      if ((JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string }).name === 'mfs-ocf') return dir;
    } catch {
      /* not here */
    }
    dir = dirname(dir);
  }
  throw new Error('cannot find the mfs-ocf repository root');
}

export const ROOT = findRoot();
export const DIST = join(ROOT, 'dist');
export const AGENT_DIR = join(DIST, 'ocf', 'mfs');
export const BINARY = join(DIST, 'bin', 'mfs-ocf');

export function agentPath(name: string): string {
  const path = join(AGENT_DIR, name);
  if (!existsSync(path)) throw new Error(`${path} is missing: run 'npm run build' first`);
  return path;
}

export interface AgentRun extends RunResult {
  code: number | undefined;
  /** The `ocf-exit-reason:` text, if the agent wrote one. */
  exitReason: string | undefined;
}

/** The environment Pacemaker gives an agent: OCF_ROOT, instance, parameters as OCF_RESKEY_*. */
export function ocfEnv(params: Record<string, string | undefined>, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = { OCF_ROOT: '/usr/lib/ocf', OCF_RESOURCE_INSTANCE: 'test', ...extra };
  for (const [name, value] of Object.entries(params)) if (value !== undefined) env[`OCF_RESKEY_${name}`] = value;
  return env;
}

/** Runs a built agent's action with exactly the given OCF environment (nothing inherited but PATH). */
export async function runAgent(name: string, action: string | undefined, env: Record<string, string>, timeoutMs = 130_000): Promise<AgentRun> {
  const result = await run(agentPath(name), action === undefined ? [] : [action], {
    env: { PATH: process.env.PATH, ...env },
    extendEnv: false,
    timeoutMs,
  });
  const reasons = result.stderr.split('\n').filter((line) => line.startsWith('ocf-exit-reason:'));
  return { ...result, code: result.exitCode, exitReason: reasons.at(-1)?.slice('ocf-exit-reason:'.length) };
}
