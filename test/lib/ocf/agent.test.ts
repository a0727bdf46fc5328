import { describe, expect, it } from 'vitest';
import { defineAgent, runAgent } from '../../../lib/ocf/agent.js';
import { OCF, OcfError } from '../../../lib/ocf/exit-codes.js';
import { param } from '../../../lib/ocf/parameters.js';
import { validateMetadata } from '../../helpers/metadata.js';

/** A small agent whose state is a variable: the framework's behaviour, without any daemon. */
function testAgent() {
  const state = { running: false, validated: 0, installed: true };
  const definition = defineAgent({
    name: 'dummy',
    version: '0.0.1',
    shortdesc: 'A test agent',
    longdesc: 'Exercises the OCF framework & its <escaping>.',
    parameters: {
      state_dir: param.path({ shortdesc: 'dir', longdesc: 'Where state lives.', required: true, unique: true }),
      password: param.string({ shortdesc: 'pw', longdesc: 'A secret.', secret: true }),
      mode: param.select({ shortdesc: 'mode', longdesc: 'How.', options: ['fast', 'safe'], default: 'safe', reloadable: true }),
    },
    async validate() {
      state.validated++;
      if (!state.installed) throw new OcfError(OCF.ERR_INSTALLED, 'dummyd is not installed');
    },
    actions: {
      start: {
        timeout: '20s',
        async run(ctx) {
          ctx.log.info(`starting with password ${ctx.params.password}`);
          state.running = true;
          return OCF.SUCCESS;
        },
      },
      stop: {
        timeout: '20s',
        async run() {
          state.running = false;
          return OCF.SUCCESS;
        },
      },
      monitor: {
        timeout: '10s',
        advertise: [{ timeout: '10s', interval: '10s', depth: 0 }],
        async run(ctx) {
          if (!state.installed) throw new OcfError(OCF.ERR_INSTALLED, 'dummyd is not installed');
          ctx.log.debug(`probe=${ctx.isProbe} level=${ctx.checkLevel} budget=${ctx.deadline.totalMs}`);
          if (ctx.checkLevel >= 10 && state.running) throw new Error('deep check exploded');
          return state.running ? OCF.SUCCESS : OCF.NOT_RUNNING;
        },
      },
    },
  });
  return { definition, state };
}

async function call(action: string | undefined, env: Record<string, string> = {}, agent = testAgent()) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runAgent(agent.definition, action === undefined ? [] : [action], { OCF_RESKEY_state_dir: '/tmp', ...env }, {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
  });
  return { code, stdout: out.join(''), stderr: err.join(''), state: agent.state };
}

describe('action dispatch', () => {
  it('gives usage and OCF_ERR_ARGS without an action', async () => {
    const r = await call(undefined);
    expect(r.code).toBe(OCF.ERR_ARGS);
    expect(r.stderr).toMatch(/^usage: dummy \{start\|stop\|monitor\|validate-all\|meta-data\|usage\}/);
  });

  it('gives OCF_ERR_UNIMPLEMENTED for unknown and unimplemented actions', async () => {
    expect((await call('frobnicate')).code).toBe(OCF.ERR_UNIMPLEMENTED);
    expect((await call('promote')).code).toBe(OCF.ERR_UNIMPLEMENTED);
  });

  it('answers meta-data and usage without validating anything', async () => {
    const agent = testAgent();
    agent.state.installed = false;
    const md = await call('meta-data', { OCF_RESKEY_state_dir: 'not absolute' }, agent);
    expect(md.code).toBe(OCF.SUCCESS);
    expect((await call('usage', {}, agent)).code).toBe(OCF.SUCCESS);
    expect(agent.state.validated).toBe(0);
  });

  it('writes meta-data that the OCF 1.0 DTD and resource-agents schema accept', async () => {
    const { stdout } = await call('meta-data');
    await validateMetadata(stdout);
    expect(stdout).toContain('<parameter name="state_dir" unique="1" required="1">');
    expect(stdout).toContain('Allowed values: fast, safe. Can be changed without a restart (applied by reload).');
    expect(stdout).toContain('&amp; its &lt;escaping&gt;.');
    expect(stdout).toContain('<action name="monitor" timeout="10s" interval="10s" depth="0"/>');
  });

  it('validates before start and for validate-all', async () => {
    const agent = testAgent();
    expect((await call('validate-all', {}, agent)).code).toBe(OCF.SUCCESS);
    expect((await call('start', {}, agent)).code).toBe(OCF.SUCCESS);
    expect(agent.state.validated).toBe(2);
    agent.state.installed = false;
    const r = await call('validate-all', {}, agent);
    expect(r.code).toBe(OCF.ERR_INSTALLED);
    expect(r.stderr).toContain('ocf-exit-reason:dummyd is not installed\n');
  });
});

