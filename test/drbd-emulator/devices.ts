/**
 * The replicated block device of the emulator: one loop device over the backing file that
 * every node's resource file names (protocol C replication modelled as one shared disk),
 * published under the node's configured device path (/dev/drbd_...) as a block device node:
 *
 *  - Primary: a node with the loop device's major:minor, readable and writable;
 *  - Secondary (and Primary without reachable data): a node with DRBD's own major (147) and
 *    the resource's minor. No drbd module exists here, so every open fails with ENXIO: no
 *    mount, no write, as with a real Secondary under `auto-promote no` (which also refuses
 *    write opens). Unlike real DRBD 9, read-only opens on a Secondary fail too.
 *
 * `test -b` holds on both, as for /dev/drbdN of a resource that is up.
 *
 * Test tooling, not product code: runs losetup and mknod with node:child_process directly.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, constants, lstatSync, openSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { EmulatorState, KernelDevice } from './state.js';

export const DRBD_MAJOR = 147;

function majorMinor(rdev: number): [number, number] {
  const high = Math.floor(rdev / 2 ** 32);
  const low = rdev >>> 0;
  const major = ((low >>> 8) & 0xfff) | (high & 0xfffff000);
  const minor = (low & 0xff) | ((low >>> 12) & 0xffffff00);
  return [major, minor];
}

function run(file: string, args: string[]): { status: number; stdout: string; stderr: string } {
  const result = spawnSync(file, args, { encoding: 'utf8', timeout: 10_000 });
  return { status: result.status ?? 1, stdout: result.stdout ?? '', stderr: result.stderr ?? String(result.error ?? '') };
}

export function isBlockDevice(path: string): boolean {
  try {
    return statSync(path).isBlockDevice();
  } catch {
    return false;
  }
}

/** The loop device (or the block device itself) that holds `backing` for `node`. */
export function acquireLoop(state: EmulatorState, node: string, backing: string): string {
  let entry = state.loops[backing];
  if (entry && !isBlockDevice(entry.loop)) {
    delete state.loops[backing];
    entry = undefined;
  }
  if (!entry) {
    if (isBlockDevice(backing)) {
      entry = { loop: backing, users: [], owned: false };
    } else {
      const made = run('losetup', ['-f', '--show', backing]);
      if (made.status !== 0) throw new Error(`losetup -f --show ${backing}: ${made.stderr.trim()}`);
      entry = { loop: made.stdout.trim(), users: [], owned: true };
    }
    state.loops[backing] = entry;
  }
  if (!entry.users.includes(node)) entry.users.push(node);
  return entry.loop;
}

export function releaseLoop(state: EmulatorState, node: string, backing: string): void {
  const entry = state.loops[backing];
  if (!entry) return;
  entry.users = entry.users.filter((user) => user !== node);
  if (entry.users.length) return;
  // A loop still held open (forced demotion) is detached when its last user closes it.
  if (entry.owned) run('losetup', ['-d', entry.loop]);
  delete state.loops[backing];
}

export function loopOf(state: EmulatorState, backing: string | undefined): string | undefined {
  return backing ? state.loops[backing]?.loop : undefined;
}

/** Size in KiB of the device's data (the backing file or device). */
export function sizeKiB(device: KernelDevice, state: EmulatorState): number {
  const loop = loopOf(state, device.backingDev);
  if (loop) {
    try {
      return Number(readFileSync(`/sys/class/block/${basename(loop)}/size`, 'utf8').trim()) / 2;
    } catch {
      /* fall through */
    }
  }
  if (device.backingDev) {
    try {
      const stat = statSync(device.backingDev);
      if (stat.isFile()) return Math.floor(stat.size / 1024);
    } catch {
      /* gone */
    }
  }
  return 0;
}

/** Makes `path` a block device node with this major:minor (or removes it), atomically. */
export function publish(path: string, target: [number, number] | undefined): void {
  let current: [number, number] | undefined;
  try {
    const stat = lstatSync(path);
    current = stat.isBlockDevice() ? majorMinor(stat.rdev) : undefined;
    if (!target || !current) rmSync(path, { force: true });
  } catch {
    current = undefined;
  }
  if (!target) return;
  if (current && current[0] === target[0] && current[1] === target[1]) return;
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}`);
  rmSync(temporary, { force: true });
  const made = run('mknod', ['-m', '0660', temporary, 'b', String(target[0]), String(target[1])]);
  if (made.status !== 0) throw new Error(`mknod ${temporary}: ${made.stderr.trim()}`);
  renameSync(temporary, path);
}

export function deviceNumbers(path: string): [number, number] | undefined {
  try {
    const stat = statSync(path);
    return stat.isBlockDevice() ? majorMinor(stat.rdev) : undefined;
  } catch {
    return undefined;
  }
}

function openedForWrite(pid: string, fd: string): boolean {
  try {
    const flags = /^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'));
    return flags ? (parseInt(flags[1]!, 8) & 3) !== 0 : true;
  } catch {
    return true;
  }
}

function timestamp(): string {
  const now = new Date();
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())} ${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}.${pad(now.getMilliseconds(), 3)}`;
}

