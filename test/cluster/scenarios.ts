/**
 * Failover scenarios on the live lab, with the client writing throughout: each fault is
 * injected on the node that serves, the writer's journal gives the figures, and the checker
 * compares the file system with the journal.
 *
 * The outage is the longest gap between two consecutive acknowledgements that ends after the
 * fault (a master being stopped still answers for a moment, so "the first acknowledgement
 * after the fault" would measure nothing):
 *  failover_ms:     fault -> the acknowledgement that ends the outage
 *  unavailable_ms:  the outage itself (last acknowledgement before -> first after)
 *  data_resumed_ms: the same for the data writer (see runScenario)
 */
import { join } from 'node:path';
import { Deadline, sleep } from '../../lib/runtime/deadline.js';
import { liveProcess, terminate } from '../../lib/process/proc.js';
import { startBackground } from '../../lib/process/run.js';
import { switchOverArgs } from '../../lib/pacemaker/cib.js';
import { QUIET_LOG } from '../helpers/moosefs.js';
import { WRITER } from '../durability/crash.js';
import { check, mountInspector } from '../workload/checker.js';
import { readJournal, untilAcknowledged, type JournalEntry } from '../workload/journal.js';
import { NODES, otherNode, type NodeKind, type NodeName } from './lab.js';
import { splitBrainScenario } from './split-brain.js';
import { DRBD_RESOURCE, topologyHasDrbd, type MfsLab, type Topology } from './mfs-lab.js';
import { describePhases, type Timeline } from './timeline.js';
import { labTimeline } from './timeline-lab.js';

export interface ScenarioResult {
  name: string;
  topology: string;
  /** The MooseFS version every daemon and client of the run was. */
  moosefs: string;
  /** The kind of node the figures came from: namespaces on this kernel, or UML kernels (slower; never mixed). */
  nodes: NodeKind;
  changelog_save_mode: number;
  /** From the metadata writer: fault -> the acknowledgement that ends the outage. */
  failover_ms: number;
  unavailable_ms: number;
  /** Fault -> the data writer's first write after the outage; null when it was still waiting at the end. */
  data_resumed_ms: number | null;
  acknowledged: number;
  lost: number;
  /** Acknowledged operations the checker could not inspect (the mount answered with errors). */
  unverified: number;
  /** How long before the fault the earliest lost operation was acknowledged; null when none was lost. */
  loss_window_ms: number | null;
  /** What `mfs-crm status` said while nobody served (scenarios that look). */
  while_down: string | null;
  /** What `mfs-crm status` said on the serving node after the failover: who is promoted, and why the others are not. */
  explained: { verdict: string; promoted: string[]; others: Array<{ node: string; online: boolean; standby: boolean; role: string; score: number | null; reason: string | null }> } | null;
  from: NodeName;
  to: NodeName | null;
  /** Where the seconds went: the failover's phases from the nodes' logs, ms since the fault (test/cluster/timeline.ts). */
  phases: Timeline;
}

export interface Scenario {
  name: string;
  /** Injects the fault on the serving node. */
  fault(lab: MfsLab, active: NodeName): Promise<void>;
  /** Puts the cluster back to two healthy nodes after the failover. */
  restore(lab: MfsLab, failed: NodeName): Promise<void>;
  /** Run right after the fault: what `mfs-crm status` says while nobody serves. */
  whileDown?(lab: MfsLab, failed: NodeName): Promise<string>;
  /** Run before the writers start (a parameter whose change restarts resources). */
  prepare?(lab: MfsLab): Promise<void>;
}

/**
 * A node's standby attribute, as `crm node standby|online NODE` sets it (a permanent node
 * attribute), through Pacemaker's own tool: crmsh costs about 11 s a call in a UML node, which
 * would count as failover time.
 */
async function standby(lab: MfsLab, node: NodeName, on: boolean): Promise<void> {
  const result = await lab.cluster.exec(node, 'crm_attribute', ['--node', node, '--name', 'standby', '--update', on ? 'on' : 'off', '--lifetime', 'forever'], { timeoutMs: 60_000 });
  if (!result.ok) throw new Error(`standby ${on ? 'on' : 'off'} of ${node}: ${result.stderr}`);
}