describe('bad parameters', () => {
  it('are OCF_ERR_CONFIGURED with an exit reason naming the parameter', async () => {
    const r = await call('start', { OCF_RESKEY_state_dir: 'relative/dir' });
    expect(r.code).toBe(OCF.ERR_CONFIGURED);
    expect(r.stderr).toContain("ocf-exit-reason:parameter 'state_dir' must be an absolute path");
    expect(r.state.running).toBe(false);
  });

  it('make a probe report not running, and a stop succeed', async () => {
    expect((await call('monitor', { OCF_RESKEY_state_dir: '' })).code).toBe(OCF.NOT_RUNNING);
    expect((await call('stop', { OCF_RESKEY_state_dir: '' })).code).toBe(OCF.SUCCESS);
  });

  it('make a recurring monitor fail with OCF_ERR_CONFIGURED', async () => {
    expect((await call('monitor', { OCF_RESKEY_state_dir: '', OCF_RESKEY_CRM_meta_interval: '10000' })).code).toBe(OCF.ERR_CONFIGURED);
  });
});

describe('probes', () => {
  it('report not running where the software is absent, but a recurring monitor reports it', async () => {
    const agent = testAgent();
    agent.state.installed = false;
    expect((await call('monitor', { OCF_RESKEY_CRM_meta_interval: '0' }, agent)).code).toBe(OCF.NOT_RUNNING);
    expect((await call('monitor', { OCF_RESKEY_CRM_meta_interval: '10000' }, agent)).code).toBe(OCF.ERR_INSTALLED);
  });

  it('know the check level and the deadline', async () => {
    const r = await call('monitor', { HA_debug: '1', OCF_CHECK_LEVEL: '20', OCF_RESKEY_CRM_meta_timeout: '7000', OCF_RESKEY_CRM_meta_interval: '0' });
    expect(r.stderr).toContain('DEBUG: probe=true level=20 budget=7000');
  });
});

describe('failures and logging', () => {
  it('turns an unexpected exception into OCF_ERR_GENERIC with an exit reason', async () => {
    const agent = testAgent();
    await call('start', {}, agent);
    const r = await call('monitor', { OCF_CHECK_LEVEL: '10', OCF_RESKEY_CRM_meta_interval: '10000' }, agent);
    expect(r.code).toBe(OCF.ERR_GENERIC);
    expect(r.stderr).toContain('ocf-exit-reason:unexpected failure: deep check exploded\n');
  });

  it('logs in the form admins read, and masks secrets', async () => {
    const r = await call('start', { OCF_RESKEY_password: 'hunter2', OCF_RESOURCE_INSTANCE: 'mfs' });
    expect(r.stderr).toMatch(new RegExp(`^dummy\\(mfs\\)\\[${process.pid}\\]: INFO: starting with password \\*\\*\\*$`, 'm'));
    expect(r.stderr).not.toContain('hunter2');
  });

  it('logs debug only with HA_debug=1', async () => {
    expect((await call('monitor', { OCF_CHECK_LEVEL: '20' })).stderr).not.toContain('DEBUG');
    expect((await call('monitor', { OCF_CHECK_LEVEL: '20', HA_debug: '1' })).stderr).toContain('DEBUG');
  });
});
