/**
 * npm run bench: what a monitor of the built mfsmaster agent costs, at depths 0, 10 and 20,
 * beside resource-agents' Dummy (bash + ocf-shellfuncs), measured in one run, interleaved.
 * Median wall time and peak RSS (GNU time's %M) per command. Targets (issue 2): level 0
 * within 2x of Dummy, under 100 ms and 60 MB.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../lib/process/run.js';
import { agentPath, ocfEnv } from '../../test/helpers/built.js';
import { createMasterFixture } from '../../test/helpers/moosefs.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 40);
const DUMMY = '/usr/lib/ocf/resource.d/heartbeat/Dummy';

interface Sample {
  wallMs: number;
  rssKb: number;
  code: number | undefined;
}

const scratch = mkdtempSync('/tmp/mfs-ocf-bench-');

async function measure(file: string, args: string[], env: Record<string, string>): Promise<Sample> {
  const rssFile = join(scratch, 'rss');
  const started = performance.now();
  const result = await run('/usr/bin/time', ['-f', '%M', '-o', rssFile, file, ...args], { env: { PATH: process.env.PATH, ...env }, extendEnv: false, timeoutMs: 30_000 });
  const wallMs = performance.now() - started;
  return { wallMs, rssKb: Number(readFileSync(rssFile, 'utf8').trim().split('\n').at(-1)), code: result.exitCode };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

const fixture = await createMasterFixture();
try {
  const env = ocfEnv(fixture.params, { OCF_RESKEY_CRM_meta_interval: '10000', OCF_RESKEY_CRM_meta_timeout: '20000' });
  const start = await run(agentPath('mfsmaster'), ['start'], { env, extendEnv: false, timeoutMs: 60_000 });
  if (!start.ok) throw new Error(`start failed: ${start.stderr}`);
  const dummyEnv = { OCF_ROOT: '/usr/lib/ocf', OCF_RESOURCE_INSTANCE: `bench${process.pid}`, HA_RSCTMP: scratch, OCF_RESKEY_state: join(scratch, 'dummy.state') };
  await run(DUMMY, ['start'], { env: { PATH: process.env.PATH, ...dummyEnv }, extendEnv: false });

  const commands: Record<string, () => Promise<Sample>> = {
    'Dummy monitor': () => measure(DUMMY, ['monitor'], dummyEnv),
    'mfsmaster monitor level 0': () => measure(agentPath('mfsmaster'), ['monitor'], { ...env, OCF_CHECK_LEVEL: '0' }),
    'mfsmaster monitor level 10': () => measure(agentPath('mfsmaster'), ['monitor'], { ...env, OCF_CHECK_LEVEL: '10' }),
    'mfsmaster monitor level 20': () => measure(agentPath('mfsmaster'), ['monitor'], { ...env, OCF_CHECK_LEVEL: '20' }),
  };
  const samples: Record<string, Sample[]> = Object.fromEntries(Object.keys(commands).map((name) => [name, []]));
  for (const measureOnce of Object.values(commands)) await measureOnce(); // warm the page cache
  for (let i = 0; i < RUNS; i++) {
    for (const [name, measureOnce] of Object.entries(commands)) {
      const sample = await measureOnce();
      if (sample.code !== 0) throw new Error(`${name} returned ${sample.code}`);
      samples[name]!.push(sample);
    }
  }
  const dummyWall = median(samples['Dummy monitor']!.map((s) => s.wallMs));
  console.log(`monitor cost, ${RUNS} interleaved runs each (median; wall includes spawning /usr/bin/time)`);
  console.log('command                        wall ms   peak RSS MB   x Dummy');
  const report: Record<string, { wall_ms: number; rss_mb: number; ratio: number }> = {};
  for (const [name, list] of Object.entries(samples)) {
    const wall = median(list.map((s) => s.wallMs));
    const rss = median(list.map((s) => s.rssKb)) / 1024;
    report[name] = { wall_ms: Number(wall.toFixed(1)), rss_mb: Number(rss.toFixed(1)), ratio: Number((wall / dummyWall).toFixed(2)) };
    console.log(`${name.padEnd(30)} ${wall.toFixed(1).padStart(7)}   ${rss.toFixed(1).padStart(11)}   ${(wall / dummyWall).toFixed(2).padStart(7)}`);
  }
  const level0 = report['mfsmaster monitor level 0']!;
  console.log(
    `targets: level 0 under 100 ms: ${level0.wall_ms < 100 ? 'met' : 'missed'}; under 60 MB: ${level0.rss_mb < 60 ? 'met' : 'missed'}; ` +
      `within 2x of Dummy: ${level0.ratio <= 2 ? 'met' : `missed (${level0.ratio}x: Node's start-up alone is about 60 ms, see LAB.md)`}`,
  );
  console.log(JSON.stringify({ runs: RUNS, results: report }));
} finally {
  await run(agentPath('mfsmaster'), ['stop'], { env: ocfEnv(fixture.params), extendEnv: false, timeoutMs: 60_000 });
  await fixture.cleanup();
  rmSync(scratch, { recursive: true, force: true });
}
