/**
 * npm run demo: the main job. A real two-node Pacemaker + Corosync cluster with MooseFS on
 * this machine (topology drbd-store), failed over three ways while a client writes; prints
 * a table (failover time, unavailability, acknowledged and lost operations), writes it to
 * dist/demo/results.json, and tears everything down, also on Ctrl-C.
 *
 *   node scripts/run-ts.mjs test/cluster/demo.ts [--moosefs VERSION] [--real-kernels] [--topology NAME] [scenario...]
 *
 * --topology drbd-store (default), drbd or metalogger: mfs-crm's topologies.
 *
 * --real-kernels makes each node a User-Mode Linux kernel of its own with real DRBD 8.4
 * (test/cluster/uml.ts) instead of namespaces over the DRBD emulator; results.json says which
 * kind of node each figure came from (UML figures are slower: never mix them with the others).
 *
 * --moosefs 4.59.2 runs every MooseFS daemon and client of the cluster at that version
 * (default Debian's 3.0.117); the table and results.json name the version of each figure.
 */
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BINARY, DIST } from '../helpers/built.js';
import { DEBIAN_MOOSEFS, mooseFsByVersion, type MooseFsInstall } from '../helpers/moosefs-versions.js';
import type { NodeKind } from './lab.js';
import { MfsLab, SAVE_MODE, TOPOLOGIES, type Topology } from './mfs-lab.js';
import { runScenario, SCENARIOS, type ScenarioResult } from './scenarios.js';
import { describePhases } from './timeline.js';

const LAB_DIR = '/tmp/mfs-ocf-demo';

/** `--moosefs VERSION` (or `--moosefs=VERSION`) anywhere; every other argument is a scenario name. */
function parseArgs(argv: readonly string[]): { moosefs: MooseFsInstall; kind: NodeKind; topology: Topology; scenarios: string[] } {
  let moosefs = DEBIAN_MOOSEFS;
  let kind: NodeKind = 'namespace';
  let topology: Topology = 'drbd-store';
  const scenarios: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--moosefs' || arg.startsWith('--moosefs=')) {
      const version = arg === '--moosefs' ? argv[++i] : arg.slice('--moosefs='.length);
      if (!version) throw new Error('--moosefs needs a version (e.g. --moosefs 4.59.2)');
      moosefs = mooseFsByVersion(version);
    } else if (arg === '--real-kernels') {
      kind = 'uml';
    } else if (arg === '--topology') {
      const name = argv[++i] as Topology;
      if (!TOPOLOGIES.includes(name)) throw new Error(`--topology needs one of ${TOPOLOGIES.join(', ')}`);
      topology = name;
    } else if (arg.startsWith('-')) {
      throw new Error(`unknown option ${arg} (usage: demo.ts [--moosefs VERSION] [--real-kernels] [--topology NAME] [scenario...])`);
    } else if (!SCENARIOS[arg]) {
      throw new Error(`unknown scenario ${arg} (known: ${Object.keys(SCENARIOS).join(', ')})`);
    } else {
      scenarios.push(arg);
    }
  }
  return { moosefs, kind, topology, scenarios: scenarios.length ? scenarios : ['switch-over', 'kill-master', 'power-loss'] };
}

const { moosefs, kind, topology, scenarios } = parseArgs(process.argv.slice(2));
const started = Date.now();
const log = (line: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}`);

/** The .deb of `npm run package`, when it exists and is not older than the build. */
function freshDeb(): string | undefined {
  const dir = join(DIST, 'packages');
  if (!existsSync(dir)) return undefined;
  const deb = readdirSync(dir).filter((f) => f.endsWith('.deb')).map((f) => join(dir, f))[0];
  return deb && statSync(deb).mtimeMs >= statSync(BINARY).mtimeMs ? deb : undefined;
}

const lab = new MfsLab({ dir: LAB_DIR, topology, moosefs, kind, deb: freshDeb(), log });
let tornDown = false;
const teardown = async () => {
  if (tornDown) return;
  tornDown = true;
  log('tearing down (processes by PID, namespaces, mounts, loop device)');
  await lab.down();
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void teardown().then(() => process.exit(130));
  });
}

const results: ScenarioResult[] = [];
try {
  await lab.up();
  log(`cluster up, master on ${await lab.activeNode()}; MooseFS ${moosefs.version}; CHANGELOG_SAVE_MODE = ${SAVE_MODE[topology]}`);
  for (const scenario of scenarios) results.push(await runScenario(lab, scenario, topology, SAVE_MODE[topology], log));
} catch (error) {
  log(`FAILED: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await teardown();
}

console.log('\nscenario      topology    nodes      moosefs  mode  failover ms  unavailable ms  data resumed ms  acknowledged  lost  from -> to');
for (const r of results) {
  console.log(
    `${r.name.padEnd(13)} ${r.topology.padEnd(11)} ${r.nodes.padEnd(10)} ${r.moosefs.padEnd(8)} ${String(r.changelog_save_mode).padStart(4)} ${String(r.failover_ms).padStart(12)} ${String(r.unavailable_ms).padStart(15)} ${String(r.data_resumed_ms ?? 'waiting').padStart(16)} ${String(r.acknowledged).padStart(13)} ${String(r.lost).padStart(5)}  ${r.from} -> ${r.to ?? '-'}`,
  );
}
for (const r of results) {
  console.log(`\n${r.name} (${r.from} -> ${r.to ?? '-'}): where the time went, ms since the fault`);
  for (const line of describePhases(r.phases)) console.log(`  ${line}`);
}
mkdirSync(join(DIST, 'demo'), { recursive: true });
writeFileSync(join(DIST, 'demo', 'results.json'), `${JSON.stringify({ moosefs: moosefs.version, nodes: kind, scenarios: results, total_s: Math.round((Date.now() - started) / 1000) }, null, 2)}\n`);
console.log(`\nresults: ${join(DIST, 'demo', 'results.json')}; logs: ${LAB_DIR}/node{1,2}/log-pacemaker/pacemaker.log, ${LAB_DIR}/state/ (switch, journals); total ${Math.round((Date.now() - started) / 1000)} s`);
