/**
 * The timeline of one failover after the fact, from a lab directory's logs (a demo's, a
 * bench's, a crashed run's):
 *
 *   node scripts/run-ts.mjs test/cluster/timeline-show.ts LAB_DIR FAULT_ISO FROM TO [JOURNAL]
 *
 * FAULT_ISO as the scenario logs it ("fault on node1 at 2026-12-02T11:23:11.261Z"); FROM and TO
 * the nodes that served before and after (TO "-": nobody); JOURNAL the metadata writer's
 * (LAB_DIR/state/journal-SCENARIO-*-m.jsonl), for the outage.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readJournal } from '../workload/journal.js';
import { NODES } from './lab.js';
import { outage } from './scenarios.js';
import { describePhases, nodeLogFiles, timeline } from './timeline.js';

const [dir, faultIso, from, to, journal] = process.argv.slice(2);
if (!dir || !faultIso || !from || !to) {
  process.stderr.write('usage: timeline-show.ts LAB_DIR FAULT_ISO FROM TO [JOURNAL]\n');
  process.exit(2);
}
const faultAt = Date.parse(faultIso);
const gap = journal ? outage(readJournal(journal).entries, faultAt) : undefined;
const logs = nodeLogFiles(dir, NODES)
  .filter((l) => existsSync(l.path))
  .map((l) => ({ node: l.node, kind: l.kind, text: readFileSync(l.path, 'utf8') }));
const tl = timeline({ faultAt, lastAckAt: gap?.start, firstAckAt: gap?.end, from, to: to === '-' ? null : to, logs, clock: 'host' });
for (const line of describePhases(tl)) console.log(line);
