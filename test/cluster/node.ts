/**
 * A lab node, seen from the host: power on (new namespaces, a veth into the switch, its init),
 * power off (SIGKILL of its init: the kernel ends every process of its PID namespace, and its
 * network namespace with its addresses goes too), orderly shutdown, and commands inside it.
 */
import { appendFileSync, existsSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Deadline, sleep } from '../../lib/runtime/deadline.js';
import { findProcesses, processInfo, signalProcess, waitForExit } from '../../lib/process/proc.js';
import { run, startBackground, type RunOptions, type RunResult } from '../../lib/process/run.js';
import { must } from '../helpers/run.js';
import { consoleExec } from './console.js';
import { LabPaths, NET, NODE_INIT, nodeIp, nodeMac, type NodeKind, type NodeName } from './lab.js';
import { setUmlLink, umlPid, umlPowerOff, umlPowerOn } from './uml.js';

/** PID (host view) of a node's init, if it runs: checked against its command line, never a reused PID. */
export function initPid(paths: LabPaths, node: NodeName): number | undefined {
  if (!existsSync(paths.initPidFile(node))) return undefined;
  const pid = Number(readFileSync(paths.initPidFile(node), 'utf8'));
  const info = processInfo(pid);
  const ours = info && info.state !== 'Z' && info.argv.includes(NODE_INIT) && info.argv.includes(node) && info.argv.includes(paths.dir);
  return ours ? pid : undefined;
}


