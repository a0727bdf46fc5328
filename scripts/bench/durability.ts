/**
 * npm run bench:durability: what each CHANGELOG_SAVE_MODE costs and what a crash loses.
 * N crash runs per row (a FUSE client writing, SIGKILL of the master at a random moment,
 * recovery through our agent, the journal checked): acknowledged operations, lost, the
 * writing window, operations per second. Table on stdout, JSON in dist/bench/durability.json.
 * Every row runs against each tested MooseFS (MFS_OCF_MOOSEFS narrows it), each row naming its
 * version.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DIST } from '../../test/helpers/built.js';
import { crashRun, type CrashOptions, type CrashResult } from '../../test/durability/crash.js';
import { metaloggerCrashRun } from '../../test/durability/metalogger-crash.js';
import { MOOSEFS } from '../../test/helpers/moosefs-versions.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);

interface Row {
  name: string;
  version: string;
  options: CrashOptions;
  run?: () => Promise<CrashResult>;
}

const rows: Row[] = MOOSEFS.flatMap((moosefs): Row[] => {
  const version = moosefs.version;
  return [
    { name: 'mode 0', version, options: { moosefs, changelogSaveMode: 0, killAfterMs: [1000, 3000] } },
    { name: 'mode 0, data writer stalled 300 ms', version, options: { moosefs, changelogSaveMode: 0, killAfterMs: [1000, 3000], stallDataWriterMs: 300 } },
    { name: 'mode 1', version, options: { moosefs, changelogSaveMode: 1, killAfterMs: [1000, 3000] } },
    { name: 'mode 1, data writer stalled 300 ms', version, options: { moosefs, changelogSaveMode: 1, killAfterMs: [1000, 3000], stallDataWriterMs: 300 } },
    { name: 'mode 2', version, options: { moosefs, changelogSaveMode: 2, killAfterMs: [1000, 3000] } },
    // The DRBD-less topology: the metalogger node is promoted; it lags the master asynchronously.
    { name: 'metalogger path (mode 1, promoted)', version, options: { moosefs, changelogSaveMode: 1, killAfterMs: [1000, 3000] }, run: () => metaloggerCrashRun(moosefs, [1000, 3000]) },
  ];
});

const sum = (results: CrashResult[], pick: (r: CrashResult) => number) => results.reduce((total, r) => total + pick(r), 0);
const report: Array<Record<string, unknown>> = [];
console.log(`crash runs: ${RUNS} per row (SIGKILL of the master at a random moment while a client writes through mfsmount)`);
console.log('MooseFS   row                                   acked    lost   runs losing   window s   ops/s');
for (const { name, version, options, run } of rows) {
  const results: CrashResult[] = [];
  for (let i = 0; i < RUNS; i++) results.push(await (run ? run() : crashRun(options)));
  const acked = sum(results, (r) => r.acknowledged);
  const lost = sum(results, (r) => r.lost);
  const windowS = sum(results, (r) => r.windowMs) / 1000;
  const opsPerSecond = Math.round(acked / windowS);
  const losing = results.filter((r) => r.lost > 0).length;
  report.push({ name, version, changelog_save_mode: options.changelogSaveMode, runs: RUNS, acknowledged: acked, lost, runs_losing: losing, window_s: Number(windowS.toFixed(1)), ops_per_second: opsPerSecond, per_run: results.map(({ lostSeqs, ...rest }) => rest) });
  console.log(`${version.padEnd(9)} ${name.padEnd(36)} ${String(acked).padStart(6)} ${String(lost).padStart(7)} ${String(losing).padStart(13)} ${windowS.toFixed(1).padStart(10)} ${String(opsPerSecond).padStart(7)}`);
}
const out = join(DIST, 'bench');
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'durability.json'), `${JSON.stringify({ runs_per_row: RUNS, rows: report }, null, 2)}\n`);
console.log(`written: ${join(out, 'durability.json')}`);
