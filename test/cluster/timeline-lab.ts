/** The timeline of a failover on a running lab: its nodes' logs read from the lab directory. */
import { existsSync, readFileSync } from 'node:fs';
import { NODES, type NodeKind } from './lab.js';
import { nodeLogFiles, timeline, type Timeline } from './timeline.js';

export function labTimeline(
  labDir: string,
  kind: NodeKind,
  run: { faultAt: number; outage: { start: number; end: number } | undefined; from: string; to: string | null },
): Timeline {
  const logs = nodeLogFiles(labDir, NODES)
    .filter((l) => existsSync(l.path))
    .map((l) => ({ node: l.node, kind: l.kind, text: readFileSync(l.path, 'utf8') }));
  // Namespace nodes log with this machine's clock; a UML kernel keeps a clock of its own.
  return timeline({ faultAt: run.faultAt, lastAckAt: run.outage?.start, firstAckAt: run.outage?.end, from: run.from, to: run.to, logs, clock: kind === 'namespace' ? 'host' : 'own' });
}
