/**
 * The configuration object every renderer (crmsh, pcs, CIB XML) writes out: one description of
 * the cluster configuration, so that the three formats cannot drift apart. Pure data.
 */
import type { AgentType, Role } from '../lib/pacemaker/cib.js';

export interface NameValue {
  name: string;
  value: string;
}

export interface Operation {
  name: string;
  /** An OCF time with its unit ("10s"); "0s" for actions that do not repeat. */
  interval: string;
  /** Undefined: Pacemaker's default (20s), for fence devices whose meta-data we do not read. */
  timeout?: string;
  role?: Role;
}

export interface Primitive {
  kind: 'primitive';
  id: string;
  agent: AgentType;
  params: NameValue[];
  meta: NameValue[];
  ops: Operation[];
}

export interface Group {
  kind: 'group';
  id: string;
  members: Primitive[];
  meta: NameValue[];
}

export interface Clone {
  kind: 'clone';
  id: string;
  child: Primitive;
  meta: NameValue[];
}

export type Resource = Primitive | Group | Clone;

export interface Colocation {
  kind: 'colocation';
  id: string;
  score: string;
  rsc: string;
  withRsc: string;
  withRscRole?: Role;
}

export interface Order {
  kind: 'order';
  id: string;
  first: string;
  firstAction: 'start' | 'promote';
  then: string;
  thenAction: 'start' | 'promote';
}

export interface Location {
  kind: 'location';
  id: string;
  rsc: string;
  node: string;
  score: string;
}

export type Constraint = Colocation | Order | Location;

/**
 * A comment line that every format can carry. crmsh keeps each `#` line of a loaded file as an
 * XML comment in the CIB, and so does the XML format: XML forbids `--` in a comment and a comment
 * ending in `-` (crmsh then refuses the whole file: "Comment may not contain '--' or end with
 * '-'"). Our own wording avoids both; a value given by the user (a path, a node name) that holds
 * them is spaced out (`a--b` becomes `a- -b`, a final `-` is followed by ` .`), the only change.
 */
export function commentLine(text: string): string {
  const spaced = text.replace(/-(?=-)/g, '- ');
  // crmsh trims the line: a trailing space would not help
  return spaced.trimEnd().endsWith('-') ? `${spaced.trimEnd()} .` : spaced;
}

/** Why a line cannot be a comment in crmsh or CIB XML, if it cannot. */
export function commentProblem(text: string): string | undefined {
  if (text.includes('--')) return 'holds --';
  if (text.trimEnd().endsWith('-')) return 'ends with -';
  return undefined;
}

export interface ClusterConfiguration {
  /** Plain sentences, one per line, that every format carries as comments (see commentLine). */
  comments: string[];
  /** Cluster options (crm_config, set cib-bootstrap-options). */
  properties: NameValue[];
  /** Fence devices first, then the service's resources. */
  resources: Resource[];
  constraints: Constraint[];
  /**
   * Why Pacemaker cannot start this configuration as it is (no fence device yet): crm_verify
   * finds errors in it, so crmsh commits it only when forced (`crm -F`), and the apply lines say so.
   */
  unstartable?: string;
}

/** Every primitive, including those inside groups and clones, in configuration order. */
export function primitives(configuration: ClusterConfiguration): Primitive[] {
  return configuration.resources.flatMap((resource) =>
    resource.kind === 'primitive' ? [resource] : resource.kind === 'group' ? resource.members : [resource.child],
  );
}
