/**
 * Split brain on real DRBD (issue 14), as clusters without fencing get it (the old how-tos ran
 * so): fencing off, the serving node cut from the network. The other node takes over and serves
 * the clients; both are Primary apart, each with data of its own. When the link comes back,
 * DRBD finds the split brain at its handshake and drops the connection (StandAlone), Pacemaker
 * keeps one Primary, and the agents apply `split_brain_policy`:
 *  - manual: nothing is discarded, the Primary serves on, `mfs-crm status` names the commands;
 *    the scenario's restore then runs them (drbdadm connect --discard-my-data on the victim),
 *    as the guide tells an admin, and the pair resynchronises;
 *  - discard-secondary: the victim's agent discards its side's changes by itself.
 * What the victim's side had acknowledged is lost either way when the victim is the node that
 * served during the split: the checker counts it, and the test asserts it all came after the fault.
 */
import { Deadline, sleep } from '../../lib/runtime/deadline.js';
import type { SplitBrainPolicy } from '../../lib/drbd/decisions.js';
import { must } from '../helpers/run.js';
import { NODES, otherNode, type NodeName } from './lab.js';
import { DRBD_RESOURCE, type MfsLab } from './mfs-lab.js';
import type { Scenario } from './scenarios.js';

/** How long the node that took over serves alone before the link comes back. */
const APART_MS = 10_000;

async function onNode(lab: MfsLab, node: NodeName, file: string, args: string[], timeoutMs = 60_000): Promise<string> {
  return (await must(lab.cluster.exec(node, file, args, { timeoutMs }))).stdout.trim();
}

const stonith = (lab: MfsLab, node: NodeName, enabled: boolean) =>
  onNode(lab, node, 'crm_attribute', ['--type', 'crm_config', '--name', 'stonith-enabled', '--update', String(enabled)]);

/** DRBD's own words in the node's kernel log (8.4: "Split-Brain detected but unresolved, dropping connection!"). */
async function splitBrainsLogged(lab: MfsLab, node: NodeName): Promise<string[]> {
  const dmesg = await lab.cluster.exec(node, 'dmesg', [], { timeoutMs: 30_000 }).catch(() => undefined);
  return (dmesg?.stdout.split('\n') ?? []).filter((line) => /Split-Brain detected/i.test(line)).map((line) => line.replace(/^\[[\s\d.]+\]\s*/, ''));
}

/** The node whose store instance Pacemaker keeps Unpromoted (the split brain's victim), per crm_mon. */
async function unpromotedNode(lab: MfsLab): Promise<NodeName | undefined> {
  const mon = await lab.cluster.exec('node1', 'crm_mon', ['-1', '--output-as=xml'], { timeoutMs: 30_000 });
  const match = new RegExp(`<resource id="${lab.promotableResource}"[^>]*role="Unpromoted"[^>]*>\\s*<node name="(node\\d)"`).exec(mon.stdout);
  return match?.[1] as NodeName | undefined;
}

