/**
 * An OCF agent as a declaration (parameters, actions with their advertised timeouts, a
 * validation), and the dispatcher that runs one action from argv the way the OCF Resource
 * Agent API 1.1 and Pacemaker expect:
 *
 * - `meta-data` and `usage` answer without validating anything;
 * - no action: usage on stderr and OCF_ERR_ARGS; an unknown action: OCF_ERR_UNIMPLEMENTED;
 * - bad parameters: OCF_ERR_CONFIGURED naming them, except that a probe reports
 *   OCF_NOT_RUNNING (nothing can run on a node where the agent cannot even be configured)
 *   and a stop succeeds (nothing can have been started with them);
 * - a probe whose agent finds the software or configuration absent reports OCF_NOT_RUNNING;
 * - a failure ends with `ocf-exit-reason:` on stderr, one line, and its exit code.
 */
import { writeSync } from 'node:fs';
import { Deadline, parseOcfTime } from '../runtime/deadline.js';
import { exitCodeOf, OCF, OcfError, ocfErrorOf, type OcfExitCode } from './exit-codes.js';
import type { ResourceStatus } from '../runtime/errors.js';
import { createLogger, type Logger } from '../runtime/log.js';
import { buildMetadataXml, type AdvertisedAction } from './metadata.js';
import { readParameters, secretValues, type ParameterSpecs, type ParameterValues } from './parameters.js';

/** Actions an agent may implement (OCF 1.1 names; `validate-all` comes from `validate`). */
export type ActionName = 'start' | 'stop' | 'monitor' | 'promote' | 'demote' | 'notify' | 'reload' | 'migrate_to' | 'migrate_from';

/** Actions that change nothing: they run whatever the parameters say, without validation first. */
const VALIDATED_BEFORE = new Set<string>(['start', 'promote', 'reload', 'migrate_to', 'migrate_from']);

export interface NotifyInfo {
  /** pre or post */
  type: string;
  /** start, stop, promote, demote */
  operation: string;
  /** Node names per notification list, e.g. `start_uname`, `promote_uname`, `active_uname`. */
  unames: Record<string, string[]>;
}

export interface ActionContext<P extends ParameterSpecs> {
  agent: string;
  action: string;
  params: ParameterValues<P>;
  env: NodeJS.ProcessEnv;
  log: Logger;
  deadline: Deadline;
  /** OCF_RESOURCE_INSTANCE, or the agent name when run by hand. */
  instance: string;
  /** A monitor with interval 0: Pacemaker asks whether the resource runs here at all. */
  isProbe: boolean;
  intervalMs: number;
  /** OCF_CHECK_LEVEL (0 when unset). */
  checkLevel: number;
  /** `OCF_RESKEY_CRM_meta_<name>` (e.g. `notify`, `clone_max`, `on_node`). */
  meta(name: string): string | undefined;
  notify: NotifyInfo | undefined;
}

export interface ActionSpec<P extends ParameterSpecs> {
  /** Advertised timeout, e.g. "60s"; also this action's budget when Pacemaker gives none. */
  timeout: string;
  /** Extra or different meta-data entries (monitor intervals, depths and roles). */
  advertise?: Array<Omit<AdvertisedAction, 'name'>>;
  /** An exit code, or the resource's status that the OCF layer maps to one (lib/ocf/exit-codes.ts). */
  run(ctx: ActionContext<P>): Promise<OcfExitCode | ResourceStatus>;
}

export interface AgentDefinition<P extends ParameterSpecs> {
  name: string;
  version: string;
  shortdesc: string;
  longdesc: string;
  parameters: P;
  actions: Partial<Record<ActionName, ActionSpec<P>>>;
  /** Throws an OcfError (ERR_INSTALLED, ERR_CONFIGURED, ERR_PERM) or a Failure of that kind when the agent cannot work. */
  validate(ctx: ActionContext<P>): Promise<void>;
  /** Advertised timeout of validate-all. */
  validateTimeout?: string;
}

export function defineAgent<P extends ParameterSpecs>(definition: AgentDefinition<P>): AgentDefinition<P> {
  return definition;
}

/**
 * The monitor entries of a promotable agent: one per role, with distinct intervals (Pacemaker
 * tells recurring operations apart by interval alone).
 */
export function promotableMonitors(timeout = '20s', promotedInterval = '10s', unpromotedInterval = '20s'): Array<Omit<AdvertisedAction, 'name'>> {
  return [
    { timeout, interval: unpromotedInterval, role: 'Unpromoted' },
    { timeout, interval: promotedInterval, role: 'Promoted' },
  ];
}

/** Every action entry the meta-data advertises, in a stable order. */
export function advertisedActions(definition: AgentDefinition<ParameterSpecs>): AdvertisedAction[] {
  const entries: AdvertisedAction[] = [];
  for (const [name, spec] of Object.entries(definition.actions) as Array<[ActionName, ActionSpec<ParameterSpecs>]>) {
    for (const entry of spec.advertise ?? [{ timeout: spec.timeout }]) entries.push({ name, ...entry });
  }
  entries.push({ name: 'validate-all', timeout: definition.validateTimeout ?? '20s' });
  entries.push({ name: 'meta-data', timeout: '5s' });
  return entries;
}

export function metadataXml(definition: AgentDefinition<ParameterSpecs>): Promise<string> {
  return buildMetadataXml({ ...definition, actions: advertisedActions(definition) });
}

