/**
 * What a node remembers about a DRBD resource between actions (see decisions.ts `History`):
 * a small JSON file per resource and node under /run (tmpfs: forgotten at reboot, like DRBD's
 * own connection state). The node name is part of the file name so that emulated nodes
 * sharing one /run do not mix their memories.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { History } from './decisions.js';

/** A node's memory of one resource: split-brain history per peer (what it published: lib/pacemaker/promotion.ts). */
export interface NodeMemory {
  peers: History;
}

export const DEFAULT_HISTORY_DIR = '/run/mfs-ocf';

export function historyFile(dir: string, resource: string, node: string): string {
  return join(dir, `drbd-${resource}-${node.replace(/[^\w.-]/g, '_')}.json`);
}

export function readMemory(file: string): NodeMemory {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<NodeMemory> | null;
    if (!parsed || typeof parsed !== 'object' || typeof parsed.peers !== 'object' || parsed.peers === null) return { peers: {} };
    return { peers: parsed.peers };
  } catch {
    return { peers: {} };
  }
}

/** Writes only when something changed; atomically (rename). Failures are left to the caller. */
export function writeMemory(file: string, before: NodeMemory, after: NodeMemory): boolean {
  if (JSON.stringify(before) === JSON.stringify(after)) return false;
  mkdirSync(join(file, '..'), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(after)}\n`);
  renameSync(temporary, file);
  return true;
}
