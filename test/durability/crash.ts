/**
 * One crash run (issue 9): a real master started through our agent, a FUSE client writing
 * through mfsmount with the journaling writer, SIGKILL of the master at a random moment
 * (optionally after stalling its background "data writer" with SIGSTOP, as a slow disk would),
 * recovery through our agent, then the checker counts acknowledged operations lost.
 */
import { join } from 'node:path';
import { Deadline, sleep } from '../../lib/runtime/deadline.js';
import { DATA_WRITER_LOCK_FILE, lockOwner } from '../../lib/moosefs/data-path.js';
import { signalProcess, terminate, waitForExit } from '../../lib/process/proc.js';
import { startBackground } from '../../lib/process/run.js';
import { DIST, ocfEnv, runAgent } from '../helpers/built.js';
import { createMasterFixture, mountClient, QUIET_LOG, unmountClient, type MasterFixture } from '../helpers/moosefs.js';
import type { MooseFsInstall } from '../helpers/moosefs-versions.js';
import { check, mountInspector, verified, type CheckResult } from '../workload/checker.js';
import { readJournal, untilAcknowledged, type JournalEntry } from '../workload/journal.js';

export const WRITER = join(DIST, 'test-tools', 'workload', 'mfs-writer');

/** The kill is timed from the writer's first acknowledgements, not from its launch. */
const FIRST_ACKNOWLEDGEMENTS = 10;

/** Waits (30 s at most) until the writer has its first acknowledgements; throws if it never does. */
export async function writerUnderWay(journal: string): Promise<void> {
  if (!(await untilAcknowledged(journal, FIRST_ACKNOWLEDGEMENTS, new Deadline(30_000)))) {
    throw new Error(`the writer acknowledged fewer than ${FIRST_ACKNOWLEDGEMENTS} operations in 30 s`);
  }
}

export interface CrashOptions {
  /** The MooseFS whose master, mfsmount (and metalogger) run. */
  moosefs: MooseFsInstall;
  changelogSaveMode: 0 | 1 | 2;
  /** The kill comes at a random moment between these (ms after the writer's first acknowledgements). */
  killAfterMs: [number, number];
  /** SIGSTOP the data writer this long before the kill (a stalled disk). */
  stallDataWriterMs?: number;
  random?: () => number;
}

export interface CrashResult {
  /** The MooseFS version that ran. */
  version: string;
  changelogSaveMode: number;
  acknowledged: number;
  lost: number;
  /** Acknowledged operations in the last 1 s before the kill, and how many of those were lost. */
  lastSecond: { acknowledged: number; lost: number };
  /** Writing time before the kill. */
  windowMs: number;
  opsPerSecond: number;
  lostSeqs: number[];
}

/** A crash run's figures: from the writer's start to the kill, and what the checker found lost. */
export function crashFigures(moosefs: MooseFsInstall, changelogSaveMode: number, result: CheckResult, entries: readonly JournalEntry[], startedAt: number, killedAt: number): CrashResult {
  const lostSeqs = result.lost.map((l) => l.seq).sort((a, b) => a - b);
  const lastSecond = entries.filter((e) => e.ackedAt >= killedAt - 1000);
  const windowMs = killedAt - startedAt;
  return {
    version: moosefs.version,
    changelogSaveMode,
    acknowledged: result.acknowledged,
    lost: result.lost.length,
    lastSecond: { acknowledged: lastSecond.length, lost: lastSecond.filter((e) => lostSeqs.includes(e.seq)).length },
    windowMs,
    opsPerSecond: Math.round((entries.length / windowMs) * 1000),
    lostSeqs,
  };
}

async function agent(fixture: MasterFixture, action: string): Promise<void> {
  const result = await runAgent('mfsmaster', action, ocfEnv({ ...fixture.params, durability: 'none' }, { OCF_RESKEY_CRM_meta_timeout: '60000' }));
  if (result.code !== 0) throw new Error(`mfsmaster ${action} returned ${result.code}: ${result.stderr}`);
}

export async function crashRun(options: CrashOptions): Promise<CrashResult> {
  const random = options.random ?? Math.random;
  const fixture = await createMasterFixture({ moosefs: options.moosefs, config: { CHANGELOG_SAVE_MODE: options.changelogSaveMode } });
  let writerPid: number | undefined;
  try {
    await agent(fixture, 'start');
    const mount = await mountClient(fixture);
    const journal = join(fixture.dir, 'journal.jsonl');
    const writer = await startBackground(WRITER, ['--mount', mount, '--journal', journal, '--prefix', 'c'], { timeoutMs: 120_000 });
    writerPid = writer.pid;
    const [low, high] = options.killAfterMs;
    const startedAt = Date.now();
    await writerUnderWay(journal);
    await sleep(low + random() * (high - low) - (options.stallDataWriterMs ?? 0));
    const master = fixture.masterPid();
    const dataWriter = lockOwner(fixture.dataPath, DATA_WRITER_LOCK_FILE);
    if (master === undefined) throw new Error('the master died before the kill');
    if (options.stallDataWriterMs) {
      if (dataWriter === undefined) throw new Error('no data writer process to stall (CHANGELOG_SAVE_MODE 0 needs one)');
      signalProcess(dataWriter, 'SIGSTOP');
      await sleep(options.stallDataWriterMs);
    }
    signalProcess(master, 'SIGKILL');
    const killedAt = Date.now();
    if (dataWriter !== undefined) signalProcess(dataWriter, 'SIGKILL');
    await waitForExit([master, ...(dataWriter ? [dataWriter] : [])], new Deadline(5000));
    // The writer is now blocked in the file system: its journal is fsynced, so killing it loses nothing acknowledged.
    signalProcess(writer.pid, 'SIGKILL');
    // Unmounting ends the FUSE connection the writer may be blocked on (else mfsmount retries for seconds).
    await unmountClient(mount);
    await writer.result;
    writerPid = undefined;

    await agent(fixture, 'start'); // recovery through our agent
    const after = await mountClient(fixture, 'mnt-check');
    const { entries, intents } = readJournal(journal);
    const result = verified(check(entries, mountInspector(after), intents));
    await unmountClient(after);
    await agent(fixture, 'stop');

    return crashFigures(options.moosefs, options.changelogSaveMode, result, entries, startedAt, killedAt);
  } finally {
    if (writerPid !== undefined) await terminate([writerPid], { deadline: new Deadline(3000), log: QUIET_LOG(), what: 'writer', afterKill: '' });
    await fixture.cleanup();
  }
}
