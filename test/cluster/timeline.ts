/**
 * Where the seconds of a failover go: its phases, read from the cluster's own logs (each
 * node's pacemaker.log and corosync.log) and the writer's journal, as ms since the fault.
 * Pure: the texts come in, the phases go out (test/fixtures/cluster holds excerpts of real runs).
 *
 * Phases (each with the node it happened on; start_ms where the log has one, end_ms always):
 *  - token missed / token lost / membership changed: Corosync ("Token has not been received",
 *    "A processor failed, forming new configuration", "Members[N]");
 *  - monitor failed RSC: a recurring monitor's result other than ok;
 *  - loss noticed: the earliest of token lost and a failed monitor;
 *  - transition calculated: the first transition the DC calculated after the fault (detail: how
 *    many were calculated and how many stopped before completing, within the window);
 *  - fencing of old|new requested, old|new fenced (a cut node asks to fence the survivor too);
 *  - OP RSC on old|new|other: each start, stop, promote and demote of a resource (start_ms at
 *    the controller's request, end_ms at its result; detail: what our agents logged, e.g. a
 *    recovery and its time); on the serving node without "on ..." when the service came back on
 *    the node that had it;
 *  - notifications, probes: every clone notification (probe) in the window as one phase, from
 *    the first request to the last result, detail their number and summed execution time;
 *  - last acknowledgement, first acknowledgement: the writer's outage, from its journal.
 *
 * The window is [fault, first acknowledgement]: what comes after (the fenced node rejoining) is
 * not part of the failover; an action requested within it is kept whole, even when its result
 * comes later (IPaddr2's start may return after the client reconnected). Timestamps carry no year and are the node's local time: namespace
 * nodes share this machine's clock and zone; nodes with clocks of their own (UML kernels) are
 * used when their logs show them within CLOCK_TOLERANCE_MS of this machine's (clockSkew), and
 * get `unavailable` otherwise, rather than numbers that could be wrong.
 */

export interface LogText {
  node: string;
  kind: 'pacemaker' | 'corosync';
  text: string;
}

export interface Phase {
  phase: string;
  node: string | null;
  start_ms: number | null;
  end_ms: number;
  detail?: string;
}

/** note: how far the nodes' clocks may be from this machine's, when they are not the same clock. */
export type Timeline = { phases: Phase[]; note?: string } | { unavailable: string };

export interface TimelineInput {
  /** When the fault was injected (ms since the epoch, this machine's clock). */
  faultAt: number;
  /** The writer's outage (ms since the epoch), when it had one. */
  lastAckAt?: number | null;
  firstAckAt?: number | null;
  /** The node that served before the fault, and after (null: nobody). */
  from: string;
  to: string | null;
  logs: readonly LogText[];
  /**
   * Whether the nodes' clocks are this machine's (namespace nodes), their own but seen within
   * `withinMs` of it (UML kernels, checked by clockSkew), or their own, unchecked.
   */
  clock: 'host' | 'own' | { withinMs: number };
}

/** How far a node's clock may be from this machine's before its logs' times are not used. */
export const CLOCK_TOLERANCE_MS = 1000;

/**
 * A node with a clock of its own, checked against this machine's: the newest stamped line of a
 * log it writes to a file on this machine, minus the file's modification time (this machine's
 * clock at the write). The same clock gives a few ms to a few hundred ms below zero (the line
 * is stamped before it is written); undefined without a stamped line.
 */
