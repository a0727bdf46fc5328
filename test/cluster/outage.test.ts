/** The outage figures of a scenario, from a writer's acknowledgements (pure; no lab). */
import { describe, expect, it } from 'vitest';
import type { JournalEntry } from '../workload/journal.js';
import { gapsAfter, outage } from './scenarios.js';

const acked = (...times: number[]): JournalEntry[] => times.map((ackedAt, i) => ({ op: 'mkdir', path: `d${i}`, seq: i + 1, startedAt: ackedAt - 5, ackedAt, attempts: 1 }));

describe('outage figures', () => {
  // Fault at 1000: a 700 ms stall just after it, then the real 10 s outage.
  const journal = acked(0, 100, 900, 1000, 1700, 1750, 1800, 11_800, 11_850);

  it('the outage is the longest gap ending after the fault, not the first one over 300 ms', () => {
    expect(gapsAfter(journal, 1000, 300).map((g) => g.ms)).toEqual([700, 10_000]);
    expect(outage(journal, 1000)).toEqual({ start: 1800, end: 11_800, ms: 10_000 });
  });

  it('ignores gaps that ended before the fault', () => {
    expect(outage(acked(0, 5000, 5100, 5200), 5050)).toEqual({ start: 5000, end: 5100, ms: 100 });
    expect(gapsAfter(acked(0, 5000, 5100), 5100, 300)).toEqual([]);
  });

  it('has no outage without an acknowledgement after the fault', () => {
    expect(outage(acked(0, 100), 500)).toBeUndefined();
  });
});
