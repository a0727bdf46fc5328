/**
 * The reason contract: what an agent publishes beside its promotion score, and what
 * `mfs-crm status` reads back.
 *
 * A decision says why with a *code* and *fields* (a `Reason`), never with prose alone. The
 * English is rendered from them (each domain declares its codes and their wording once, with
 * `defineReasons`: lib/moosefs/reasons.ts, lib/drbd/reasons.ts). The node attribute
 * `mfs-ocf-reason-<resource>` holds both, the English first so that `crm_mon -A` and an older
 * `mfs-crm` still read it as a sentence:
 *
 *     disk is Outdated: no promotion without UpToDate data [mfs-ocf-reason/1 [{"code":"drbd.disk-not-uptodate","fields":{"disks":["Outdated"]}}]]
 *
 * Readers decide from the codes and fields only (`decodeReasons`); a value without the suffix
 * is a previous version's plain prose (a rolling upgrade), which only the clearly marked legacy
 * reader of `mfs-crm status` interprets. Pure; no I/O.
 */

export type Field = string | number | boolean | readonly string[];
export type Fields = Readonly<Record<string, Field>>;

export interface Reason {
  /** `<domain>.<name>`, e.g. `drbd.disk-not-uptodate`. Stable: readers key on it. */
  readonly code: string;
  readonly fields: Fields;
}

/** How one code is said. `lead`: a heading for what follows ("promote refused: ..."). */
export interface ReasonSpec<F> {
  text(fields: F): string;
  lead?: boolean;
}

/** Renders one reason as text; the English one by default (tests substitute others). */
export type Renderer = (reason: Reason) => string;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const REGISTRY = new Map<string, ReasonSpec<any>>();

type Maker<S> = S extends { text: (...args: infer A) => string } ? (A extends [] ? () => Reason : (fields: A[0]) => Reason) : never;

/**
 * Declares a domain's reasons; returns one constructor per code (`R.belowMark({...})`) and
 * the codes (`codes.belowMark === 'moosefs.below-mark'`). Codes are registered for `renderReason`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a constraint over specs whose fields differ
export function defineReasons<S extends Record<string, ReasonSpec<any>>>(domain: string, specs: S): { make: { [K in keyof S]: Maker<S[K]> }; codes: { [K in keyof S]: string } } {
  const make = {} as Record<string, (fields?: Record<string, Field | undefined>) => Reason>;
  const codes = {} as Record<string, string>;
  for (const [key, spec] of Object.entries(specs)) {
    const code = `${domain}.${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    if (REGISTRY.has(code)) throw new Error(`reason code ${code} declared twice`);
    REGISTRY.set(code, spec);
    codes[key] = code;
    // Fields left undefined are dropped, as JSON would drop them.
    make[key] = (fields: Record<string, Field | undefined> = {}) => ({ code, fields: Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Fields });
  }
  return { make: make as never, codes: codes as never };
}

/** Every declared code (tests: that each is exercised). */
export function declaredReasonCodes(): string[] {
  return [...REGISTRY.keys()];
}

/** The English of one reason; an unknown code (a newer agent's) is shown as code and fields. */
export const renderReason: Renderer = (reason) => {
  const spec = REGISTRY.get(reason.code);
  return spec ? spec.text(reason.fields) : `${reason.code} ${JSON.stringify(reason.fields)}`;
};

function isLead(reason: Reason): boolean {
  return REGISTRY.get(reason.code)?.lead === true;
}

/** Several reasons as one line: a lead is followed by ': ', the others are joined by '; '. */
export function renderReasons(reasons: readonly Reason[], render: Renderer = renderReason): string {
  let text = '';
  reasons.forEach((reason, i) => {
    text += render(reason);
    if (i < reasons.length - 1) text += isLead(reason) ? ': ' : '; ';
  });
  return text;
}

const MARK = ' [mfs-ocf-reason/1 ';
const MAX_TEXT = 500;

function oneLine(text: string): string {
  return text.replace(/[\x00-\x1f\x7f]+/g, ' ');
}

/** The attribute value: the rendered text (one line, at most 500 characters), then the codes. */
export function encodeReasons(reasons: readonly Reason[], render: Renderer = renderReason): string {
  const text = oneLine(renderReasons(reasons, render)).slice(0, MAX_TEXT);
  const codes = reasons.map((r) => (Object.keys(r.fields).length > 0 ? { code: r.code, fields: r.fields } : { code: r.code }));
  return `${text}${MARK}${oneLine(JSON.stringify(codes))}]`;
}

/** A published value read back: the text, and the reasons (undefined: a previous version's plain prose). */
export interface PublishedReason {
  text: string;
  reasons: Reason[] | undefined;
}

function isReason(value: unknown): value is { code: string; fields?: Record<string, unknown> } {
  return typeof value === 'object' && value !== null && typeof (value as { code?: unknown }).code === 'string';
}

export function decodeReasons(value: string): PublishedReason {
  const at = value.lastIndexOf(MARK);
  if (at < 0 || !value.endsWith(']')) return { text: value, reasons: undefined };
  try {
    const parsed: unknown = JSON.parse(value.slice(at + MARK.length, -1));
    if (!Array.isArray(parsed) || !parsed.every(isReason)) return { text: value, reasons: undefined };
    return { text: value.slice(0, at), reasons: parsed.map((r) => ({ code: r.code, fields: (r.fields ?? {}) as Fields })) };
  } catch {
    return { text: value, reasons: undefined };
  }
}

/** The first reason with this code, if any. */
export function findReason(reasons: readonly Reason[] | undefined, code: string): Reason | undefined {
  return reasons?.find((r) => r.code === code);
}
