/**
 * Real-kernel lab nodes: each node a User-Mode Linux kernel (Debian's user-mode-linux, Linux
 * 6.1 with its in-tree DRBD 8.4.11 module) running as one process group on this machine
 * (../shared/uml-lab/ has the reference and its measured costs). What makes it a real node:
 * its own kernel, page cache and block device (a sparse file as /dev/ubda, DRBD's backing
 * disk); a power cut (SIGKILL of the group) loses its page cache and every DRBD write it had
 * not sent, where a namespace node shares this machine's kernel.
 *
 * Its root file system is an overlay of this machine's root (every installed package, the
 * build) with an upper layer of its own that survives power cycles, as a disk does. Its
 * network card is a tap device on the lab's bridge, in the switch's namespace.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Deadline } from '../../lib/runtime/deadline.js';
import { findProcesses, liveProcess, signalProcessGroup } from '../../lib/process/proc.js';
import { run, startBackground } from '../../lib/process/run.js';
import { must } from '../helpers/run.js';
import { LabPaths, NET, NODE_INIT, nodeMac, REPLICATION, type NodeName } from './lab.js';

/**
 * Per node: 1 GiB of memory (the master alone uses 200 MB), a 256 MiB disk for DRBD (ubda) and
 * one for its state under /var (ubdb, ext4): Pacemaker's CIB and Corosync's and MooseFS's state
 * live on the node's own disk, behind its own page cache (hostfs, the root's file system, makes
 * every new file root's: pacemaker-based could not write its CIB there).
 */
const MEMORY = '1024M';
const DISK_BYTES = 256 * 1024 * 1024;
export const UML_VAR_DEVICE = '/dev/ubdb';
/** The kernels' scheduling priority on the host: before the host's other work. */
const UML_NICENESS = -10;

export const tapName = (node: NodeName) => `tap-${node}`;
/** The replication link's tap (eth1 in the node). */
export const replicationTapName = (node: NodeName) => `tapr-${node}`;
const umid = (paths: LabPaths, node: NodeName) => `mfslab-${node}-${Buffer.from(paths.dir).toString('hex').slice(-8)}`;

export function umlPaths(paths: LabPaths, node: NodeName) {
  const dir = join(paths.node(node), 'uml');
  return {
    dir,
    upper: join(dir, 'upper'),
    work: join(dir, 'work'),
    root: join(dir, 'root'),
    disk: join(dir, 'disk.img'),
    varDisk: join(dir, 'var.img'),
    boot: join(dir, 'boot'),
    console: join(dir, 'console.log'),
    pid: join(dir, 'pid'),
  };
}

/** The running kernel's PID (its process group's leader), checked against its command line. */
export function umlPid(paths: LabPaths, node: NodeName): number | undefined {
  const files = umlPaths(paths, node);
  if (!existsSync(files.pid)) return undefined;
  const pid = Number(readFileSync(files.pid, 'utf8'));
  const info = liveProcess(pid);
  return info && info.argv.some((arg) => arg === `umid=${umid(paths, node)}`) ? pid : undefined;
}