/** Powers a node on; resolves once its init runs and its cable is plugged in. */
export async function powerOn(paths: LabPaths, node: NodeName): Promise<number> {
  const running = initPid(paths, node);
  if (running) return running;
  await run('ip', ['-n', NET.switchNs, 'link', 'del', `v-${node}`], { timeoutMs: 5000 }); // a dead node's cable
  const unshare = await startBackground(
    'setsid',
    ['unshare', '--mount', '--net', '--uts', '--ipc', '--pid', '--fork', '--mount-proc', '--kill-child', '--', 'tini', '--', NODE_INIT, paths.dir, node],
    { quiet: true },
  );
  // tini is PID 1 of the new namespace: unshare's only child.
  const init = await new Deadline(5000).poll(
    () => {
      try {
        const children = readFileSync(`/proc/${unshare.pid}/task/${unshare.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
        return children.length > 0 ? Number(children[0]) : undefined;
      } catch {
        return undefined;
      }
    },
    { intervalMs: 20 },
  );
  if (!init) throw new Error(`${node}: its init did not start`);
  writeFileSync(paths.initPidFile(node), String(init));
  await must(run('ip', ['-n', NET.switchNs, 'link', 'add', `v-${node}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', String(init)], { timeoutMs: 5000 }));
  await must(run('ip', ['-n', NET.switchNs, 'link', 'set', `v-${node}`, 'master', 'br0', 'up'], { timeoutMs: 5000 }));
  const inNode = (args: string[]) => must(run('nsenter', ['-t', String(init), '-n', 'ip', ...args], { timeoutMs: 5000 }));
  await inNode(['link', 'set', 'lo', 'up']);
  await inNode(['link', 'set', 'eth0', 'address', nodeMac(node)]);
  await inNode(['addr', 'add', `${nodeIp(node)}/24`, 'dev', 'eth0']);
  await inNode(['link', 'set', 'eth0', 'up']);
  return init;
}

/**
 * Cuts the power: SIGKILL of the node's init. The emulated DRBD "kernel" of the node (state in
 * a shared file, unlike a real kernel's) is told it crashed, so that it forgets its resources.
 */
export async function powerOff(paths: LabPaths, node: NodeName): Promise<void> {
  const pid = initPid(paths, node);
  if (!pid) return;
  const mounts = mountNamespace(pid);
  signalProcess(pid, 'SIGKILL');
  if (!(await waitForExit([pid], new Deadline(10_000)))) throw new Error(`${node}: init ${pid} survived SIGKILL`);
  if (mounts) await endMountNamespace(paths, node, mounts);
  const drbdFault = join(paths.usrOverlay, 'sbin', 'drbd-fault');
  if (existsSync(drbdFault)) await must(run(drbdFault, ['crash', node], { timeoutMs: 20_000 }));
}

/** A process's mount namespace ("mnt:[4026532001]"), undefined once it is gone. */
function mountNamespace(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/mnt`);
  } catch {
    return undefined;
  }
}

/**
 * A powered-off node's mount namespace must die with it: both lab nodes share one kernel and
 * the store's one loop device, and a namespace that outlives its node keeps the node's mount of
 * the store, so that the other node's demote is refused after its own unmount ("(-12) Device is
 * held open ... opened by mount", seen once after a partition). The kernel has ended every
 * process of the node's PID namespace once its init is gone; processes of the host's PID
 * namespace may still be in its mount namespace (unshare, which reaps init; the host side of
 * an nsenter): waited for briefly, then killed, and said in the node's console.log.
 */
async function endMountNamespace(paths: LabPaths, node: NodeName, mounts: string): Promise<void> {
  const inside = () => findProcesses((p) => p.pid !== process.pid && mountNamespace(p.pid) === mounts);
  if (await new Deadline(2000).poll(() => (inside().length === 0 ? true : undefined), { intervalMs: 20 })) return;
  const left = inside();
  for (const p of left) signalProcess(p.pid, 'SIGKILL');
  const gone = await waitForExit(left.map((p) => p.pid), new Deadline(5000));
  const what = left.map((p) => `${p.pid} (${p.argv.join(' ').slice(0, 80)})`).join(', ');
  appendFileSync(join(paths.node(node), 'console.log'), `${new Date().toISOString()} [${node} power] after power-off, still in its mount namespace ${mounts}: ${what}: killed${gone ? '' : ', and some survived SIGKILL'}\n`);
  if (!gone) throw new Error(`${node}: processes in its mount namespace survived its power-off: ${what}`);
}

/** Orderly shutdown (pacemaker, then corosync), bounded; then the power is cut anyway. */
export async function shutdown(paths: LabPaths, node: NodeName, timeoutMs = 90_000): Promise<void> {
  const pid = initPid(paths, node);
  if (!pid) return;
  signalProcess(pid, 'SIGTERM');
  if (!(await waitForExit([pid], new Deadline(timeoutMs), 0, 100))) await powerOff(paths, node);
}

/** Runs a command inside a node (its mount, UTS, IPC, network and PID namespaces). */
export async function inNode(paths: LabPaths, node: NodeName, file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const pid = initPid(paths, node);
  if (!pid) throw new Error(`${node} is not running`);
  return run('nsenter', ['-t', String(pid), '-m', '-u', '-i', '-n', '-p', '--wd=/', '--', file, ...args], { timeoutMs: 60_000, ...options });
}

/** Cuts a node's network link (the partition scenario) or plugs it back in. */
export async function setLink(node: NodeName, up: boolean): Promise<void> {
  await must(run('ip', ['-n', NET.switchNs, 'link', 'set', `v-${node}`, up ? 'up' : 'down'], { timeoutMs: 5000 }));
}

export { sleep };

/**
 * One kind of node's power, network cable and command runner: what the cluster, the switch and
 * the scenarios use, whichever kind the lab runs.
 */
export interface NodeDriver {
  readonly kind: NodeKind;
  isOn(node: NodeName): boolean;
  powerOn(node: NodeName): Promise<void>;
  powerOff(node: NodeName): Promise<void>;
  /** Orderly shutdown where the kind has one, else a power cut. */
  shutdown(node: NodeName): Promise<void>;
  exec(node: NodeName, file: string, args: readonly string[], options?: RunOptions): Promise<RunResult>;
  setLink(node: NodeName, up: boolean): Promise<void>;
}

export function nodeDriver(paths: LabPaths, kind: NodeKind): NodeDriver {
  if (kind === 'uml') {
    return {
      kind,
      isOn: (node) => umlPid(paths, node) !== undefined,
      // As in the namespace lab, a node boots with its cable plugged in (a partition ends with the fenced node's reboot).
      powerOn: async (node) => {
        await setUmlLink(node, true);
        await umlPowerOn(paths, node);
      },
      powerOff: (node) => umlPowerOff(paths, node),
      shutdown: (node) => umlPowerOff(paths, node),
      exec: (node, file, args, options = {}) => consoleExec(paths.consoleSocket, node, file, args, { timeoutMs: 60_000, ...options }),
      setLink: setUmlLink,
    };
  }
  return {
    kind,
    isOn: (node) => initPid(paths, node) !== undefined,
    powerOn: async (node) => void (await powerOn(paths, node)),
    powerOff: (node) => powerOff(paths, node),
    shutdown: (node) => shutdown(paths, node),
    exec: (node, file, args, options) => inNode(paths, node, file, args, options),
    setLink,
  };
}

/** The kind a lab was made with (written at its start, read by its switch). */
export function labKind(paths: LabPaths): NodeKind {
  const kind = existsSync(paths.kindFile) ? readFileSync(paths.kindFile, 'utf8').trim() : 'namespace';
  return kind === 'uml' ? 'uml' : 'namespace';
}
