/**
 * The failover targets of issue 15, judged on what bench:failover measured: a planned
 * switch-over within 4 s; a power loss or partition within token + consensus + 2.5 s; a killed
 * master within the master's monitor interval + 2 s, worst case (so the maximum, not the
 * median); nothing acknowledged lost. Where a target is missed, the phases that cost the most
 * (their own durations, medians over the runs) say where the time went. Pure.
 */
import { parseOcfTime } from '../../lib/runtime/deadline.js';

export interface TargetContext {
  tokenMs: number;
  consensusMs: number;
  /** The master's monitor interval in the configuration the bench ran. */
  masterMonitorMs: number;
}

export interface Target {
  limitMs: number;
  /** Which of the runs' figures is held to the limit. */
  statistic: 'median' | 'max';
  /** How the limit is made, for the printout. */
  rule: string;
}

/** The target of a scenario; undefined for scenarios issue 15 sets none for. */
export function targetFor(scenario: string, ctx: TargetContext): Target | undefined {
  switch (scenario) {
    case 'switch-over':
    case 'switch-over-ban':
      return { limitMs: 4000, statistic: 'median', rule: '4 s' };
    case 'kill-master':
      return { limitMs: ctx.masterMonitorMs + 2000, statistic: 'max', rule: `monitor interval ${ctx.masterMonitorMs / 1000} s + 2 s, worst case` };
    case 'power-loss':
    case 'partition':
      return { limitMs: ctx.tokenMs + ctx.consensusMs + 2500, statistic: 'median', rule: `token ${ctx.tokenMs / 1000} s + consensus ${ctx.consensusMs / 1000} s + 2.5 s` };
    default:
      return undefined;
  }
}

export interface PhaseCost {
  phase: string;
  took_ms: number | null;
}

export interface Verdict {
  target: Target;
  measuredMs: number | null;
  lost: number;
  met: boolean;
  /** The costliest phases (own durations), most first: where a missed target's time went. */
  costliest: PhaseCost[];
}

/** `notifications` spans the other phases (first to last notify): not a cost of its own. */
const SPANNING = new Set(['notifications']);

export function judge(target: Target, failover: { median: number | null; max: number | null }, lost: number, phases: readonly PhaseCost[], top = 3): Verdict {
  const measuredMs = failover[target.statistic];
  const costliest = phases
    .filter((p): p is PhaseCost & { took_ms: number } => p.took_ms !== null && !SPANNING.has(p.phase))
    .sort((a, b) => b.took_ms - a.took_ms)
    .slice(0, top);
  return { target, measuredMs, lost, met: measuredMs !== null && measuredMs <= target.limitMs && lost === 0, costliest };
}

/** The monitor interval (ms) of the first `ocf:mfs:mfsmaster` primitive in a crmsh configuration. */
export function masterMonitorMs(crm: string): number | undefined {
  const primitive = /^primitive \S+ ocf:mfs:mfsmaster\b((?:.*\\\n)*.*)$/m.exec(crm)?.[1];
  const interval = primitive && /\bop monitor interval=(\S+)/.exec(primitive)?.[1];
  return interval ? parseOcfTime(interval) : undefined;
}
