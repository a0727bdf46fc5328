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
 * 4. Test doubles (test/<double>/bin/<name>.ts, e.g. the DRBD emulator) become node scripts
 *    under dist/test-tools/<double>/<name>: they are never packaged.
 *
 * Every output is written beside its place and renamed over it, so tests that are running
 * the previous build never see a half-written file.
 */
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
mkdirSync(dist, { recursive: true });
const work = mkdtempSync(join(dist, '.build-'));
const binary = join(dist, 'bin', 'mfs-ocf');


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

async function testTools() {
  const built = [];
  // The bundles are CommonJS without an extension: under our "type": "module" they need this.
  mkdirSync(join(dist, 'test-tools'), { recursive: true });
  writeFileSync(join(dist, 'test-tools', 'package.json'), '{ "type": "commonjs" }\n');
  for (const double of readdirSync(join(root, 'test'))) {
    const bin = join(root, 'test', double, 'bin');
    if (!existsSync(bin)) continue;
    for (const file of readdirSync(bin).filter((f) => f.endsWith('.ts'))) {
      const target = join(dist, 'test-tools', double, file.replace(/\.ts$/, ''));
      mkdirSync(dirname(target), { recursive: true });
      const temporary = join(work, `${double}-${file}.cjs`);
      await build({
        entryPoints: [join(bin, file)],
        outfile: temporary,
        bundle: true,
        platform: 'node',
        format: 'cjs',
        target: 'node20',
        define: { 'import.meta.url': '__import_meta_url' },
        banner: { js: '#!/usr/bin/env node\nconst __import_meta_url = require("url").pathToFileURL(__filename).href;' },
        logLevel: 'warning',
      });
      chmodSync(temporary, 0o755);
      renameSync(temporary, target);
      built.push(relative(root, target));
    }
  }
  return built;
}

function singleExecutable(bundlePath) {
  const blob = join(work, 'sea-prep.blob');
  const config = join(work, 'sea-config.json');
  writeFileSync(config, JSON.stringify({ main: bundlePath, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true }));
  execFileSync(process.execPath, ['--experimental-sea-config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  const temporary = join(work, 'mfs-ocf');
  copyFileSync(process.execPath, temporary);
  chmodSync(temporary, 0o755);
  const postject = join(root, 'node_modules', 'postject', 'dist', 'cli.js');
  // postject warns about ELF note sections it does not need; only its failure matters.
  execFileSync(process.execPath, [postject, temporary, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  mkdirSync(dirname(binary), { recursive: true });
  renameSync(temporary, binary);
}

function link(name, directory) {
  mkdirSync(directory, { recursive: true });
  const path = join(directory, name);
  const temporary = `${path}.new-${process.pid}`;
  symlinkSync(relative(directory, binary), temporary);
  renameSync(temporary, path);
}

const started = Date.now();
const bundlePath = await bundle();
singleExecutable(bundlePath);
const tools = await testTools();
// The binary itself lists its programs (agents/main.ts is the one list).
const programs = JSON.parse(execFileSync(binary, ['--programs'], { encoding: 'utf8' }));
for (const { name, kind } of programs) link(name, kind === 'agent' ? join(dist, 'ocf', 'mfs') : join(dist, 'bin'));
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
rmSync(work, { recursive: true, force: true });
console.log(`built ${relative(root, binary)} ${version} (${programs.map((p) => p.name).join(', ')}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
if (tools.length) console.log(`test doubles: ${tools.join(', ')}`);