export function splitBrainScenario(policy: SplitBrainPolicy): Scenario {
  /** How many split brains each node's kernel had logged before this fault (a node's log outlives scenarios). */
  const loggedBefore = new Map<NodeName, number>();
  return {
    name: `split brain (fencing off), split_brain_policy=${policy}`,
    async prepare(lab) {
      // LINBIT's agent has no such parameter. DRBD's own after-sb settings decide: the lab's
      // after-sb-1pri (discard-secondary) does not apply to two Primaries, and after-sb-2pri keeps
      // its default, disconnect, which leaves the resolution to the admin, as manual does.
      if (!lab.publishesReasons) {
        if (policy !== 'manual') throw new Error(`split_brain_policy=${policy}: only mfs-drbd-store has it`);
        return;
      }
      // Not reloadable: the store's instances restart with it, before the writers start.
      await onNode(lab, 'node1', 'crm_resource', ['--resource', lab.promotableResource, '--set-parameter', 'split_brain_policy', '--parameter-value', policy]);
      await lab.waitForIdle('node1', 300_000);
      await lab.waitUntilServing(300_000);
    },
    async fault(lab, active) {
      const other = otherNode(active);
      for (const node of NODES) loggedBefore.set(node, (await splitBrainsLogged(lab, node)).length);
      await stonith(lab, active, false);
      await lab.cluster.setLink(active, false);
      // The other node takes over (nobody fences): both Primary, each writing its own data.
      // 420 s: in UML nodes LINBIT's topology took 168 and over 180 s (mfsmaster's start alone 105 s).
      const served = await new Deadline(420_000).poll(async () => ((await lab.serving()) ? true : undefined), { intervalMs: 1000 });
      if (!served) throw new Error(`${other} did not take over the master while ${active} was cut off`);
      await sleep(APART_MS);
      await lab.cluster.setLink(active, true);
      const seen = await new Deadline(180_000).poll(
        async () => {
          const states = await Promise.all(NODES.map((n) => lab.drbdConnection(n).catch(() => '')));
          return states.includes('StandAlone') ? states : undefined;
        },
        { intervalMs: 1000 },
      );
      if (!seen) throw new Error(`DRBD found no split brain after the link came back (connection states: ${(await Promise.all(NODES.map((n) => lab.drbdConnection(n)))).join(', ')})`);
    },
    /**
     * Once one Primary is left: what DRBD's kernel logged, and what `mfs-crm status` says (our
     * agent names the split brain and what the policy does; LINBIT's publishes only a score).
     */
    async whileDown(lab) {
      let seen = 'no status read';
      // LINBIT's topology in UML nodes: Pacemaker demoted the reunited second Primary 3.6 min
      // after the link came back (its group stopped first), so 180 s was not enough.
      await new Deadline(420_000).poll(
        async () => {
          const victim = await unpromotedNode(lab);
          if (!victim) return undefined;
          const status = await lab.status(otherNode(victim)).catch(() => undefined);
          const resource = status?.resources.find((r) => r.id === lab.promotableResource);
          if (!status || !resource) return undefined;
          const fresh = async (n: NodeName) => (await splitBrainsLogged(lab, n)).slice(loggedBefore.get(n) ?? 0).at(-1) ?? '-';
          const kernel = (await Promise.all(NODES.map(async (n) => `${n}: ${await fresh(n)}`))).join('; ');
          seen = `${status.verdict.kind}: ${status.verdict.why} | ${resource.nodes.map((n) => `${n.node} ${n.role}: ${n.reason ?? '(no reason)'}`).join(' | ')} | kernel ${kernel}`;
          return (lab.publishesReasons ? /SPLIT BRAIN/ : /Split-Brain detected/).test(seen) ? true : undefined;
        },
        { intervalMs: 2000 },
      );
      return seen;
    },
    async restore(lab, failed) {
      const victim = (await unpromotedNode(lab)) ?? otherNode(failed);
      const survivor = otherNode(victim);
      if (policy === 'manual') {
        // The recovery the agent names (and DRBD's guide): the victim discards its side's changes.
        // Real 8.4 refuses to disconnect a StandAlone resource ("(162) ... unknown connection").
        const disconnect = (await lab.drbdConnection(victim)) === 'StandAlone' ? [] : [['disconnect']];
        for (const args of [...disconnect, ['secondary'], ['connect', '--discard-my-data']]) await onNode(lab, victim, 'drbdadm', [...args, DRBD_RESOURCE]);
        if ((await lab.drbdConnection(survivor)) === 'StandAlone') await onNode(lab, survivor, 'drbdadm', ['connect', DRBD_RESOURCE]);
      }
      // Both policies: the pair replicates again (discard-secondary: by the agents alone).
      const connected = await new Deadline(240_000).poll(
        async () => ((await Promise.all(NODES.map((n) => lab.drbdConnection(n).catch(() => '')))).every((s) => s === 'Connected') ? true : undefined),
        { intervalMs: 2000 },
      );
      if (!connected) throw new Error(`DRBD did not reconnect after the split brain (policy ${policy})`);
      await stonith(lab, survivor, true);
      // The victim resynchronised: its after-resync-target handler lifted the fence constraint.
      await lab.waitForFencePeerConstraint(survivor, false, 180_000);
      await lab.waitForIdle(survivor);
      await lab.waitUntilServing(60_000);
      await onNode(lab, survivor, 'crm_resource', ['--cleanup']);
    },
  };
}
