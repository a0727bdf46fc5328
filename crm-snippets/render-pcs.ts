/**
 * pcs commands, as a POSIX shell script that works on a CIB file: pcs applies each command at
 * once, so on a live cluster the resources would start one by one, half configured. Staged in a
 * file and pushed in one step, they arrive together:
 *
 *   pcs cluster cib mfs.xml && sh mfs-pcs.sh mfs.xml && pcs cluster cib-push mfs.xml --config
 *
 * `--no-default-ops`: pcs would otherwise add operations of its own beside ours. Pure.
 */
import { formatAgentType, isPacemakerTrue, META } from '../lib/pacemaker/cib.js';
import type { ClusterConfiguration, Constraint, NameValue, Operation, Primitive } from './model.js';

/** A shell word: bare when safe, otherwise single-quoted (values never hold quotes). */
function word(value: string): string {
  return /^[A-Za-z0-9_./:@%+,=-]+$/.test(value) ? value : `'${value}'`;
}

const pairs = (list: NameValue[]) => list.map(({ name, value }) => word(`${name}=${value}`));

function operation(op: Operation): string {
  return [op.name, `interval=${op.interval}`, ...(op.timeout ? [`timeout=${op.timeout}`] : []), ...(op.role ? [`role=${op.role}`] : [])].join(' ');
}

const PCS = 'pcs -f "$cib"';

function create(p: Primitive, tail: string[]): string {
  const verb = p.agent.class === 'stonith' ? 'stonith create' : 'resource create';
  // pcs names fence agents without the stonith: prefix
  const agent = p.agent.class === 'stonith' ? p.agent.type : formatAgentType(p.agent);
  const parts = [`${PCS} ${verb} ${p.id} ${agent}`];
  if (p.params.length > 0) parts.push(pairs(p.params).join(' '));
  if (p.ops.length > 0) parts.push(`op ${p.ops.map(operation).join(' \\\n\t   ')}`);
  if (p.meta.length > 0) parts.push(`meta ${pairs(p.meta).join(' ')}`);
  if (p.agent.class !== 'stonith') parts.push('--no-default-ops');
  parts.push(...tail);
  return parts.join(' \\\n\t');
}

function constraint(c: Constraint): string {
  switch (c.kind) {
    case 'location':
      return `${PCS} constraint location add ${c.id} ${c.rsc} ${c.node} -- ${c.score}`;
    case 'colocation':
      return `${PCS} constraint colocation add ${c.rsc} with ${c.withRscRole ? `${c.withRscRole} ` : ''}${c.withRsc} ${c.score} id=${c.id}`;
    case 'order':
      return `${PCS} constraint order ${c.firstAction} ${c.first} then ${c.thenAction} ${c.then} id=${c.id}`;
  }
}

export function renderPcs(configuration: ClusterConfiguration): string {
  const out: string[] = [
    '#!/bin/sh',
    ...configuration.comments.map((line) => `# ${line}`),
    '#',
    '# Apply (stage in a CIB file, push in one step):',
    '#   pcs cluster cib mfs.xml && sh THIS-FILE mfs.xml && pcs cluster cib-push mfs.xml --config',
    'set -eu',
    'cib="${1:?usage: sh THIS-FILE CIB-FILE (from: pcs cluster cib CIB-FILE)}"',
    '',
  ];
  for (const r of configuration.resources) {
    if (r.kind === 'primitive') out.push(create(r, []));
    else if (r.kind === 'clone') {
      // pcs says a promotable clone with a keyword, not a meta attribute
      const meta = r.meta.filter(({ name }) => name !== META.promotable);
      const promotable = r.meta.some(({ name, value }) => name === META.promotable && isPacemakerTrue(value));
      out.push(create(r.child, [`${promotable ? 'promotable' : 'clone'} ${r.id} ${pairs(meta).join(' ')}`.trimEnd()]));
    } else {
      for (const member of r.members) out.push(create(member, [`--group ${r.id}`]));
      if (r.meta.length > 0) out.push(`${PCS} resource meta ${r.id} ${pairs(r.meta).join(' ')}`);
    }
  }
  for (const c of configuration.constraints) out.push(constraint(c));
  if (configuration.properties.length > 0) out.push(`${PCS} property set ${pairs(configuration.properties).join(' ')}`);
  return `${out.join('\n')}\n`;
}
