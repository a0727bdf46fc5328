/**
 * The metalogger path of a crash (issue 9's benchmark): a master with a metalogger node
 * following it, a client writing through mfsmount with the journaling writer, SIGKILL of the
 * master at a random moment, promotion of the metalogger node through ocf:mfs:mfs-metarestore,
 * the master started there through ocf:mfs:mfsmaster, and the journal checked. What is lost is
 * what the metalogger had not received: it follows asynchronously.
 */
import { join } from 'node:path';
import { Deadline, sleep } from '../../lib/runtime/deadline.js';
import { DATA_WRITER_LOCK_FILE, lockOwner } from '../../lib/moosefs/data-path.js';
import { signalProcess, terminate, waitForExit } from '../../lib/process/proc.js';
import { startBackground } from '../../lib/process/run.js';
import { cloneMeta, createCluster, metarestore, mfsmaster, prePromote, waitCaughtUp } from '../agents/mfs-metarestore.helpers.js';
import { mountClient, QUIET_LOG, unmountClient } from '../helpers/moosefs.js';
import type { MooseFsInstall } from '../helpers/moosefs-versions.js';
import { check, mountInspector, verified } from '../workload/checker.js';
import { readJournal } from '../workload/journal.js';
import { crashFigures, WRITER, writerUnderWay, type CrashResult } from './crash.js';

async function must(step: string, result: Promise<{ name: string; stderr: string }>): Promise<void> {
  const done = await result;
  if (done.name !== 'OCF_SUCCESS') throw new Error(`${step}: ${done.name}: ${done.stderr}`);
}

export async function metaloggerCrashRun(moosefs: MooseFsInstall, killAfterMs: [number, number], random = Math.random): Promise<CrashResult> {
  const c = await createCluster(['node2'], moosefs);
  const node2 = c.nodes[0]!;
  let writerPid: number | undefined;
  try {
    await must('origin master start', mfsmaster(c.origin, 'start'));
    await must('metalogger start', metarestore(c, node2, 'start'));
    await waitCaughtUp(c, node2);
    const mount = await mountClient(c.origin);
    const journal = join(c.dir, 'journal.jsonl');
    const writer = await startBackground(WRITER, ['--mount', mount, '--journal', journal, '--prefix', 'm'], { timeoutMs: 120_000 });
    writerPid = writer.pid;
    const startedAt = Date.now();
    await writerUnderWay(journal);
    await sleep(killAfterMs[0] + random() * (killAfterMs[1] - killAfterMs[0]));
    const master = c.origin.masterPid()!;
    const dataWriter = lockOwner(c.origin.dataPath, DATA_WRITER_LOCK_FILE);
    signalProcess(master, 'SIGKILL');
    const killedAt = Date.now();
    if (dataWriter !== undefined) signalProcess(dataWriter, 'SIGKILL');
    await waitForExit([master], new Deadline(5000));
    signalProcess(writer.pid, 'SIGKILL');
    // Unmounting ends the FUSE connection the writer may be blocked on (else mfsmount retries for seconds).
    await unmountClient(mount);
    await writer.result;
    writerPid = undefined;

    await must('pre-promote notify', metarestore(c, node2, 'notify', {}, prePromote(node2, [node2])));
    await must('promote', metarestore(c, node2, 'promote', {}, cloneMeta(1)));
    await must('master start on node2', mfsmaster(node2.master, 'start'));
    const after = await mountClient(node2.master, 'mnt-check');
    const { entries, intents } = readJournal(journal);
    const result = verified(check(entries, mountInspector(after), intents));
    await unmountClient(after);
    await mfsmaster(node2.master, 'stop');
    return crashFigures(moosefs, 1, result, entries, startedAt, killedAt);
  } finally {
    if (writerPid !== undefined) await terminate([writerPid], { deadline: new Deadline(3000), log: QUIET_LOG(), what: 'writer', afterKill: '' });
    await c.cleanup();
  }
}
