/**
 * Failover scenarios on the live lab, with the client writing throughout: each fault is
 * injected on the node that serves, the writer's journal gives the figures, and the checker
 * compares the file system with the journal.
 *
 * The outage is the longest gap between two consecutive acknowledgements that ends after the
 * fault (a master being stopped still answers for a moment, so "the first acknowledgement
 * after the fault" would measure nothing):
 *  failover_ms:    fault -> the acknowledgement that ends the outage
 *  unavailable_ms: the outage itself (last acknowledgement before -> first after)
 */
import { join } from 'node:path';
import { Deadline, sleep } from '../../lib/ocf/deadline.js';
import { signalProcess, terminate, waitForExit } from '../../lib/process/proc.js';
import { startBackground } from '../../lib/process/run.js';
import { QUIET_LOG } from '../helpers/moosefs.js';
import { WRITER } from '../durability/crash.js';
import { check, mountInspector } from '../workload/checker.js';
import { readJournal, type JournalEntry } from '../workload/journal.js';
import { NODES, type NodeName } from './lab.js';
import type { MfsLab } from './mfs-lab.js';
import { powerOff, setLink } from './node.js';

export interface ScenarioResult {
  name: string;
  topology: string;
  changelog_save_mode: number;
  failover_ms: number | null;
  unavailable_ms: number | null;
  acknowledged: number;
  lost: number;
  from: NodeName;
  to: NodeName | null;
}

export interface Scenario {
  name: string;
  /** Injects the fault on the serving node. */
  fault(lab: MfsLab, active: NodeName): Promise<void>;
  /** Puts the cluster back to two healthy nodes after the failover. */
  restore(lab: MfsLab, failed: NodeName): Promise<void>;
}

async function crm(lab: MfsLab, node: NodeName, args: string[]): Promise<void> {
  const result = await lab.cluster.exec(node, 'crm', args, { timeoutMs: 60_000 });
  if (!result.ok) throw new Error(`crm ${args.join(' ')}: ${result.stderr}`);
}

/** Both nodes online, every resource of ours running again (a store resynced on the other node). */
async function settle(lab: MfsLab, timeoutMs = 180_000): Promise<void> {
  await lab.cluster.waitForNodes(NODES, timeoutMs);
  const ok = await new Deadline(timeoutMs).poll(
    async () => {
      const mon = await lab.cluster.exec('node1', 'crm_mon', ['-1', '--output-as=xml'], { timeoutMs: 10_000 }).catch(() => undefined);
      if (!mon?.ok) return undefined;
      const running = (mon.stdout.match(/<resource id="mfs-store"[^>]*role="(Promoted|Unpromoted)"/g) ?? []).length;
      return running === 2 && (await lab.serving()) ? true : undefined;
    },
    { intervalMs: 1000 },
  );
  if (!ok) throw new Error('the cluster did not settle back to two nodes with the store on both');
  await lab.cluster.exec('node1', 'crm', ['resource', 'cleanup'], { timeoutMs: 60_000 });
}

export const SCENARIOS: Record<string, Scenario> = {
  'switch-over': {
    name: 'planned switch-over (crm node standby)',
    fault: (lab, active) => crm(lab, active, ['node', 'standby', active]),
    async restore(lab, failed) {
      await crm(lab, failed, ['node', 'online', failed]);
      await settle(lab);
    },
  },
  'kill-master': {
    name: 'kill -9 of mfsmaster',
    async fault(lab, active) {
      const pid = await lab.cluster.exec(active, 'cat', [`${lab.dataPath}/.mfsmaster.lock`]);
      const kill = await lab.cluster.exec(active, 'kill', ['-9', pid.stdout.trim()]);
      if (!kill.ok) throw new Error(`kill -9 of the master on ${active}: ${kill.stderr}`);
    },
    restore: (lab) => settle(lab),
  },
  'power-loss': {
    name: 'power loss of the active node',
    fault: (lab, active) => powerOff(lab.paths, active),
    // The survivor fences it through the switch ("reboot"): it powers on again and rejoins.
    restore: (lab) => settle(lab),
  },
  partition: {
    name: 'network partition of the active node',
    async fault(lab, active) {
      await setLink(active, false);
      // DRBD replicates over the same network: its link goes too (the emulator cannot see the cable).
      await lab.drbdFault(['cut', 'r0']);
    },
    // The survivor fences it (reboot: a new cable comes with the new boot); then DRBD reconnects.
    async restore(lab) {
      await lab.drbdFault(['heal', 'r0']);
      await settle(lab);
    },
  },
};

