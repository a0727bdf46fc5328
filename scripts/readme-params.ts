/**
 * Rewrites README.md's parameter tables from the agents' declarations (packaging/readme-params.ts).
 *   node scripts/run-ts.mjs scripts/readme-params.ts           # rewrite
 *   node scripts/run-ts.mjs scripts/readme-params.ts --check   # exit 1 when README.md is behind
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AGENT_NAMES, loadAgent } from '../agents/registry.js';
import { withParameterTables } from '../packaging/readme-params.js';

const path = join(process.env.MFS_OCF_ROOT ?? process.cwd(), 'README.md');
const readme = readFileSync(path, 'utf8');
const agents = new Map(await Promise.all(AGENT_NAMES.map(async (name) => [name, (await loadAgent(name)).parameters] as const)));
const updated = withParameterTables(readme, agents);
if (process.argv.includes('--check')) {
  if (updated !== readme) {
    process.stderr.write('README.md: the parameter tables differ from the declarations; run node scripts/run-ts.mjs scripts/readme-params.ts\n');
    process.exitCode = 1;
  }
} else if (updated !== readme) {
  writeFileSync(path, updated);
  process.stdout.write('README.md: parameter tables rewritten\n');
}
