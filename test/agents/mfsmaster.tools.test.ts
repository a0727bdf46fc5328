/**
 * The built mfsmaster agent as Pacemaker's own tools see it: resource-agents' ocf-tester
 * against a real master, and crmsh/crm_resource reading its meta-data from the provider
 * directory.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../lib/process/run.js';
import { agentPath } from '../helpers/built.js';
import { withInstalledAgents } from '../helpers/installed-agents.js';
import { createMasterFixture, type MasterFixture } from '../helpers/moosefs.js';
import { MOOSEFS } from '../helpers/moosefs-versions.js';

describe.each(MOOSEFS)('mfsmaster with ocf-tester, MooseFS $version', (moosefs) => {
  let fixture: MasterFixture;
  beforeAll(async () => {
    fixture = await createMasterFixture({ moosefs });
  });
  afterAll(() => fixture?.cleanup());

  it('passes ocf-tester with a real configuration', async () => {
    const params = Object.entries(fixture.params).flatMap(([name, value]) => ['-o', `${name}=${value}`]);
    const result = await run('ocf-tester', ['-n', 'mfs', ...params, agentPath('mfsmaster')], { timeoutMs: 120_000, all: true });
    expect(result.stderr, result.stderr).toMatch(/mfsmaster passed all tests/);
    expect(result.exitCode).toBe(0);
    expect(fixture.masterPid(), 'ocf-tester ends with the resource stopped').toBeUndefined();
  });
});

describe('mfsmaster with the cluster tools', () => {
  it('is listed and described by crmsh and crm_resource once installed', async () => {
    await withInstalledAgents(async () => {
      const list = await run('crm', ['ra', 'list', 'ocf', 'mfs'], { timeoutMs: 30_000 });
      expect(list.stdout).toMatch(/\bmfsmaster\b/);
      const info = await run('crm', ['ra', 'info', 'ocf:mfs:mfsmaster'], { timeoutMs: 30_000 });
      expect(info.exitCode, info.stderr).toBe(0);
      expect(info.stdout).toContain('MooseFS metadata master (ocf:mfs:mfsmaster)');
      expect(info.stdout).toMatch(/config \(string, \[\/etc\/mfs\/mfsmaster\.cfg\]\): mfsmaster\.cfg/);
      expect(info.stdout).toMatch(/allow_empty_init \(boolean, \[false\]\)/);
      expect(info.stdout).toMatch(/start\s+timeout=120s/);
      const metadata = await run('crm_resource', ['--show-metadata', 'ocf:mfs:mfsmaster'], { timeoutMs: 30_000 });
      expect(metadata.exitCode).toBe(0);
      expect(metadata.stdout).toContain('<resource-agent name="mfsmaster"');
    });
  });
});
