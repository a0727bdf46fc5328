import { describe, expect, it } from 'vitest';
import { exitCodeOf, OCF, OcfError, ocfErrorOf } from '../../../lib/ocf/exit-codes.js';
import { Failure, type FailureKind, type ResourceStatus } from '../../../lib/runtime/errors.js';

describe('the OCF layer maps what domain code says to exit codes', () => {
  it.each<[FailureKind, number]>([
    ['failed', OCF.ERR_GENERIC],
    ['not-installed', OCF.ERR_INSTALLED],
    ['misconfigured', OCF.ERR_CONFIGURED],
    ['not-permitted', OCF.ERR_PERM],
  ])('a Failure of kind %s ends the action with %i, its message as the exit reason', (kind, code) => {
    const error = ocfErrorOf(new Failure(kind, 'DATA_PATH /x is missing'));
    expect(error).toBeInstanceOf(OcfError);
    expect(error.code).toBe(code);
    expect(error.message).toBe('DATA_PATH /x is missing');
  });

  it('an OcfError stays as it is; anything else is an unexpected generic error', () => {
    const own = new OcfError(OCF.ERR_ARGS, 'usage');
    expect(ocfErrorOf(own)).toBe(own);
    expect(ocfErrorOf(new TypeError('x is undefined'))).toMatchObject({ code: OCF.ERR_GENERIC, message: 'unexpected failure: x is undefined' });
  });

  it.each<[ResourceStatus, number]>([
    ['ok', OCF.SUCCESS],
    ['not-running', OCF.NOT_RUNNING],
    ['promoted', OCF.RUNNING_PROMOTED],
    ['failed-promoted', OCF.FAILED_PROMOTED],
    ['degraded', OCF.DEGRADED],
    ['degraded-promoted', OCF.DEGRADED_PROMOTED],
  ])('the resource status %s is exit code %i', (status, code) => {
    expect(exitCodeOf(status)).toBe(code);
    expect(exitCodeOf(code as never)).toBe(code);
  });
});
