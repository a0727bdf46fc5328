/**
 * Untrusted values (agent parameters, the generator's options, configuration files) held to
 * conservative character sets, so that a value never needs quoting anywhere (no shell is ever
 * used, but the values also end up in logs, mount options and other programs' command lines).
 * Plain checks: each caller says whose value it was (lib/ocf/parameters.ts, crm-snippets/options.ts,
 * lib/moosefs/config.ts).
 */

/** A value that does not fit; its message says why, without naming whose value it was. */
export class ParameterValueError extends Error {}

const SAFE_PATH = /^\/[A-Za-z0-9._+@%,:=/-]*$/;
const SAFE_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

/** Quotes a raw value for an error message without letting control characters through. */
export function showValue(raw: string): string {
  return JSON.stringify(raw.length > 80 ? `${raw.slice(0, 77)}...` : raw);
}

export function parseAbsolutePath(raw: string): string {
  if (!raw.startsWith('/')) throw new ParameterValueError(`must be an absolute path, got ${showValue(raw)}`);
  if (!SAFE_PATH.test(raw)) {
    throw new ParameterValueError(
      `may contain only letters, digits and ._+@%,:=/- (no spaces, quotes or shell characters), got ${showValue(raw)}`,
    );
  }
  if (raw.split('/').some((part) => part === '..')) throw new ParameterValueError(`must not contain "..", got ${showValue(raw)}`);
  return raw;
}

export function parseName(raw: string): string {
  if (!SAFE_NAME.test(raw)) {
    throw new ParameterValueError(`must be a name of letters, digits, _ . - (starting with a letter or _), got ${showValue(raw)}`);
  }
  return raw;
}
