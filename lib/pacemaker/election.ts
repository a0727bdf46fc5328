/**
 * Where a promotable agent's election keeps its facts, behind one small interface so that the
 * decisions stay pure:
 *
 * - each candidate's position (`mfs-ocf-position-<resource>`), published at pre-promote, and
 *   the candidate list the promoted node saw (`mfs-ocf-candidates-<resource>`): private node
 *   attributes (`attrd_updater --private`, never written to the CIB), as PAF does;
 * - the cluster's high-water mark: a cluster property in the CIB
 *   (`crm_attribute --type crm_config --name mfs-ocf-high-water-<resource>`), which survives a
 *   full-cluster restart. Remove it by hand only when a file system is deliberately replaced.
 *
 * With `CIB_file` set (an offline CIB, as in tests) there is no attrd: the attributes are
 * transient node attributes in that file instead (`crm_attribute --lifetime reboot`).
 * Every call is bounded; a failure is reported as "unknown", never as a value.
 */
import type { Deadline } from '../runtime/deadline.js';
import type { Logger } from '../runtime/log.js';
import { describeOutcome, run, type RunResult } from '../process/run.js';

const TIMEOUT_MS = 5_000;
/** crm_attribute/attrd_updater exit code when the attribute is not set (ENXIO). */
const NOT_SET = 105;

export const POSITION_ATTRIBUTE_PREFIX = 'mfs-ocf-position-';
export const CANDIDATES_ATTRIBUTE_PREFIX = 'mfs-ocf-candidates-';
export const HIGH_WATER_PROPERTY_PREFIX = 'mfs-ocf-high-water-';

const base = (instance: string) => instance.replace(/:\d+$/, '');
export const positionAttribute = (instance: string) => `${POSITION_ATTRIBUTE_PREFIX}${base(instance)}`;
export const candidatesAttribute = (instance: string) => `${CANDIDATES_ATTRIBUTE_PREFIX}${base(instance)}`;
export const highWaterProperty = (instance: string) => `${HIGH_WATER_PROPERTY_PREFIX}${base(instance)}`;

/** A read: the value (undefined when not set), or why it could not be read. */
export type Read = { ok: true; value: string | undefined } | { ok: false; why: string };

export interface ElectionStore {
  /** Publishes (or with undefined removes) this node's position. */
  publishPosition(value: string | undefined): Promise<boolean>;
  readPosition(node: string): Promise<Read>;
  /** Saves the candidate list this node saw at pre-promote (an empty list removes it). */
  saveCandidates(nodes: readonly string[]): Promise<boolean>;
  readCandidates(): Promise<Read>;
  readMark(): Promise<Read>;
  writeMark(value: string): Promise<boolean>;
}

export interface StoreTarget {
  /** OCF_RESOURCE_INSTANCE. */
  instance: string;
  /** This node's name. */
  node: string;
  env: NodeJS.ProcessEnv;
  deadline: Deadline;
  log: Logger;
}

function toolEnv(env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const key of ['CIB_file', 'CIB_shadow', 'PCMK_ipc_type']) if (env[key] !== undefined) out[key] = env[key];
  return out;
}

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

/** The store for a live cluster (attrd for private attributes), or an offline CIB file when CIB_file is set. */
export function electionStore(target: StoreTarget): ElectionStore {
  const offline = Boolean(target.env.CIB_file);
  const call = (file: string, args: string[]) => run(file, args, { deadline: target.deadline, marginMs: 1000, timeoutMs: TIMEOUT_MS, env: toolEnv(target.env) });
  const write = async (file: string, args: string[], what: string) => {
    const result = await call(file, args);
    if (!result.ok) target.log.warn(`could not ${what}: ${describeOutcome(result)}`);
    return result.ok;
  };
  const quiet = (stdout: string) => stdout.trim() || undefined;
  const attrdValue = (stdout: string) => /value="([^"]*)"/.exec(stdout)?.[1] || undefined;

  const setPrivate = (name: string, value: string | undefined) =>
    offline
      ? write('crm_attribute', ['--node', target.node, '--name', name, '--lifetime', 'reboot', ...(value === undefined ? ['--delete'] : ['--update', value])], `set ${name}`)
      : write('attrd_updater', ['--private', '--name', name, ...(value === undefined ? ['--delete'] : ['--update', value])], `set ${name}`);
  const getPrivate = async (name: string, node: string): Promise<Read> =>
    offline
      ? reading(await call('crm_attribute', ['--node', node, '--name', name, '--lifetime', 'reboot', '--query', '--quiet']), quiet)
      : reading(await call('attrd_updater', ['--query', '--name', name, '--node', node]), attrdValue);

  return {
    publishPosition: (value) => setPrivate(positionAttribute(target.instance), value),
    readPosition: (node) => getPrivate(positionAttribute(target.instance), node),
    saveCandidates: (nodes) => setPrivate(candidatesAttribute(target.instance), nodes.length > 0 ? nodes.join(' ') : undefined),
    readCandidates: () => getPrivate(candidatesAttribute(target.instance), target.node),
    readMark: async () => reading(await call('crm_attribute', ['--type', 'crm_config', '--name', highWaterProperty(target.instance), '--query', '--quiet']), quiet),
    writeMark: (value) => write('crm_attribute', ['--type', 'crm_config', '--name', highWaterProperty(target.instance), '--update', value], 'record the high-water mark'),
  };
}
