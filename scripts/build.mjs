#!/usr/bin/env node
/**
 * npm run build: one self-contained executable, offline.
 *
 * 1. esbuild bundles agents/main.ts and its npm dependencies into one CommonJS file
 *    (pino, execa and xml2js stay lazily initialised inside it).
 * 2. Node's single-executable support turns this machine's own node into dist/bin/mfs-ocf
 *    (no download: pkg's classic mode would fetch patched Node builds, which cannot work here).
 * 3. One link per program name: dist/ocf/mfs/<agent> (the layout of /usr/lib/ocf/resource.d)
 *    and dist/bin/mfs-crm.
 */
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const work = join(dist, 'build');
const binary = join(dist, 'bin', 'mfs-ocf');

/** Every program the binary serves, by the directory its link goes in. Keep in step with agents/main.ts. */
export const AGENT_NAMES = ['mfsmaster'];
export const TOOL_NAMES = [];

async function bundle() {
  mkdirSync(work, { recursive: true });
  const outfile = join(work, 'mfs-ocf.cjs');
  await build({
    entryPoints: [join(root, 'agents', 'main.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minifyWhitespace: false,
    legalComments: 'none',
    // yargs and friends read import.meta.url; in a CommonJS bundle it comes from __filename.
    define: { 'import.meta.url': '__import_meta_url' },
    banner: { js: 'const __import_meta_url = require("url").pathToFileURL(__filename).href;' },
    logLevel: 'warning',
  });
  return outfile;
}

function singleExecutable(bundlePath) {
  const blob = join(work, 'sea-prep.blob');
  const config = join(work, 'sea-config.json');
  writeFileSync(config, JSON.stringify({ main: bundlePath, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true }));
  execFileSync(process.execPath, ['--experimental-sea-config', config], { stdio: ['ignore', 'ignore', 'inherit'] });
  mkdirSync(dirname(binary), { recursive: true });
  rmSync(binary, { force: true });
  copyFileSync(process.execPath, binary);
  chmodSync(binary, 0o755);
  const postject = join(root, 'node_modules', 'postject', 'dist', 'cli.js');
  execFileSync(process.execPath, [postject, binary, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

function link(name, directory) {
  mkdirSync(directory, { recursive: true });
  const path = join(directory, name);
  rmSync(path, { force: true });
  symlinkSync(relative(directory, binary), path);
}

const started = Date.now();
const bundlePath = await bundle();
singleExecutable(bundlePath);
for (const name of AGENT_NAMES) link(name, join(dist, 'ocf', 'mfs'));
for (const name of TOOL_NAMES) link(name, join(dist, 'bin'));
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
console.log(`built ${relative(root, binary)} ${version} (${AGENT_NAMES.join(', ')}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