/** The longest gap between consecutive acknowledgements that ends after the fault. */
export function outage(entries: readonly JournalEntry[], faultAt: number): { start: number; end: number; ms: number } | undefined {
  const acks = entries.map((e) => e.ackedAt).sort((a, b) => a - b);
  let best: { start: number; end: number; ms: number } | undefined;
  for (let i = 1; i < acks.length; i++) {
    const [start, end] = [acks[i - 1]!, acks[i]!];
    if (end <= faultAt) continue;
    if (!best || end - start > best.ms) best = { start, end, ms: end - start };
  }
  return best;
}

/** Runs one scenario with the writer going; figures from its journal. */
export async function runScenario(lab: MfsLab, key: string, topology: string, saveMode: number, log: (line: string) => void): Promise<ScenarioResult> {
  const scenario = SCENARIOS[key];
  if (!scenario) throw new Error(`unknown scenario ${key}`);
  const active = await lab.waitUntilServing(60_000);
  const journal = join(lab.paths.state, `journal-${key}.jsonl`);
  const prefix = `${key}-${Date.now()}`;
  const writer = await startBackground(WRITER, ['--mount', lab.mountpoint, '--journal', journal, '--prefix', prefix, '--data', '--duration-ms', '600000'], { timeoutMs: 700_000 });
  try {
    await sleep(2000); // steady writing before the fault
    log(`${scenario.name}: fault on ${active}`);
    const faultAt = Date.now();
    await scenario.fault(lab, active);
    // Done when an outage has ended (a gap of 300 ms or more, ending after the fault), or when
    // 30 s of acknowledgements show none.
    const outageEnded = await new Deadline(240_000).poll(
      () => {
        const gap = outage(readJournal(journal).entries, faultAt);
        return gap && (gap.ms >= 300 || Date.now() - faultAt > 30_000) ? gap : undefined;
      },
      { intervalMs: 200 },
    );
    if (!outageEnded) log(`${scenario.name}: no acknowledgement within 240 s of the fault`);
    await sleep(2000); // steady writing after the failover
    signalProcess(writer.pid, 'SIGTERM');
    if (!(await waitForExit([writer.pid], new Deadline(15_000)))) signalProcess(writer.pid, 'SIGKILL');
    await writer.result;
    const { entries, intents } = readJournal(journal);
    const gap = outage(entries, faultAt);
    const to = await lab.activeNode();
    const result = check(entries.filter((e) => e.path.startsWith(prefix) || ('from' in e && e.from.startsWith(prefix))), mountInspector(lab.mountpoint), intents);
    const outcome: ScenarioResult = {
      name: key,
      topology,
      changelog_save_mode: saveMode,
      failover_ms: gap ? gap.end - faultAt : null,
      unavailable_ms: gap ? gap.ms : null,
      acknowledged: result.acknowledged,
      lost: result.lost.length,
      from: active,
      to: to ?? null,
    };
    if (result.lost.length) log(`LOST: ${result.lost.slice(0, 5).map((l) => `${l.path} (seq ${l.seq}, found ${l.found.kind})`).join(', ')}`);
    log(`${scenario.name}: served by ${outcome.to ?? 'nobody'} after ${outcome.failover_ms ?? '-'} ms; ${outcome.acknowledged} acknowledged, ${outcome.lost} lost`);
    await scenario.restore(lab, active);
    return outcome;
  } finally {
    await terminate([writer.pid], { deadline: new Deadline(5000), log: QUIET_LOG(), what: 'writer', afterKill: '' });
  }
}
