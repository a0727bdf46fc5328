/**
 * npm run bench:failover: every scenario of the live cluster, REPS times (default 5), with the
 * writer going: median, min and max of failover time and unavailability, acknowledged and lost
 * operations, beside the corosync timeouts in force. BENCH_TOKEN=1000 runs with that token.
 * Results in dist/bench/failover.json (one entry per topology and token).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DIST } from '../../test/helpers/built.js';
import { MfsLab, SAVE_MODE, type Topology } from '../../test/cluster/mfs-lab.js';
import { runScenario, type ScenarioResult } from '../../test/cluster/scenarios.js';

const REPS = Number(process.env.BENCH_REPS ?? 5);
const TOKEN = process.env.BENCH_TOKEN ? Number(process.env.BENCH_TOKEN) : undefined;
const SCENARIOS = (process.env.BENCH_SCENARIOS ?? 'switch-over,kill-master,power-loss,partition').split(',');
const topology: Topology = 'drbd-store';
const started = Date.now();
const log = (line: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(5)} s] ${line}`);

const stats = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)] ?? null, min: sorted[0] ?? null, max: sorted.at(-1) ?? null };
};

const lab = new MfsLab({ dir: '/tmp/mfs-ocf-bench', topology, token: TOKEN, log });
process.once('SIGINT', () => void lab.down().then(() => process.exit(130)));
const runs: ScenarioResult[] = [];
try {
  await lab.up();
  for (let rep = 0; rep < REPS; rep++) for (const scenario of SCENARIOS) runs.push(await runScenario(lab, scenario, topology, SAVE_MODE[topology], log));
} finally {
  await lab.down();
}
const token = TOKEN ?? 3000;
const summary = SCENARIOS.map((name) => {
  const mine = runs.filter((r) => r.name === name);
  return {
    name,
    runs: mine.length,
    failover_ms: stats(mine.map((r) => r.failover_ms)),
    unavailable_ms: stats(mine.map((r) => r.unavailable_ms)),
    data_resumed_ms: stats(mine.flatMap((r) => (r.data_resumed_ms === null ? [] : [r.data_resumed_ms]))),
    /** Runs whose data write in flight still waited on MooseFS's chunk lock at the end. */
    data_stalled: mine.filter((r) => r.data_resumed_ms === null).length,
    acknowledged: mine.reduce((n, r) => n + r.acknowledged, 0),
    lost: mine.reduce((n, r) => n + r.lost, 0),
  };
});
console.log(`\ncorosync token ${token} ms, consensus ${Math.round(token * 1.2)} ms; ${REPS} repetitions`);
console.log('scenario      failover ms median (min-max)   unavailable ms median   data resumed ms median (stalled)   acknowledged  lost');
for (const s of summary) {
  const data = `${s.data_resumed_ms.median} (${s.data_stalled})`;
  console.log(`${s.name.padEnd(13)} ${`${s.failover_ms.median} (${s.failover_ms.min}-${s.failover_ms.max})`.padEnd(30)} ${String(s.unavailable_ms.median).padStart(21)} ${data.padStart(34)} ${String(s.acknowledged).padStart(14)} ${String(s.lost).padStart(5)}`);
}
mkdirSync(join(DIST, 'bench'), { recursive: true });
writeFileSync(
  join(DIST, 'bench', `failover${TOKEN ? `-token${TOKEN}` : ''}.json`),
  `${JSON.stringify({ topology, corosync: { token_ms: token, consensus_ms: Math.round(token * 1.2) }, repetitions: REPS, scenarios: summary, runs }, null, 2)}\n`,
);
