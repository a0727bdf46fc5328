/** Exit codes of the OCF Resource Agent API 1.1, by name. */
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

const NAMES = new Map<number, OcfExitName>(
  Object.entries(OCF).map(([name, code]) => [code, name as OcfExitName]),
);

/** `OCF_ERR_CONFIGURED` style name of a code, for logs and test messages. */
export function exitCodeName(code: number): string {
  const name = NAMES.get(code);
  return name ? `OCF_${name}` : `unknown(${code})`;
}

/**
 * A failure with the OCF exit code it should end the action with. Its message becomes the
 * `ocf-exit-reason:` line that Pacemaker shows under failed actions, so keep it one line that
 * names the parameter, file or state at fault.
 */
export class OcfError extends Error {
  override readonly name = 'OcfError';
  constructor(
    readonly code: OcfExitCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
