/**
 * The emulated `drbdsetup` (drbd-utils 9.22 command line): the commands drbdadm runs for
 * up/adjust/down/primary/..., and the status commands agents parse. Every command reads and
 * changes the shared state under its lock; see model.ts for the behaviour, format.ts for
 * the output.
 */
import { spawnSync } from 'node:child_process';
import { statSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { hostVolumes } from './config.js';
import { acquireLoop, DRBD_MAJOR, deviceNumbers, isBlockDevice, loopOf, openers, publish, releaseLoop, sizeKiB } from './devices.js';
import { events2Now, showText, statusJson, statusText } from './format.js';
import {
  applyFenceResult,
  clearForcedIo,
  NeedFence,
  connectedPeers,
  demote,
  diskState,
  DrbdFailure,
  failure,
  FAILURE,
  findMinor,
  kernelResource,
  link,
  markConsistentIfUnfenced,
  metadata,
  outdate,
  promote,
  requireResource,
  resourceView,
  settle,
  startResync,
  stateChangeFailed,
  STATE_CHANGE,
  syncDirection,
  type ResourceView,
} from './model.js';
import { EmulatorUsageError, kernelLog, nodeName, nodeState, stateDir, withState, type EmulatorState, type KernelDevice } from './state.js';

export interface Io {
  out(text: string): void;
  err(text: string): void;
  isTty: boolean;
  columns: number;
}

export const processIo: Io = {
  out: (text) => void writeSync(1, text),
  err: (text) => void writeSync(2, text),
  isTty: Boolean(process.stdout.isTTY),
  columns: process.stdout.columns || 80,
};

interface Parsed {
  positional: string[];
  options: Record<string, string>;
}

/** drbdsetup's getopt: `--name=value`, `--name value` for options that take one, `--flag`. */
function parseArgs(args: string[]): Parsed {
  const positional: string[] = [];
  const options: Record<string, string> = {};
  const takesValue = new Set(['wfc-timeout', 'degr-wfc-timeout', 'outdated-wfc-timeout', 'color']);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      if (eq !== -1) options[arg.slice(2, eq)] = arg.slice(eq + 1);
      else if (takesValue.has(arg.slice(2)) && i + 1 < args.length) options[arg.slice(2)] = args[++i]!;
      else options[arg.slice(2)] = 'yes';
    } else if (/^-[a-zA-Z]$/.test(arg)) {
      const short: Record<string, string> = { v: 'verbose', s: 'statistics', j: 'json', n: 'now', f: 'force' };
      options[short[arg[1]!] ?? arg.slice(1)] = 'yes';
    } else {
      positional.push(arg);
    }
  }
  return { positional, options };
}

