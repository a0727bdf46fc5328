/**
 * ocf:mfs:mfs-drbd-store through the built executable, where no DRBD is needed: meta-data,
 * dispatch, parameter refusals, probes on a node without the resource (the installed
 * drbd-utils 9.22 drbdadm answers them). The DRBD life cycle runs over the emulator in
 * mfs-drbd-store.emulator.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { exitCodeName } from '../../lib/ocf/exit-codes.js';
import { ocfEnv, runAgent } from '../helpers/built.js';
import { validateMetadata } from '../helpers/metadata.js';

async function agent(action: string | undefined, params: Record<string, string> = {}, extra: Record<string, string> = {}) {
  const result = await runAgent('mfs-drbd-store', action, ocfEnv(params, { OCF_RESKEY_CRM_meta_timeout: '20000', ...extra }));
  return { ...result, name: exitCodeName(result.code ?? -1) };
}

describe('mfs-drbd-store: meta-data and dispatch', () => {
  it('prints meta-data valid for ocf-tester (1.0 DTD), with a monitor per role', async () => {
    const result = await agent('meta-data');
    expect(result.code).toBe(0);
    await validateMetadata(result.stdout, { relaxng: false });
    for (const name of ['drbd_resource', 'directory', 'fstype', 'options', 'device', 'split_brain_policy', 'unmount_signals', 'unmount_signal_delay', 'adjust_master_score', 'master_config']) {
      expect(result.stdout).toContain(`<parameter name="${name}"`);
    }
    expect(result.stdout).toContain('<parameter name="drbd_resource" unique="1" required="1">');
    expect(result.stdout).toMatch(/<action name="monitor" timeout="20s" interval="20s" role="Unpromoted"\/>/);
    expect(result.stdout).toMatch(/<action name="monitor" timeout="20s" interval="10s" role="Promoted"\/>/);
    for (const action of ['start', 'stop', 'promote', 'demote', 'notify']) expect(result.stdout).toContain(`<action name="${action}"`);
    expect(result.stdout).toContain('default="0 10 1000 10000"');
  });

  it('answers usage, and no action with OCF_ERR_ARGS', async () => {
    const none = await agent(undefined);
    expect(none.name).toBe('OCF_ERR_ARGS');
    expect(none.stderr).toContain('usage: mfs-drbd-store {start|stop|promote|demote|notify|monitor|validate-all|meta-data|usage}');
  });
});

describe('mfs-drbd-store: parameters and probes', () => {
  it.each([
    [{}, "parameter 'drbd_resource' is required but not set"],
    [{ drbd_resource: 'r0', split_brain_policy: 'discard-primary' }, "parameter 'split_brain_policy' must be one of manual, discard-secondary"],
    [{ drbd_resource: 'r0', adjust_master_score: '0 10 1000' }, "parameter 'adjust_master_score' must be four integers"],
    [{ drbd_resource: 'r0', adjust_master_score: '0 1000 10 10000' }, "parameter 'adjust_master_score' values must not decrease"],
    [{ drbd_resource: 'r0', unmount_signals: 'TERM FOO' }, "parameter 'unmount_signals' names unknown signals: SIGFOO"],
    [{ drbd_resource: 'r0', directory: 'relative/dir' }, "parameter 'directory' must be an absolute path"],
    [{ drbd_resource: 'r0; rm -rf /' }, "parameter 'drbd_resource' must be a name"],
    [{ drbd_resource: 'r0', options: 'rw noatime' }, "parameter 'options' must be comma-separated mount options"],
  ])('refuses %j with OCF_ERR_CONFIGURED naming the parameter', async (params, message) => {
    const result = await agent('validate-all', params);
    expect(result.name, result.stderr).toBe('OCF_ERR_CONFIGURED');
    expect(result.exitReason).toContain(message);
  });

  it.each([
    [{ OCF_RESKEY_CRM_meta_clone_max: '2' }, 'needs meta attribute notify=true'],
    [{ OCF_RESKEY_CRM_meta_clone_max: '2', OCF_RESKEY_CRM_meta_notify: 'false' }, 'needs meta attribute notify=true'],
    [{ OCF_RESKEY_CRM_meta_clone_max: '2', OCF_RESKEY_CRM_meta_notify: 'true', OCF_RESKEY_CRM_meta_promoted_max: '2' }, 'must have promoted-max=1 (got 2)'],
    [{ OCF_RESKEY_CRM_meta_clone_max: '2', OCF_RESKEY_CRM_meta_notify: 'true', OCF_RESKEY_CRM_meta_master_max: '2' }, 'must have promoted-max=1 (got 2)'],
  ])('refuses a clone configured %j', async (meta, message) => {
    const result = await agent('validate-all', { drbd_resource: 'r0' }, meta);
    expect(result.name, result.stderr).toBe('OCF_ERR_CONFIGURED');
    expect(result.exitReason).toContain(message);
  });

  it('probes on a node without the DRBD resource report not running; a recurring monitor says why', async () => {
    const probe = await agent('monitor', { drbd_resource: 'mfsnothere' }, { OCF_RESKEY_CRM_meta_interval: '0' });
    expect(probe.name, probe.stderr).toBe('OCF_NOT_RUNNING');
    const recurring = await agent('monitor', { drbd_resource: 'mfsnothere' }, { OCF_RESKEY_CRM_meta_interval: '20000' });
    expect(recurring.name).toBe('OCF_ERR_INSTALLED');
    expect(recurring.exitReason).toContain("DRBD resource 'mfsnothere' is not configured on this node");
    const stop = await agent('stop', { drbd_resource: 'mfsnothere' });
    expect(stop.name, 'stop of what cannot run succeeds').toBe('OCF_SUCCESS');
    const badParameters = await agent('stop', { drbd_resource: 'mfsnothere', unmount_signals: 'TERM FOO', adjust_master_score: '0 1000 10 10000' });
    expect(badParameters.name, `a bad parameter never fails a stop: ${badParameters.stderr}`).toBe('OCF_SUCCESS');
    expect(badParameters.stderr).toContain("parameter 'unmount_signals' names unknown signals: SIGFOO: stopping with the default");
  });
});