/** Both nodes online, every resource of ours running again (a store resynced on the other node). */
async function settle(lab: MfsLab, timeoutMs = 150_000): Promise<void> {
  await lab.cluster.waitForNodes(NODES, timeoutMs);
  const ok = await new Deadline(timeoutMs).poll(
    async () => {
      const mon = await lab.cluster.exec('node1', 'crm_mon', ['-1', '--output-as=xml'], { timeoutMs: 10_000 }).catch(() => undefined);
      if (!mon?.ok) return undefined;
      const running = (mon.stdout.match(new RegExp(`<resource id="${lab.promotableResource}"[^>]*role="(Promoted|Unpromoted)"`, 'g')) ?? []).length;
      return running === 2 && (await lab.serving()) ? true : undefined;
    },
    { intervalMs: 1000 },
  );
  if (!ok) throw new Error(`the cluster did not settle back to two nodes with ${lab.promotableResource} on both\n${await clusterState(lab)}`);
  await lab.cluster.exec('node1', 'crm_resource', ['--cleanup'], { timeoutMs: 60_000 });
  await waitRedundant(lab, timeoutMs);
}

/**
 * Waits until the node that does not serve could take over (`mfs-crm status` names a
 * switch-over): a resync finished, a metalogger caught up, no split brain left. The next fault
 * must meet a redundant cluster, or it measures something else (a bench once switched over to a
 * node that had returned into a split brain). With DRBD, DRBD itself must say so too: a score
 * is as old as the monitor that published it, and a split brain found at a handshake 12 s
 * before a fault was still behind a score of 1000.
 */
async function waitRedundant(lab: MfsLab, timeoutMs: number): Promise<void> {
  let seen = 'no status read';
  const ok = await new Deadline(timeoutMs).poll(
    async () => {
      const status = await lab.status('node1').catch((error: Error) => {
        seen = error.message;
        return undefined;
      });
      if (!status) return undefined;
      const resource = status.resources.find((r) => r.id === lab.promotableResource);
      seen = `${status.verdict.kind}: ${status.verdict.why}${resource ? ` | ${resource.nodes.map((n) => `${n.node} ${n.role} score ${n.score ?? 'none'}: ${n.reason ?? 'no reason'}`).join(' | ')}` : ''}`;
      if (!status.switchOver) return undefined;
      if (!lab.hasDrbd) return true;
      const drbd = await lab.drbdPair('node1');
      seen = `${seen} | DRBD on node1: ${drbd.connection} ${drbd.disks}`;
      return drbd.replicating ? true : undefined;
    },
    { intervalMs: 2000 },
  );
  if (!ok) throw new Error(`the cluster serves again, but no other node could take over within ${timeoutMs / 1000} s: ${seen}`);
}

