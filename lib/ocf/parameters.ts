/**
 * Parameters declared once per agent. From one declaration follow the meta-data XML
 * (see metadata.ts), reading `OCF_RESKEY_<name>` from the environment, type checks and the
 * `OCF_ERR_CONFIGURED` messages that name the parameter at fault.
 *
 * Parameter values are untrusted input: paths and names are held to conservative character
 * sets, so that a value never needs quoting anywhere (we never use a shell, but the values
 * also end up in logs, mount options and other programs' command lines).
 */
import { OCF, OcfError } from './exit-codes.js';
import { parseAbsolutePath, parseName, ParameterValueError, showValue } from '../runtime/values.js';

/** Content types that both the OCF 1.0 DTD (ocf-tester) and the 1.1 schema accept. */
export type ContentType = 'string' | 'integer' | 'boolean';

export interface ParameterSpec<T = unknown, Always extends boolean = boolean> {
  readonly contentType: ContentType;
  readonly shortdesc: string;
  readonly longdesc: string;
  readonly required: boolean;
  readonly unique: boolean;
  /** Changing it needs no restart: the agent's `reload` applies it. */
  readonly reloadable: boolean;
  /** Never logged: its value is masked in every log line. */
  readonly secret: boolean;
  readonly default: T | undefined;
  /** Allowed values of a select, listed in the meta-data's long description. */
  readonly options?: readonly string[];
  /** Text of the default for the meta-data (booleans as true/false). */
  readonly defaultText: string | undefined;
  /** Converts the raw environment text; throws a ParameterValueError when it does not fit. */
  parse(raw: string): T;
  /** Phantom: whether a value is always present (required or defaulted). */
  readonly __always?: Always;
}

export type ParameterSpecs = Record<string, ParameterSpec>;

/** The parsed values of a set of declarations, typed from the declarations themselves. */
export type ParameterValues<P extends ParameterSpecs> = {
  readonly [K in keyof P]: P[K] extends ParameterSpec<infer T, infer A> ? (A extends true ? T : T | undefined) : never;
};

interface CommonOptions {
  shortdesc: string;
  longdesc: string;
  required?: boolean;
  unique?: boolean;
  reloadable?: boolean;
  secret?: boolean;
}

type Always<O> = O extends { default: unknown } ? true : O extends { required: true } ? true : false;

function spec<T, O extends CommonOptions & { default?: T }>(
  contentType: ContentType,
  options: O,
  parse: (raw: string) => T,
  extra: { options?: readonly string[]; format?: (value: T) => string } = {},
): ParameterSpec<T, Always<O>> {
  const format = extra.format ?? String;
  if (options.default !== undefined) parse(format(options.default)); // a declared default must itself be valid
  return {
    contentType,
    shortdesc: options.shortdesc,
    longdesc: options.longdesc,
    required: options.required ?? false,
    unique: options.unique ?? false,
    reloadable: options.reloadable ?? false,
    secret: options.secret ?? false,
    default: options.default,
    defaultText: options.default === undefined ? undefined : format(options.default),
    ...(extra.options ? { options: extra.options } : {}),
    parse,
  };
}

const TRUE_WORDS = new Set(['1', 'true', 'yes', 'on', 'y']);
const FALSE_WORDS = new Set(['0', 'false', 'no', 'off', 'n']);

export function parseBoolean(raw: string): boolean {
  const word = raw.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  throw new ParameterValueError(`must be a boolean (true/false, yes/no, 1/0), got ${showValue(raw)}`);
}

export function parseInteger(raw: string, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^-?\d+$/.test(raw.trim())) throw new ParameterValueError(`must be an integer, got ${showValue(raw)}`);
  const value = Number(raw.trim());
  if (value < min || value > max) throw new ParameterValueError(`must be between ${min} and ${max}, got ${value}`);
  return value;
}

/** Builders for declarations; each returns a spec whose value type TypeScript knows. */
export const param = {
  /** Free text, without control characters. */
  string<O extends CommonOptions & { default?: string; pattern?: RegExp; patternText?: string }>(o: O) {
    return spec<string, O>('string', o, (raw) => {
      if (/[\x00-\x1f\x7f]/.test(raw)) throw new ParameterValueError(`must not contain control characters, got ${showValue(raw)}`);
      if (o.pattern && !o.pattern.test(raw)) {
        throw new ParameterValueError(`must be ${o.patternText ?? `like ${o.pattern}`}, got ${showValue(raw)}`);
      }
      return raw;
    });
  },
  /** An absolute path made of safe characters. */
  path<O extends CommonOptions & { default?: string }>(o: O) {
    return spec<string, O>('string', o, parseAbsolutePath);
  },
  /** A user, group or resource name. */
  name<O extends CommonOptions & { default?: string }>(o: O) {
    return spec<string, O>('string', o, parseName);
  },
  integer<O extends CommonOptions & { default?: number; min?: number; max?: number }>(o: O) {
    return spec<number, O>('integer', o, (raw) => parseInteger(raw, o.min, o.max));
  },
  boolean<O extends CommonOptions & { default?: boolean }>(o: O) {
    return spec<boolean, O>('boolean', o, parseBoolean);
  },
  /** One of a fixed list of words (a string in the meta-data, the list in its description). */
  select<const O extends CommonOptions & { options: readonly string[]; default?: string }>(o: O) {
    type Word = O['options'][number];
    return spec<Word, O>(
      'string',
      o,
      (raw) => {
        const word = raw.trim();
        if (!o.options.includes(word)) {
          throw new ParameterValueError(`must be one of ${o.options.join(', ')}, got ${showValue(raw)}`);
        }
        return word as Word;
      },
      { options: o.options },
    );
  },
};

/** The environment variable that carries a parameter. */
export function envName(parameter: string): string {
  return `OCF_RESKEY_${parameter}`;
}

/**
 * Reads every declared parameter from the environment. An empty value counts as unset
 * (pcs and crmsh leave empty values behind). All problems are reported at once, each
 * naming its parameter, as one OCF_ERR_CONFIGURED.
 */
export function readParameters<P extends ParameterSpecs>(specs: P, env: NodeJS.ProcessEnv): ParameterValues<P> {
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, declared] of Object.entries(specs)) {
    const raw = env[envName(name)];
    if (raw === undefined || raw === '') {
      if (declared.required) problems.push(`parameter '${name}' is required but not set`);
      values[name] = declared.default;
      continue;
    }
    try {
      values[name] = declared.parse(raw);
    } catch (error) {
      if (!(error instanceof ParameterValueError)) throw error;
      problems.push(`parameter '${name}' ${error.message}`);
    }
  }
  if (problems.length > 0) throw new OcfError(OCF.ERR_CONFIGURED, problems.join('; '));
  return values as ParameterValues<P>;
}

/** The values of secret parameters, so that the logger can mask them. */
export function secretValues(specs: ParameterSpecs, env: NodeJS.ProcessEnv): string[] {
  return Object.entries(specs)
    .filter(([, declared]) => declared.secret)
    .map(([name]) => env[envName(name)])
    .filter((value): value is string => typeof value === 'string' && value.length > 0);
}
