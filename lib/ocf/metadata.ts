/**
 * The `meta-data` XML: built from an agent's declarations, and read back from any agent's
 * output (ours, or an installed third-party agent's), both with xml2js. Reading is one parser
 * for every reader: the generator (crm-snippets/agent-info.ts) and the man pages
 * (packaging/man-page.ts).
 *
 * It satisfies both the OCF 1.0 DTD that Debian's ocf-tester checks with `xmllint --valid`
 * (hence the DOCTYPE, `<version>` first, every action with a timeout, content types limited to
 * string/integer/boolean, no 1.1-only attributes) and the OCF 1.1 schema: meta-data that
 * passes both works with every Pacemaker, crmsh and pcs. What 1.1 would say in attributes
 * (the options of a select, reloadability) is said in the long description instead.
 */
import type { ParameterSpecs } from './parameters.js';

/** OCF Resource Agent API version the agents implement. */
export const OCF_API_VERSION = '1.1';

export interface AdvertisedAction {
  name: string;
  timeout: string;
  interval?: string;
  depth?: number;
  role?: 'Promoted' | 'Unpromoted';
  startDelay?: string;
}

export interface MetadataSource {
  name: string;
  version: string;
  shortdesc: string;
  longdesc: string;
  parameters: ParameterSpecs;
  actions: AdvertisedAction[];
}

/** Long description of a parameter, with what the 1.0 format cannot say in attributes. */
export function parameterLongdesc(spec: ParameterSpecs[string]): string {
  const notes: string[] = [];
  if (spec.options) notes.push(`Allowed values: ${spec.options.join(', ')}.`);
  if (spec.reloadable) notes.push('Can be changed without a restart (applied by reload).');
  return [spec.longdesc.trim(), ...notes].join(' ');
}

export async function buildMetadataXml(source: MetadataSource): Promise<string> {
  const { Builder } = await import('xml2js');
  const builder = new Builder({
    rootName: 'resource-agent',
    // No encoding in the declaration: crmsh hands the text to lxml as a str, which refuses one.
    xmldec: { version: '1.0' },
    doctype: { sysID: 'ra-api-1.dtd' },
    renderOpts: { pretty: true, indent: '  ', newline: '\n' },
    headless: false,
  });
  const text = (value: string) => ({ $: { lang: 'en' }, _: value.trim() });
  const tree = {
    $: { name: source.name, version: source.version },
    version: OCF_API_VERSION,
    longdesc: text(source.longdesc),
    shortdesc: text(source.shortdesc),
    parameters: {
      parameter: Object.entries(source.parameters).map(([name, spec]) => ({
        $: { name, unique: spec.unique ? '1' : '0', required: spec.required ? '1' : '0' },
        longdesc: text(parameterLongdesc(spec)),
        shortdesc: text(spec.shortdesc),
        content: { $: { type: spec.contentType, ...(spec.defaultText !== undefined ? { default: spec.defaultText } : {}) } },
      })),
    },
    actions: {
      action: source.actions.map((action) => ({
        $: {
          name: action.name,
          timeout: action.timeout,
          ...(action.interval !== undefined ? { interval: action.interval } : {}),
          ...(action.depth !== undefined ? { depth: String(action.depth) } : {}),
          ...(action.role !== undefined ? { role: action.role } : {}),
          ...(action.startDelay !== undefined ? { 'start-delay': action.startDelay } : {}),
        },
      })),
    },
  };
  return `${builder.buildObject(tree)}\n`;
}

/** A parameter as an agent's meta-data declares it. */
export interface MetadataParameter {
  name: string;
  shortdesc: string;
  longdesc: string;
  /** The content type (string, integer, boolean...); string when not said. */
  type: string;
  /** The declared default as written (possibly empty), if any. */
  default: string | undefined;
  required: boolean;
  unique: boolean;
}

/** An action entry as written: its name and its other attributes (timeout, interval, depth, role...). */
export interface MetadataAction {
  name: string;
  attributes: Record<string, string>;
}

/** What an agent's meta-data says, as read by parseMetadata. */
export interface AgentMetadata {
  name: string;
  version: string | undefined;
  shortdesc: string;
  longdesc: string;
  parameters: MetadataParameter[];
  actions: MetadataAction[];
}

type XmlNode = Record<string, unknown> & { $?: Record<string, string>; _?: string };

function xmlText(node: unknown): string {
  if (node === undefined) return '';
  if (Array.isArray(node)) return xmlText(node[0]);
  if (typeof node === 'string') return node;
  return (node as XmlNode)._ ?? '';
}

function children(node: unknown, name: string): XmlNode[] {
  if (!node || typeof node !== 'object') return [];
  const list = (node as XmlNode)[name];
  return Array.isArray(list) ? (list as XmlNode[]) : [];
}

const normalise = (value: string): string => value.replace(/\s+/g, ' ').trim();

/** An OCF boolean attribute: `1` (the 1.0 DTD's form) or `true`. */
const flag = (value: string | undefined): boolean => value === '1' || value === 'true';

/** Reads an agent's meta-data XML (OCF 1.0 or 1.1). Descriptions come with their white space collapsed. */
export async function parseMetadata(xml: string): Promise<AgentMetadata> {
  const { parseStringPromise } = await import('xml2js');
  const document = (await parseStringPromise(xml, { explicitArray: true })) as { 'resource-agent'?: XmlNode };
  const agent = document['resource-agent'];
  if (!agent?.$?.name) throw new Error('meta-data: no <resource-agent name=...>');
  const parameters = children(children(agent, 'parameters')[0], 'parameter')
    .filter((parameter) => parameter.$?.name)
    .map((parameter): MetadataParameter => {
      const content = children(parameter, 'content')[0];
      return {
        name: parameter.$!.name!,
        shortdesc: normalise(xmlText(parameter.shortdesc)),
        longdesc: normalise(xmlText(parameter.longdesc)),
        type: content?.$?.type ?? 'string',
        default: content?.$?.default,
        required: flag(parameter.$?.required),
        unique: flag(parameter.$?.unique),
      };
    });
  const actions = children(children(agent, 'actions')[0], 'action')
    .filter((action) => action.$?.name)
    .map((action): MetadataAction => {
      const { name, ...attributes } = action.$!;
      return { name: name!, attributes };
    });
  return {
    name: agent.$.name,
    version: agent.$.version,
    shortdesc: normalise(xmlText(agent.shortdesc)),
    longdesc: normalise(xmlText(agent.longdesc)),
    parameters,
    actions,
  };
}
