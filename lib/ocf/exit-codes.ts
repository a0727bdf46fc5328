/**
 * Exit codes of the OCF Resource Agent API 1.1, by name, and the one place where what domain code
 * says (a Failure's kind, a ResourceStatus: lib/runtime/errors.ts) becomes one.
 */
import { Failure, type FailureKind, type ResourceStatus } from '../runtime/errors.js';


export const OCF = {
  SUCCESS: 0,
  ERR_GENERIC: 1,
  ERR_ARGS: 2,
  ERR_UNIMPLEMENTED: 3,
  ERR_PERM: 4,
  ERR_INSTALLED: 5,
  ERR_CONFIGURED: 6,
  NOT_RUNNING: 7,
  RUNNING_PROMOTED: 8,
  FAILED_PROMOTED: 9,
  DEGRADED: 190,
  DEGRADED_PROMOTED: 191,
} as const;

export type OcfExitCode = (typeof OCF)[keyof typeof OCF];
export type OcfExitName = keyof typeof OCF;

const KIND_CODE: Record<FailureKind, OcfExitCode> = {
  failed: OCF.ERR_GENERIC,
  'not-installed': OCF.ERR_INSTALLED,
  misconfigured: OCF.ERR_CONFIGURED,
  'not-permitted': OCF.ERR_PERM,
};

const CODE_KIND = new Map<number, FailureKind>(Object.entries(KIND_CODE).map(([kind, code]) => [code, kind as FailureKind]));

const NAMES = new Map<number, OcfExitName>(
  Object.entries(OCF).map(([name, code]) => [code, name as OcfExitName]),
);

/** `OCF_ERR_CONFIGURED` style name of a code, for logs and test messages. */
export function exitCodeName(code: number): string {
  const name = NAMES.get(code);
  return name ? `OCF_${name}` : `unknown(${code})`;
}

/**
 * A failure with the OCF exit code it should end the action with, thrown by the OCF layer and the
 * agents. It is a Failure (of the kind its code says), so that one `instanceof Failure` catches
 * what domain code and agents throw alike. Its message becomes the `ocf-exit-reason:` line that
 * Pacemaker shows under failed actions, so keep it one line that names the parameter, file or
 * state at fault.
 */
export class OcfError extends Failure {
  override readonly name: string = 'OcfError';
  constructor(
    readonly code: OcfExitCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(CODE_KIND.get(code) ?? 'failed', message, options);
  }
}


const STATUS_CODE: Record<ResourceStatus, OcfExitCode> = {
  ok: OCF.SUCCESS,
  'not-running': OCF.NOT_RUNNING,
  promoted: OCF.RUNNING_PROMOTED,
  'failed-promoted': OCF.FAILED_PROMOTED,
  degraded: OCF.DEGRADED,
  'degraded-promoted': OCF.DEGRADED_PROMOTED,
};

/** The exit code of what an action returns: an exit code as it is, a resource status mapped. */
export function exitCodeOf(result: OcfExitCode | ResourceStatus): OcfExitCode {
  return typeof result === 'number' ? result : STATUS_CODE[result];
}

/** What anything an action threw ends it with: an OcfError as it is, a Failure by its kind, else a generic error. */
export function ocfErrorOf(error: unknown): OcfError {
  if (error instanceof OcfError) return error;
  if (error instanceof Failure) return new OcfError(KIND_CODE[error.kind], error.message, { cause: error });
  return new OcfError(OCF.ERR_GENERIC, `unexpected failure: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}
