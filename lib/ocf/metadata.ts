/**
 * The `meta-data` XML, built from an agent's declarations with xml2js.
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
