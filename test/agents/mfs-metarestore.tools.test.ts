/**
 * The built mfs-metarestore agent as Pacemaker's own tools see it: meta-data against the OCF
 * 1.0 DTD (roles on monitor actions), and resource-agents' ocf-tester through every action,
 * promote and demote included, on real metalogger files.
 */
import { closeSync, openSync, readdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../lib/process/run.js';
import { agentPath, runAgent } from '../helpers/built.js';
import { validateMetadata } from '../helpers/metadata.js';
import { mountClient, unmountClient } from '../helpers/moosefs.js';
import { MOOSEFS } from '../helpers/moosefs-versions.js';
import { contentHashes, createCluster, metarestore, mfsmaster, nodeParams, RESOURCE, vanished, waitCaughtUp, type Cluster } from './mfs-metarestore.helpers.js';

describe('mfs-metarestore with the cluster tools', () => {
  it('has meta-data valid for the OCF 1.0 DTD, with one monitor interval per role', async () => {
    const result = await runAgent('mfs-metarestore', 'meta-data', {});
    expect(result.code).toBe(0);
    await validateMetadata(result.stdout, { relaxng: false });
    expect(result.stdout).toMatch(/<action name="monitor" timeout="20s" interval="20s" role="Unpromoted"\/>/);
    expect(result.stdout).toMatch(/<action name="monitor" timeout="20s" interval="10s" role="Promoted"\/>/);
    for (const action of ['start', 'stop', 'promote', 'demote', 'notify', 'validate-all']) expect(result.stdout).toContain(`<action name="${action}"`);
  });
});

describe.each(MOOSEFS)('mfs-metarestore with ocf-tester, MooseFS $version', (moosefs) => {
  let c: Cluster;
  beforeAll(async () => {
    // ocf-tester gives no node name: the agent uses the host name, which the offline CIB must know.
    c = await createCluster([hostname()], moosefs);
    const node = c.nodes[0]!;
    expect((await mfsmaster(c.origin, 'start')).name).toBe('OCF_SUCCESS');
    expect((await metarestore(c, node, 'start')).name).toBe('OCF_SUCCESS');
    const mount = await mountClient(c.origin);
    for (let i = 0; i < 20; i++) {
      await mkdir(join(mount, `t-d${i}`));
      closeSync(openSync(join(mount, `t-f${i}`), 'w'));
    }
    await unmountClient(mount);
    await waitCaughtUp(c, node);
    expect((await metarestore(c, node, 'stop')).name).toBe('OCF_SUCCESS');
    expect((await mfsmaster(c.origin, 'stop')).name).toBe('OCF_SUCCESS');
  }, 120_000);
  afterAll(() => c?.cleanup());

  it('refuses a clone without notify=true or with more than one promoted instance, and probes a node without the configuration as stopped', async () => {
    const node = c.nodes[0]!;
    const noNotify = await metarestore(c, node, 'validate-all', {}, { OCF_RESKEY_CRM_meta_clone_max: '2', OCF_RESKEY_CRM_meta_notify: 'false' });
    expect(noNotify.name).toBe('OCF_ERR_CONFIGURED');
    expect(noNotify.exitReason).toBe('the clone of this resource needs meta attribute notify=true: the election runs at pre-promote');
    const two = await metarestore(c, node, 'validate-all', {}, { OCF_RESKEY_CRM_meta_clone_max: '2', OCF_RESKEY_CRM_meta_notify: 'true', OCF_RESKEY_CRM_meta_promoted_max: '2' });
    expect(two.name).toBe('OCF_ERR_CONFIGURED');
    expect(two.exitReason).toBe('the clone of this resource must have promoted-max=1 (got 2): there is exactly one MooseFS master');
    const missing = { metalogger_config: join(c.dir, 'absent.cfg') };
    const validate = await metarestore(c, node, 'validate-all', missing);
    expect(validate.name).toBe('OCF_ERR_INSTALLED');
    expect(validate.exitReason).toMatch(/absent\.cfg cannot be read \(ENOENT\)/);
    expect((await metarestore(c, node, 'monitor', missing)).name).toBe('OCF_NOT_RUNNING');
    expect((await metarestore(c, node, 'stop', missing)).name).toBe('OCF_SUCCESS');
  });

  it('passes ocf-tester (promote and demote on real metalogger files), and deletes nothing', async () => {
    const node = c.nodes[0]!;
    const before = contentHashes(node.ml.dataPath, node.master.dataPath);
    const result = await run(
      'ocf-tester',
      ['-n', RESOURCE, ...Object.entries(nodeParams(node)).flatMap(([name, value]) => ['-o', `${name}=${value}`]), agentPath('mfs-metarestore')],
      { timeoutMs: 300_000, all: true, env: { CIB_file: c.cib, HA_RSCTMP: node.rsctmp } },
    );
    expect(result.stderr, result.stderr).toMatch(/mfs-metarestore passed all tests/);
    expect(result.exitCode).toBe(0);
    expect(node.ml.pid(), 'ocf-tester ends with the resource stopped').toBeUndefined();
    expect(vanished(before, node.ml.dataPath, node.master.dataPath)).toEqual([]);
    // Each promote set the previous master files aside instead of deleting them.
    expect(readdirSync(join(node.master.dataPath, 'mfs-ocf-aside')).filter((n) => n.startsWith('before-promote-')).length).toBeGreaterThanOrEqual(1);
  });
});
