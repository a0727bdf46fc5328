#!/usr/bin/env node
/**
 * npm run package: an RPM (x86_64) and a .deb (amd64) of the built executable, offline,
 * into dist/packages/ (or --out DIR). Run `npm run build` first.
 *
 * 1. The executable: dist/bin/mfs-ocf is Node.js's own binary with the application injected
 *    as an ELF note (NODE_SEA_BLOB). Stripping it afterwards corrupts it, so the blob is taken
 *    out of it and injected again into a stripped copy of the same Node.js binary (checked by
 *    its GNU build-id): about 87 MB instead of 100 MB.
 * 2. One staged tree for both packages: /usr/lib/mfs-ocf/mfs-ocf, a relative symlink per
 *    program (`mfs-ocf --programs`: agents under /usr/lib/ocf/resource.d/mfs, tools in
 *    /usr/bin), gzipped man pages generated from each agent's meta-data and each tool's --help.
 * 3. rpmbuild with packaging/mfs-ocf.spec; dpkg-deb with packaging/deb/control.
 *
 * Names and versions come from package.json, the changelogs from packaging/CHANGELOG.md.
 */
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync, copyFileSync, existsSync, linkSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync,
  statSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const packaging = join(root, 'packaging');
const dist = join(root, 'dist');
const binary = join(dist, 'bin', 'mfs-ocf');
const outIndex = process.argv.indexOf('--out');
const out = outIndex > 0 ? process.argv[outIndex + 1] : join(dist, 'packages');
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const PROVIDER = 'mfs';
/** Who signs the changelogs and maintains the .deb, unless package.json names an author. */
const DEFAULT_MAINTAINER = 'mfs-ocf maintainers <mfs-ocf@example.org>';

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const maintainer = typeof pkg.author === 'string' ? pkg.author : pkg.author?.email ? `${pkg.author.name} <${pkg.author.email}>` : DEFAULT_MAINTAINER;

if (!existsSync(binary)) throw new Error(`${binary} is missing: run 'npm run build' first`);
mkdirSync(dist, { recursive: true });
// Work directories of runs that were killed (named by their PID) are removed.
for (const entry of readdirSync(dist)) {
  const pid = /^\.package-(\d+)$/.exec(entry)?.[1];
  if (pid && !alive(Number(pid))) rmSync(join(dist, entry), { recursive: true, force: true });
}
const work = join(dist, `.package-${process.pid}`);
mkdirSync(work);
const started = Date.now();

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

const sh = (file, args, options = {}) => execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options });

/** The pure helpers in packaging/*.ts, bundled for this script (Node 20 runs no TypeScript). */
async function helpers() {
  const outdir = join(work, 'helpers');
  await build({
    entryPoints: [join(packaging, 'man-page.ts'), join(packaging, 'changelog.ts')],
    outdir,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outExtension: { '.js': '.cjs' },
    logLevel: 'warning',
  });
  const load = async (name) => {
    const module = await import(pathToFileURL(join(outdir, `${name}.cjs`)).href);
    return module.default ?? module;
  };
  return { ...(await load('man-page')), ...(await load('changelog')) };
}

/** The ELF notes of a file, from its PT_NOTE program headers (ELF64, little-endian). */
function elfNotes(file) {
  const data = readFileSync(file);
  if (data.readUInt32BE(0) !== 0x7f454c46 || data[4] !== 2 || data[5] !== 1) throw new Error(`${file}: not a 64-bit little-endian ELF file`);
  const phoff = Number(data.readBigUInt64LE(0x20));
  const phentsize = data.readUInt16LE(0x36);
  const phnum = data.readUInt16LE(0x38);
  const notes = [];
  for (let i = 0; i < phnum; i++) {
    const header = phoff + i * phentsize;
    if (data.readUInt32LE(header) !== 4) continue; // PT_NOTE
    const offset = Number(data.readBigUInt64LE(header + 8));
    const size = Number(data.readBigUInt64LE(header + 32));
    const align = Math.max(4, Number(data.readBigUInt64LE(header + 48)));
    const pad = (n) => Math.ceil(n / align) * align;
    for (let at = offset; at + 12 <= offset + size; ) {
      const namesz = data.readUInt32LE(at);
      const descsz = data.readUInt32LE(at + 4);
      const type = data.readUInt32LE(at + 8);
      const name = data.subarray(at + 12, at + 12 + namesz).toString('latin1').replace(/\0+$/, '');
      const descAt = at + 12 + pad(namesz);
      notes.push({ name, type, desc: data.subarray(descAt, descAt + descsz) });
      at = descAt + pad(descsz);
    }
  }
  return notes;
}

const buildId = (file) => elfNotes(file).find((note) => note.name === 'GNU' && note.type === 3)?.desc.toString('hex');

