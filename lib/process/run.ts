/**
 * The one module that runs child processes. Argument arrays only, never a shell string:
 * parameters are untrusted input. Every run is bounded by a timeout (from the action's
 * deadline), and a child that outlives it is ended TERM-then-KILL by execa.
 *
 * execa is loaded lazily: the monitor path of an agent runs no child at all and must not
 * pay for loading it.
 */
import type { Deadline } from '../runtime/deadline.js';

export interface RunOptions {
  /** Upper bound for this child; also bounded by `deadline` when given. */
  timeoutMs?: number;
  deadline?: Deadline;
  /** Time kept back from the deadline for the caller to report. */
  marginMs?: number;
  env?: Record<string, string | undefined>;
  /** Replace the environment instead of extending it. */
  extendEnv?: boolean;
  input?: string;
  cwd?: string;
  /** Merge stderr into the reported output (for logging a tool's complaint). */
  all?: boolean;
  /** Discard the child's output (long-running daemons that log elsewhere). */
  quiet?: boolean;
  /** Append the child's stdout and stderr to this file instead (a console that must be kept). */
  outputFile?: string;
}

export interface RunResult {
  command: string;
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  /** The executable was not found or could not be executed. */
  notFound: boolean;
  timedOut: boolean;
  signal: string | undefined;
  ok: boolean;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** A printable form of a command, for logs only (never executed). */
export function describeCommand(file: string, args: readonly string[]): string {
  return [file, ...args].map((part) => (/^[\w@%+=:,./-]+$/.test(part) ? part : JSON.stringify(part))).join(' ');
}

export interface BackgroundProcess {
  pid: number;
  command: string;
  /** Settles when the process ends (never rejects). */
  result: Promise<RunResult>;
}

/**
 * Starts a long-running child and returns at once with its PID; the caller ends it by PID.
 * Its output is kept in memory (use redirection by argument, e.g. a log file option, for chatty ones).
 */
export async function startBackground(file: string, args: readonly string[], options: RunOptions = {}): Promise<BackgroundProcess> {
  const { execa } = await import('execa');
  const command = describeCommand(file, args);
  const child = execa(file, [...args], execaOptions(options, options.timeoutMs ?? Infinity));
  if (child.pid === undefined) {
    const failed = await child;
    throw new Error(`${command}: could not start (${failed.message})`);
  }
  return { pid: child.pid, command, result: child.then((result) => toRunResult(command, result, options)) };
}

function execaOptions(options: RunOptions, timeout: number) {
  return {
    reject: false,
    timeout: Number.isFinite(timeout) ? timeout : undefined,
    forceKillAfterDelay: Math.min(2000, Math.max(100, (Number.isFinite(timeout) ? timeout : 20_000) / 10)),
    // The C locale, as ocf-shellfuncs sets it: the agents parse other programs' output.
    env: { LC_ALL: 'C', LANG: 'C', ...options.env },
    extendEnv: options.extendEnv ?? true,
    input: options.input,
    stdin: options.input === undefined ? ('ignore' as const) : ('pipe' as const),
    cwd: options.cwd,
    all: options.all ?? false,
    ...(options.quiet ? { stdout: 'ignore' as const, stderr: 'ignore' as const } : {}),
    ...(options.outputFile ? { stdout: { file: options.outputFile, append: true }, stderr: { file: options.outputFile, append: true } } : {}),
    stripFinalNewline: true,
    windowsHide: true,
  };
}

interface ExecaOutcome {
  exitCode?: number;
  stdout?: unknown;
  stderr?: unknown;
  all?: unknown;
  code?: string;
  message?: string;
  timedOut: boolean;
  signal?: string;
}

function toRunResult(command: string, result: ExecaOutcome, options: RunOptions): RunResult {
  const notFound = result.exitCode === undefined && /ENOENT|EACCES/.test(String(result.code ?? result.message));
  return {
    command,
    exitCode: result.exitCode,
    stdout: String(result.stdout ?? ''),
    stderr: String((options.all ? result.all : result.stderr) ?? ''),
    notFound,
    timedOut: result.timedOut,
    signal: result.signal ?? undefined,
    ok: result.exitCode === 0,
  };
}

export async function run(file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const { execa } = await import('execa');
  const fromDeadline = options.deadline ? options.deadline.remainingMs(options.marginMs ?? 0) : Infinity;
  const timeout = Math.max(1, Math.min(options.timeoutMs ?? DEFAULT_TIMEOUT_MS, fromDeadline));
  const command = describeCommand(file, args);
  return toRunResult(command, await execa(file, [...args], execaOptions(options, timeout)), options);
}

/** One line about how a run ended, for logs and exit reasons. */
export function describeOutcome(result: RunResult): string {
  if (result.notFound) return `${result.command}: not found or not executable`;
  if (result.timedOut) return `${result.command}: timed out`;
  if (result.signal) return `${result.command}: killed by ${result.signal}`;
  const said = lastLine(result.stderr) || lastLine(result.stdout);
  return `${result.command}: exit code ${result.exitCode}${said ? ` (${said})` : ''}`;
}

function lastLine(text: string): string {
  const lines = text.split('\n').map((line) => line.trim()).filter(Boolean);
  return lines.at(-1) ?? '';
}