/**
 * Who holds the published device open, as DRBD's kernel reports it: processes with a file
 * descriptor on it (through the node, or on the loop device it stands for) and mounts of it.
 * `loop` is the loop device the node's Primary publication stands for (or that a forced
 * demotion left open); a claim seen only through an exclusive open (a mount in another
 * mount namespace) counts too.
 */
export function openers(path: string, loop: string | undefined, writersOnly = false): string[] {
  const found: string[] = [];
  const numbers = deviceNumbers(loop ?? path);
  if (!numbers || numbers[0] === DRBD_MAJOR) return found;
  const self = String(process.pid);
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || pid === self) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      // A node replaced since it was opened (demotion republishes it) reads "PATH (deleted)".
      target = target.replace(/ \(deleted\)$/, '');
      if (target !== path && target !== loop) continue;
      // The kernel refuses demotion for writers only (open_rw_cnt): O_WRONLY or O_RDWR.
      if (writersOnly && !openedForWrite(pid, fd)) continue;
      let comm = '?';
      try {
        comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      } catch {
        /* gone */
      }
      found.push(`${path} opened by ${comm} (pid ${pid}) at ${timestamp()}`);
      break;
    }
  }
  const id = `${numbers[0]}:${numbers[1]}`;
  let mounted = false;
  try {
    for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
      const fields = line.split(' ');
      // A read-only mount does not hold the device open for writing.
      if (fields[2] === id && !(writersOnly && /(^|,)ro(,|$)/.test(fields[5] ?? ''))) mounted = true;
    }
  } catch {
    /* no /proc */
  }
  if (!mounted) {
    // A mount in another mount namespace still claims the device exclusively.
    try {
      closeSync(openSync(loop ?? path, constants.O_RDONLY | constants.O_EXCL));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EBUSY') mounted = true;
    }
  }
  if (mounted) found.push(`${path} opened by mount (pid 0) at ${timestamp()}${mountHolders(id)}`);
  return found;
}

/**
 * Evidence for a device "opened by mount": every mount namespace that has a mount of it, with
 * where it is mounted and which processes are in that namespace (a namespace lives as long as
 * one process is in it). Both lab nodes share one kernel and one loop device: a node's mount
 * namespace that outlived its power-off, or a copy of it made by `unshare --mount` while the
 * device was mounted, keeps the file system (and the device) in use after the node's own unmount.
 */
export function mountHolders(id: string): string {
  const byNamespace = new Map<string, { points: string[]; pids: string[] }>();
  const without = new Set<string>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let ns: string;
    try {
      ns = readlinkSync(`/proc/${pid}/ns/mnt`);
    } catch {
      continue;
    }
    const known = byNamespace.get(ns);
    if (known) {
      known.pids.push(pid);
      continue;
    }
    if (without.has(ns)) continue;
    let points: string[];
    try {
      points = readFileSync(`/proc/${pid}/mountinfo`, 'utf8')
        .split('\n')
        .map((line) => line.split(' '))
        .filter((fields) => fields[2] === id)
        .map((fields) => fields[4]!);
    } catch {
      continue;
    }
    if (points.length) byNamespace.set(ns, { points, pids: [pid] });
    else without.add(ns);
  }
  if (!byNamespace.size) return '; no mount namespace with a process in it mounts it (an exclusive opener, or a namespace kept without a process)';
  const comm = (pid: string) => {
    try {
      return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      return '?';
    }
  };
  const described = [...byNamespace.entries()].map(([ns, { points, pids }]) => {
    const shown = pids.slice(0, 6).map((pid) => `${pid} ${comm(pid)}`);
    return `${ns} at ${points.join(', ')}, processes ${shown.join(', ')}${pids.length > shown.length ? ` and ${pids.length - shown.length} more` : ''}`;
  });
  return `; mounted in ${described.join('; in ')}`;
}