/** dist/bin/mfs-ocf again, from a stripped copy of the Node.js binary it was made from. */
function strippedExecutable() {
  const blob = elfNotes(binary).find((note) => note.name === 'NODE_SEA_BLOB');
  if (!blob) throw new Error(`${binary}: no NODE_SEA_BLOB note: not a Node single executable?`);
  const node = process.execPath;
  if (buildId(node) !== buildId(binary)) throw new Error(`${binary} was not made from ${node} (build-ids differ): build and package with the same node`);
  const blobFile = join(work, 'sea.blob');
  writeFileSync(blobFile, blob.desc);
  const executable = join(work, 'mfs-ocf');
  sh('strip', ['--strip-all', '-o', executable, node]);
  sh(process.execPath, [join(root, 'node_modules', 'postject', 'dist', 'cli.js'), executable, 'NODE_SEA_BLOB', blobFile, '--sentinel-fuse', SEA_FUSE]);
  chmodSync(executable, 0o755);
  const same = sh(executable, ['--programs']) === sh(binary, ['--programs']);
  if (!same) throw new Error('the stripped executable does not answer --programs as the built one does');
  return executable;
}

function writeFile(path, content, mode = 0o644) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  chmodSync(path, mode);
}

function link(path, target) {
  mkdirSync(dirname(path), { recursive: true });
  symlinkSync(relative(dirname(path), target), path);
}

/** The installed tree, shared by both packages. */
function stage(executable, programs, { agentManPage, toolManPage, parseMetadata }, context) {
  const stageRoot = join(work, 'stage');
  const installed = join(stageRoot, 'usr', 'lib', 'mfs-ocf', 'mfs-ocf');
  mkdirSync(dirname(installed), { recursive: true });
  copyFileSync(executable, installed);
  chmodSync(installed, 0o755);
  const pages = [];
  for (const { name, kind } of programs) {
    if (!/^[a-z][a-z0-9_-]*$/.test(name)) throw new Error(`program name ${JSON.stringify(name)} cannot be installed`);
    if (kind === 'agent') {
      const path = join(stageRoot, 'usr', 'lib', 'ocf', 'resource.d', PROVIDER, name);
      link(path, installed);
      pages.push({ kind, name, make: async () => agentManPage(await parseMetadata(sh(path, ['meta-data'], { env: { OCF_ROOT: '/usr/lib/ocf' } })), { ...context, provider: PROVIDER }) });
    } else if (kind === 'tool') {
      const path = join(stageRoot, 'usr', 'bin', name);
      link(path, installed);
      const seeAlso = ['crm(8)', ...programs.filter((program) => program.kind === 'agent').map((agent) => `ocf_${PROVIDER}_${agent.name}(7)`)];
      pages.push({ kind, name, make: async () => toolManPage(name, sh(path, ['--help']), context, seeAlso) });
    } else throw new Error(`program ${name}: unknown kind ${kind}`);
  }
  return { stageRoot, pages };
}

async function writeManPages(stageRoot, pages) {
  for (const page of pages) {
    const [section, file] = page.kind === 'agent' ? ['7', `ocf_${PROVIDER}_${page.name}.7.gz`] : ['1', `${page.name}.1.gz`];
    writeFile(join(stageRoot, 'usr', 'share', 'man', `man${section}`, file), gzipSync(await page.make(), { level: 9 }));
  }
}

/** Recursively copies a tree, hard-linking the files (the executable is large). */
function linkTree(from, to) {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from)) {
    const source = join(from, entry);
    const target = join(to, entry);
    const info = lstatSync(source);
    if (info.isSymbolicLink()) symlinkSync(readlinkSync(source), target);
    else if (info.isDirectory()) linkTree(source, target);
    else linkSync(source, target);
  }
}

function walk(dir, base = dir) {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    const info = lstatSync(path);
    return info.isDirectory() && !info.isSymbolicLink() ? [{ path, rel: relative(base, path), info }, ...walk(path, base)] : [{ path, rel: relative(base, path), info }];
  });
}

