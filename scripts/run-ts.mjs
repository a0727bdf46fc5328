#!/usr/bin/env node
/**
 * Runs a TypeScript script of this repository (benchmarks, demos, the cluster harness):
 * esbuild bundles it, with npm packages left external, into a temporary ES module that
 * node imports. No extra dependency and no type-stripping loader needed on Node 20.
 *   node scripts/run-ts.mjs scripts/bench/monitor.ts [args...]
 */
import { build } from 'esbuild';
import { mkdtempSync, rmSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node scripts/run-ts.mjs FILE.ts [ARGS...]');
  process.exit(2);
}
const root = resolve(import.meta.dirname, '..');
const out = mkdtempSync(join(root, 'node_modules', '.run-ts-'));
const outfile = join(out, `${basename(entry, '.ts')}.mjs`);
await build({ entryPoints: [resolve(entry)], outfile, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'warning' });
process.argv = [process.argv[0], resolve(entry), ...args];
process.env.MFS_OCF_ROOT = root;
try {
  await import(pathToFileURL(outfile).href);
} finally {
  rmSync(out, { recursive: true, force: true });
}
