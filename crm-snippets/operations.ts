/**
 * A primitive's operations from its agent's advertised actions: timeouts exactly as advertised
 * (the agent knows what each action needs; the generator never shortens one), monitor
 * intervals as advertised unless an option overrides them, and Pacemaker's rule that the
 * monitors of one resource have distinct intervals (one per role for a promotable resource:
 * Pacemaker tells recurring operations apart by name and interval).
 */
import { parseOcfTime } from '../lib/runtime/deadline.js';
import type { AdvertisedAction } from '../lib/ocf/metadata.js';
import { formatAgentType, type Role } from '../lib/pacemaker/cib.js';
import type { AgentInfo } from './agent-info.js';
import type { Operation } from './model.js';
import { InputError } from './options.js';

export interface MonitorPlan {
  /** The key of --monitor-interval that overrides this monitor's interval. */
  key: string;
  role?: Role;
}

export interface OperationPlan {
  /** Actions configured with their advertised timeout (interval 0), in this order. */
  actions: readonly string[];
  monitors: readonly MonitorPlan[];
}

/** An OCF time with an explicit unit: meta-data may say "20" and means seconds. */
export function withUnit(time: string): string {
  const text = time.trim();
  return /^\d+$/.test(text) ? `${text}s` : text;
}

const label = (info: AgentInfo): string => formatAgentType(info.agent);

function advertisedTimeout(info: AgentInfo, action: AdvertisedAction | undefined, name: string): string {
  if (!action || !action.timeout) throw new Error(`${label(info)} advertises no timeout for its ${name} action: its meta-data is not what mfs-crm expects`);
  parseOcfTime(action.timeout); // throws on a malformed advertisement
  return withUnit(action.timeout);
}

function findMonitor(info: AgentInfo, role: Role | undefined): AdvertisedAction | undefined {
  const monitors = info.actions.filter((action) => action.name === 'monitor' && action.interval !== undefined && parseOcfTime(action.interval) > 0);
  // The shallowest advertised check: deeper ones are the operator's choice.
  const byDepth = (a: AdvertisedAction, b: AdvertisedAction) => (a.depth ?? 0) - (b.depth ?? 0);
  return (
    monitors.filter((action) => action.role === role).sort(byDepth)[0] ??
    monitors.filter((action) => action.role === undefined).sort(byDepth)[0]
  );
}

export function operationsFor(info: AgentInfo, plan: OperationPlan, intervals: ReadonlyMap<string, string>): Operation[] {
  const operations: Operation[] = [];
  const seen = new Map<number, string>();
  for (const monitor of plan.monitors) {
    const advertised = findMonitor(info, monitor.role);
    const override = intervals.get(monitor.key);
    const interval = withUnit(override ?? advertised?.interval ?? '');
    if (!advertised) throw new Error(`${label(info)} advertises no monitor${monitor.role ? ` for role ${monitor.role}` : ''}`);
    const ms = parseOcfTime(interval);
    const clash = seen.get(ms);
    if (clash !== undefined) {
      throw new InputError(
        'monitor-interval',
        `${monitor.key} and ${clash} would both monitor ${label(info)} every ${interval}: Pacemaker needs a distinct interval per role`,
      );
    }
    seen.set(ms, monitor.key);
    operations.push({ name: 'monitor', interval, timeout: advertisedTimeout(info, advertised, 'monitor'), ...(monitor.role ? { role: monitor.role } : {}) });
  }
  for (const name of plan.actions) {
    const advertised = info.actions.find((action) => action.name === name);
    operations.push({ name, interval: '0s', timeout: advertisedTimeout(info, advertised, name) });
  }
  return operations;
}