export function clockSkew(text: string, mtimeMs: number): number | undefined {
  const lines = text.trimEnd().split('\n');
  for (let i = lines.length - 1; i >= 0 && i >= lines.length - 50; i--) {
    const at = parseStamp(lines[i]!, mtimeMs);
    if (at !== undefined) return at - mtimeMs;
  }
  return undefined;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const STAMP = /^([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?/;

/**
 * A log line's time ("Dec 02 11:23:33.428", local time, no year) in ms since the epoch: the
 * year that puts it nearest `near`. undefined for a line that does not start with one.
 */
export function parseStamp(line: string, near: number): number | undefined {
  const m = STAMP.exec(line);
  if (!m) return undefined;
  const month = MONTHS.indexOf(m[1]!);
  if (month < 0) return undefined;
  const ms = m[6] ? Math.floor(Number(m[6].padEnd(3, '0').slice(0, 3))) : 0;
  const year = new Date(near).getFullYear();
  let best: number | undefined;
  for (const y of [year - 1, year, year + 1]) {
    const t = new Date(y, month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), ms).getTime();
    if (best === undefined || Math.abs(t - near) < Math.abs(best - near)) best = t;
  }
  return best;
}

interface Line {
  at: number;
  node: string;
  kind: LogText['kind'];
  text: string;
}

/** Results of a recurring monitor that mean the resource is fine ("promoted (degraded)" too). */
const GOOD_RESULT = /^(ok|promoted|Cancelled)\b/;
const ACTIONS = new Set(['start', 'stop', 'promote', 'demote']);
/** How long after the first acknowledgement the result of an action requested before it is looked for. */
const LATE_RESULT_MS = 60_000;

const REQUEST = /Requesting local execution of (\w+) operation for (\S+) on (\S+?)(?: \||$)/;
const RESULT = /Result of (\w+) operation for (\S+) on (\S+?): ([^|]+?)(?: \||$)/;
/** "mfs-master_start_0[794] error output [ mfsmaster(mfs-master)[794]: INFO: mfsmaster started (pid 805) ]" */
const OUTPUT = /\(log_op_output\)\s+\w+: (\S+?)_(\w+)_\d+\[\d+\] (?:error )?output \[ (?:[\w.-]+\([^)]*\)\[\d+\]: )?(.*?) ?\]$/;
/** "mfs-store notify (call 33, PID 780) exited with status 0 (execution time 137ms)" */
const FINISHED = /\(log_finished\)\s+\w+: (\S+) (\w+) \(call \d+[^)]*\) exited with status \d+ \(execution time ([\d.]+)(ms|s)/;

/** The phases of one failover, or why there are none. */
export function timeline(input: TimelineInput): Timeline {
  if (input.clock === 'own') {
    return { unavailable: "the nodes keep clocks of their own (UML kernels): their logs' times are not this machine's" };
  }
  if (typeof input.clock === 'object' && input.clock.withinMs > CLOCK_TOLERANCE_MS) {
    return { unavailable: `a node's clock is ${input.clock.withinMs} ms from this machine's (more than ${CLOCK_TOLERANCE_MS} ms)` };
  }
  const note = typeof input.clock === 'object' ? `the nodes' own clocks, seen within ${input.clock.withinMs} ms of this machine's` : undefined;
  const { faultAt, from, to } = input;
  const end = input.firstAckAt ?? Number.POSITIVE_INFINITY;
  const lines: Line[] = [];
  for (const log of input.logs) {
    for (const text of log.text.split('\n')) {
      const at = parseStamp(text, faultAt);
      // Past the end, only the results of actions requested before it (read below).
      if (at !== undefined && at >= faultAt && at <= end + LATE_RESULT_MS) lines.push({ at, node: log.node, kind: log.kind, text });
    }
  }
  lines.sort((a, b) => a.at - b.at);

  const rel = (at: number) => at - faultAt;
  const phases: Phase[] = [];
  const firstOf = new Map<string, Phase>();
  const once = (phase: string, node: string | null, at: number, detail?: string) => {
    if (firstOf.has(phase)) return;
    const made: Phase = { phase, node, start_ms: null, end_ms: rel(at), ...(detail ? { detail } : {}) };
    firstOf.set(phase, made);
    phases.push(made);
  };
  /**
   * Nodes by role, so that phases keep their names over repetitions (the serving node alternates):
   * old served before the fault, new serves after, other is neither; actions carry no role when
   * the service came back on the node that had it (kill -9; a fenced node that rebooted and took
   * it back), fencing always names its target's.
   */
  const targetRole = (node: string) => (node === from ? 'old' : node === to ? 'new' : 'other');
  const role = (node: string) => (from === to && node === from ? '' : ` on ${targetRole(node)}`);

  const requests = new Map<string, number>();
  const outputs = new Map<string, string[]>();
  const grouped = { notify: { first: Infinity, last: -Infinity, count: 0, execMs: 0 }, probe: { first: Infinity, last: -Infinity, count: 0, execMs: 0 } };
  const seen = new Map<string, number>();
  let transitions = 0;
  let stopped = 0;

  for (const line of lines) {
    const { text, node, at } = line;
    if (at > end) {
      // An action requested before the first acknowledgement may end after it (IPaddr2's start
      // returns after its ARP announcements, while the client already reconnected).
      const m = RESULT.exec(text) ?? OUTPUT.exec(text);
      const requested = m && (RESULT.test(text) ? requests.has(`${node} ${m[1]} ${m[2]}`) : requests.has(`${node} ${m[2]} ${m[1]}`));
      if (!requested || !ACTIONS.has(RESULT.test(text) ? m[1]! : m[2]!)) continue;
    }
    if (line.kind === 'corosync') {
      if (/\[TOTEM \] Token has not been received in/.test(text)) once('token missed', node, at);
      else if (/\[TOTEM \] A processor failed, forming new configuration/.test(text)) once('token lost', node, at);
      else if (/\[QUORUM\] Members\[\d+\]/.test(text)) once('membership changed', node, at, /Members\[\d+\]:.*$/.exec(text)?.[0].trim());
      continue;
    }
    let m: RegExpExecArray | null;
    if ((m = REQUEST.exec(text))) {
      requests.set(`${node} ${m[1]} ${m[2]}`, at);
      const group = grouped[m[1] as keyof typeof grouped];
      if (group) group.first = Math.min(group.first, at);
    } else if ((m = RESULT.exec(text))) {
      const [, op, rsc, , result] = m as unknown as [string, string, string, string, string];
      const key = `${node} ${op} ${rsc}`;
      const started = requests.get(key);
      requests.delete(key);
      const group = grouped[op as keyof typeof grouped];
      if (group) {
        group.last = Math.max(group.last, at);
        group.count++;
      } else if (op === 'monitor' && !GOOD_RESULT.test(result.trim())) {
        once(`monitor failed ${rsc}`, node, at, result.trim());
      } else if (ACTIONS.has(op)) {
        const name = `${op} ${rsc}${role(node)}`;
        const n = (seen.get(name) ?? 0) + 1;
        seen.set(name, n);
        const said = outputs.get(`${node} ${rsc} ${op}`) ?? [];
        outputs.delete(`${node} ${rsc} ${op}`);
        const detail = [...(result.trim() === 'ok' ? [] : [result.trim()]), ...said].join('; ');
        phases.push({ phase: n > 1 ? `${name} #${n}` : name, node, start_ms: started === undefined ? null : rel(started), end_ms: rel(at), ...(detail ? { detail } : {}) });
      }
    } else if ((m = OUTPUT.exec(text))) {
      const key = `${node} ${m[1]} ${m[2]}`;
      outputs.set(key, [...(outputs.get(key) ?? []), m[3]!]);
    } else if ((m = FINISHED.exec(text))) {
      const group = grouped[m[2] === 'monitor' ? 'probe' : (m[2] as keyof typeof grouped)];
      // log_finished names monitors and probes alike: a probe is only counted through its result.
      if (group && m[2] !== 'monitor') group.execMs += Number(m[3]) * (m[4] === 's' ? 1000 : 1);
    } else if (/Calculated transition \d+/.test(text)) {
      transitions++;
      once('transition calculated', node, at);
    } else if (/Transition \d+ \(.*\): Stopped/.test(text)) {
      stopped++;
    } else if ((m = /Requesting fencing \((\w+)\) of node (\S+)/.exec(text))) {
      // A cut node asks to fence the survivor too (and cannot): each target its own phase.
      once(`fencing of ${targetRole(m[2]!)} requested`, node, at, `${m[1]} of ${m[2]}`);
    } else if ((m = /Peer (\S+) was terminated \((\w+)\) by (\S+) .*: OK/.exec(text))) {
      once(`${targetRole(m[1]!)} fenced`, node, at, `${m[2]} of ${m[1]} by ${m[3]}`);
    }
  }

  const transition = firstOf.get('transition calculated');
  if (transition) transition.detail = `${transitions} calculated, ${stopped} stopped before completing`;
  for (const [op, group] of Object.entries(grouped)) {
    if (!group.count) continue;
    const name = op === 'notify' ? 'notifications' : 'probes';
    const exec = op === 'notify' ? `, ${group.execMs} ms of execution in all` : '';
    phases.push({ phase: name, node: null, start_ms: Number.isFinite(group.first) ? rel(group.first) : null, end_ms: rel(group.last), detail: `${group.count}${exec}` });
  }
  const noticed = [firstOf.get('token lost'), ...phases.filter((p) => p.phase.startsWith('monitor failed '))].filter((p): p is Phase => p !== undefined);
  if (noticed.length) {
    const first = noticed.reduce((a, b) => (b.end_ms < a.end_ms ? b : a));
    phases.push({ phase: 'loss noticed', node: first.node, start_ms: null, end_ms: first.end_ms, detail: first.phase });
  }
  if (input.lastAckAt != null) phases.push({ phase: 'last acknowledgement', node: null, start_ms: null, end_ms: rel(input.lastAckAt) });
  if (input.firstAckAt != null) phases.push({ phase: 'first acknowledgement', node: null, start_ms: null, end_ms: rel(input.firstAckAt) });
  phases.sort((a, b) => a.end_ms - b.end_ms || (a.start_ms ?? a.end_ms) - (b.start_ms ?? b.end_ms));
  return note ? { phases, note } : { phases };
}

/** One line per phase, for a log or a table: "  3171 ms  stop mfs-master on old (took 3171 ms): ...". */
export function describePhases(tl: Timeline): string[] {
  if ('unavailable' in tl) return [`timeline unavailable: ${tl.unavailable}`];
  return [...(tl.note ? [`(${tl.note})`] : []), ...tl.phases.map((p) => {
    const took = p.start_ms === null ? '' : ` (took ${p.end_ms - p.start_ms} ms)`;
    return `${String(p.end_ms).padStart(7)} ms  ${p.phase}${p.node ? ` [${p.node}]` : ''}${took}${p.detail ? `: ${p.detail}` : ''}`;
  })];
}

/** Per phase name over repetitions: how many runs had it, median end (ms since the fault) and median duration. */
export function phaseMedians(timelines: readonly Timeline[]): Array<{ phase: string; runs: number; end_ms: number; took_ms: number | null }> {
  const byName = new Map<string, { ends: number[]; tooks: number[] }>();
  for (const tl of timelines) {
    if ('unavailable' in tl) continue;
    for (const p of tl.phases) {
      const entry = byName.get(p.phase) ?? { ends: [], tooks: [] };
      entry.ends.push(p.end_ms);
      if (p.start_ms !== null) entry.tooks.push(p.end_ms - p.start_ms);
      byName.set(p.phase, entry);
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  return [...byName.entries()]
    .map(([phase, { ends, tooks }]) => ({ phase, runs: ends.length, end_ms: median(ends), took_ms: tooks.length ? median(tooks) : null }))
    .sort((a, b) => a.end_ms - b.end_ms);
}

/**
 * Where a lab node's cluster logs are on this machine: node-init binds these directories into the
 * node; a UML node's writes land in its root's upper layer (`rootOf`), under the same path.
 */
export function nodeLogFiles(labDir: string, nodes: readonly string[], rootOf: (node: string) => string = () => ''): Array<{ node: string; kind: LogText['kind']; path: string }> {
  return nodes.flatMap((node) => [
    { node, kind: 'pacemaker' as const, path: `${rootOf(node)}${labDir}/${node}/log-pacemaker/pacemaker.log` },
    { node, kind: 'corosync' as const, path: `${rootOf(node)}${labDir}/${node}/log-corosync/corosync.log` },
  ]);
}
