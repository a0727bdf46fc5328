import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../lib/process/run.js';
import { agentManPage, parseMetadata, roff, toolManPage } from '../../packaging/man-page.js';
import { agentPath, BINARY, ocfEnv } from '../helpers/built.js';
import { builtPrograms } from './packages.js';

const CONTEXT = { provider: 'mfs', source: 'mfs-ocf 9.9.9', date: '2026-11-23' };
const dir = mkdtempSync('/tmp/mfs-ocf-man-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Renders a page as `man` does, with groff's warnings on: returns the text and the complaints. */
async function render(page: string, name: string): Promise<{ text: string; warnings: string }> {
  const file = join(dir, name);
  writeFileSync(file, page);
  const result = await run('man', ['--warnings', '-l', file], { env: { MANWIDTH: '200', MAN_KEEP_FORMATTING: '', MANPAGER: 'cat', PAGER: 'cat' }, timeoutMs: 30_000 });
  expect(result.exitCode, result.stderr).toBe(0);
  return { text: result.stdout, warnings: result.stderr };
}

describe('roff escaping', () => {
  it.each([
    ['plain', 'plain'],
    ['a-b', 'a\\-b'],
    ['back\\slash', 'back\\eslash'],
    ['.TH injected', '\\&.TH injected'],
    ["'\\\" comment", "\\&'\\e\" comment"],
    ['two\n.lines', 'two\n\\&.lines'],
  ])('%j -> %j', (input, expected) => {
    expect(roff(input)).toBe(expected);
  });
});

describe('agent man pages from meta-data', () => {
  it('every agent page names every parameter and action of its meta-data, and renders without warnings', async () => {
    const agents = (await builtPrograms()).filter((program) => program.kind === 'agent');
    expect(agents.map((agent) => agent.name)).toContain('mfsmaster');
    for (const { name } of agents) {
      const xml = await run(agentPath(name), ['meta-data'], { env: ocfEnv({}), timeoutMs: 30_000 });
      expect(xml.exitCode).toBe(0);
      const metadata = await parseMetadata(xml.stdout);
      expect(metadata.name).toBe(name);
      expect(metadata.parameters.length + metadata.actions.length).toBeGreaterThan(0);
      const { text, warnings } = await render(agentManPage(metadata, CONTEXT), `ocf_mfs_${name}.7`);
      expect(warnings).toBe('');
      expect(text).toContain(`ocf_mfs_${name} - ${metadata.shortdesc}`);
      for (const parameter of metadata.parameters) {
        expect(text).toMatch(new RegExp(`^ {7}${parameter.name} \\(`, 'm'));
        if (parameter.default !== undefined) expect(text).toContain(`default "${parameter.default}"`);
      }
      for (const action of metadata.actions) expect(text).toMatch(new RegExp(`^ {7}${action.name}\\b`, 'm'));
      expect(text).toContain(`primitive p_${name} ocf:mfs:${name}`);
    }
  });

  it('shows what a parameter declares: required, unique, type, default; and the example operations', async () => {
    const metadata = await parseMetadata(`<?xml version="1.0"?>
<resource-agent name="demo" version="1.0">
  <version>1.1</version>
  <longdesc lang="en">Long text with a -dash and a \\backslash.</longdesc>
  <shortdesc lang="en">Demo agent</shortdesc>
  <parameters>
    <parameter name="device" unique="1" required="1">
      <longdesc lang="en">The device.</longdesc><shortdesc lang="en">device</shortdesc>
      <content type="string"/>
    </parameter>
    <parameter name="count" required="0"><longdesc lang="en">How many.</longdesc><shortdesc lang="en">count</shortdesc><content type="integer" default="3"/></parameter>
  </parameters>
  <actions>
    <action name="start" timeout="60s"/>
    <action name="monitor" timeout="20s" interval="10s" depth="0"/>
    <action name="meta-data" timeout="5s"/>
  </actions>
</resource-agent>`);
    expect(metadata.parameters).toEqual([
      { name: 'device', shortdesc: 'device', longdesc: 'The device.', type: 'string', default: undefined, required: true, unique: true },
      { name: 'count', shortdesc: 'count', longdesc: 'How many.', type: 'integer', default: '3', required: false, unique: false },
    ]);
    const { text, warnings } = await render(agentManPage(metadata, CONTEXT), 'ocf_mfs_demo.7');
    expect(warnings).toBe('');
    expect(text).toContain('Long text with a -dash and a \\backslash.');
    expect(text).toContain('(unique, required, string, no default)');
    expect(text).toContain('(optional, integer, default "3")');
    expect(text).toMatch(/primitive p_demo ocf:mfs:demo \\\n\s+params device=string \\\n\s+op start timeout="60s" \\\n\s+op monitor timeout="20s" interval="10s" depth="0"\n/);
    expect(text).toContain('pcs resource create p_demo ocf:mfs:demo device=string op start timeout="60s" op monitor timeout="20s" interval="10s" depth="0"');
    expect(text).not.toMatch(/clone|promotable/);
  });

  it('shows a promotable agent as a promotable clone, each action once in the synopsis', async () => {
    const metadata = await parseMetadata(`<?xml version="1.0"?>
<resource-agent name="pro" version="1.0">
  <longdesc lang="en">Promotable.</longdesc><shortdesc lang="en">Promotable demo</shortdesc>
  <parameters/>
  <actions>
    <action name="monitor" role="Promoted" timeout="20s" interval="10s"/>
    <action name="monitor" role="Unpromoted" timeout="20s" interval="20s"/>
    <action name="promote" timeout="90s"/>
    <action name="notify" timeout="5s"/>
  </actions>
</resource-agent>`);
    const { text, warnings } = await render(agentManPage(metadata, CONTEXT), 'ocf_mfs_pro.7');
    expect(warnings).toBe('');
    expect(text).toMatch(/SYNOPSIS\n\s+pro \[monitor \| promote \| notify\]\n/);
    expect(text).toMatch(/op promote timeout="90s"\n\s+clone p_pro-clone p_pro \\\n\s+meta promotable=true notify=true\n/);
    expect(text).toContain('op promote timeout="90s" promotable notify=true');
  });

  it('refuses what is not an agent meta-data', async () => {
    await expect(parseMetadata('<other/>')).rejects.toThrow(/resource-agent/);
  });
});

describe('tool man pages from --help', () => {
  const HELP = `demo-tool <command> --flag VALUE [options]

Writes something useful.

Commands:
  demo-tool one  the first thing

Options:
  --flag  a flag   [string]`;

  it('takes the usage line as synopsis and the first prose line as summary', async () => {
    const { text, warnings } = await render(toolManPage('demo-tool', HELP, CONTEXT, ['crm(8)', 'ocf_mfs_mfsmaster(7)']), 'demo-tool.1');
    expect(warnings).toBe('');
    expect(text).toMatch(/NAME\n\s+demo-tool - writes something useful\n/);
    expect(text).toMatch(/SYNOPSIS\n\s+demo-tool <command> --flag VALUE \[options\]\n\n/);
    expect(text).toMatch(/^\s+demo-tool one {2}the first thing$/m);
    expect(text).toMatch(/SEE ALSO\n\s+crm\(8\), ocf_mfs_mfsmaster\(7\)/);
  });

  it('renders each built tool without warnings', async () => {
    for (const { name } of (await builtPrograms()).filter((program) => program.kind === 'tool')) {
      const help = await run(BINARY, [name, '--help'], { timeoutMs: 30_000 });
      expect(help.exitCode, help.stderr).toBe(0);
      const { text, warnings } = await render(toolManPage(name, help.stdout, CONTEXT), `${name}.1`);
      expect(warnings).toBe('');
      expect(text).toMatch(new RegExp(`NAME\\n\\s+${name} - \\S`));
    }
  });
});