function log(dir: string) {
  return (node: string, message: string) => kernelLog(dir, node, message);
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The loop device holding the data a node's device shows: its own disk, else a connected peer's. */
function dataLoop(state: EmulatorState, node: string, resource: string, device: KernelDevice): string | undefined {
  if (device.attached) return loopOf(state, device.backingDev);
  for (const peer of connectedPeers(state, node, resource)) {
    const other = kernelResource(state, peer, resource)?.devices[String(device.volume)];
    if (other?.attached) return loopOf(state, other.backingDev);
  }
  return undefined;
}

/** Publishes this node's devices as its role allows (see devices.ts). */
function reconcile(state: EmulatorState, node: string): void {
  for (const [resource, kernel] of Object.entries(state.nodes[node]?.kernel ?? {})) {
    for (const device of Object.values(kernel.devices)) {
      const loop = kernel.role === 'Primary' ? dataLoop(state, node, resource, device) : undefined;
      const numbers = loop ? deviceNumbers(loop) : undefined;
      publish(device.path, numbers ?? [DRBD_MAJOR, device.minor]);
    }
  }
}

/** Who holds this node's devices of `resource` open (for writing only, with writersOnly). */
function resourceOpeners(state: EmulatorState, node: string, resource: string, writersOnly = false): string[] {
  const kernel = kernelResource(state, node, resource);
  if (!kernel) return [];
  const found: string[] = [];
  const held = state.heldOpen[`${resource}|${node}`];
  for (const device of Object.values(kernel.devices)) {
    const loop = kernel.role === 'Primary' || kernel.forceIoFailures ? dataLoop(state, node, resource, device) : undefined;
    found.push(...openers(device.path, loop, writersOnly));
    if (held) found.push(`${device.path} opened by ${held}`);
  }
  return found;
}

function views(state: EmulatorState, node: string, names: string[]): ResourceView[] {
  const now = Date.now();
  return names
    .map((name) => resourceView(state, node, name, now, (device) => sizeKiB(device, state)))
    .filter((view): view is ResourceView => view !== undefined);
}

function resourceNames(state: EmulatorState, node: string, wanted: string | undefined): string[] {
  const all = Object.keys(state.nodes[node]?.kernel ?? {}).sort();
  return wanted === undefined || wanted === 'all' ? all : all.filter((name) => name === wanted);
}

function peerByNodeId(state: EmulatorState, node: string, resource: string, peerNodeId: string) {
  const kernel = requireResource(state, node, resource);
  const peer = kernel.peers[peerNodeId];
  if (!peer) throw failure(resource, FAILURE.INVALID_PEER_NODE_ID);
  return { kernel, peer };
}

/** Data handshake for a disk attached while already connected (or made UpToDate by force). */
function attachHandshake(state: EmulatorState, node: string, resource: string, device: KernelDevice, logTo: ReturnType<typeof log>): void {
  for (const peerName of connectedPeers(state, node, resource)) {
    const other = kernelResource(state, peerName, resource)?.devices[String(device.volume)];
    if (!other?.attached) continue;
    const direction = syncDirection(
      { node, meta: metadata(state, node, device), discard: false },
      { node: peerName, meta: metadata(state, peerName, other), discard: false },
    );
    if (typeof direction === 'object') startResync(state, resource, direction.source, direction.target, Date.now(), logTo);
  }
}

const USAGE = `USAGE: drbdsetup command {arguments} [options]\n(emulated drbdsetup of the mfs-ocf DRBD emulator)\n`;

/** Runs one drbdsetup command line; returns its exit code. */
export function drbdsetup(args: string[], env: NodeJS.ProcessEnv = process.env, io: Io = processIo): number {
  const [command, ...rest] = args;
  if (!command || command === '--help' || command === 'help') {
    io.err(USAGE);
    return 20;
  }
  const { positional, options } = parseArgs(rest);
  let dir: string;
  try {
    dir = stateDir(env);
  } catch (error) {
    io.err(`${(error as Error).message}\n`);
    return 20;
  }
  const node = nodeName(env);
  const logTo = log(dir);
  const conf = env.DRBD_EMULATOR_CONF;
  // The resource file is read outside the lock (it runs the real drbdadm).
  const configured =
    command === 'new-minor' && positional.length >= 3 ? hostVolumes(conf, positional[0]!, node)?.find((volume) => volume.minor === Number(positional[1])) : undefined;
  const need = (count: number, usage: string) => {
    if (positional.length < count) throw new EmulatorUsageError(`USAGE:\n drbdsetup ${command} ${usage}\n`);
  };

  try {
    switch (command) {
      case 'events2':
        if (options.now !== 'yes') return events2Follow(positional[0], options, dir, node, io);
        return readOnly(command, positional, options, dir, node, io);
      case 'status':
      case 'show':
      case 'role':
      case 'cstate':
      case 'dstate': {
        const code = readOnly(command, positional, options, dir, node, io);
        // Not while a handler itself asks (crm-fence-peer.9.sh reads events2).
        if (!env.DRBD_EMULATOR_IN_HANDLER) runPendingHandlers(dir, node, env);
        return code;
      }
      case 'wait-connect-resource':
      case 'wait-connect-connection':
      case 'wait-connect-volume':
      case 'wait-sync-resource':
      case 'wait-sync-connection':
      case 'wait-sync-volume':
        need(1, `${command} {resource} [options]`);
        return waitFor(command, positional, options, dir, node, io);
    }
    const apply = () =>
      withState(dir, (state) => {
        const result = change(state);
        settle(state, Date.now(), logTo);
        reconcile(state, node);
        return result;
      });
    let result: number;
    try {
      result = apply();
    } catch (error) {
      // Promotion with fencing and an unknown peer: the kernel calls fence-peer, then retries.
      if (!(error instanceof NeedFence)) throw error;
      const exitCode = runHandler(env, node, positional[0]!, 'fence-peer', error.peerNodeId);
      const fenced = withState(dir, (state) => applyFenceResult(state, node, positional[0]!, error.peerNodeId, exitCode, logTo));
      if (!fenced) throw error;
      result = apply();
    }
    if (!env.DRBD_EMULATOR_IN_HANDLER) runPendingHandlers(dir, node, env);
    return result;
  } catch (error) {
    if (error instanceof DrbdFailure) {
      io.err(`${error.lines.join('\n')}\n`);
      return error.exitCode;
    }
    if (error instanceof EmulatorUsageError) {
      io.err(error.message);
      return 20;
    }
    throw error;
  }

  function change(state: EmulatorState): number {
    switch (command) {
      case 'new-resource': {
        need(2, 'new-resource {resource} {node_id} [options]');
        const [resource, nodeId] = positional as [string, string];
        const kernels = nodeState(state, node).kernel;
        if (!kernels[resource]) {
          kernels[resource] = { nodeId: Number(nodeId), options: { ...options }, role: 'Secondary', forceIoFailures: false, devices: {}, peers: {} };
          logTo(node, `${resource}: new resource, node-id ${nodeId}`);
        }
        return 0;
      }
      case 'resource-options': {
        need(1, 'resource-options {resource} [options]');
        requireResource(state, node, positional[0]!).options = { ...options };
        return 0;
      }
      case 'new-minor': {
        need(3, 'new-minor {resource} {minor} {volume} [options]');
        const [resource, minorText, volumeText] = positional as [string, string, string];
        const kernel = requireResource(state, node, resource);
        const minor = Number(minorText);
        if (findMinor(state, node, minor) || kernel.devices[volumeText]) throw failure(resource, FAILURE.MINOR_OR_VOLUME_EXISTS);
        kernel.devices[volumeText] = {
          volume: Number(volumeText),
          minor,
          path: configured?.device ?? `/dev/drbd${minor}`,
          client: options.diskless === 'yes',
          attached: false,
          diskOptions: {},
        };
        return 0;
      }
      case 'del-minor': {
        need(1, 'del-minor {minor}');
        const found = findMinor(state, node, Number(positional[0]));
        if (!found) return 0;
        if (found.device.attached) throw failure(positional[0]!, [160, 'Minor still configured (down it first)']);
        publish(found.device.path, undefined);
        delete found.kernel.devices[String(found.device.volume)];
        return 0;
      }
      case 'del-resource': {
        need(1, 'del-resource {resource}');
        const kernel = kernelResource(state, node, positional[0]!);
        if (!kernel) return 0;
        if (Object.keys(kernel.devices).length || Object.keys(kernel.peers).length) throw failure(positional[0]!, FAILURE.RES_IN_USE);
        delete nodeState(state, node).kernel[positional[0]!];
        return 0;
      }
      case 'new-peer':
      case 'net-options': {
        need(2, `${command} {resource} {peer_node_id} [options]`);
        const [resource, peerNodeId] = positional as [string, string];
        const kernel = requireResource(state, node, resource);
        const { _name: name, ...netOptions } = options;
        const existing = kernel.peers[peerNodeId];
        if (command === 'net-options') {
          if (!existing) throw failure(resource, FAILURE.INVALID_PEER_NODE_ID);
          existing.netOptions = netOptions;
          return 0;
        }
        if (existing) throw failure(resource, [174, 'Already exists']);
        kernel.peers[peerNodeId] = { nodeId: Number(peerNodeId), name: name ?? `peer${peerNodeId}`, netOptions, paths: [], connect: false, discardMyData: false, peerDeviceOptions: {} };
        // The kernel knows fencing peers from the meta-data (MDF_PEER_FENCING) already at attach;
        // `adjust --skip-net` attaches before the peer exists here, so decide again now.
        for (const device of Object.values(kernel.devices)) if (device.attached && !device.consistent) markConsistentIfUnfenced(state, node, resource, device);
        return 0;
      }
      case 'new-path':
      case 'del-path': {
        need(4, `${command} {resource} {peer_node_id} {local_addr} {remote_addr}`);
        const [resource, peerNodeId, local, remote] = positional as [string, string, string, string];
        const { peer } = peerByNodeId(state, node, resource, peerNodeId);
        peer.paths = peer.paths.filter((path) => path.local !== local || path.peer !== remote);
        if (command === 'new-path') peer.paths.push({ local, peer: remote });
        return 0;
      }
      case 'connect': {
        need(2, 'connect {resource} {peer_node_id} [options]');
        const [resource, peerNodeId] = positional as [string, string];
        const { kernel, peer } = peerByNodeId(state, node, resource, peerNodeId);
        if (peer.connect) throw failure(resource, FAILURE.NET_CONFIGURED);
        const discard = options['discard-my-data'] === 'yes';
        if (discard && kernel.role === 'Primary') throw failure(resource, FAILURE.DISCARD_IMPOSSIBLE);
        peer.connect = true;
        peer.discardMyData = discard;
        logTo(node, `${resource}: connect to ${peer.name}${discard ? ' --discard-my-data' : ''}`);
        return 0;
      }
      case 'disconnect':
      case 'del-peer': {
        need(2, `${command} {resource} {peer_node_id}`);
        const [resource, peerNodeId] = positional as [string, string];
        const kernel = kernelResource(state, node, resource);
        if (!kernel) {
          if (command === 'del-peer') return 0;
          throw failure(resource, FAILURE.RES_NOT_KNOWN);
        }
        const peer = kernel.peers[peerNodeId];
        if (!peer) return 0;
        peer.connect = false;
        if (command === 'del-peer') delete kernel.peers[peerNodeId];
        logTo(node, `${resource}: ${command} ${peer.name}`);
        return 0;
      }
      case 'peer-device-options': {
        need(3, 'peer-device-options {resource} {peer_node_id} {volume} [options]');
        const [resource, peerNodeId, volume] = positional as [string, string, string];
        peerByNodeId(state, node, resource, peerNodeId).peer.peerDeviceOptions[volume] = { ...options };
        return 0;
      }
      case 'attach': {
        need(4, 'attach {minor} {lower_dev} {meta_data_dev} {meta_data_index} [options]');
        const [minorText, lower, metaDev, metaIdx] = positional as [string, string, string, string];
        const found = findMinor(state, node, Number(minorText));
        if (!found) throw failure(minorText, FAILURE.MINOR_INVALID);
        const { resource, device } = found;
        if (device.attached) throw failure(minorText, FAILURE.DISK_CONFIGURED);
        if (!isBlockDevice(lower) && !existsFile(lower)) throw failure(minorText, [104, 'Can not open backing device.']);
        if (!nodeState(state, node).meta[lower]) {
          throw failure(minorText, [119, "No valid meta-data signature found.\n\n\t==> Use 'drbdadm create-md res' to initialize meta-data area. <=="]);
        }
        device.loop = acquireLoop(state, node, lower);
        device.attached = true;
        device.failed = false;
        device.backingDev = lower;
        device.metaDev = metaDev;
        device.metaIdx = metaIdx;
        device.diskOptions = { ...options };
        markConsistentIfUnfenced(state, node, resource, device);
        logTo(node, `${resource}: attached ${lower} (${device.loop}), disk ${diskState(state, node, device)}`);
        attachHandshake(state, node, resource, device, logTo);
        return 0;
      }
      case 'disk-options': {
        need(1, 'disk-options {minor} [options]');
        const found = findMinor(state, node, Number(positional[0]));
        if (!found) throw failure(positional[0]!, FAILURE.MINOR_INVALID);
        if (!found.device.attached) throw failure(positional[0]!, FAILURE.NO_DISK);
        found.device.diskOptions = { ...options };
        return 0;
      }
      case 'detach': {
        need(1, 'detach {minor} [--force]');
        const found = findMinor(state, node, Number(positional[0]));
        if (!found) throw failure(positional[0]!, FAILURE.MINOR_INVALID);
        const { resource, kernel, device } = found;
        if (!device.attached) return 0;
        if (kernel.role === 'Primary' && options.force !== 'yes') {
          const reachable = connectedPeers(state, node, resource).some((peer) => {
            const other = kernelResource(state, peer, resource)?.devices[String(device.volume)];
            return other !== undefined && diskState(state, peer, other) === 'UpToDate';
          });
          if (!reachable) throw stateChangeFailed(positional[0]!, STATE_CHANGE.NO_UP_TO_DATE_DISK);
        }
        detachDevice(state, node, resource, device);
        logTo(node, `${resource}: detached, disk Diskless`);
        return 0;
      }
      case 'primary': {
        need(1, 'primary {resource} [--force]');
        const kernel = requireResource(state, node, positional[0]!);
        clearForcedIo(kernel, kernel.forceIoFailures ? resourceOpeners(state, node, positional[0]!) : []);
        // After a forced demotion, I/O fails until the last opener is gone: no promotion meanwhile.
        if (kernel.role === 'Secondary' && kernel.forceIoFailures) throw stateChangeFailed(positional[0]!, STATE_CHANGE.DEVICE_IN_USE);
        promote(state, node, positional[0]!, options.force === 'yes', Date.now(), logTo);
        return 0;
      }
      case 'secondary': {
        need(1, 'secondary {resource} [--force]');
        const resource = positional[0]!;
        requireResource(state, node, resource);
        demote(state, node, resource, options.force === 'yes', resourceOpeners(state, node, resource, true), logTo);
        return 0;
      }
      case 'down': {
        need(1, 'down {resource}');
        const names = positional[0] === 'all' ? Object.keys(nodeState(state, node).kernel) : [positional[0]!];
        for (const resource of names) {
          const kernel = kernelResource(state, node, resource);
          if (!kernel) continue;
          const holders = resourceOpeners(state, node, resource);
          if (holders.length) throw stateChangeFailed(resource, STATE_CHANGE.DEVICE_IN_USE, holders);
          for (const device of Object.values(kernel.devices)) {
            if (device.attached) detachDevice(state, node, resource, device);
            publish(device.path, undefined);
          }
          delete nodeState(state, node).kernel[resource];
          delete state.heldOpen[`${resource}|${node}`];
          logTo(node, `${resource}: down`);
        }
        return 0;
      }
      case 'outdate': {
        need(1, 'outdate {minor}');
        let minor = Number(positional[0]);
        if (positional.length >= 2) {
          const device = kernelResource(state, node, positional[0]!)?.devices[positional[1]!];
          if (!device) throw failure(positional[0]!, FAILURE.RES_NOT_KNOWN);
          minor = device.minor;
        }
        outdate(state, node, minor);
        return 0;
      }
      case 'invalidate': {
        need(1, 'invalidate {minor}');
        const found = findMinor(state, node, Number(positional[0]));
        if (!found) throw failure(positional[0]!, FAILURE.MINOR_INVALID);
        if (!found.device.attached) throw stateChangeFailed(positional[0]!, STATE_CHANGE.NO_LOCAL_DISK);
        const source = connectedPeers(state, node, found.resource)[0];
        if (source) startResync(state, found.resource, source, node, Date.now(), logTo);
        else metadata(state, node, found.device).disk = 'Inconsistent';
        return 0;
      }
      case 'new-current-uuid': {
        need(1, 'new-current-uuid {minor} [--clear-bitmap]');
        const found = findMinor(state, node, Number(positional[0]));
        if (!found) throw failure(positional[0]!, FAILURE.MINOR_INVALID);
        const gen = state.seq++;
        const own = metadata(state, node, found.device);
        if (own.gen) own.history.unshift(own.gen);
        own.gen = gen;
        if (options['clear-bitmap'] === 'yes') {
          // Skips the initial resync: this node and its connected peers hold the same data.
          own.disk = 'UpToDate';
          for (const peer of connectedPeers(state, node, found.resource)) {
            const other = kernelResource(state, peer, found.resource)?.devices[String(found.device.volume)];
            if (!other?.attached) continue;
            const meta = metadata(state, peer, other);
            if (meta.gen) meta.history.unshift(meta.gen);
            Object.assign(meta, { disk: 'UpToDate', gen });
          }
        }
        return 0;
      }
      case 'resize':
      case 'check-resize':
      case 'suspend-io':
      case 'resume-io':
      case 'pause-sync':
      case 'resume-sync':
      case 'invalidate-remote':
      case 'verify':
      case 'forget-peer': {
        need(1, `${command} {object}`);
        const object = positional[0]!;
        if (/^\d+$/.test(object) && !findMinor(state, node, Number(object))) throw failure(object, FAILURE.MINOR_INVALID);
        if (!/^\d+$/.test(object)) requireResource(state, node, object);
        return 0;
      }
      default:
        io.err(`${command}: unknown command\n${USAGE}`);
        return 20;
    }
  }
}

/**
 * Runs a handler as the kernel would (`drbdadm fence-peer|unfence-peer RES`, with the
 * kernel's environment), through the emulated drbdadm beside this program. Never under the lock:
 * handlers read the state themselves (crm-fence-peer.9.sh runs drbdsetup events2).
 */
function runHandler(env: NodeJS.ProcessEnv, node: string, resource: string, handler: 'fence-peer' | 'unfence-peer', peerNodeId: number): number {
  const dir = stateDir(env);
  const drbdadm = join(dirname(process.argv[1] ?? '.'), 'drbdadm');
  const conf = env.DRBD_EMULATOR_CONF;
  if (!conf) {
    kernelLog(dir, node, `${resource}: helper ${handler} not run: no resource file (DRBD_EMULATOR_CONF)`);
    return 1;
  }
  kernelLog(dir, node, `helper command: /sbin/drbdadm ${handler} ${resource}`);
  const result = spawnSync(drbdadm, ['-c', conf, handler, resource], {
    env: { ...env, DRBD_EMULATOR_IN_HANDLER: '1', __DRBD_NODE__: node, DRBD_PEER_NODE_ID: String(peerNodeId), UP_TO_DATE_NODES: '0x00000000', DRBD_CSTATE: 'Connecting' },
    stdio: ['ignore', 'ignore', 'ignore'],
    timeout: 180_000,
  });
  const exitCode = result.status ?? 1;
  kernelLog(dir, node, `helper command: /sbin/drbdadm ${handler} ${resource} exit code ${exitCode}`);
  return exitCode;
}

/** Handlers the emulated kernel of this node has called since (see model.ts queueHandler). */
function runPendingHandlers(dir: string, node: string, env: NodeJS.ProcessEnv): void {
  const mine = withState(dir, (state) => {
    const taken = (state.pending ?? []).filter((p) => p.node === node);
    state.pending = (state.pending ?? []).filter((p) => p.node !== node);
    return taken;
  });
  for (const pending of mine) {
    const exitCode = runHandler(env, node, pending.resource, pending.handler, pending.peerNodeId);
    if (pending.handler === 'fence-peer') withState(dir, (state) => applyFenceResult(state, node, pending.resource, pending.peerNodeId, exitCode, log(dir)));
  }
}

function existsFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function detachDevice(state: EmulatorState, node: string, resource: string, device: KernelDevice): void {
  for (const peer of Object.values(kernelResource(state, node, resource)?.peers ?? {})) {
    const l = link(state, resource, node, peer.name);
    if (l.resync && (l.resync.source === node || l.resync.target === node)) delete l.resync;
  }
  if (device.backingDev) releaseLoop(state, node, device.backingDev);
  device.attached = false;
  delete device.loop;
}

function readOnly(command: string, positional: string[], options: Record<string, string>, dir: string, node: string, io: Io): number {
  // Reads settle too (a resync may have finished meanwhile), so they take the lock briefly.
  return withState(dir, (state) => {
    settle(state, Date.now(), log(dir));
    for (const [resource, kernel] of Object.entries(state.nodes[node]?.kernel ?? {})) clearForcedIo(kernel, kernel.forceIoFailures ? resourceOpeners(state, node, resource) : []);
    switch (command) {
      case 'status': {
        const wanted = positional[0];
        const names = resourceNames(state, node, wanted);
        const json = options.json === 'yes';
        const shown = views(state, node, names);
        if (json) io.out(statusJson(shown));
        else {
          if (Object.keys(state.nodes[node]?.kernel ?? {}).length === 0) io.out('# No currently configured DRBD found.\n');
          io.out(statusText(shown, { verbose: options.verbose === 'yes', statistics: options.statistics === 'yes', isTty: io.isTty, columns: io.isTty ? io.columns : 80 }));
        }
        if (wanted && wanted !== 'all' && shown.length === 0) {
          io.err(`${wanted}: No such resource\n`);
          return 10;
        }
        return 0;
      }
      case 'events2': {
        const names = resourceNames(state, node, positional[0]);
        io.out(events2Now(views(state, node, names), options.statistics === 'yes' || options.full === 'yes'));
        return 0;
      }
      case 'show': {
        const names = resourceNames(state, node, positional[0]);
        if (Object.keys(state.nodes[node]?.kernel ?? {}).length === 0) io.out('# No currently configured DRBD found.\n');
        for (const name of names) {
          const kernel = kernelResource(state, node, name)!;
          io.out(showText(name, kernel, (peerNodeId) => !kernel.peers[String(peerNodeId)]?.connect));
        }
        return 0;
      }
      case 'role': {
        const kernel = positional[0] ? kernelResource(state, node, positional[0]) : undefined;
        if (!kernel) {
          io.err(`${positional[0] ?? ''}: Unknown resource\n`);
          return 10;
        }
        io.out(`${kernel.role}\n`);
        return 0;
      }
      case 'cstate': {
        const [resource, peerNodeId] = positional;
        const view = resource ? views(state, node, [resource])[0] : undefined;
        const connection = view?.connections.find((c) => String(c.peerNodeId) === peerNodeId);
        if (!connection) {
          io.err(`${resource ?? ''}: No such connection\n`);
          return 10;
        }
        io.out(`${connection.state}\n`);
        return 0;
      }
      case 'dstate': {
        const minor = Number(positional[0]);
        const found = findMinor(state, node, minor);
        if (!found) {
          io.err(`${positional[0] ?? ''}: No such device\n`);
          return 10;
        }
        const view = views(state, node, [found.resource])[0]!;
        const device = view.devices.find((d) => d.minor === minor)!;
        const peers = view.connections.flatMap((c) => c.peerDevices.filter((p) => p.volume === device.volume).map((p) => p.peerDisk));
        io.out(`${[device.disk, ...peers].join('/')}\n`);
        return 0;
      }
    }
    return 20;
  });
}

/** Identity fields of an events2 object (always printed), per drbdsetup_events2.c. */
const IDENTITY = new Set(['name', 'peer-node-id', 'conn-name', 'volume', 'minor', 'local', 'peer']);

function objectsOf(text: string): Map<string, string[]> {
  const objects = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const [, object, ...fields] = line.split(' ');
    if (!object || object === '-') continue;
    const key = [object, ...fields.filter((field) => IDENTITY.has(field.split(':')[0]!))].join(' ');
    objects.set(key, [object, ...fields]);
  }
  return objects;
}

