/**
 * Mounts on a real loop device with ext4: finding the mount, the processes that hold it (cwd,
 * open file, mapped file), and unmounting with TERM then KILL as ocf:heartbeat:Filesystem does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Deadline } from '../../../lib/runtime/deadline.js';
import { createLogger } from '../../../lib/runtime/log.js';
import { liveProcess, waitForExit } from '../../../lib/process/proc.js';
import { run } from '../../../lib/process/run.js';
import {
  blockDeviceNumbers,
  findMount,
  mountDevice,
  mountHolders,
  parseMountinfo,
  probeWritable,
  checkFilesystem,
  unmountWithKill,
} from '../../../lib/system/mount.js';

let dir: string;
let loop: string;
let mnt: string;
const children: ChildProcess[] = [];
const lines: string[] = [];
const log = createLogger({ agent: 'test', env: {}, write: (line) => lines.push(line) });

beforeAll(async () => {
  dir = mkdtempSync('/tmp/mfs-ocf-mount-');
  const image = join(dir, 'disk.img');
  writeFileSync(image, '');
  await run('truncate', ['-s', '32M', image]);
  const mkfs = await run('mkfs.ext4', ['-q', '-F', image], { timeoutMs: 30_000 });
  expect(mkfs.exitCode, mkfs.stderr).toBe(0);
  const attach = await run('losetup', ['-f', '--show', image], { timeoutMs: 10_000 });
  expect(attach.exitCode, attach.stderr).toBe(0);
  loop = attach.stdout.trim();
  mnt = join(dir, 'mnt');
  mkdirSync(mnt);
});

afterEach(async () => {
  for (const child of children.splice(0)) if (child.pid && liveProcess(child.pid)) child.kill('SIGKILL');
  if (findMount(mnt)) await run('umount', ['-l', mnt]);
});

afterAll(async () => {
  if (loop) await run('losetup', ['-d', loop]);
  rmSync(dir, { recursive: true, force: true });
});

function holdWith(args: string[], cwd = '/'): ChildProcess {
  const child = spawn(args[0]!, args.slice(1), { cwd, stdio: 'ignore', detached: true });
  children.push(child);
  return child;
}

async function mounted(): Promise<void> {
  await mountDevice({ device: loop, directory: mnt, fstype: 'ext4', options: 'noatime', deadline: new Deadline(20_000) });
}

/** Polls until the holder shows (the child has opened its file). */
async function waitHolder(pid: number, expected: RegExp = /./): Promise<string> {
  let seen: string | undefined;
  const how = await new Deadline(5000).poll(
    () => {
      seen = mountHolders(mnt).find((h) => h.pid === pid)?.how;
      return seen && expected.test(seen) ? seen : undefined;
    },
    { intervalMs: 20 },
  );
  if (!how) throw new Error(`pid ${pid} never held ${mnt} as ${expected} (last seen: ${seen})`);
  return how;
}

describe('mountinfo', () => {
  it('parses entries, octal escapes and the read-only flag', () => {
    const text = [
      '36 35 98:0 /mnt1 /mnt/with\\040space rw,noatime master:1 - ext3 /dev/root rw,errors=continue',
      '37 35 7:3 / /srv/store ro,relatime shared:9 - xfs /dev/loop3 ro,attr2',
    ].join('\n');
    expect(parseMountinfo(text)).toEqual([
      { id: '36', mountpoint: '/mnt/with space', majorMinor: '98:0', fstype: 'ext3', source: '/dev/root', options: ['rw', 'noatime', 'rw', 'errors=continue'], readOnly: false },
      { id: '37', mountpoint: '/srv/store', majorMinor: '7:3', fstype: 'xfs', source: '/dev/loop3', options: ['ro', 'relatime', 'ro', 'attr2'], readOnly: true },
    ]);
    expect(findMount('/srv/store/', text)?.source).toBe('/dev/loop3');
    expect(findMount('/srv', text)).toBeUndefined();
  });
});

