/**
 * A failure that says what kind of failure it is, in the terms of the code that meets it. Domain
 * code (lib/moosefs, lib/drbd, lib/pacemaker, lib/system, lib/process) throws these; only the OCF
 * layer (lib/ocf/agent.ts) turns a kind into an exit code, and the generator into its own exits.
 * The message is one line that names the parameter, file or state at fault: an agent ends with it
 * as its `ocf-exit-reason:`.
 */

/**
 * - `failed`: the operation failed (a program's error, a process that would not die);
 * - `not-installed`: software or a file this needs is missing, or a required resource is absent;
 * - `misconfigured`: the configuration (a parameter, a configuration file) is wrong;
 * - `not-permitted`: this lacks a permission it needs.
 */
export type FailureKind = 'failed' | 'not-installed' | 'misconfigured' | 'not-permitted';

export class Failure extends Error {
  override readonly name: string = 'Failure';
  constructor(
    readonly kind: FailureKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * What an action found or left, in the resource's own terms (the OCF layer turns it into an exit
 * code): `ok` (done; running, Unpromoted for a promotable resource), `not-running`, `promoted`,
 * `failed-promoted` (promoted but not working), `degraded` and `degraded-promoted` (working, with
 * something to repair).
 */
export type ResourceStatus = 'ok' | 'not-running' | 'promoted' | 'failed-promoted' | 'degraded' | 'degraded-promoted';
