/**
 * `mfs-crm status --format json` for tests that run it where the cluster is (a lab node, a
 * network namespace): the caller says how to run a command there; the JSON is parsed into the
 * model crm-snippets/status.ts defines. Shape, per resource of ours: `promoted` (node names),
 * `nodes[]` {node, online, standby, role, failed, score, reason, reasons (codes and fields),
 * legacy?}, `highWaterMark`, `drbdResource`, `fenceConstraints[]` {id, allowed}, `verdict`; at the top: `verdict` {kind: healthy|degraded|blocked, why,
 * override?: {node?, command, risk}}, `service[]`, `durability`, `failedActions[]`.
 */
import { join } from 'node:path';
import type { ClusterStatus, NodeView, ResourceView } from '../../crm-snippets/status.js';
import { DIST } from './built.js';

export type { ClusterStatus, NodeView, ResourceView };

/** Runs a program with arguments where the cluster is (argument arrays, never a shell string). */
export type Exec = (file: string, args: string[]) => Promise<{ exitCode: number | undefined; stdout: string; stderr: string }>;

/**
 * The status of the cluster as `mfs-crm status --format json` reports it. `mfsCrm`: the path of
 * the built tool where `exec` runs (dist/bin/mfs-crm by default); `cib`: a saved CIB instead of
 * the live cluster. Throws with the tool's complaint when it fails.
 */
export async function mfsCrmStatus(exec: Exec, { mfsCrm, cib }: { mfsCrm?: string; cib?: string } = {}): Promise<ClusterStatus> {
  const tool = mfsCrm ?? join(DIST, 'bin', 'mfs-crm');
  const result = await exec(tool, ['status', '--format', 'json', ...(cib ? ['--cib', cib] : [])]);
  if (result.exitCode !== 0) throw new Error(`mfs-crm status failed (exit ${result.exitCode}): ${result.stderr.trim()}`);
  return JSON.parse(result.stdout) as ClusterStatus;
}

/** The one resource of an agent type in a status (e.g. ocf:mfs:mfs-drbd-store); throws unless exactly one. */
export function resourceOf(status: ClusterStatus, agent: string): ResourceView {
  const found = status.resources.filter((r) => r.agent === agent);
  if (found.length !== 1) throw new Error(`expected one ${agent} resource in the status, found ${found.length}: ${JSON.stringify(status.resources.map((r) => r.id))}`);
  return found[0]!;
}