export function usageText(definition: AgentDefinition<ParameterSpecs>): string {
  const names = [...Object.keys(definition.actions), 'validate-all', 'meta-data', 'usage'];
  return `usage: ${definition.name} {${names.join('|')}}\n\n${definition.shortdesc}\nParameters come from OCF_RESKEY_<name> (see '${definition.name} meta-data').\n`;
}

export interface AgentIo {
  stdout(text: string): void;
  stderr(text: string): void;
}

const processIo: AgentIo = {
  stdout: (text) => writeSync(1, text),
  stderr: (text) => writeSync(2, text),
};

function notifyInfo(env: NodeJS.ProcessEnv): NotifyInfo | undefined {
  const type = env.OCF_RESKEY_CRM_meta_notify_type;
  const operation = env.OCF_RESKEY_CRM_meta_notify_operation;
  if (!type || !operation) return undefined;
  const unames: Record<string, string[]> = {};
  for (const [key, value] of Object.entries(env)) {
    const match = /^OCF_RESKEY_CRM_meta_notify_(\w+_uname)$/.exec(key);
    if (match) unames[match[1]!] = (value ?? '').split(/\s+/).filter(Boolean);
  }
  return { type, operation, unames };
}

/** Syslog as ocf-shellfuncs does it: through `logger`, bounded, its failure never the action's. */
async function sendToSyslog(tag: string, priority: string, line: string): Promise<void> {
  const { run } = await import('../process/run.js');
  await run('logger', ['-t', tag, '-p', priority, '--', line], { timeoutMs: 2000 });
}

/** An action's budget: `OCF_RESKEY_CRM_meta_timeout` (milliseconds) from Pacemaker, else the action's advertised timeout. */
export function actionDeadline(env: NodeJS.ProcessEnv, fallbackMs: number): Deadline {
  const raw = env.OCF_RESKEY_CRM_meta_timeout;
  const fromPacemaker = raw && /^\d+$/.test(raw) ? Number(raw) : NaN;
  return new Deadline(Number.isFinite(fromPacemaker) && fromPacemaker > 0 ? fromPacemaker : fallbackMs);
}

/** Runs one action; resolves to the exit code. Never throws. */
export async function runAgent<P extends ParameterSpecs>(
  definition: AgentDefinition<P>,
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  io: AgentIo = processIo,
): Promise<number> {
  const action = argv[0];
  if (action === undefined || action === '') {
    io.stderr(usageText(definition));
    return OCF.ERR_ARGS;
  }
  if (action === 'meta-data') {
    io.stdout(await metadataXml(definition));
    return OCF.SUCCESS;
  }
  if (action === 'usage' || action === 'help' || action === '--help') {
    io.stdout(usageText(definition));
    return OCF.SUCCESS;
  }
  const handlerName = (action === 'reload-agent' ? 'reload' : action) as ActionName;
  const spec = action === 'validate-all' ? undefined : definition.actions[handlerName];
  if (action !== 'validate-all' && !spec) {
    io.stderr(`${definition.name}: action '${action.replace(/[^\w-]/g, '?')}' is not implemented\n`);
    return OCF.ERR_UNIMPLEMENTED;
  }

  const log = createLogger({ agent: definition.name, env, secrets: secretValues(definition.parameters, env), write: io.stderr, syslog: sendToSyslog });
  const intervalMs = Number(env.OCF_RESKEY_CRM_meta_interval ?? 0) || 0;
  const isProbe = action === 'monitor' && intervalMs === 0;
  const timeout = spec?.timeout ?? definition.validateTimeout ?? '20s';
  const deadline = actionDeadline(env, parseOcfTime(timeout));
  try {
    let params: ParameterValues<P>;
    try {
      params = readParameters(definition.parameters, env);
    } catch (error) {
      if (error instanceof OcfError && isProbe) {
        log.warn(`${error.message}: reporting not running`);
        return OCF.NOT_RUNNING;
      }
      if (error instanceof OcfError && action === 'stop') {
        log.warn(`${error.message}: nothing can have been started with these parameters, so stop succeeds`);
        return OCF.SUCCESS;
      }
      throw error;
    }
    const context: ActionContext<P> = {
      agent: definition.name,
      action,
      params,
      env,
      log,
      deadline,
      instance: env.OCF_RESOURCE_INSTANCE || definition.name,
      isProbe,
      intervalMs,
      checkLevel: Number(env.OCF_CHECK_LEVEL ?? 0) || 0,
      meta: (name) => env[`OCF_RESKEY_CRM_meta_${name}`],
      notify: notifyInfo(env),
    };
    if (action === 'validate-all' || VALIDATED_BEFORE.has(action)) await definition.validate(context);
    if (!spec) return OCF.SUCCESS;
    return exitCodeOf(await spec.run(context));
  } catch (error) {
    const failure = ocfErrorOf(error);
    if (isProbe && (failure.code === OCF.ERR_INSTALLED || failure.code === OCF.ERR_CONFIGURED)) {
      log.info(`probe: ${failure.message}: reporting not running`);
      return OCF.NOT_RUNNING;
    }
    if (failure.message.startsWith('unexpected failure: ') && error instanceof Error && error.stack) log.debug(error.stack);
    log.exitReason(failure.message);
    return failure.code;
  } finally {
    await log.flush();
  }
}