describe('a mounted loop device', () => {
  it('mounts with options, is writable, and its device numbers match', async () => {
    expect(await checkFilesystem(loop, 'ext4', new Deadline(30_000), log)).toBeUndefined();
    await mounted();
    const entry = findMount(mnt)!;
    expect(entry.fstype).toBe('ext4');
    expect(entry.options).toContain('noatime');
    expect(entry.majorMinor).toBe(blockDeviceNumbers(loop));
    expect(probeWritable(mnt, '.probe')).toBe(true);
    expect(probeWritable(join(dir, 'missing'), '.probe')).toBe(false);
  });

  it('finds holders by cwd, open file and mapped file, and nothing else', async () => {
    await mounted();
    writeFileSync(join(mnt, 'file'), 'x'.repeat(8192));
    const byCwd = holdWith(['sleep', '60'], mnt);
    const byFd = holdWith(['sh', '-c', `exec 3<${join(mnt, 'file')}; exec sleep 60`]);
    // mmap(2) through ctypes, then close the file: only the mapping holds the mount.
    const mapper = [
      'import ctypes, os, time',
      `fd = os.open('${join(mnt, 'file')}', os.O_RDONLY)`,
      'libc = ctypes.CDLL(None)',
      'libc.mmap.restype = ctypes.c_void_p',
      'libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]',
      'assert libc.mmap(None, 8192, 1, 1, fd, 0) not in (None, ctypes.c_void_p(-1).value)',
      'os.close(fd)',
      'time.sleep(60)',
    ].join('\n');
    const byMap = holdWith(['python3', '-c', mapper]);
    const bystander = holdWith(['sleep', '60'], dir);
    // A sibling whose name merely starts like the mount point is not under it.
    mkdirSync(`${mnt}-sibling`, { recursive: true });
    const sibling = holdWith(['sleep', '60'], `${mnt}-sibling`);
    expect(await waitHolder(byCwd.pid!, /^cwd$/)).toBe('cwd');
    expect(await waitHolder(byFd.pid!, /^fd 3$/)).toBe('fd 3');
    expect(await waitHolder(byMap.pid!, /^mmap$/)).toBe('mmap');
    expect(mountHolders(mnt).map((h) => h.pid)).not.toContain(bystander.pid);
    expect(mountHolders(mnt).map((h) => h.pid)).not.toContain(sibling.pid);
    expect(mountHolders(`${mnt}-sibling`), 'not a mount point: nobody holds it').toEqual([]);
  });

  it('unmounts a busy mount: lists the holders, TERM ends one, KILL the one that ignores TERM', async () => {
    await mounted();
    const polite = holdWith(['sleep', '60'], mnt);
    const stubborn = holdWith(['sh', '-c', "trap '' TERM; while :; do sleep 0.1; done"], mnt);
    await waitHolder(polite.pid!);
    await waitHolder(stubborn.pid!);
    lines.length = 0;
    const started = performance.now();
    const done = await unmountWithKill({ directory: mnt, signals: ['SIGTERM', 'SIGKILL'], signalDelayMs: 1000, deadline: new Deadline(20_000), reserveMs: 1000, log });
    const elapsed = performance.now() - started;
    expect(done).toBe(true);
    expect(findMount(mnt)).toBeUndefined();
    const text = lines.join('');
    expect(text).toMatch(new RegExp(`cannot unmount ${mnt} .*held by .*pid ${polite.pid} \\(sleep, cwd\\)`));
    expect(text).toContain(`sending SIGTERM to pid ${stubborn.pid}`);
    expect(text).toContain(`sending SIGKILL to pid ${stubborn.pid}`);
    expect(text).not.toContain(`sending SIGKILL to pid ${polite.pid}`);
    expect(elapsed, 'TERM waits its delay, KILL is quick').toBeGreaterThan(900);
    expect(elapsed).toBeLessThan(5000);
    expect(await waitForExit([polite.pid!, stubborn.pid!], new Deadline(3000))).toBe(true);
  });

  it('gives up within the budget when no signal is allowed, still mounted', async () => {
    await mounted();
    const holder = holdWith(['sleep', '60'], mnt);
    await waitHolder(holder.pid!);
    const started = performance.now();
    expect(await unmountWithKill({ directory: mnt, signals: [], signalDelayMs: 0, deadline: new Deadline(3000), reserveMs: 500, log })).toBe(false);
    expect(performance.now() - started).toBeLessThan(3000);
    expect(findMount(mnt)).toBeDefined();
    expect(liveProcess(holder.pid!)).toBeDefined();
  });

  it('splits the budget between signals when no delay is set', async () => {
    await mounted();
    const stubborn = holdWith(['sh', '-c', "trap '' TERM; while :; do sleep 0.1; done"], mnt);
    await waitHolder(stubborn.pid!);
    const started = performance.now();
    expect(await unmountWithKill({ directory: mnt, signals: ['SIGTERM', 'SIGKILL'], signalDelayMs: 0, deadline: new Deadline(5000), reserveMs: 1000, log })).toBe(true);
    const elapsed = performance.now() - started;
    // (5 s - 1 s reserve) / 2 signals: TERM gets about 2 s.
    expect(elapsed).toBeGreaterThan(1800);
    expect(elapsed).toBeLessThan(4500);
  });
});
