/**
 * The parameters of mfs-metarestore that overrule its election, each declared once with its
 * override: what an admin sets, what it costs. The agent's parameter declaration includes
 * them (agents/mfs-metarestore), its reasons name them from here (reasons.ts), and
 * `mfs-crm status` offers them, with their risk, from here too.
 */
import { param } from '../ocf/parameters.js';

const NODE_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;

/** A resource parameter an admin sets to overrule a refusal. */
export interface ParameterOverride<F> {
  parameter: string;
  /** The value that overrules; `undo`: the value to set back afterwards (none: clear it). */
  value(fields: F): string;
  undo?: string;
  /** Why it is not the default: what may be lost. */
  risk(fields: F): string;
}

/** `parameter=value`, as the agents' reasons say it. */
export function setting<F>(override: ParameterOverride<F>, fields: F): string {
  return `${override.parameter}=${override.value(fields)}`;
}

export const electionParameters = {
  ignore_high_water_mark: param.boolean({
    shortdesc: 'Promote below the high-water mark',
    longdesc:
      'The Promoted instance records in the CIB (cluster property mfs-ocf-high-water-<resource>) the highest metadata version the cluster has ' +
      'served. A node whose metadata is older refuses to be promoted, so that after a full-cluster restart only a node holding the latest ' +
      'metadata becomes master. Set to true only to accept losing the difference (e.g. the node with the latest metadata is lost for good); ' +
      'set it back to false afterwards.',
    default: false,
  }),
  promote_without_election: param.boolean({
    shortdesc: 'Promote when other candidates cannot be compared',
    longdesc:
      "Before promotion, the chosen node compares its metadata version with every other candidate's (published at pre-promote). When a " +
      "candidate's version cannot be read, or no candidate list exists (notify=false), it refuses by default: that candidate may be ahead. " +
      'true promotes anyway.',
    default: false,
  }),
  bootstrap_node: param.string({
    shortdesc: 'Node that may create a new file system',
    longdesc:
      'First boot: when no node has any metadata and the cluster has never served any (no high-water mark), promotion is refused unless this ' +
      'names the node to be promoted, which then creates a new, empty file system. Leave empty otherwise.',
    pattern: NODE_NAME,
    patternText: 'a node name',
  }),
};

export const OVERRIDE = {
  ignoreHighWaterMark: {
    parameter: 'ignore_high_water_mark',
    value: () => 'true',
    undo: 'false',
    risk: ({ node, version, mark }: { node: string; version: string; mark: string }) =>
      `${node} would be promoted at metadata version ${version}: the ${BigInt(mark) - BigInt(version)} change(s) the cluster served after it ` +
      `(up to the high-water mark ${mark}) are lost`,
  } satisfies ParameterOverride<{ node: string; version: string; mark: string }>,
  promoteWithoutElection: {
    parameter: 'promote_without_election',
    value: () => 'true',
    undo: 'false',
    risk: () => 'a candidate whose version could not be compared may hold newer metadata: its changes would be lost',
  } satisfies ParameterOverride<Record<string, never>>,
  bootstrapNode: {
    parameter: 'bootstrap_node',
    value: ({ node }: { node: string }) => node,
    risk: ({ node }: { node: string }) => `${node} creates a new, empty file system: only right on a first boot, when no node has ever held metadata`,
  } satisfies ParameterOverride<{ node: string }>,
};
