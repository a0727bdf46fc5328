/**
 * crmsh configuration text, ready for `crm configure load update -`. Pure.
 * Promotable clones are written as `clone ... meta promotable=true` (the `ms` keyword is
 * deprecated), roles as Promoted/Unpromoted.
 */
import { formatAgentType, INFINITY, MINUS_INFINITY } from '../lib/pacemaker/cib.js';
import { commentProblem, type ClusterConfiguration, type Constraint, type NameValue, type Operation, type Primitive, type Resource } from './model.js';

/** A value as crmsh reads it: bare when it is one word, otherwise in double quotes (values never hold quotes). */
function quote(value: string): string {
  return /^[A-Za-z0-9_./:@%+,=-]+$/.test(value) ? value : `"${value}"`;
}

const pairs = (list: NameValue[]) => list.map(({ name, value }) => `${name}=${quote(value)}`).join(' ');

function operation(op: Operation): string {
  const attributes = [`interval=${op.interval}`, ...(op.timeout ? [`timeout=${op.timeout}`] : []), ...(op.role ? [`role=${op.role}`] : [])];
  return `op ${op.name} ${attributes.join(' ')}`;
}

function lines(head: string, rest: string[]): string {
  return [head, ...rest].join(' \\\n\t');
}

function primitive(p: Primitive): string {
  const rest: string[] = [];
  if (p.params.length > 0) rest.push(`params ${pairs(p.params)}`);
  if (p.meta.length > 0) rest.push(`meta ${pairs(p.meta)}`);
  rest.push(...p.ops.map(operation));
  return lines(`primitive ${p.id} ${formatAgentType(p.agent)}`, rest);
}

function resource(r: Resource): string[] {
  switch (r.kind) {
    case 'primitive':
      return [primitive(r)];
    case 'group':
      return [...r.members.map(primitive), lines(`group ${r.id} ${r.members.map((m) => m.id).join(' ')}`, r.meta.length ? [`meta ${pairs(r.meta)}`] : [])];
    case 'clone':
      return [primitive(r.child), lines(`clone ${r.id} ${r.child.id}`, r.meta.length ? [`meta ${pairs(r.meta)}`] : [])];
  }
}

function score(value: string): string {
  if (value === INFINITY) return 'inf';
  if (value === MINUS_INFINITY) return '-inf';
  return value;
}

function constraint(c: Constraint): string {
  switch (c.kind) {
    case 'location':
      return `location ${c.id} ${c.rsc} ${score(c.score)}: ${c.node}`;
    case 'colocation':
      return `colocation ${c.id} ${score(c.score)}: ${c.rsc} ${c.withRsc}${c.withRscRole ? `:${c.withRscRole}` : ''}`;
    case 'order':
      return `order ${c.id} Mandatory: ${c.first}:${c.firstAction} ${c.then}:${c.thenAction}`;
  }
}

/** How to load it: crmsh runs crm_verify before it commits, and commits a configuration with errors only when forced. */
function applyLines(configuration: ClusterConfiguration): string[] {
  if (!configuration.unstartable) return ['# Apply: crm configure load update FILE (or - for stdin)'];
  return [
    '# Apply: crm -F configure load update FILE (or - for stdin). Forced (-F) because',
    `# ${configuration.unstartable}: crmsh commits nothing crm_verify finds errors in otherwise.`,
  ];
}

export function renderCrmsh(configuration: ClusterConfiguration): string {
  const comments = [...configuration.comments.map((line) => `# ${line}`), '#', ...applyLines(configuration)];
  for (const line of comments) {
    const problem = commentProblem(line);
    // crmsh would refuse the whole file
    if (problem) throw new Error(`comment ${JSON.stringify(line)} ${problem}, which crm configure load refuses`);
  }
  const out: string[] = [...comments, ''];
  for (const r of configuration.resources) out.push(...resource(r));
  for (const c of configuration.constraints) out.push(constraint(c));
  if (configuration.properties.length > 0) out.push(`property cib-bootstrap-options: ${pairs(configuration.properties)}`);
  return `${out.join('\n')}\n`;
}