/** The node's disk and root: made once per lab, kept across power cycles. */
export async function prepareUmlNode(paths: LabPaths, node: NodeName): Promise<void> {
  const files = umlPaths(paths, node);
  for (const dir of [files.upper, files.work, files.root]) mkdirSync(dir, { recursive: true });
  if (!existsSync(files.disk)) {
    writeFileSync(files.disk, '');
    await must(run('truncate', ['-s', String(DISK_BYTES), files.disk]));
  }
  if (!existsSync(files.varDisk)) {
    writeFileSync(files.varDisk, '');
    await must(run('truncate', ['-s', String(DISK_BYTES), files.varDisk]));
    await must(run('mkfs.ext4', ['-q', '-F', files.varDisk], { timeoutMs: 60_000 }));
  }
  if (!(await run('mountpoint', ['-q', files.root])).ok) {
    await must(run('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=/,upperdir=${files.upper},workdir=${files.work}`, files.root]));
  }
  // The kernel starts init with no PATH and no arguments of ours: a boot script gives both.
  // tini is PID 1 (it reaps every orphan); the lab's node-init does the rest in UML mode.
  writeFileSync(
    files.boot,
    `#!/bin/sh\nexport PATH=/usr/sbin:/usr/bin:/sbin:/bin\nexec /usr/bin/tini -s -- ${NODE_INIT} ${paths.dir} ${node} --uml\n`,
    { mode: 0o755 },
  );
}

/** Boots the node's kernel and returns, as a power switch does (its boot is watched by whoever needs it up). */
export async function umlPowerOn(paths: LabPaths, node: NodeName): Promise<number> {
  const running = umlPid(paths, node);
  if (running) return running;
  await prepareUmlNode(paths, node);
  const files = umlPaths(paths, node);
  // setsid: the kernel and every host process it makes form one group, cut as one. nice: a
  // kernel starved by the host's other work (a test suite beside it) stalls its whole node: on a
  // loaded 2-core machine Pacemaker did not form a cluster in 4 min.
  const kernel = await startBackground(
    'nsenter',
    [
      `--net=/run/netns/${NET.switchNs}`, '--', 'setsid', 'nice', '-n', String(UML_NICENESS), 'linux.uml',
      `umid=${umid(paths, node)}`, `mem=${MEMORY}`, 'root=/dev/root', 'rootfstype=hostfs', `rootflags=${files.root}`, 'rw',
      `init=${files.boot}`, `ubd0=${files.disk}`, `ubd1=${files.varDisk}`, `eth0=tuntap,${tapName(node)},${nodeMac(node)}`,
      `eth1=tuntap,${replicationTapName(node)},${nodeMac(node).replace(/^02:78/, '02:79')}`,
      'con0=fd:0,fd:1', 'con=null',
    ],
    { outputFile: files.console },
  );
  // nsenter execs setsid, which execs nice, which execs the kernel (it is no group leader): one PID throughout.
  writeFileSync(files.pid, String(kernel.pid));
  // Between the execs its command line may read empty: a switch asked for the status at once said
  // "off", and the fence agent cut the booting node again. Returns once the kernel is seen.
  const seen = await new Deadline(5000).poll(() => umlPid(paths, node), { intervalMs: 20 });
  if (!seen) throw new Error(`${node}: its kernel did not start (see ${files.console})`);
  return kernel.pid;
}

/** Cuts the power: SIGKILL of the kernel's whole process group; its page cache dies with it. */
export async function umlPowerOff(paths: LabPaths, node: NodeName): Promise<void> {
  const pid = umlPid(paths, node);
  if (!pid) return;
  signalProcessGroup(pid, 'SIGKILL');
  const gone = await new Deadline(20_000).poll(() => (findProcesses((p) => p.pgrp === pid).length === 0 ? true : undefined), { intervalMs: 50 });
  if (!gone) throw new Error(`${node}: processes of kernel ${pid} survived SIGKILL`);
}

/** Unmounts the node's root once it is off (lab teardown). */
export async function umlForget(paths: LabPaths, node: NodeName): Promise<void> {
  await umlPowerOff(paths, node);
  const files = umlPaths(paths, node);
  if ((await run('mountpoint', ['-q', files.root])).ok) await run('umount', ['-l', files.root], { timeoutMs: 20_000 });
}

/** The node's network cards (in the switch's namespace): the lab's network, and the replication link on its own bridge. */
export async function addTaps(node: NodeName): Promise<void> {
  const sw = NET.switchNs;
  if (!(await run('ip', ['-n', sw, 'link', 'show', REPLICATION.bridge])).ok) {
    await must(run('ip', ['-n', sw, 'link', 'add', REPLICATION.bridge, 'address', '02:79:00:00:00:fe', 'type', 'bridge']));
    await must(run('ip', ['-n', sw, 'link', 'set', REPLICATION.bridge, 'up']));
  }
  for (const [tap, bridge] of [[tapName(node), 'br0'], [replicationTapName(node), REPLICATION.bridge]] as const) {
    await must(run('ip', ['-n', sw, 'tuntap', 'add', 'dev', tap, 'mode', 'tap']));
    await must(run('ip', ['-n', sw, 'link', 'set', tap, 'master', bridge, 'up']));
  }
}

async function setTap(tap: string, up: boolean): Promise<void> {
  await must(run('ip', ['-n', NET.switchNs, 'link', 'set', tap, up ? 'up' : 'down'], { timeoutMs: 5000 }));
}

/** Cuts (or restores) the replication link of a node: DRBD loses its peer, the cluster does not. */
export function setReplicationLink(node: NodeName, up: boolean): Promise<void> {
  return setTap(replicationTapName(node), up);
}

/** Cuts (or restores) a node's whole link: the lab's network and the replication link. */
export async function setUmlLink(node: NodeName, up: boolean): Promise<void> {
  await setTap(tapName(node), up);
  await setReplicationLink(node, up);
}
