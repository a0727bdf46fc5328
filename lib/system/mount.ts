/**
 * Mounting a block device, checking it, and unmounting it even when processes hold it, the
 * way ocf:heartbeat:Filesystem does: try `umount`; when busy, list the processes that hold
 * the file system (in the log first), signal them, wait, try again; one signal after the
 * other (TERM then KILL by default), the stop budget split between them.
 *
 * Holders are found in /proc like Filesystem's `force_unmount=safe`: a process holds the mount
 * when its cwd, root, executable or an open file lies under the mount point, or it maps a file
 * of the mounted device. Only those processes are signalled, never anything found by name.
 */
import { readdirSync, readFileSync, readlinkSync, realpathSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import type { Deadline } from '../runtime/deadline.js';
import type { Logger } from '../runtime/log.js';
import { liveProcess, signalProcess, type ProcessInfo } from '../process/proc.js';
import { describeOutcome, run } from '../process/run.js';

export interface MountEntry {
  /** mountinfo's mount ID: which of several mounts at one place this is. */
  id: string;
  mountpoint: string;
  source: string;
  fstype: string;
  options: string[];
  readOnly: boolean;
  /** major:minor of the mounted device (decimal, as mountinfo prints it). */
  majorMinor: string;
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
function unescape(text: string): string {
  return text.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** Parses /proc/self/mountinfo text. */
export function parseMountinfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const l = left.split(' ');
    const r = right.split(' ');
    const options = (l[5] ?? '').split(',');
    entries.push({
      id: l[0] ?? '',
      mountpoint: unescape(l[4] ?? ''),
      majorMinor: l[2] ?? '',
      fstype: r[0] ?? '',
      source: unescape(r[1] ?? ''),
      options: [...options, ...(r[2] ?? '').split(',')],
      readOnly: options.includes('ro'),
    });
  }
  return entries;
}

/** The topmost mount at exactly this directory, undefined when nothing is mounted there. */
export function findMount(mountpoint: string, mountinfo?: string): MountEntry | undefined {
  const text = mountinfo ?? readFileSync('/proc/self/mountinfo', 'utf8');
  const wanted = mountpoint.replace(/\/+$/, '') || '/';
  return parseMountinfo(text)
    .filter((m) => m.mountpoint === wanted)
    .at(-1);
}

/** Mounts that lie below the directory (to be unmounted first). */
export function submounts(mountpoint: string, mountinfo?: string): MountEntry[] {
  const text = mountinfo ?? readFileSync('/proc/self/mountinfo', 'utf8');
  const prefix = `${mountpoint.replace(/\/+$/, '')}/`;
  return parseMountinfo(text).filter((m) => m.mountpoint.startsWith(prefix));
}

/** The device numbers (major:minor) of a block device node, to compare with a mount. */
export function blockDeviceNumbers(device: string): string | undefined {
  try {
    const stat = statSync(device);
    if (!stat.isBlockDevice()) return undefined;
    const rdev = stat.rdev;
    const major = ((rdev >>> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
    const minor = (rdev & 0xff) | ((rdev >>> 12) & ~0xff);
    return `${major}:${minor}`;
  } catch {
    return undefined;
  }
}

export interface MountOptions {
  device: string;
  directory: string;
  fstype: string | undefined;
  /** Text for `mount -o`, empty for none. */
  options: string;
  deadline: Deadline;
}

export async function mountDevice({ device, directory, fstype, options, deadline }: MountOptions): Promise<void> {
  const args = [...(fstype ? ['-t', fstype] : []), ...(options ? ['-o', options] : []), device, directory];
  const result = await run('mount', args, { deadline, timeoutMs: 120_000, marginMs: 1000 });
  if (!result.ok) throw new Error(`cannot mount ${device} on ${directory}: ${describeOutcome(result)}`);
}

/** Runs `fsck -p` (automatic repair); 0 and 1 (errors corrected) are success. */
export async function checkFilesystem(device: string, fstype: string | undefined, deadline: Deadline, log: Logger): Promise<void> {
  const args = ['-p', ...(fstype ? ['-t', fstype] : []), device];
  const result = await run('fsck', args, { deadline, timeoutMs: deadline.remainingMs(2000), marginMs: 2000, all: true });
  if (result.exitCode === 0) return;
  if (result.exitCode === 1) {
    log.warn(`fsck corrected errors on ${device}: ${result.stderr.trim().split('\n').at(-1) ?? ''}`);
    return;
  }
  throw new Error(`fsck ${device} failed: ${describeOutcome(result)}`);
}

/** Whether a file can be created and removed in the directory now. */
export function probeWritable(directory: string, name: string): boolean {
  const path = `${directory.replace(/\/+$/, '')}/${name}`;
  try {
    // Synchronous on purpose: a hung file system makes the monitor time out, which is the truth.
    writeFileSync(path, `${process.pid}\n`);
    unlinkSync(path);
    return true;
  } catch {
    return false;
  }
}

export interface Holder extends ProcessInfo {
  /** How it holds the mount: cwd, root, exe, fd N, mmap. */
  how: string;
}

/**
 * Whether a /proc link (cwd, root, exe, fd/N) points into the mount. By the link's text, never
 * by stat(): stat() of a file on a hung FUSE or network mount would hang the action.
 */
function linksInto(link: string, mountpoint: string): boolean {
  let target: string;
  try {
    target = readlinkSync(link);
  } catch {
    return false; // gone, or not ours to read
  }
  const path = target.replace(/ \(deleted\)$/, '');
  return path === mountpoint || path.startsWith(mountpoint === '/' ? '/' : `${mountpoint}/`);
}

/**
 * Processes that hold the file system mounted at `mountpoint` (as `fuser -m`), this one
 * excepted: by cwd, root, executable or open file under the mount point, or by a memory
 * mapping of a file on the mounted device.
 */
export function mountHolders(directory: string): Holder[] {
  const mount = findMount(directory);
  if (!mount) return [];
  let mountpoint = mount.mountpoint;
  try {
    mountpoint = realpathSync(mount.mountpoint);
  } catch {
    /* keep the kernel's */
  }
  const [major, minor] = mount.majorMinor.split(':').map(Number) as [number, number];
  const mapsDevice = `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}`;
  const holders: Holder[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const base = `/proc/${entry}`;
    let how = ['cwd', 'root', 'exe'].find((link) => linksInto(`${base}/${link}`, mountpoint));
    if (!how) {
      try {
        const fd = readdirSync(`${base}/fd`).find((n) => linksInto(`${base}/fd/${n}`, mountpoint));
        if (fd !== undefined) how = `fd ${fd}`;
      } catch {
        /* gone, or a kernel thread */
      }
    }
    if (!how) {
      try {
        const mapped = readFileSync(`${base}/maps`, 'utf8')
          .split('\n')
          .some((line) => {
            const fields = line.split(/\s+/);
            return fields[3] === mapsDevice && fields[4] !== '0';
          });
        if (mapped) how = 'mmap';
      } catch {
        /* gone */
      }
    }
    if (!how) continue;
    const info = liveProcess(Number(entry));
    if (info) holders.push({ ...info, how });
  }
  return holders;
}

export function describeHolder(holder: Holder): string {
  const command = holder.argv.length > 0 ? holder.argv.join(' ') : holder.comm;
  return `pid ${holder.pid} (${holder.comm}, ${holder.how}): ${command.slice(0, 200)}`;
}

export interface UnmountOptions {
  directory: string;
  /** Signals in order, e.g. ['SIGTERM', 'SIGKILL']. */
  signals: readonly NodeJS.Signals[];
  /** Wait after each signal; 0: split the remaining budget evenly between the signals. */
  signalDelayMs: number;
  deadline: Deadline;
  /** Time kept back from the deadline for what follows the unmount (demoting DRBD). */
  reserveMs: number;
  log: Logger;
}

/** Whether this very mount (not another one at the same place) is still there. */
function stillMounted(target: MountEntry): boolean {
  return findMount(target.mountpoint)?.id === target.id;
}

/** Unmounts the top mount at the directory if it still is `target`: a mount beneath is never touched. */
async function tryUnmount(target: MountEntry, deadline: Deadline): Promise<{ ok: boolean; said: string }> {
  if (!stillMounted(target)) return { ok: true, said: '' };
  const result = await run('umount', [target.mountpoint], { deadline, timeoutMs: 30_000, marginMs: 500 });
  if (!stillMounted(target)) return { ok: true, said: '' };
  return { ok: false, said: describeOutcome(result) };
}

/**
 * Unmounts the directory (sub-mounts first). When busy, logs the holders, then signals them
 * with each signal in turn, waiting between signals. Returns true when unmounted; false
 * when it still is mounted once the budget (less the reserve) is spent.
 */
export async function unmountWithKill(options: UnmountOptions): Promise<boolean> {
  const { directory, signals, deadline, reserveMs, log } = options;
  for (const sub of submounts(directory).reverse()) {
    const done = await unmountWithKill({ ...options, directory: sub.mountpoint });
    if (!done) return false;
  }
  const target = findMount(directory);
  if (!target) return true;
  let attempt = await tryUnmount(target, deadline);
  if (attempt.ok) return true;
  let holders = mountHolders(directory);
  log.warn(
    holders.length > 0
      ? `cannot unmount ${directory} (${attempt.said}): held by ${holders.map(describeHolder).join('; ')}`
      : `cannot unmount ${directory} (${attempt.said}): no process found holding it`,
  );
  for (const [index, signal] of signals.entries()) {
    const share = options.signalDelayMs > 0 ? options.signalDelayMs : deadline.remainingMs(reserveMs) / (signals.length - index);
    const stepDeadline = deadline.slice(1, share, reserveMs);
    holders = mountHolders(directory);
    for (const holder of holders) {
      log.info(`sending ${signal} to ${describeHolder(holder)}`);
      signalProcess(holder.pid, signal);
    }
    const unmounted = await stepDeadline.poll(
      async () => {
        if (mountHolders(directory).length > 0) return undefined;
        attempt = await tryUnmount(target, deadline);
        return attempt.ok ? true : undefined;
      },
      { intervalMs: 100 },
    );
    if (unmounted) {
      log.info(`unmounted ${directory} after ${signal}`);
      return true;
    }
    if (deadline.expired(reserveMs)) break;
  }
  attempt = await tryUnmount(target, deadline);
  if (attempt.ok) return true;
  const left = mountHolders(directory);
  log.error(`${directory} is still mounted${left.length > 0 ? `, held by ${left.map(describeHolder).join('; ')}` : ''}`);
  return false;
}
