/**
 * Every action's time budget. Pacemaker kills an agent whose operation timeout runs out, so an
 * agent that wants to report anything must finish first: waits are bounded, short polls. (The
 * OCF layer makes an action's Deadline from the timeout Pacemaker passes: lib/ocf/agent.ts.)
 */

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

export class Deadline {
  private readonly startedAt: number;

  constructor(readonly totalMs: number, private readonly now: () => number = () => performance.now()) {
    this.startedAt = now();
  }

  elapsedMs(): number {
    return this.now() - this.startedAt;
  }

  /** Time left, less a margin kept back for reporting (never negative). */
  remainingMs(marginMs = 0): number {
    return Math.max(0, this.totalMs - this.elapsedMs() - marginMs);
  }

  expired(marginMs = 0): boolean {
    return this.remainingMs(marginMs) <= 0;
  }

  /** A sub-budget: a share of what is left (at most `capMs`), for one step of an action. */
  slice(fraction: number, capMs = Infinity, marginMs = 0): Deadline {
    return new Deadline(Math.min(capMs, this.remainingMs(marginMs) * fraction), this.now);
  }

  /**
   * Calls `check` every `intervalMs` until it returns something other than undefined, or
   * until the deadline (less `marginMs`) passes; then returns undefined. Bounded in time, and
   * so in count.
   */
  async poll<T>(
    check: () => T | undefined | Promise<T | undefined>,
    { intervalMs = 100, marginMs = 0 }: { intervalMs?: number; marginMs?: number } = {},
  ): Promise<T | undefined> {
    for (;;) {
      const result = await check();
      if (result !== undefined) return result;
      const left = this.remainingMs(marginMs);
      if (left <= 0) return undefined;
      await sleep(Math.min(intervalMs, left));
    }
  }
}

/** Parses an OCF time ("20s", "2min", "500ms", "1h", bare seconds) into milliseconds. */
export function parseOcfTime(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|msec|s|sec|m|min|h|hr)?\s*$/.exec(text);
  if (!match) throw new Error(`not a time: ${JSON.stringify(text)}`);
  const value = Number(match[1]);
  const factor: Record<string, number> = { ms: 1, msec: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000, hr: 3_600_000 };
  return value * (factor[match[2] ?? 's'] ?? 1000);
}
