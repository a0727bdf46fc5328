import { describe, expect, it } from 'vitest';
import { OCF, OcfError } from '../../../lib/ocf/exit-codes.js';
import { param, readParameters, secretValues } from '../../../lib/ocf/parameters.js';

const specs = {
  config: param.path({ shortdesc: 'c', longdesc: 'c', default: '/etc/mfs/mfsmaster.cfg' }),
  resource: param.name({ shortdesc: 'r', longdesc: 'r', required: true }),
  retries: param.integer({ shortdesc: 'n', longdesc: 'n', default: 3, min: 0, max: 10 }),
  force: param.boolean({ shortdesc: 'b', longdesc: 'b', default: false }),
  policy: param.select({ shortdesc: 's', longdesc: 's', options: ['manual', 'discard-secondary'], default: 'manual' }),
  password: param.string({ shortdesc: 'p', longdesc: 'p', secret: true }),
};

function read(env: Record<string, string>) {
  return readParameters(specs, { OCF_RESKEY_resource: 'r0', ...env });
}

function problem(env: Record<string, string>): OcfError {
  try {
    read(env);
  } catch (error) {
    return error as OcfError;
  }
  throw new Error('expected an error');
}

describe('parameters declared once', () => {
  it('gives defaults for unset and empty values', () => {
    expect(read({ OCF_RESKEY_config: '' })).toEqual({
      config: '/etc/mfs/mfsmaster.cfg',
      resource: 'r0',
      retries: 3,
      force: false,
      policy: 'manual',
      password: undefined,
    });
  });

  it.each([
    ['OCF_RESKEY_force', 'yes', 'force', true],
    ['OCF_RESKEY_force', 'TRUE', 'force', true],
    ['OCF_RESKEY_force', '0', 'force', false],
    ['OCF_RESKEY_force', 'off', 'force', false],
    ['OCF_RESKEY_retries', '10', 'retries', 10],
    ['OCF_RESKEY_policy', 'discard-secondary', 'policy', 'discard-secondary'],
    ['OCF_RESKEY_config', '/srv/mfs/master-1.cfg', 'config', '/srv/mfs/master-1.cfg'],
  ])('parses %s=%s', (key, raw, name, value) => {
    expect(read({ [key]: raw })[name as keyof typeof specs]).toEqual(value);
  });

  it.each([
    ['relative path', { OCF_RESKEY_config: 'etc/mfs.cfg' }, "parameter 'config' must be an absolute path"],
    ['space in a path', { OCF_RESKEY_config: '/etc/mfs master.cfg' }, "parameter 'config' may contain only"],
    ['shell separator', { OCF_RESKEY_config: '/etc/mfs.cfg;reboot' }, "parameter 'config' may contain only"],
    ['command substitution', { OCF_RESKEY_config: '/tmp/$(touch /tmp/pwned)' }, "parameter 'config' may contain only"],
    ['dot-dot', { OCF_RESKEY_config: '/etc/../shadow' }, "parameter 'config' must not contain"],
    ['bad name', { OCF_RESKEY_resource: 'r0 --force' }, "parameter 'resource' must be a name"],
    ['missing required', { OCF_RESKEY_resource: '' }, "parameter 'resource' is required"],
    ['not an integer', { OCF_RESKEY_retries: '3x' }, "parameter 'retries' must be an integer"],
    ['integer out of range', { OCF_RESKEY_retries: '11' }, "parameter 'retries' must be between 0 and 10"],
    ['not a boolean', { OCF_RESKEY_force: 'maybe' }, "parameter 'force' must be a boolean"],
    ['not an option', { OCF_RESKEY_policy: 'discard-all' }, "parameter 'policy' must be one of manual, discard-secondary"],
    ['control character', { OCF_RESKEY_password: 'a\nb' }, "parameter 'password' must not contain control characters"],
  ])('refuses a %s with OCF_ERR_CONFIGURED naming the parameter', (_case, env, message) => {
    const error = problem(env);
    expect(error).toBeInstanceOf(OcfError);
    expect(error.code).toBe(OCF.ERR_CONFIGURED);
    expect(error.message).toContain(message);
  });

  it('reports every bad parameter at once', () => {
    const error = problem({ OCF_RESKEY_config: 'x', OCF_RESKEY_retries: '-1' });
    expect(error.message).toMatch(/'config'.*; .*'retries'/);
  });

  it('refuses an invalid default at declaration time', () => {
    expect(() => param.path({ shortdesc: 'x', longdesc: 'x', default: 'relative' })).toThrow(/absolute/);
  });

  it('knows which values are secret', () => {
    expect(secretValues(specs, { OCF_RESKEY_password: 's3cret', OCF_RESKEY_config: '/x' })).toEqual(['s3cret']);
  });
});
