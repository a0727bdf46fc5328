/**
 * The configuration as a CIB document that holds only its `<configuration>` (crm_config,
 * resources, constraints), built with xml2js. Ids of nested elements follow crmsh's pattern
 * (`<rsc>-instance_attributes-<name>`, `<rsc>-<op>-<interval>`), so that every format yields the
 * same readable ids.
 *
 * Apply: `cibadmin --modify --allow-create --xml-file FILE` merges it into a running CIB, or
 * `crm configure load xml update FILE`. The `<cib>` root is for crmsh, which loads only a whole
 * CIB document ("CIB has no configuration element" for a bare `<configuration>`); cibadmin
 * merges either.
 */
import { commentLine, type ClusterConfiguration, type Constraint, type NameValue, type Operation, type Primitive, type Resource } from './model.js';

type Element = Record<string, unknown>;

function nvset(owner: string, kind: 'instance_attributes' | 'meta_attributes', list: NameValue[]): Element | undefined {
  if (list.length === 0) return undefined;
  const id = `${owner}-${kind}`;
  return { $: { id }, nvpair: list.map(({ name, value }) => ({ $: { id: `${id}-${name}`, name, value } })) };
}

function operation(owner: string, op: Operation): Element {
  return {
    $: {
      id: `${owner}-${op.name}-${op.interval}${op.role ? `-${op.role}` : ''}`,
      name: op.name,
      interval: op.interval,
      ...(op.timeout ? { timeout: op.timeout } : {}),
      ...(op.role ? { role: op.role } : {}),
    },
  };
}

function primitive(p: Primitive): Element {
  const element: Element = {
    $: { id: p.id, class: p.agent.class, ...(p.agent.provider ? { provider: p.agent.provider } : {}), type: p.agent.type },
  };
  const instance = nvset(p.id, 'instance_attributes', p.params);
  if (instance) element.instance_attributes = instance;
  const meta = nvset(p.id, 'meta_attributes', p.meta);
  if (meta) element.meta_attributes = meta;
  if (p.ops.length > 0) element.operations = { op: p.ops.map((op) => operation(p.id, op)) };
  return element;
}

function withMeta(element: Element, id: string, meta: NameValue[]): Element {
  const set = nvset(id, 'meta_attributes', meta);
  if (!set) return element;
  const { $, ...rest } = element;
  return { $, meta_attributes: set, ...rest };
}

function constraintElement(c: Constraint): [string, Element] {
  switch (c.kind) {
    case 'location':
      return ['rsc_location', { $: { id: c.id, rsc: c.rsc, node: c.node, score: c.score } }];
    case 'colocation':
      return ['rsc_colocation', { $: { id: c.id, score: c.score, rsc: c.rsc, 'with-rsc': c.withRsc, ...(c.withRscRole ? { 'with-rsc-role': c.withRscRole } : {}) } }];
    case 'order':
      return ['rsc_order', { $: { id: c.id, kind: 'Mandatory', first: c.first, 'first-action': c.firstAction, then: c.then, 'then-action': c.thenAction } }];
  }
}

/** Elements grouped by tag, keeping each tag's order (xml2js writes one tag's elements together). */
function byTag(entries: Array<[string, Element]>): Record<string, Element[]> {
  const grouped: Record<string, Element[]> = {};
  for (const [tag, element] of entries) (grouped[tag] ??= []).push(element);
  return grouped;
}

function resourceEntry(r: Resource): [string, Element] {
  switch (r.kind) {
    case 'primitive':
      return ['primitive', primitive(r)];
    case 'group':
      return ['group', withMeta({ $: { id: r.id }, primitive: r.members.map(primitive) }, r.id, r.meta)];
    case 'clone':
      return ['clone', withMeta({ $: { id: r.id }, primitive: primitive(r.child) }, r.id, r.meta)];
  }
}

export async function renderXml(configuration: ClusterConfiguration): Promise<string> {
  const { Builder } = await import('xml2js');
  const builder = new Builder({ rootName: 'cib', headless: true, renderOpts: { pretty: true, indent: '  ', newline: '\n' } });
  const tree: Element = {};
  if (configuration.properties.length > 0) {
    tree.crm_config = {
      cluster_property_set: {
        $: { id: 'cib-bootstrap-options' },
        nvpair: configuration.properties.map(({ name, value }) => ({ $: { id: `cib-bootstrap-options-${name}`, name, value } })),
      },
    };
  }
  tree.resources = byTag(configuration.resources.map(resourceEntry));
  tree.constraints = byTag(configuration.constraints.map(constraintElement));
  // no "--" in an XML comment: cibadmin's short options
  const crm = configuration.unstartable ? `crm -F configure load xml update FILE (forced: ${configuration.unstartable})` : 'crm configure load xml update FILE';
  const comments = [...configuration.comments, `Apply: cibadmin -M -c -x FILE (modify, allow-create, xml-file), or ${crm}`]
    .map((line) => `<!-- ${commentLine(line)} -->`)
    .join('\n');
  return `${comments}\n${builder.buildObject({ configuration: tree })}\n`;
}
