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
import { attributeClient, baseInstance, type Read } from './attributes.js';

export type { Read } from './attributes.js';

export const POSITION_ATTRIBUTE_PREFIX = 'mfs-ocf-position-';
export const CANDIDATES_ATTRIBUTE_PREFIX = 'mfs-ocf-candidates-';
export const HIGH_WATER_PROPERTY_PREFIX = 'mfs-ocf-high-water-';

export const positionAttribute = (instance: string) => `${POSITION_ATTRIBUTE_PREFIX}${baseInstance(instance)}`;
export const candidatesAttribute = (instance: string) => `${CANDIDATES_ATTRIBUTE_PREFIX}${baseInstance(instance)}`;
export const highWaterProperty = (instance: string) => `${HIGH_WATER_PROPERTY_PREFIX}${baseInstance(instance)}`;

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

/** The store for a live cluster (attrd for private attributes), or an offline CIB file when CIB_file is set. */
export function electionStore(target: StoreTarget): ElectionStore {
  const attributes = attributeClient(target);
  const own = { node: target.node, private: true };
  return {
    publishPosition: (value) => attributes.set(positionAttribute(target.instance), value, own),
    readPosition: (node) => attributes.get(positionAttribute(target.instance), { node, private: true }),
    saveCandidates: (nodes) => attributes.set(candidatesAttribute(target.instance), nodes.length > 0 ? nodes.join(' ') : undefined, own),
    readCandidates: () => attributes.get(candidatesAttribute(target.instance), own),
    readMark: () => attributes.get(highWaterProperty(target.instance), 'cluster'),
    writeMark: (value) => attributes.set(highWaterProperty(target.instance), value, 'cluster', 'record the high-water mark'),
  };
}