export const SCENARIOS: Record<string, Scenario> = {
  // Real DRBD only (UML nodes): the emulator shares one disk, so its split brain diverges no data.
  'split-brain': splitBrainScenario('manual'),
  'split-brain-discard': splitBrainScenario('discard-secondary'),
  'switch-over': {
    name: 'planned switch-over (crm node standby)',
    fault: (lab, active) => standby(lab, active, true),
    async restore(lab, failed) {
      await standby(lab, failed, false);
      await settle(lab);
    },
  },
  // Not in scenariosFor: a lever of issue 15 (which planned switch-over is fastest), for bench:failover.
  'switch-over-ban': {
    name: 'planned switch-over (crm_resource --ban --promoted of the clone)',
    async fault(lab, active) {
      // The Promoted role banned from the node: demote there (its instance stays Unpromoted), promote on the other.
      const ban = await lab.cluster.exec(active, 'crm_resource', switchOverArgs(`${lab.promotableResource}-clone`, active).ban, { timeoutMs: 60_000 });
      if (!ban.ok) throw new Error(`ban of the Promoted role on ${active}: ${ban.stderr}`);
    },
    async restore(lab, failed) {
      await lab.cluster.exec(failed, 'crm_resource', switchOverArgs(`${lab.promotableResource}-clone`, failed).clear, { timeoutMs: 60_000 });
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
    fault: (lab, active) => lab.cluster.powerOff(active),
    // The survivor fences it through the switch ("reboot"): it boots again 20 s later (FENCED_NODE_BOOT_DELAY_MS) and rejoins.
    restore: (lab) => settle(lab),
  },
  'full-restart': {
    name: 'full-cluster restart (both nodes cut, then powered on)',
    async fault(lab, active) {
      // The active node first, the other at once after: neither has time to fence or promote.
      for (const node of [active, otherNode(active)]) await lab.cluster.powerOff(node);
      for (const node of NODES) await lab.cluster.powerOn(node);
    },
    restore: (lab) => settle(lab),
  },
  'replication-cut': {
    name: 'replication cut, then the Primary lost',
    async fault(lab, active) {
      await lab.setReplication(active, false);
      if (lab.drbdEmulated) {
        // What the Primary's fence-peer handler does on losing its peer (crm-fence-peer.9.sh and
        // DRBD's outdate-peer): the Secondary's data is marked Outdated while the Primary goes on.
        await lab.drbdFault(['outdate', DRBD_RESOURCE, otherNode(active)]);
      } else {
        // Real DRBD: the Primary freezes its writes and runs its fence-peer handler
        // (crm-fence-peer.sh), which forbids promotion anywhere else in the CIB; then it writes on.
        await lab.waitForFencePeerConstraint(active, true, 60_000);
      }
      await sleep(2000); // the client writes on, to the Primary only
      await lab.cluster.powerOff(active);
    },
    // The survivor fences the lost node (the switch boots it again): only it has the newest data.
    async whileDown(lab, failed) {
      const survivor = otherNode(failed);
      let seen = 'no status read';
      await new Deadline(60_000).poll(
        async () => {
          const status = await lab.status(survivor).catch((error: Error) => {
            seen = error.message;
            return undefined;
          });
          const resource = status?.resources.find((r) => r.id === lab.promotableResource);
          if (!status || !resource) return undefined;
          const mine = resource.nodes.find((n) => n.node === survivor);
          seen = `${status.verdict.kind}: ${status.verdict.why} | ${survivor}: ${mine?.reason ?? `(no reason; score ${mine?.score ?? 'none'})`}`;
          if (resource.promoted.length > 0 || status.verdict.kind !== 'blocked') return undefined;
          // Real DRBD: the handler's constraint holds the survivor back, whatever its disk says.
          if (!lab.drbdEmulated) return (await lab.fencePeerConstraint(survivor)) ? true : undefined;
          // Emulated: until the survivor's monitor has seen its Outdated disk, the status shows its
          // older reason (ocf:linbit:drbd publishes none: its monitor deletes the score instead).
          const outdated = lab.publishesReasons ? /Outdated/.test(mine?.reason ?? '') : mine?.score === null;
          return outdated ? true : undefined;
        },
        { intervalMs: 1000 },
      );
      return seen;
    },
    async restore(lab, failed) {
      // Emulated: the cable is healed by hand. Real: the fenced node booted with its links, DRBD
      // resynchronised the survivor, and its after-resync-target handler (crm-unfence-peer.sh)
      // lifted the constraint: proven here, or the next promotion would be blocked.
      if (lab.drbdEmulated) await lab.setReplication(failed, true);
      await settle(lab);
      // 180 s: the resync waits for the fenced node's DRBD start (about 70 s after it rejoined in
      // a UML lab); one LINBIT-topology run still had the constraint 120 s after settling.
      if (!lab.drbdEmulated) await lab.waitForFencePeerConstraint(failed, false, 180_000);
    },
  },
  partition: {
    name: 'network partition of the active node',
    async fault(lab, active) {
      await lab.cluster.setLink(active, false);
      // DRBD replicates over the same network: its link goes too (the emulator cannot see the
      // cable; real DRBD in UML nodes loses it with the node's links).
      if (lab.drbdEmulated) await lab.setReplication(active, false);
    },
    // The survivor fences it (reboot: a new cable comes with the new boot); then DRBD reconnects.
    async restore(lab, failed) {
      if (lab.drbdEmulated) await lab.setReplication(failed, true);
      await settle(lab);
    },
  },
};

/** The scenarios a topology can run (a replication cut needs DRBD), in the issue's order. */
export function scenariosFor(topology: Topology): string[] {
  return ['switch-over', 'kill-master', 'power-loss', 'partition', 'full-restart', ...(topologyHasDrbd(topology) ? ['replication-cut'] : [])];
}

/** Every gap of at least `minMs` between consecutive acknowledgements that ends after the fault, in order. */
export function gapsAfter(entries: readonly JournalEntry[], faultAt: number, minMs: number): Array<{ start: number; end: number; ms: number }> {
  const acks = entries.map((e) => e.ackedAt).sort((a, b) => a - b);
  const gaps: Array<{ start: number; end: number; ms: number }> = [];
  for (let i = 1; i < acks.length; i++) {
    const [start, end] = [acks[i - 1]!, acks[i]!];
    if (end > faultAt && end - start >= minMs) gaps.push({ start, end, ms: end - start });
  }
  return gaps;
}

/** The longest gap between consecutive acknowledgements that ends after the fault. */
export function outage(entries: readonly JournalEntry[], faultAt: number): { start: number; end: number; ms: number } | undefined {
  let best: { start: number; end: number; ms: number } | undefined;
  for (const gap of gapsAfter(entries, faultAt, 0)) if (!best || gap.ms > best.ms) best = gap;
  return best;
}

/** How long the service may take to come back before the scenario fails. */
const RECOVERY_LIMIT_MS = 120_000;
/** The same in UML nodes, where every agent action costs seconds (../shared/uml-lab). */
const RECOVERY_LIMIT_UML_MS = 300_000;
/** Acknowledged metadata operations before a fault (bounded wait). */
const ACKS_BEFORE_FAULT = 10;
/** How long acknowledgements must flow without a gap before the outage counts as over. */
const STEADY_MS = 5000;
/** How long, after the metadata came back, the data writer gets to resume before it is reported stalled. */
const DATA_GRACE_MS = 10_000;

/** One writer of the workload, with its journal (this run's alone). */
interface Stream {
  journal: string;
  writer: Awaited<ReturnType<typeof startBackground>>;
}

async function startStream(lab: MfsLab, key: string, kind: 'metadata' | 'data'): Promise<Stream> {
  const prefix = `${key}-${Date.now()}-${kind === 'data' ? 'd' : 'm'}`;
  const journal = join(lab.paths.state, `journal-${prefix}.jsonl`);
  const args = ['--mount', lab.mountpoint, '--journal', journal, '--prefix', prefix, '--duration-ms', '600000', ...(kind === 'data' ? ['--data'] : [])];
  return { journal, writer: await startBackground(WRITER, args, { timeoutMs: 700_000 }) };
}

/**
 * SIGTERM (a writer ends after its operation), then SIGKILL. A writer in close() on a locked
 * chunk cannot die before mfsmount answers (the kernel sends FUSE's flush uninterruptibly):
 * it is left to the lab, whose teardown ends mfsmount and then reaps it.
 */
async function stopStreams(lab: MfsLab, streams: readonly Stream[]): Promise<void> {
  const pids = streams.map((s) => s.writer.pid).filter((pid) => !lab.stragglers.includes(pid));
  try {
    await terminate(pids, { deadline: new Deadline(5000), log: QUIET_LOG(), what: 'writers', afterKill: '' });
  } catch {
    const stuck = pids.filter((pid) => liveProcess(pid));
    lab.stragglers.push(...stuck);
    return;
  }
  await Promise.all(streams.filter((s) => pids.includes(s.writer.pid)).map((s) => s.writer.result));
}

const journalOf = (stream: Stream) => readJournal(stream.journal);

/**
 * `mfs-crm status` on the serving node, reduced to the promotable resource of the topology;
 * read again (bounded) while another node is still starting and has published nothing yet, or
 * while status itself fails (in a UML node it may exceed its time while the node recovers).
 */
async function explain(lab: MfsLab, on: NodeName): Promise<ScenarioResult['explained']> {
  let last: ScenarioResult['explained'] = null;
  let failure: unknown;
  // A fenced UML node takes minutes to boot, rejoin and start its instance.
  await new Deadline(lab.cluster.kind === 'uml' ? 240_000 : 30_000).poll(
    async () => {
      let status: Awaited<ReturnType<MfsLab['status']>>;
      try {
        status = await lab.status(on);
      } catch (error) {
        failure = error;
        return undefined;
      }
      const resource = status.resources.find((r) => r.id === lab.promotableResource);
      if (!resource) throw new Error(`mfs-crm status on ${on} does not show ${lab.promotableResource}: ${JSON.stringify(status.resources.map((r) => r.id))}`);
      const others = resource.nodes.filter((n) => !resource.promoted.includes(n.node)).map(({ node, online, standby, role, score, reason }) => ({ node, online, standby, role, score, reason }));
      last = { verdict: `${status.verdict.kind}: ${status.verdict.why}`, promoted: resource.promoted, others };
      return others.every((o) => explainedEnough(lab, last!, o)) ? true : undefined;
    },
    { intervalMs: 1000 },
  );
  if (last === null && failure !== undefined) throw failure;
  return last;
}

/**
 * Whether status says enough of a node that is not promoted: offline, or the reason its agent
 * published. LINBIT's agent publishes none: there its promotion score, or the standby or the
 * missing score that the verdict names ("NODE cannot take over: no promotion score").
 */
export function explainedEnough(
  lab: MfsLab,
  explained: NonNullable<ScenarioResult['explained']>,
  other: NonNullable<ScenarioResult['explained']>['others'][number],
): boolean {
  if (!other.online || other.reason !== null) return true;
  if (lab.publishesReasons) return false;
  return other.score !== null || other.standby || (other.role === 'Unpromoted' && explained.verdict.includes(`${other.node} cannot take over: no promotion score`));
}

/** Pacemaker's view, for the message of a failed scenario. */
async function clusterState(lab: MfsLab): Promise<string> {
  for (const node of NODES) {
    const mon = await lab.cluster.exec(node, 'crm_mon', ['-1', '-A', '-f', '-r'], { timeoutMs: 10_000 }).catch(() => undefined);
    if (mon?.ok) return `crm_mon on ${node}:\n${mon.stdout}`;
  }
  return 'crm_mon answered on no node';
}

/**
 * Runs one scenario with two writers going (metadata operations; small files written then
 * closed) and returns the figures from their journals.
 *
 * The failover figures come from the metadata writer. The data writer is reported apart,
 * because MooseFS 3.0 holds a chunk that was being written when the master went down locked
 * for up to 120 s (LOCKTIMEOUT in mfsmaster/chunks.c, restored from the changelog by the new
 * master), and a copy a chunkserver reports while it is locked is marked invalid: the write
 * in flight at the fault waits that out, whatever the cluster does.
 */
export async function runScenario(lab: MfsLab, key: string, topology: string, saveMode: number, log: (line: string) => void): Promise<ScenarioResult> {
  const scenario = SCENARIOS[key];
  if (!scenario) throw new Error(`unknown scenario ${key}`);
  if (scenario.prepare) await scenario.prepare(lab);
  const active = await lab.waitUntilServing(60_000);
  // A fault must not land inside a transition: Pacemaker 2.1.5 was seen (UML lab) to record a
  // recurring monitor's failure that came in while its transition still ran, and never recover it.
  await lab.waitForIdle(active);
  const recoveryLimitMs = lab.cluster.kind === 'uml' ? RECOVERY_LIMIT_UML_MS : RECOVERY_LIMIT_MS;
  const streams: Stream[] = [];
  try {
    streams.push(await startStream(lab, key, 'metadata'), await startStream(lab, key, 'data'));
    const [metadata, data] = streams as [Stream, Stream];
    // Steady writing before the fault: 2 s, and enough acknowledgements that the outage has a
    // start (in UML nodes each fsynced operation may take a second: 2 s alone held none).
    await sleep(2000);
    await untilAcknowledged(metadata.journal, ACKS_BEFORE_FAULT, new Deadline(60_000));
    const faultAt = Date.now();
    log(`${scenario.name}: fault on ${active} at ${new Date(faultAt).toISOString()}`);
    await scenario.fault(lab, active);
    const whileDown = scenario.whileDown ? await scenario.whileDown(lab, active) : null;
    if (whileDown) log(`mfs-crm status while nobody serves: ${whileDown}`);
    // The outage has ended when acknowledgements have flowed without a gap of 300 ms or more
    // for STEADY_MS since the last such gap after the fault (a brief stall just before the real
    // outage must not be taken for it); the outage is then the longest gap after the fault.
    const recovered = await new Deadline(recoveryLimitMs).poll(
      () => {
        const entries = journalOf(metadata).entries;
        const gaps = gapsAfter(entries, faultAt, 300);
        const lastAck = Math.max(0, ...entries.map((e) => e.ackedAt));
        const steady = gaps.length > 0 && Date.now() - gaps.at(-1)!.end >= STEADY_MS && Date.now() - lastAck < 1000;
        return steady ? outage(entries, faultAt) : undefined;
      },
      { intervalMs: 200 },
    );
    if (!recovered) {
      const state = await clusterState(lab);
      throw new Error(`${scenario.name}: no metadata operation acknowledged within ${recoveryLimitMs / 1000} s of the fault\n${state}`);
    }
    await new Deadline(DATA_GRACE_MS).poll(() => (journalOf(data).entries.some((e) => e.ackedAt > recovered.end) ? true : undefined), { intervalMs: 200 });
    await sleep(2000); // steady writing after the failover
    await stopStreams(lab, streams);

    const to = await lab.activeNode();
    const explained = to ? await explain(lab, to) : null;
    const journals = streams.map(journalOf);
    const checks = journals.map(({ entries, intents }) => check(entries, mountInspector(lab.mountpoint), intents));
    const dataEntries = journals[streams.indexOf(data)]!.entries;
    const dataGap = outage(dataEntries, faultAt);
    const dataResumed = dataGap && dataEntries.some((e) => e.ackedAt >= recovered.end) ? dataGap.end - faultAt : null;
    const lost = checks.flatMap((c) => c.lost);
    const lostAt = journals.flatMap(({ entries }, i) => {
      const ackedAt = new Map(entries.map((e) => [e.seq, e.ackedAt]));
      return checks[i]!.lost.map((l) => ackedAt.get(l.seq) ?? faultAt);
    });
    const unverified = checks.flatMap((c) => c.unverified);
    const outcome: ScenarioResult = {
      name: key,
      topology,
      moosefs: lab.moosefs.version,
      nodes: lab.cluster.kind,
      changelog_save_mode: saveMode,
      failover_ms: recovered.end - faultAt,
      unavailable_ms: recovered.ms,
      data_resumed_ms: dataResumed,
      acknowledged: checks.reduce((sum, c) => sum + c.acknowledged, 0),
      lost: lost.length,
      unverified: unverified.length,
      loss_window_ms: lostAt.length ? faultAt - Math.min(...lostAt) : null,
      while_down: whileDown,
      explained,
      from: active,
      to: to ?? null,
      phases: labTimeline(lab.paths.dir, lab.cluster.kind, { faultAt, outage: recovered, from: active, to: to ?? null }),
    };
    if (lost.length) log(`LOST: ${lost.slice(0, 5).map((l) => `${l.path} (seq ${l.seq}, found ${l.found.kind})`).join(', ')}`);
    if (unverified.length) log(`UNVERIFIED: ${unverified.slice(0, 5).map((l) => `${l.path} (${l.found.error})`).join(', ')}`);
    const dataNote = dataResumed === null ? `the data write in flight still waits (MooseFS chunk lock, up to 120 s)` : `data writes resumed after ${dataResumed} ms`;
    const lossNote = outcome.loss_window_ms === null ? '' : ` (acknowledged within ${outcome.loss_window_ms} ms before the fault)`;
    for (const other of explained?.others ?? []) log(`mfs-crm status: promoted ${explained!.promoted.join(', ') || 'nowhere'}; ${other.node} ${other.online ? other.role : 'offline'}: ${other.reason ?? `(no reason published; score ${other.score ?? 'none'})`}`);
    for (const line of describePhases(outcome.phases)) log(`  ${line}`);
    log(`${scenario.name}: served by ${outcome.to ?? 'nobody'} after ${outcome.failover_ms} ms, ${dataNote}; ${outcome.acknowledged} acknowledged, ${outcome.lost} lost${lossNote}`);
    await scenario.restore(lab, active);
    return outcome;
  } finally {
    await stopStreams(lab, streams);
  }
}
