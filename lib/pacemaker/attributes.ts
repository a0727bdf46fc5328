/**
 * The one attribute client of the agents: node attributes (transient, `--lifetime reboot`),
 * private node attributes (attrd only, never in the CIB, as PAF keeps its election facts),
 * cluster properties (crm_config, which survive a full-cluster restart), on a live cluster or
 * on an offline CIB file (`CIB_file` set, as in tests: there is no attrd then, and node
 * attributes, private ones included, are transient attributes in that file).
 *
 * What the agents publish with it:
 * - Promotion score: `crm_attribute --promotion=<instance> [--node NODE] --update N` (lifetime
 *   reboot), `--delete` to remove it (`crm_master` is deprecated). Pacemaker reads it as
 *   `master-<instance>`.
 * - Reason: a transient node attribute named `mfs-ocf-reason-<resource instance>`, written
 *   through `attrd_updater` (not private, so it reaches the CIB and `crm_mon -A` shows it):
 *   the reason contract of reason.ts, English first, codes after. It is what `mfs-crm status`
 *   reads (the CIB's status section).
 *
 * Every call is bounded (a few seconds, and the action's deadline) and fails soft: a write that
 * fails is logged and returns false, a read that fails says why (`Read`), never a value; a
 * stalled or absent attrd/CIB never fails or hangs the action (PAF issue #139).
 */
import type { Deadline } from '../runtime/deadline.js';
import type { Logger } from '../runtime/log.js';
import { describeOutcome, run, type RunResult } from '../process/run.js';
import { decodeReasons, encodeReasons, type PublishedReason, type Reason } from './reason.js';

/** Upper bound of one attribute command. */
const ATTRIBUTE_TIMEOUT_MS = 5_000;
/** crm_attribute/attrd_updater exit code when the attribute is not set (ENXIO). */
const NOT_SET = 105;

export const REASON_ATTRIBUTE_PREFIX = 'mfs-ocf-reason-';

/** A resource instance without its clone suffix `:N`. */
export const baseInstance = (instance: string) => instance.replace(/:\d+$/, '');

/** The reason attribute's name for a resource instance (clone suffix `:N` dropped). */
export function reasonAttributeName(instance: string): string {
  return `${REASON_ATTRIBUTE_PREFIX}${baseInstance(instance)}`;
}

export interface AttributeTarget {
  /** OCF_RESOURCE_INSTANCE. */
  instance: string;
  /** The node (OCF_RESKEY_CRM_meta_on_node); the local node when undefined. */
  node: string | undefined;
  /** Environment for the tools (CIB_file passes through). */
  env: NodeJS.ProcessEnv;
  deadline: Deadline;
  log: Logger;
}

/** A read: the value (undefined when not set), or why it could not be read. */
export type Read = { ok: true; value: string | undefined } | { ok: false; why: string };

/** Where an attribute lives: a node's (transient; `private`: attrd only, written for this node only), or the cluster's (crm_config). */
export type Scope = { node: string | undefined; private?: boolean } | 'cluster';

function toolEnv(env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const key of ['CIB_file', 'CIB_shadow', 'OCF_RESOURCE_INSTANCE', 'PCMK_ipc_type']) if (env[key] !== undefined) out[key] = env[key];
  return out;
}

const nodeArgs = (node: string | undefined) => (node ? ['--node', node] : []);

/** How the tools say an attribute is not set (exit code and words vary across Pacemaker versions). */
const NOT_SET_TEXT = /attribute does not exist|No such device or address/;
/** ...and that they could not ask at all: crm_attribute then exits 105 too ("Could not connect to the CIB: No such device or address"). */
const CANNOT_ASK_TEXT = /could not connect|connection refused|not connected|transport endpoint/i;

function reading(result: RunResult, parse: (stdout: string) => string | undefined): Read {
  if (result.ok) return { ok: true, value: parse(result.stdout) };
  if (CANNOT_ASK_TEXT.test(result.stderr)) return { ok: false, why: describeOutcome(result) };
  if (result.exitCode === NOT_SET || NOT_SET_TEXT.test(result.stderr)) return { ok: true, value: undefined };
  return { ok: false, why: describeOutcome(result) };
}

const quiet = (stdout: string) => stdout.trim() || undefined;
const attrdValue = (stdout: string) => /value="([^"]*)"/.exec(stdout)?.[1] || undefined;

