/**
 * What /proc says about processes, and signals to them. Reads files only: cheap enough for
 * the monitor path. A zombie is not running (PID 1 of these machines reaps lazily).
 */
import { readFileSync, readdirSync } from 'node:fs';
import type { Deadline } from '../runtime/deadline.js';
import { Failure } from '../runtime/errors.js';
import type { Logger } from '../runtime/log.js';

export interface ProcessInfo {
  pid: number;
  /** Short name from /proc/PID/stat (as `ps -o comm`). */
  comm: string;
  /** Single-letter state: R, S, D, Z, T... */
  state: string;
  ppid: number;
  /** Process group (a whole User-Mode Linux kernel is one). */
  pgrp: number;
  argv: string[];
}

/** Info on a live (non-zombie) process, or undefined when it is gone or a zombie. */
export function liveProcess(pid: number): ProcessInfo | undefined {
  const info = processInfo(pid);
  return info && info.state !== 'Z' && info.state !== 'X' ? info : undefined;
}

export function processInfo(pid: number): ProcessInfo | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // comm is in parentheses and may itself hold spaces or parentheses: split at the last ')'.
  const open = stat.indexOf('(');
  const close = stat.lastIndexOf(')');
  const comm = stat.slice(open + 1, close);
  const rest = stat.slice(close + 2).split(' ');
  let argv: string[] = [];
  try {
    argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((part, i, all) => part !== '' || i < all.length - 1);
  } catch {
    /* gone meanwhile */
  }
  return { pid, comm, state: rest[0] ?? '?', ppid: Number(rest[1]), pgrp: Number(rest[2]), argv };
}

/** Every live process whose info satisfies `match`. */
export function findProcesses(match: (info: ProcessInfo) => boolean): ProcessInfo[] {
  const found: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const info = liveProcess(Number(entry));
    if (info && match(info)) found.push(info);
  }
  return found;
}

/** This process and its ancestors (bounded): a sweep for processes that name a path must spare the shell or tool that ran it with that path. */
export function selfAndAncestors(): Set<number> {
  const lineage = new Set<number>([process.pid]);
  for (let pid = process.ppid; pid > 1 && !lineage.has(pid) && lineage.size < 64; ) {
    lineage.add(pid);
    pid = liveProcess(pid)?.ppid ?? 0;
  }
  return lineage;
}

/** Sends a signal; false when the process is already gone. */
export function signalProcess(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/** Sends a signal to every process of a group; false when the group is gone. */
export function signalProcessGroup(pgrp: number, signal: NodeJS.Signals): boolean {
  if (!Number.isInteger(pgrp) || pgrp <= 1) throw new Error(`not a process group: ${pgrp}`);
  return signalProcess(-pgrp, signal);
}

/** Waits (bounded by the deadline) until none of the pids is alive; true when all are gone. */
export async function waitForExit(pids: readonly number[], deadline: Deadline, marginMs = 0, intervalMs = 20): Promise<boolean> {
  const gone = await deadline.poll(() => (pids.every((pid) => !liveProcess(pid)) ? true : undefined), { intervalMs, marginMs });
  return gone === true;
}

/**
 * The PID holding a POSIX lock on the file with this inode (as /proc/locks shows it), which is
 * how `mfsmaster test` and friends know a daemon is alive: the lock dies with the process.
 */
export function lockHolder(deviceInode: { dev: number; ino: number }): number | undefined {
  let locks: string;
  try {
    locks = readFileSync('/proc/locks', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of locks.split('\n')) {
    // "1: POSIX  ADVISORY  WRITE 7052 fe:00:2146722 0 EOF"
    const fields = line.trim().split(/\s+/);
    if (fields[1] !== 'POSIX' && fields[1] !== 'FLOCK' && fields[1] !== 'OFDLCK') continue;
    const location = fields[5]?.split(':');
    if (!location || location.length !== 3) continue;
    const ino = Number(location[2]);
    if (ino === deviceInode.ino && sameDevice(parseInt(location[0]!, 16), parseInt(location[1]!, 16), deviceInode.dev)) {
      return Number(fields[4]);
    }
  }
  return undefined;
}

/** /proc/locks prints major:minor in hex; stat gives the encoded dev_t (glibc's makedev). */
function sameDevice(major: number, minor: number, statDev: number): boolean {
  const statMajor = ((statDev >>> 8) & 0xfff) | (Math.floor(statDev / 2 ** 32) & ~0xfff);
  const statMinor = (statDev & 0xff) | ((statDev >>> 12) & ~0xff);
  return major === statMajor && minor === statMinor;
}

export interface TerminateOptions {
  deadline: Deadline;
  log: Logger;
  /** What is stopped, for the log: "mfsmaster". */
  what: string;
  /** What a SIGKILL costs, said loudly when it comes to that. */
  afterKill: string;
  /**
   * Helpers of those processes to end with SIGKILL right after the SIGTERM, when their graceful
   * end only delays the others' and holds nothing; `why` is logged.
   */
  killAtOnce?: { pids: readonly number[]; why: string };
}

/**
 * Ends processes gracefully with SIGTERM, polling every 20 ms; past the graceful budget
 * (all of the deadline but a tenth, 1 s to 10 s, kept for the kill), SIGKILL. Throws only
 * when a process survives SIGKILL: a stop fails only when the process truly cannot be ended.
 */
export async function terminate(pids: readonly number[], { deadline, log, what, afterKill, killAtOnce }: TerminateOptions): Promise<void> {
  const helpers = (killAtOnce?.pids ?? []).filter((pid) => liveProcess(pid));
  const alive = [...pids.filter((pid) => liveProcess(pid)), ...helpers];
  if (alive.length === 0) {
    log.info(`${what} is not running`);
    return;
  }
  const reserveMs = Math.min(10_000, Math.max(1000, deadline.totalMs / 10));
  const started = deadline.elapsedMs();
  const graceful = alive.filter((pid) => !helpers.includes(pid));
  log.info(`stopping ${what} (pid ${graceful.join(', ')}) with SIGTERM`);
  for (const pid of graceful) signalProcess(pid, 'SIGTERM');
  if (helpers.length > 0) {
    log.info(`and its helper ${helpers.join(', ')} with SIGKILL: ${killAtOnce!.why}`);
    for (const pid of helpers) signalProcess(pid, 'SIGKILL');
  }
  if (await waitForExit(alive, deadline, reserveMs)) {
    log.info(`${what} stopped in ${Math.round(deadline.elapsedMs() - started)} ms`);
    return;
  }
  const left = alive.filter((pid) => liveProcess(pid));
  const waitedS = Math.round((deadline.elapsedMs() - started) / 1000);
  log.crit(`${what} (pid ${left.join(', ')}) did not stop within ${waitedS} s of SIGTERM: sending SIGKILL; ${afterKill}`);
  for (const pid of left) signalProcess(pid, 'SIGKILL');
  if (!(await waitForExit(left, deadline, 0))) {
    throw new Failure('failed', `${what} (pid ${left.join(', ')}) survived SIGKILL (uninterruptible I/O?)`);
  }
}
