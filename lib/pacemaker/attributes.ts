/**
 * Node attributes an agent publishes: its promotion score and, beside it, why.
 *
 * - Promotion score: `crm_attribute --promotion=<instance> [--node NODE] --update N` (lifetime
 *   reboot), `--delete` to remove it (`crm_master` is deprecated). Pacemaker reads it as
 *   `master-<instance>`.
 * - Reason: a transient node attribute named `mfs-ocf-reason-<resource instance>` holding one
 *   line of text ("UpToDate data, but the disk of peer node2 is unknown"). It is the one naming
 *   scheme `mfs-crm status` reads (`attrd_updater -Q -A -n mfs-ocf-reason-<id>` or the CIB's
 *   status section); it is written through `attrd_updater` (not private, so it reaches the
 *   CIB and `crm_mon -A` shows it). With `CIB_file` set (an offline CIB, as in tests) there is
 *   no attrd: it is written with `crm_attribute --lifetime reboot` into that file instead.
 *
 * Every write is bounded (a few seconds, and the action's deadline) and fails soft: a stalled
 * or absent attrd/CIB is logged and never fails or hangs the action (PAF issue #139).
 */
import type { Deadline } from '../runtime/deadline.js';
import type { Logger } from '../runtime/log.js';
import { describeOutcome, run } from '../process/run.js';

/** Upper bound of one attribute command. */
const ATTRIBUTE_TIMEOUT_MS = 5_000;

export const REASON_ATTRIBUTE_PREFIX = 'mfs-ocf-reason-';

/** The reason attribute's name for a resource instance (clone suffix `:N` dropped). */
export function reasonAttributeName(instance: string): string {
  return `${REASON_ATTRIBUTE_PREFIX}${instance.replace(/:\d+$/, '')}`;
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

function toolEnv(env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const key of ['CIB_file', 'CIB_shadow', 'OCF_RESOURCE_INSTANCE', 'PCMK_ipc_type']) if (env[key] !== undefined) out[key] = env[key];
  return out;
}

function nodeArgs(node: string | undefined): string[] {
  return node ? ['--node', node] : [];
}

async function attempt(file: string, args: string[], target: AttributeTarget, what: string): Promise<boolean> {
  const result = await run(file, args, { deadline: target.deadline, marginMs: 1000, timeoutMs: ATTRIBUTE_TIMEOUT_MS, env: toolEnv(target.env) });
  if (result.ok) return true;
  target.log.warn(`could not ${what}: ${describeOutcome(result)}`);
  return false;
}

/** Sets the promotion score (> 0), or deletes it (undefined). True when the tool succeeded. */
export async function setPromotionScore(target: AttributeTarget, score: number | undefined): Promise<boolean> {
  const base = [`--promotion=${target.instance}`, ...nodeArgs(target.node), '--lifetime', 'reboot'];
  if (score === undefined) return attempt('crm_attribute', [...base, '--delete'], target, 'delete the promotion score');
  return attempt('crm_attribute', [...base, '--update', String(score)], target, `set the promotion score to ${score}`);
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

/** Publishes (or with undefined, clears) the one-line reason beside the score. */
export async function publishReason(target: AttributeTarget, reason: string | undefined): Promise<boolean> {
  const name = reasonAttributeName(target.instance);
  const text = reason?.replace(/[\x00-\x1f\x7f]+/g, ' ').slice(0, 500);
  if (target.env.CIB_file) {
    const base = ['--name', name, ...nodeArgs(target.node), '--lifetime', 'reboot'];
    return attempt('crm_attribute', text === undefined ? [...base, '--delete'] : [...base, '--update', text], target, `publish ${name}`);
  }
  const base = ['--name', name, ...nodeArgs(target.node)];
  return attempt('attrd_updater', text === undefined ? [...base, '--delete'] : [...base, '--update', text], target, `publish ${name}`);
}

/** Reads the reason attribute (offline CIB or attrd). */
export async function readReason(target: AttributeTarget): Promise<string | undefined> {
  const name = reasonAttributeName(target.instance);
  const result = target.env.CIB_file
    ? await run('crm_attribute', ['--name', name, ...nodeArgs(target.node), '--lifetime', 'reboot', '--query', '--quiet'], { deadline: target.deadline, timeoutMs: ATTRIBUTE_TIMEOUT_MS, env: toolEnv(target.env) })
    : await run('attrd_updater', ['--name', name, ...nodeArgs(target.node), '--query'], { deadline: target.deadline, timeoutMs: ATTRIBUTE_TIMEOUT_MS, env: toolEnv(target.env) });
  if (!result.ok) return undefined;
  if (target.env.CIB_file) return result.stdout.trim() || undefined;
  const match = /value="([^"]*)"/.exec(result.stdout);
  return match?.[1] || undefined;
}