export interface AttributeClient {
  /** Sets (or with undefined deletes) an attribute; true when the tool succeeded. */
  set(name: string, value: string | undefined, scope: Scope, what?: string): Promise<boolean>;
  get(name: string, scope: Scope): Promise<Read>;
}

/** The client for a live cluster (attrd for node attributes), or an offline CIB file when CIB_file is set. */
export function attributeClient(target: Pick<AttributeTarget, 'env' | 'deadline' | 'log'>): AttributeClient {
  const offline = Boolean(target.env.CIB_file);
  const call = (file: string, args: string[]) => run(file, args, { deadline: target.deadline, marginMs: 1000, timeoutMs: ATTRIBUTE_TIMEOUT_MS, env: toolEnv(target.env) });
  const change = (value: string | undefined) => (value === undefined ? ['--delete'] : ['--update', value]);
  return {
    async set(name, value, scope, what = `set ${name}`) {
      const args =
        scope === 'cluster'
          ? ['crm_attribute', '--type', 'crm_config', '--name', name, ...change(value)]
          : offline
            ? ['crm_attribute', ...nodeArgs(scope.node), '--name', name, '--lifetime', 'reboot', ...change(value)]
            : scope.private
              ? ['attrd_updater', '--private', '--name', name, ...change(value)] // always this node's
              : ['attrd_updater', '--name', name, ...nodeArgs(scope.node), ...change(value)];
      const result = await call(args[0]!, args.slice(1));
      if (!result.ok) target.log.warn(`could not ${what}: ${describeOutcome(result)}`);
      return result.ok;
    },
    async get(name, scope) {
      if (scope === 'cluster') return reading(await call('crm_attribute', ['--type', 'crm_config', '--name', name, '--query', '--quiet']), quiet);
      if (offline) return reading(await call('crm_attribute', [...nodeArgs(scope.node), '--name', name, '--lifetime', 'reboot', '--query', '--quiet']), quiet);
      return reading(await call('attrd_updater', ['--query', '--name', name, ...nodeArgs(scope.node)]), attrdValue);
    },
  };
}

/** Sets the promotion score (> 0), or deletes it (undefined). True when the tool succeeded. */
export async function setPromotionScore(target: AttributeTarget, score: number | undefined): Promise<boolean> {
  const base = [`--promotion=${target.instance}`, ...nodeArgs(target.node), '--lifetime', 'reboot'];
  const args = score === undefined ? [...base, '--delete'] : [...base, '--update', String(score)];
  const result = await run('crm_attribute', args, { deadline: target.deadline, marginMs: 1000, timeoutMs: ATTRIBUTE_TIMEOUT_MS, env: toolEnv(target.env) });
  if (!result.ok) target.log.warn(`could not ${score === undefined ? 'delete the promotion score' : `set the promotion score to ${score}`}: ${describeOutcome(result)}`);
  return result.ok;
}

/** The current promotion score, undefined when unset or unreadable. */
export async function getPromotionScore(target: AttributeTarget): Promise<number | undefined> {
  const result = await run('crm_attribute', [`--promotion=${target.instance}`, ...nodeArgs(target.node), '--lifetime', 'reboot', '--query', '--quiet'], {
    deadline: target.deadline,
    marginMs: 1000,
    timeoutMs: ATTRIBUTE_TIMEOUT_MS,
    env: toolEnv(target.env),
  });
  const value = result.stdout.trim();
  return result.ok && /^-?\d+$/.test(value) ? Number(value) : undefined;
}

/** Publishes (or with undefined, clears) the reasons beside the score. */
export function publishReason(target: AttributeTarget, reasons: readonly Reason[] | undefined): Promise<boolean> {
  const name = reasonAttributeName(target.instance);
  return attributeClient(target).set(name, reasons === undefined ? undefined : encodeReasons(reasons), { node: target.node }, `publish ${name}`);
}

/** Reads the reason attribute back (offline CIB or attrd): its text, and its codes when it has any. */
export async function readPublishedReason(target: AttributeTarget): Promise<PublishedReason | undefined> {
  const read = await attributeClient(target).get(reasonAttributeName(target.instance), { node: target.node });
  return read.ok && read.value !== undefined ? decodeReasons(read.value) : undefined;
}

/** The reason's text. */
export async function readReason(target: AttributeTarget): Promise<string | undefined> {
  return (await readPublishedReason(target))?.text;
}
