import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AGENT_NAMES, loadAgent } from '../../agents/registry.js';
import { param } from '../../lib/ocf/parameters.js';
import { parameterTable, withParameterTables } from '../../packaging/readme-params.js';

const README = join(import.meta.dirname, '..', '..', 'README.md');

describe("README.md's parameter tables", () => {
  it('are what the declarations generate (node scripts/run-ts.mjs scripts/readme-params.ts rewrites them)', async () => {
    const agents = new Map(await Promise.all(AGENT_NAMES.map(async (name) => [name, (await loadAgent(name)).parameters] as const)));
    const readme = readFileSync(README, 'utf8');
    expect(readme).toBe(withParameterTables(readme, agents));
    for (const parameters of agents.values()) for (const parameter of Object.keys(parameters)) expect(readme).toContain(`| \`${parameter}\` |`);
    expect(readme).toContain('| `durability` | `process` |');
  });

  it('a table: required parameters said so, pipes escaped, one line per parameter', () => {
    const table = parameterTable({
      resource: param.name({ shortdesc: 'Resource', longdesc: 'The resource\nname.', required: true }),
      mode: param.select({ shortdesc: 'Mode', longdesc: 'a | b.', options: ['a', 'b'], default: 'a' }),
    });
    expect(table.split('\n')).toEqual([
      '| parameter | default | meaning |',
      '|---|---|---|',
      '| `resource` | required | **Resource.** The resource name. |',
      '| `mode` | `a` | **Mode.** a \\| b. Allowed values: a, b. |',
    ]);
  });

  it('refuses a README without an agent\'s markers, or with those of an agent that is not ours', () => {
    expect(() => withParameterTables('no markers', new Map([['x', {}]]))).toThrow(/no parameter table markers for x/);
    expect(() => withParameterTables('<!-- parameters: y (generated) -->\n<!-- /parameters: y -->', new Map())).toThrow(/y, which is not one of our agents/);
  });
});
