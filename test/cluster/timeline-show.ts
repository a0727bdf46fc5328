/**
 * The timeline of one failover after the fact, from a lab directory's logs (a demo's, a
 * bench's, a crashed run's; namespace nodes, whose logs have this machine's clock):
 *
 *   node scripts/run-ts.mjs test/cluster/timeline-show.ts LAB_DIR FAULT_ISO FROM TO [JOURNAL]
 *
 * FAULT_ISO as the scenario logs it ("fault on node1 at 2026-12-02T11:23:11.261Z"); FROM and TO
 * the nodes that served before and after (TO "-": nobody); JOURNAL the metadata writer's
 * (LAB_DIR/state/journal-SCENARIO-*-m.jsonl), for the outage.
 */
import { readJournal } from '../workload/journal.js';
import { outage } from './scenarios.js';
import { describePhases } from './timeline.js';
import { labTimeline } from './timeline-lab.js';

const [dir, faultIso, from, to, journal] = process.argv.slice(2);
if (!dir || !faultIso || !from || !to) {
  process.stderr.write('usage: timeline-show.ts LAB_DIR FAULT_ISO FROM TO [JOURNAL]\n');
  process.exit(2);
}
const faultAt = Date.parse(faultIso);
const gap = journal ? outage(readJournal(journal).entries, faultAt) : undefined;
const tl = labTimeline(dir, 'namespace', { faultAt, outage: gap, from, to: to === '-' ? null : to });
for (const line of describePhases(tl)) console.log(line);