/**
 * `drbdsetup events2 [RES]` without --now: the `exists` lines, `exists -`, then `create`,
 * `change` (identity and changed fields only) and `destroy` lines as the state changes, until
 * killed. Polls the shared state every 200 ms.
 */
function events2Follow(wanted: string | undefined, options: Record<string, string>, dir: string, node: string, io: Io): number {
  const statistics = options.statistics === 'yes' || options.full === 'yes';
  const snapshot = () =>
    withState(dir, (state) => {
      settle(state, Date.now(), log(dir));
      return events2Now(views(state, node, resourceNames(state, node, wanted)), statistics);
    });
  const first = snapshot();
  io.out(first);
  let previous = objectsOf(first);
  for (;;) {
    sleep(200);
    const current = objectsOf(snapshot());
    const lines: string[] = [];
    for (const [key, fields] of current) {
      const before = previous.get(key);
      if (!before) {
        lines.push(`create ${fields.join(' ')}`);
        continue;
      }
      // may_promote and promotion_score are printed together when either changes.
      const promotion = (field: string) => /^(may_promote|promotion_score):/.test(field);
      const differs = (field: string) => !before.includes(field);
      const promotionChanged = fields.some((field) => promotion(field) && differs(field));
      const changed = fields.slice(1).filter((field) => !IDENTITY.has(field.split(':')[0]!) && (differs(field) || (promotionChanged && promotion(field))));
      if (changed.length) lines.push(`change ${[fields[0], ...fields.slice(1).filter((field) => IDENTITY.has(field.split(':')[0]!)), ...changed].join(' ')}`);
    }
    for (const [key] of previous) if (!current.has(key)) lines.push(`destroy ${key}`);
    if (lines.length) io.out(`${lines.join('\n')}\n`);
    previous = current;
  }
}

