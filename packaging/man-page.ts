/**
 * Man pages for the packages, generated from the programs themselves (one source of truth):
 * an agent's page from its own `meta-data` output (its parameter declarations), in the shape
 * of resource-agents' ocf_heartbeat_*(7) pages; a tool's page from its `--help` text.
 *
 * Pure functions: scripts/package.mjs runs the programs and writes the pages.
 */
import { parseStringPromise } from 'xml2js';

export interface AgentParameter {
  name: string;
  shortdesc: string;
  longdesc: string;
  type: string;
  default: string | undefined;
  required: boolean;
  unique: boolean;
}

export interface AgentAction {
  name: string;
  attributes: Record<string, string>;
}

export interface AgentMetadata {
  name: string;
  version: string | undefined;
  shortdesc: string;
  longdesc: string;
  parameters: AgentParameter[];
  actions: AgentAction[];
}

export interface PageContext {
  /** OCF provider, e.g. `mfs`. */
  provider: string;
  /** Package name and version for the page footer, e.g. `mfs-ocf 0.1.0`. */
  source: string;
  /** Date of the page, YYYY-MM-DD (the release date, so that builds are reproducible). */
  date: string;
}

type XmlNode = Record<string, unknown> & { $?: Record<string, string>; _?: string };

function text(node: unknown): string {
  if (node === undefined) return '';
  if (Array.isArray(node)) return text(node[0]);
  if (typeof node === 'string') return node;
  return (node as XmlNode)._ ?? '';
}

function children(node: unknown, name: string): XmlNode[] {
  const list = (node as XmlNode | undefined)?.[name];
  return Array.isArray(list) ? (list as XmlNode[]) : [];
}

/** Reads an agent's meta-data XML (OCF 1.0/1.1) into what a man page shows. */
export async function parseMetadata(xml: string): Promise<AgentMetadata> {
  const document = (await parseStringPromise(xml, { explicitArray: true })) as { 'resource-agent'?: XmlNode };
  const agent = document['resource-agent'];
  if (!agent?.$?.name) throw new Error('meta-data: no <resource-agent name=...>');
  const parameters = children(children(agent, 'parameters')[0], 'parameter').map((parameter): AgentParameter => {
    const content = children(parameter, 'content')[0];
    return {
      name: parameter.$?.name ?? '',
      shortdesc: normalise(text(parameter.shortdesc)),
      longdesc: normalise(text(parameter.longdesc)),
      type: content?.$?.type ?? 'string',
      default: content?.$?.default,
      required: parameter.$?.required === '1' || parameter.$?.required === 'true',
      unique: parameter.$?.unique === '1' || parameter.$?.unique === 'true',
    };
  });
  const actions = children(children(agent, 'actions')[0], 'action').map((action): AgentAction => ({
    name: action.$?.name ?? '',
    attributes: Object.fromEntries(Object.entries(action.$ ?? {}).filter(([key]) => key !== 'name')),
  }));
  return {
    name: agent.$.name,
    version: agent.$.version,
    shortdesc: normalise(text(agent.shortdesc)),
    longdesc: normalise(text(agent.longdesc)),
    parameters,
    actions,
  };
}

function normalise(value: string): string {
  return value.replace(/\s+/g, ' ').trim();
}

