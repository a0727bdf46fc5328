/** Runs the built mfs-crm (dist/bin/mfs-crm, a link to the single executable). */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { run, type RunResult } from '../../lib/process/run.js';
import { DIST } from '../helpers/built.js';

export const MFS_CRM = join(DIST, 'bin', 'mfs-crm');

export function runCrm(args: readonly string[], env?: Record<string, string>): Promise<RunResult> {
  if (!existsSync(MFS_CRM)) throw new Error(`${MFS_CRM} is missing: run 'npm run build' first`);
  return run(MFS_CRM, args, { timeoutMs: 60_000, ...(env ? { env } : {}) });
}
