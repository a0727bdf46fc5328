/** The timeline of a failover on a running lab: its nodes' logs read from the lab directory. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { LabPaths, NODES, type NodeKind, type NodeName } from './lab.js';
import { clockSkew, nodeLogFiles, timeline, type Timeline } from './timeline.js';
import { umlPaths } from './uml.js';

export function labTimeline(
  labDir: string,
  kind: NodeKind,
  run: { faultAt: number; outage: { start: number; end: number } | undefined; from: string; to: string | null },
): Timeline {
  const paths = new LabPaths(labDir);
  const rootOf = kind === 'uml' ? (node: string) => umlPaths(paths, node as NodeName).upper : undefined;
  const files = nodeLogFiles(labDir, NODES, rootOf).filter((l) => existsSync(l.path));
  const logs = files.map((l) => ({ node: l.node, kind: l.kind, text: readFileSync(l.path, 'utf8') }));
  // Namespace nodes log with this machine's clock; a UML kernel keeps its own, checked here
  // against the modification times of the files it writes (this machine's clock).
  let clock: Parameters<typeof timeline>[0]['clock'] = 'host';
  if (kind === 'uml') {
    const skews = files.map((l, i) => clockSkew(logs[i]!.text, statSync(l.path).mtimeMs));
    clock = skews.length && skews.every((s) => s !== undefined) ? { withinMs: Math.ceil(Math.max(...skews.map((s) => Math.abs(s!)))) } : 'own';
  }
  return timeline({ faultAt: run.faultAt, lastAckAt: run.outage?.start, firstAckAt: run.outage?.end, from: run.from, to: run.to, logs, clock });
}