/** Escapes text for roff: backslashes, minus signs, and control characters at line start. */
export function roff(value: string): string {
  return value
    .replace(/\\/g, '\\e')
    .replace(/-/g, '\\-')
    .split('\n')
    .map((line) => (/^[.']/.test(line) ? `\\&${line}` : line))
    .join('\n');
}

const bold = (value: string) => `\\fB${roff(value)}\\fR`;

/** What each standard action does, for the SUPPORTED ACTIONS section. */
const ACTION_PURPOSE: Record<string, string> = {
  start: 'Starts the resource.',
  stop: 'Stops the resource.',
  monitor: 'Performs a detailed status check.',
  promote: 'Promotes the resource to the promoted role.',
  demote: 'Demotes the resource to the unpromoted role.',
  notify: 'Receives notifications of the other instances of a clone.',
  reload: 'Applies changed non-unique parameters without a restart.',
  'reload-agent': 'Applies changed parameters of the agent itself.',
  migrate_to: 'Migrates the resource to another node.',
  migrate_from: 'Receives the resource migrated from another node.',
  'validate-all': 'Performs a validation of the resource configuration.',
  'meta-data': 'Retrieves resource agent metadata (internal use only).',
};

function actionLine(action: AgentAction): string {
  const purpose = ACTION_PURPOSE[action.name] ?? `The ${action.name} action.`;
  const { timeout, interval, depth, role } = action.attributes;
  const facts = [
    timeout ? `Suggested minimum timeout: ${timeout}.` : '',
    interval && interval !== '0' && interval !== '0s' ? `Suggested interval: ${interval}.` : '',
    depth && depth !== '0' ? `Depth (OCF_CHECK_LEVEL): ${depth}.` : '',
    role ? `Role: ${role}.` : '',
  ].filter(Boolean);
  return roff([purpose, ...facts].join(' '));
}

function parameterFacts(parameter: AgentParameter): string {
  const facts = [
    parameter.unique ? 'unique' : '',
    parameter.required ? 'required' : 'optional',
    parameter.type,
    parameter.default !== undefined ? `default "${parameter.default}"` : 'no default',
  ].filter(Boolean);
  return `(${facts.join(', ')})`;
}

/** The operations of the CRM shell and pcs examples: those with a timeout, as the agent suggests them. */
function exampleOps(actions: AgentAction[]): string[] {
  return actions
    .filter((action) => !['meta-data', 'validate-all'].includes(action.name) && action.attributes.timeout)
    .filter((action) => action.name === 'monitor' || action.attributes.interval === undefined)
    .filter((action) => ['monitor', 'start', 'stop', 'promote', 'demote'].includes(action.name))
    .map((action) => {
      const { timeout, interval, depth, role } = action.attributes;
      return [action.name, role ? `role="${role}"` : '', `timeout="${timeout}"`, interval ? `interval="${interval}"` : '', depth ? `depth="${depth}"` : '']
        .filter(Boolean)
        .join(' ');
    });
}

/** The man page (section 7) of an agent: NAME, SYNOPSIS, DESCRIPTION, parameters, actions, examples. */
export function agentManPage(metadata: AgentMetadata, context: PageContext): string {
  const { provider } = context;
  const page = `ocf_${provider}_${metadata.name}`;
  const agentId = `ocf:${provider}:${metadata.name}`;
  const lines: string[] = [];
  lines.push(`.\\" Generated by mfs-ocf's packaging/man-page.ts from "${metadata.name} meta-data"; do not edit.`);
  lines.push(`.TH "${page.toUpperCase()}" "7" "${context.date}" "${roff(context.source)}" "OCF resource agents"`);
  lines.push('.SH NAME', `${roff(page)} \\- ${roff(metadata.shortdesc)}`);
  const actionNames = [...new Set(metadata.actions.map((action) => action.name))];
  lines.push('.SH SYNOPSIS', `${bold(metadata.name)} [${actionNames.map((action) => roff(action)).join(' | ')}]`);
  lines.push('.SH DESCRIPTION', roff(metadata.longdesc));
  lines.push('.SH "SUPPORTED PARAMETERS"');
  if (metadata.parameters.length === 0) lines.push('This resource agent has no parameters.');
  for (const parameter of metadata.parameters) {
    lines.push('.TP', `${bold(parameter.name)} (${roff(parameter.shortdesc)})`);
    lines.push(roff(parameter.longdesc), '.IP', roff(parameterFacts(parameter)));
  }
  lines.push('.SH "SUPPORTED ACTIONS"', 'This resource agent supports the following actions (operations):');
  for (const action of metadata.actions) lines.push('.TP', bold(action.name), actionLine(action));
  const required = metadata.parameters.filter((parameter) => parameter.required).map((parameter) => `${parameter.name}=${parameter.type}`);
  const ops = exampleOps(metadata.actions);
  lines.push('.SH "EXAMPLE CRM SHELL"', 'The following is an example configuration for a resource using the crm(8) shell:', '.PP', '.nf', '.RS 4');
  const crm = [`primitive p_${metadata.name} ${agentId}`];
  if (required.length) crm.push(`  params ${required.join(' ')}`);
  for (const op of ops) crm.push(`  op ${op}`);
  // A promotable agent runs as a promotable clone; notify only when it handles notifications.
  const promotable = actionNames.includes('promote');
  const notify = actionNames.includes('notify');
  const cloneMeta = `promotable=true${notify ? ' notify=true' : ''}`;
  if (promotable) crm.push(`clone p_${metadata.name}-clone p_${metadata.name}`, `  meta ${cloneMeta}`);
  // Continuation backslashes inside each command; a new command starts at the margin.
  lines.push(crm.map((line, index) => roff(line) + (index < crm.length - 1 && /^ /.test(crm[index + 1]!) ? ' \\e' : '')).join('\n'));
  lines.push('.RE', '.fi');
  lines.push('.SH "EXAMPLE PCS"', 'The following is an example configuration for a resource using pcs(8):', '.PP', '.nf', '.RS 4');
  const pcsOps = ops.length ? ` op ${ops.join(' op ')}` : '';
  lines.push(roff(`pcs resource create p_${metadata.name} ${agentId}${required.length ? ` ${required.join(' ')}` : ''}${pcsOps}${promotable ? ` promotable${notify ? ' notify=true' : ''}` : ''}`));
  lines.push('.RE', '.fi');
  lines.push('.SH "SEE ALSO"', `${bold('crm')}(8), ${bold('pcs')}(8), ${bold('crm_resource')}(8), ${bold('ocf-tester')}(8)`);
  return `${lines.join('\n')}\n`;
}

/**
 * The man page (section 1) of a tool from its `--help` text: the summary is the first line
 * of prose after the usage lines, the help text itself is the description. `seeAlso`: pages
 * such as `crm(8)`.
 */
export function toolManPage(name: string, help: string, context: Omit<PageContext, 'provider'>, seeAlso: string[] = ['crm(8)']): string {
  const helpLines = help.replace(/\s+$/, '').split('\n');
  // Usage lines start at the margin with the name (yargs) or with "usage:"; indented ones are commands.
  const usage = helpLines.filter((line) => new RegExp(`^(usage:\\s*)?${escapeRegExp(name)}\\b`, 'i').test(line));
  const prose = helpLines.find(
    (line) => line.trim() !== '' && !usage.includes(line) && !/:\s*$/.test(line) && !/^\s/.test(line),
  );
  const summary = normalise(prose ?? `a program of ${context.source}`).replace(/\.$/, '');
  const lines: string[] = [];
  lines.push(`.\\" Generated by mfs-ocf's packaging/man-page.ts from "${name} --help"; do not edit.`);
  lines.push(`.TH "${name.toUpperCase()}" "1" "${context.date}" "${roff(context.source)}" "User Commands"`);
  lines.push('.SH NAME', `${roff(name)} \\- ${roff(summary.charAt(0).toLowerCase() + summary.slice(1))}`);
  lines.push('.SH SYNOPSIS');
  lines.push(...(usage.length ? usage.map((line) => `${roff(line.trim().replace(/^usage:\s*/i, ''))}\n.br`) : [`${bold(name)} [\\fIOPTIONS\\fR]`]));
  lines.push('.SH DESCRIPTION', '.nf', roff(helpLines.join('\n')), '.fi');
  const references = seeAlso.map((page) => /^(.+)\((\w+)\)$/.exec(page)).filter((match) => match !== null);
  if (references.length) lines.push('.SH "SEE ALSO"', references.map(([, page, section]) => `${bold(page!)}(${section})`).join(', '));
  return `${lines.join('\n')}\n`;
}

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
