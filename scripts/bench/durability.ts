/**
 * npm run bench:durability: what each CHANGELOG_SAVE_MODE costs and what a crash loses.
 * N crash runs per row (a FUSE client writing, SIGKILL of the master at a random moment,
 * recovery through our agent, the journal checked): acknowledged operations, lost, the
 * writing window, operations per second. Table on stdout, JSON in dist/bench/durability.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DIST } from '../../test/helpers/built.js';
import { crashRun, type CrashOptions, type CrashResult } from '../../test/durability/crash.js';
import { metaloggerCrashRun } from '../../test/durability/metalogger-crash.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);

const rows: Array<{ name: string; options: CrashOptions; run?: () => Promise<CrashResult> }> = [
  { name: 'mode 0', options: { changelogSaveMode: 0, killAfterMs: [1000, 3000] } },
  { name: 'mode 0, data writer stalled 300 ms', options: { changelogSaveMode: 0, killAfterMs: [1000, 3000], stallDataWriterMs: 300 } },
  { name: 'mode 1', options: { changelogSaveMode: 1, killAfterMs: [1000, 3000] } },
  { name: 'mode 1, data writer stalled 300 ms', options: { changelogSaveMode: 1, killAfterMs: [1000, 3000], stallDataWriterMs: 300 } },
  { name: 'mode 2', options: { changelogSaveMode: 2, killAfterMs: [1000, 3000] } },
  // The DRBD-less topology: the metalogger node is promoted; it lags the master asynchronously.
  { name: 'metalogger path (mode 1, promoted)', options: { changelogSaveMode: 1, killAfterMs: [1000, 3000] }, run: () => metaloggerCrashRun([1000, 3000]) },
];

const sum = (results: CrashResult[], pick: (r: CrashResult) => number) => results.reduce((total, r) => total + pick(r), 0);
const report: Array<Record<string, unknown>> = [];
console.log(`crash runs: ${RUNS} per row (SIGKILL of the master at a random moment while a client writes through mfsmount)`);
console.log('row                                   acked    lost   runs losing   window s   ops/s');
for (const { name, options, run } of rows) {
  const results: CrashResult[] = [];
  for (let i = 0; i < RUNS; i++) results.push(await (run ? run() : crashRun(options)));
  const acked = sum(results, (r) => r.acknowledged);
  const lost = sum(results, (r) => r.lost);
  const windowS = sum(results, (r) => r.windowMs) / 1000;
  const opsPerSecond = Math.round(acked / windowS);
  const losing = results.filter((r) => r.lost > 0).length;
  report.push({ name, changelog_save_mode: options.changelogSaveMode, runs: RUNS, acknowledged: acked, lost, runs_losing: losing, window_s: Number(windowS.toFixed(1)), ops_per_second: opsPerSecond, per_run: results.map(({ lostSeqs, ...rest }) => rest) });
  console.log(`${name.padEnd(36)} ${String(acked).padStart(6)} ${String(lost).padStart(7)} ${String(losing).padStart(13)} ${windowS.toFixed(1).padStart(10)} ${String(opsPerSecond).padStart(7)}`);
}
const out = join(DIST, 'bench');
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'durability.json'), `${JSON.stringify({ runs_per_row: RUNS, rows: report }, null, 2)}\n`);
console.log(`written: ${join(out, 'durability.json')}`);
