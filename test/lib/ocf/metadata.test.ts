import { describe, expect, it } from 'vitest';
import drbdStore from '../../../agents/mfs-drbd-store/agent.js';
import metarestore from '../../../agents/mfs-metarestore/agent.js';
import mfsmaster from '../../../agents/mfsmaster/agent.js';
import { advertisedActions, metadataXml, type AgentDefinition } from '../../../lib/ocf/agent.js';
import { parameterLongdesc, parseMetadata } from '../../../lib/ocf/metadata.js';
import type { ParameterSpecs } from '../../../lib/ocf/parameters.js';

const AGENTS = [mfsmaster, drbdStore, metarestore] as unknown as AgentDefinition<ParameterSpecs>[];

describe('parseMetadata reads back what buildMetadataXml writes', () => {
  it.each(AGENTS.map((agent) => [agent.name, agent] as const))('%s: every parameter and action, as declared', async (_name, agent) => {
    const metadata = await parseMetadata(await metadataXml(agent));
    expect(metadata.name).toBe(agent.name);
    expect(metadata.version).toBe(agent.version);
    expect(metadata.shortdesc).toBe(agent.shortdesc.replace(/\s+/g, ' ').trim());
    expect(metadata.parameters.map((p) => p.name)).toEqual(Object.keys(agent.parameters));
    for (const parameter of metadata.parameters) {
      const spec = agent.parameters[parameter.name]!;
      expect(parameter).toEqual({
        name: parameter.name,
        shortdesc: spec.shortdesc.replace(/\s+/g, ' ').trim(),
        longdesc: parameterLongdesc(spec).replace(/\s+/g, ' ').trim(),
        type: spec.contentType,
        default: spec.defaultText,
        required: spec.required,
        unique: spec.unique,
      });
    }
    expect(metadata.actions.map((a) => [a.name, a.attributes.timeout, a.attributes.role])).toEqual(
      advertisedActions(agent).map((a) => [a.name, a.timeout, a.role]),
    );
  });

  it('accepts OCF 1.1 booleans (true) besides 1.0 ones (1), and skips nameless entries', async () => {
    const metadata = await parseMetadata(`<resource-agent name="x"><parameters>
      <parameter name="a" required="true" unique="true"><content type="integer" default=""/></parameter>
      <parameter required="1"/>
    </parameters><actions><action name="start" timeout="20s"/><action timeout="5s"/></actions></resource-agent>`);
    expect(metadata.parameters).toEqual([{ name: 'a', shortdesc: '', longdesc: '', type: 'integer', default: '', required: true, unique: true }]);
    expect(metadata.actions).toEqual([{ name: 'start', attributes: { timeout: '20s' } }]);
  });
});
