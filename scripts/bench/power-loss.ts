/**
 * npm run bench:power-loss: what a power cut of the serving node loses, by CHANGELOG_SAVE_MODE,
 * on real kernels (UML nodes, real DRBD 8.4 protocol C, drbd-store topology): the node's page
 * cache dies with it, as in a real power loss (a namespace node's would survive in this
 * machine's kernel, so only UML nodes can answer this). Mode 2 fsyncs each change before the
 * reply; mode 1 writes it without fsync; the lab lowers the master's `durability` to run mode 1.
 *
 * BENCH_REPS (default 3) power cuts per mode, BENCH_MODES (default 1,2). Each cut is the
 * live cluster's power-loss scenario, writers going: acknowledged, lost, and how long before the
 * cut the earliest lost operation was acknowledged. Results in dist/bench/power-loss.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DIST } from '../../test/helpers/built.js';
import { MfsLab } from '../../test/cluster/mfs-lab.js';
import { runScenario, type ScenarioResult } from '../../test/cluster/scenarios.js';

const REPS = Number(process.env.BENCH_REPS ?? 3);
const MODES = (process.env.BENCH_MODES ?? '1,2').split(',').map(Number);
for (const mode of MODES) if (mode !== 1 && mode !== 2) throw new Error(`BENCH_MODES: ${mode} is not 1 or 2 (mode 0 loses even on a process crash: bench:durability)`);
const started = Date.now();
const log = (line: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(5)} s] ${line}`);

let lab: MfsLab | undefined;
process.once('SIGINT', () => void (lab?.down() ?? Promise.resolve()).then(() => process.exit(130)));

const results: Array<{ changelog_save_mode: number; runs: ScenarioResult[] }> = [];
for (const mode of MODES as Array<1 | 2>) {
  lab = new MfsLab({ dir: '/tmp/mfs-ocf-bench-power', topology: 'drbd-store', kind: 'uml', changelogSaveMode: mode, log });
  const runs: ScenarioResult[] = [];
  try {
    await lab.up();
    for (let rep = 0; rep < REPS; rep++) runs.push(await runScenario(lab, 'power-loss', 'drbd-store', mode, log));
  } finally {
    await lab.down();
    lab = undefined;
  }
  results.push({ changelog_save_mode: mode, runs });
}

console.log('\npower loss of the serving node, UML nodes (real kernels, real DRBD 8.4, protocol C), drbd-store topology');
console.log('CHANGELOG_SAVE_MODE  run  acknowledged  lost  lost acknowledged within (ms before the cut)  failover ms');
for (const { changelog_save_mode, runs } of results) {
  runs.forEach((r, i) => {
    console.log(
      `${String(changelog_save_mode).padStart(19)}  ${String(i + 1).padStart(3)}  ${String(r.acknowledged).padStart(12)}  ${String(r.lost).padStart(4)}  ${String(r.loss_window_ms ?? '-').padStart(46)}  ${String(r.failover_ms).padStart(11)}`,
    );
  });
}
mkdirSync(join(DIST, 'bench'), { recursive: true });
writeFileSync(join(DIST, 'bench', 'power-loss.json'), `${JSON.stringify({ nodes: 'uml', topology: 'drbd-store', repetitions: REPS, modes: results }, null, 2)}\n`);
console.log(`\nresults: ${join(DIST, 'bench', 'power-loss.json')}; total ${Math.round((Date.now() - started) / 1000)} s`);