/** wait-connect-* / wait-sync-*: polls the shared state until connected (or synced), bounded by --wfc-timeout. */
function waitFor(command: string, positional: string[], options: Record<string, string>, dir: string, node: string, io: Io): number {
  const resource = positional[0]!;
  const timeoutSeconds = Number(options['wfc-timeout'] ?? '0');
  const deadline = timeoutSeconds > 0 ? Date.now() + timeoutSeconds * 1000 : Infinity;
  const sync = command.startsWith('wait-sync');
  for (;;) {
    const outcome = withState(dir, (state) => {
      settle(state, Date.now(), log(dir));
      const kernel = kernelResource(state, node, resource);
      if (!kernel) return 'unknown';
      const view = views(state, node, [resource])[0]!;
      const wanted = view.connections.filter((c) => positional[1] === undefined || String(c.peerNodeId) === positional[1]);
      const connected = wanted.length > 0 && wanted.every((c) => c.state === 'Connected');
      const synced = wanted.every((c) => c.peerDevices.every((p) => p.replication === 'Established'));
      return connected && (!sync || synced) ? 'done' : 'waiting';
    });
    if (outcome === 'unknown') {
      io.err(`${resource}: Unknown resource\n`);
      return 10;
    }
    if (outcome === 'done') return 0;
    if (Date.now() >= deadline) return 5;
    sleep(100);
  }
}

/** Re-exported for drbdmeta and the fault hooks. */
export { reconcile, resourceOpeners, detachDevice };
