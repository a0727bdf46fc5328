/**
 * npm run demo: the main job. A real two-node Pacemaker + Corosync cluster with MooseFS on
 * this machine (topology drbd-store), failed over three ways while a client writes; prints
 * a table (failover time, unavailability, acknowledged and lost operations), writes it to
 * dist/demo/results.json, and tears everything down, also on Ctrl-C.
 *
 *   node scripts/run-ts.mjs test/cluster/demo.ts [scenario...]
 */
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BINARY, DIST } from '../helpers/built.js';
import { MfsLab, SAVE_MODE, type Topology } from './mfs-lab.js';
import { runScenario, type ScenarioResult } from './scenarios.js';

const LAB_DIR = '/tmp/mfs-ocf-demo';
const topology: Topology = 'drbd-store';
const scenarios = process.argv.slice(2).length ? process.argv.slice(2) : ['switch-over', 'kill-master', 'power-loss'];
const started = Date.now();
const log = (line: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}`);

/** The .deb of `npm run package`, when it exists and is not older than the build. */
function freshDeb(): string | undefined {
  const dir = join(DIST, 'packages');
  if (!existsSync(dir)) return undefined;
  const deb = readdirSync(dir).filter((f) => f.endsWith('.deb')).map((f) => join(dir, f))[0];
  return deb && statSync(deb).mtimeMs >= statSync(BINARY).mtimeMs ? deb : undefined;
}

const lab = new MfsLab({ dir: LAB_DIR, topology, deb: freshDeb(), log });
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
  log(`cluster up, master on ${await lab.activeNode()}; CHANGELOG_SAVE_MODE = ${SAVE_MODE[topology]}`);
  for (const scenario of scenarios) results.push(await runScenario(lab, scenario, topology, SAVE_MODE[topology], log));
} catch (error) {
  log(`FAILED: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
  process.exitCode = 1;
} finally {
  await teardown();
}

console.log('\nscenario      topology    mode  failover ms  unavailable ms  data resumed ms  acknowledged  lost  from -> to');
for (const r of results) {
  console.log(
    `${r.name.padEnd(13)} ${r.topology.padEnd(11)} ${String(r.changelog_save_mode).padStart(4)} ${String(r.failover_ms).padStart(12)} ${String(r.unavailable_ms).padStart(15)} ${String(r.data_resumed_ms ?? 'waiting').padStart(16)} ${String(r.acknowledged).padStart(13)} ${String(r.lost).padStart(5)}  ${r.from} -> ${r.to ?? '-'}`,
  );
}
mkdirSync(join(DIST, 'demo'), { recursive: true });
writeFileSync(join(DIST, 'demo', 'results.json'), `${JSON.stringify({ scenarios: results, total_s: Math.round((Date.now() - started) / 1000) }, null, 2)}\n`);
console.log(`\nresults: ${join(DIST, 'demo', 'results.json')}; logs: ${LAB_DIR}/node{1,2}/log-pacemaker/pacemaker.log, ${LAB_DIR}/state/ (switch, journals); total ${Math.round((Date.now() - started) / 1000)} s`);
