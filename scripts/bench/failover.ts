/**
 * npm run bench:failover: every scenario of the live cluster that a topology can run, REPS
 * times (default 5), with the writers going, on each topology in turn (BENCH_TOPOLOGIES=drbd-store,metalogger,drbd by
 * default): median, min and max of failover time and unavailability, acknowledged and lost
 * operations, beside the corosync timeouts in force; then the median of each phase of the failover
 * (test/cluster/timeline.ts: from the nodes' logs, ms since the fault), so that one sees where the
 * seconds go. BENCH_TOKEN=1000 runs with that token.
 * BENCH_LAB_DIR (default /tmp/mfs-ocf-bench) and MFS_OCF_LAB_NS run it beside another lab.
 * BENCH_MOOSEFS=4.59.2 (or 3.0.117,4.59.2) chooses the MooseFS versions every daemon and client
 * runs (default Debian's 3.0.117).
 * Results in dist/bench/failover.json (failover-token<MS>.json with BENCH_TOKEN): one entry per
 * MooseFS version and topology.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DIST } from '../../test/helpers/built.js';
import { DEBIAN_MOOSEFS, mooseFsByVersion, type MooseFsInstall } from '../../test/helpers/moosefs-versions.js';
import { MfsLab, SAVE_MODE, TOPOLOGIES, type Topology } from '../../test/cluster/mfs-lab.js';
import { runScenario, SCENARIOS, scenariosFor, type ScenarioResult } from '../../test/cluster/scenarios.js';
import { phaseMedians } from '../../test/cluster/timeline.js';
import { corosyncConsensusMs } from '../../crm-snippets/topologies.js';
import { judge, masterMonitorMs, targetFor } from './targets.js';

const REPS = Number(process.env.BENCH_REPS ?? 5);
const TOKEN = process.env.BENCH_TOKEN ? Number(process.env.BENCH_TOKEN) : undefined;
/** BENCH_SCENARIOS narrows the run; by default every scenario each topology can run. */
const CHOSEN = process.env.BENCH_SCENARIOS?.split(',');
const topologies = (process.env.BENCH_TOPOLOGIES?.split(',') ?? TOPOLOGIES) as Topology[];
for (const topology of topologies) if (!TOPOLOGIES.includes(topology)) throw new Error(`BENCH_TOPOLOGIES: unknown topology ${topology} (known: ${TOPOLOGIES.join(', ')})`);
/** BENCH_LAB_DIR: the lab's directory (a second lab beside another one, with MFS_OCF_LAB_NS). */
const LAB_DIR = process.env.BENCH_LAB_DIR || '/tmp/mfs-ocf-bench';
const versions: MooseFsInstall[] = process.env.BENCH_MOOSEFS ? process.env.BENCH_MOOSEFS.split(',').map((v) => mooseFsByVersion(v.trim())) : [DEBIAN_MOOSEFS];
const started = Date.now();
const log = (line: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(5)} s] ${line}`);

const stats = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)] ?? null, min: sorted[0] ?? null, max: sorted.at(-1) ?? null };
};

let lab: MfsLab | undefined;
process.once('SIGINT', () => void (lab?.down() ?? Promise.resolve()).then(() => process.exit(130)));

async function bench(moosefs: MooseFsInstall, topology: Topology) {
  lab = new MfsLab({ dir: LAB_DIR, topology, moosefs, token: TOKEN, log });
  const runs: ScenarioResult[] = [];
  let monitorMs: number | undefined;
  // BENCH_SCENARIOS may also name a scenario outside the default list (switch-over-ban).
  const chosen = CHOSEN ? CHOSEN.filter((name) => scenariosFor(topology).includes(name) || (SCENARIOS[name] && name !== 'replication-cut')) : scenariosFor(topology);
  try {
    await lab.up();
    monitorMs = masterMonitorMs(readFileSync(join(lab.paths.state, 'cluster.crm'), 'utf8'));
    for (let rep = 0; rep < REPS; rep++) for (const scenario of chosen) runs.push(await runScenario(lab, scenario, topology, SAVE_MODE[topology], log));
  } finally {
    await lab.down();
    lab = undefined;
  }
  const scenarios = chosen.map((name) => {
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
      /** Each phase's median over the runs (ms since the fault; took: its own duration). */
      phases: phaseMedians(mine.map((r) => r.phases)),
    };
  });
  return { moosefs: moosefs.version, topology, master_monitor_ms: monitorMs ?? null, scenarios, runs };
}

const results = [];
for (const moosefs of versions) for (const topology of topologies) results.push(await bench(moosefs, topology));
const token = TOKEN ?? 3000;
// The lab sets the token only.
const consensus = corosyncConsensusMs(token);
console.log(`\ncorosync token ${token} ms, consensus ${consensus} ms; ${REPS} repetitions`);
console.log('moosefs  topology    scenario        failover ms median (min-max)   unavailable ms median   data resumed ms median (stalled)   acknowledged  lost');
for (const { moosefs, topology, scenarios } of results) {
  for (const s of scenarios) {
    const data = `${s.data_resumed_ms.median} (${s.data_stalled})`;
    console.log(
      `${moosefs.padEnd(8)} ${topology.padEnd(11)} ${s.name.padEnd(15)} ${`${s.failover_ms.median} (${s.failover_ms.min}-${s.failover_ms.max})`.padEnd(30)} ${String(s.unavailable_ms.median).padStart(21)} ${data.padStart(34)} ${String(s.acknowledged).padStart(14)} ${String(s.lost).padStart(5)}`,
    );
  }
}
for (const { moosefs, topology, scenarios } of results) {
  for (const s of scenarios) {
    console.log(`\n${moosefs} ${topology} ${s.name}: median of each phase over ${s.runs} run(s), ms since the fault (took: the phase's own duration)`);
    if (!s.phases.length) console.log('  no timeline (nodes with clocks of their own)');
    for (const p of s.phases) console.log(`  ${String(p.end_ms).padStart(7)} ms  ${p.phase}${p.took_ms === null ? '' : ` (took ${p.took_ms} ms)`}${p.runs < s.runs ? ` [in ${p.runs} of ${s.runs} runs]` : ''}`);
  }
}
console.log(`\ntargets (issue 15; met: within the limit and nothing lost; else the costliest phases, their own durations)`);
for (const { moosefs, topology, scenarios, master_monitor_ms } of results) {
  for (const s of scenarios) {
    const target = master_monitor_ms === null ? undefined : targetFor(s.name, { tokenMs: token, consensusMs: consensus, masterMonitorMs: master_monitor_ms });
    if (!target) continue;
    const v = judge(target, s.failover_ms, s.lost, s.phases);
    const costs = v.met ? '' : `: ${v.costliest.map((p) => `${p.phase} ${p.took_ms} ms`).join(', ')}`;
    console.log(`${moosefs} ${topology} ${s.name}: ${v.met ? 'met' : 'MISSED'}, ${target.statistic} ${v.measuredMs} ms against ${target.limitMs} ms (${target.rule}), ${v.lost} lost${costs}`);
  }
}
mkdirSync(join(DIST, 'bench'), { recursive: true });
writeFileSync(
  join(DIST, 'bench', `failover${TOKEN ? `-token${TOKEN}` : ''}.json`),
  `${JSON.stringify({ corosync: { token_ms: token, consensus_ms: consensus }, repetitions: REPS, topologies: results }, null, 2)}\n`,
);
