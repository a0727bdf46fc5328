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

export interface ClusterConfiguration {
  /** Plain sentences, one per line, that every format carries as comments. */
  comments: string[];
  /** Cluster options (crm_config, set cib-bootstrap-options). */
  properties: NameValue[];
  /** Fence devices first, then the service's resources. */
  resources: Resource[];
  constraints: Constraint[];
}

/** Every primitive, including those inside groups and clones, in configuration order. */
export function primitives(configuration: ClusterConfiguration): Primitive[] {
  return configuration.resources.flatMap((resource) =>
    resource.kind === 'primitive' ? [resource] : resource.kind === 'group' ? resource.members : [resource.child],
  );
}