function rpm(stageRoot, programs, helpers, version, releases) {
  const topdir = join(work, 'rpm');
  const sources = join(topdir, 'SOURCES');
  mkdirSync(sources, { recursive: true });
  copyFileSync(join(root, 'LICENSE'), join(sources, 'LICENSE'));
  copyFileSync(join(packaging, 'CHANGELOG.md'), join(sources, 'CHANGELOG.md'));
  const changelogFile = join(topdir, 'changelog');
  writeFileSync(changelogFile, `${helpers.rpmChangelog(releases, maintainer)}\n`);
  const toolFiles = join(topdir, 'tool-files');
  const tools = programs.filter((program) => program.kind === 'tool');
  writeFileSync(toolFiles, tools.flatMap(({ name }) => [`%{_bindir}/${name}`, `%{_mandir}/man1/${name}.1*`]).join('\n') + '\n');
  const defines = {
    _topdir: topdir,
    _tmppath: join(topdir, 'tmp'),
    pkg_name: pkg.name,
    pkg_version: version,
    stage: stageRoot,
    tool_files: toolFiles,
    changelog_file: changelogFile,
    pkg_maintainer: maintainer,
    ...(pkg.homepage ? { pkg_url: pkg.homepage } : {}),
  };
  mkdirSync(defines._tmppath, { recursive: true });
  sh('rpmbuild', ['-bb', '--quiet', '--target', 'x86_64', ...Object.entries(defines).flatMap(([name, value]) => ['--define', `${name} ${value}`]), join(packaging, 'mfs-ocf.spec')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const file = `${pkg.name}-${version}-1.x86_64.rpm`;
  return { built: join(topdir, 'RPMS', 'x86_64', file), file };
}

function deb(stageRoot, helpers, version, releases) {
  const debRoot = join(work, 'deb');
  linkTree(stageRoot, debRoot);
  const doc = join(debRoot, 'usr', 'share', 'doc', pkg.name);
  writeFile(join(doc, 'copyright'), readFileSync(join(packaging, 'deb', 'copyright')));
  writeFile(join(doc, 'changelog.gz'), gzipSync(helpers.debianChangelog(releases, pkg.name, maintainer), { level: 9 }));
  writeFile(join(debRoot, 'usr', 'share', 'lintian', 'overrides', pkg.name), readFileSync(join(packaging, 'deb', 'lintian-overrides')));
  for (const { path, info } of walk(debRoot)) if (info.isDirectory()) chmodSync(path, 0o755);

  // Shared library dependencies as Debian computes them (its symbols files).
  const shlibsDir = join(work, 'shlibs');
  mkdirSync(join(shlibsDir, 'debian'), { recursive: true });
  writeFileSync(join(shlibsDir, 'debian', 'control'), `Source: ${pkg.name}\n\nPackage: ${pkg.name}\nArchitecture: amd64\n`);
  const shlibs = /shlibs:Depends=(.*)/.exec(sh('dpkg-shlibdeps', ['-O', '--warnings=0', join(debRoot, 'usr', 'lib', 'mfs-ocf', 'mfs-ocf')], { cwd: shlibsDir }))?.[1];
  if (!shlibs) throw new Error('dpkg-shlibdeps found no dependencies');

  const files = walk(debRoot);
  const installedSize = files.reduce((sum, { info }) => sum + (info.isFile() ? Math.ceil(info.size / 1024) : 1), 0);
  const fields = { NAME: pkg.name, VERSION: version, MAINTAINER: maintainer, INSTALLED_SIZE: String(installedSize), SHLIBS: shlibs };
  const control = readFileSync(join(packaging, 'deb', 'control'), 'utf8').replace(/@([A-Z_]+)@/g, (match, field) => {
    if (!(field in fields)) throw new Error(`packaging/deb/control: unknown field ${match}`);
    return fields[field];
  });
  const md5sums = files
    .filter(({ info }) => info.isFile())
    .map(({ path, rel }) => `${createHash('md5').update(readFileSync(path)).digest('hex')}  ${rel}`)
    .sort()
    .join('\n');
  writeFile(join(debRoot, 'DEBIAN', 'control'), control);
  writeFile(join(debRoot, 'DEBIAN', 'md5sums'), `${md5sums}\n`);
  chmodSync(join(debRoot, 'DEBIAN'), 0o755);
  const file = `${pkg.name}_${version}_amd64.deb`;
  const built = join(work, file);
  sh('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', debRoot, built]);
  return { built, file };
}

try {
  const helper = await helpers();
  const version = helper.packageVersion(pkg.version);
  const releases = helper.parseChangelog(readFileSync(join(packaging, 'CHANGELOG.md'), 'utf8'));
  if (releases[0]?.version !== pkg.version) throw new Error(`packaging/CHANGELOG.md: the newest entry is ${releases[0]?.version}, package.json says ${pkg.version}`);
  const programs = JSON.parse(sh(binary, ['--programs']));
  const executable = strippedExecutable();
  const context = { source: `${pkg.name} ${pkg.version}`, date: releases[0].date };
  const { stageRoot, pages } = stage(executable, programs, helper, context);
  await writeManPages(stageRoot, pages);
  const packages = [rpm(stageRoot, programs, helper, version, releases), deb(stageRoot, helper, version, releases)];
  mkdirSync(out, { recursive: true });
  for (const { built, file } of packages) renameSync(built, join(out, file));
  // What the packages were made from, for the tests (others may rebuild dist/ meanwhile).
  const stamp = join(out, `${pkg.name}.packaged.json`);
  writeFileSync(`${stamp}.new`, `${JSON.stringify({ version: pkg.version, files: packages.map((p) => p.file), programs }, null, 2)}\n`);
  renameSync(`${stamp}.new`, stamp);
  const mb = (path) => `${(statSync(path).size / 1e6).toFixed(1)} MB`;
  console.log(`packaged ${programs.map((p) => p.name).join(', ')} in ${((Date.now() - started) / 1000).toFixed(1)} s: executable ${mb(executable)} (built ${mb(binary)})`);
  for (const { file } of packages) console.log(`  ${relative(root, join(out, file))} ${mb(join(out, file))}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
