/**
 * The writer's journal: one JSON line per acknowledged operation, fsynced before the next
 * operation starts, kept outside MooseFS. What is in it was acknowledged to the client; what
 * the checker then misses in the file system was lost.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { Deadline } from '../../lib/runtime/deadline.js';

export type Operation =
  | { op: 'mkdir'; path: string }
  | { op: 'create'; path: string; /** sha256 of the content written before close, when data is written */ sha256?: string; bytes?: number }
  | { op: 'rename'; from: string; path: string };

export type JournalEntry = Operation & {
  seq: number;
  /** When the operation was issued and acknowledged, ms since the epoch. */
  startedAt: number;
  ackedAt: number;
  /** How many attempts it took (retries across a failover). */
  attempts: number;
};

/**
 * Written before each operation is issued (not fsynced: the page cache outlives a killed
 * writer). An operation issued but never acknowledged may still have taken effect.
 */
export type IntentEntry = Operation & { intent: true; seq: number };

/** A line the writer writes when an attempt fails, for the unavailability window. */
export interface FailureEntry {
  failure: string;
  seq: number;
  at: number;
}

export function readJournal(path: string): { entries: JournalEntry[]; failures: FailureEntry[]; intents: IntentEntry[] } {
  const entries: JournalEntry[] = [];
  const failures: FailureEntry[] = [];
  const intents: IntentEntry[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      continue; // a line torn by a killed writer was never acknowledged
    }
    if (record && typeof record === 'object' && 'failure' in record) failures.push(record as FailureEntry);
    else if (record && typeof record === 'object' && 'intent' in record) intents.push(record as IntentEntry);
    else entries.push(record as JournalEntry);
  }
  return { entries, failures, intents };
}

/**
 * Waits, within `deadline`, until the journal at `path` holds `count` acknowledged operations;
 * false if it never does. A fault timed from the writer's start lands at a random point of its
 * start-up on a loaded machine (CI saw 23 acknowledgements in 2.5 s), so faults are timed from here.
 */
export async function untilAcknowledged(path: string, count: number, deadline: Deadline): Promise<boolean> {
  const reached = await deadline.poll(() => (existsSync(path) && readJournal(path).entries.length >= count ? true : undefined), { intervalMs: 100 });
  return reached === true;
}
