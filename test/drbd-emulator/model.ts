/**
 * The behaviour of emulated DRBD 9 kernels, as pure functions of the shared state: connection
 * handshakes (resync direction, split brain), role changes and their refusals, and the views
 * that drbdsetup prints. No I/O here: devices.ts publishes the block devices, drbdsetup.ts
 * parses command lines.
 */
import {
  linkKey,
  nodeState,
  type DiskState,
  type EmulatorState,
  type KernelDevice,
  type KernelPeer,
  type KernelResource,
  type Link,
  type Metadata,
  type Role,
} from './state.js';

/** A refusal as drbdsetup reports it: its exit code and stderr lines. */
export class DrbdFailure extends Error {
  constructor(
    readonly exitCode: number,
    readonly lines: string[],
  ) {
    super(lines.join('\n'));
  }
}

/** Failures the kernel reports by retcode (drbdsetup prints `OBJ: Failure: (N) text`, rc 10). */
export const FAILURE = {
  DISCARD_IMPOSSIBLE: [123, '--discard-my-data not allowed when primary.'],
  DISK_CONFIGURED: [124, 'Device is attached to a disk (use detach first)'],
  NET_CONFIGURED: [125, 'Device has a net-config (use disconnect first)'],
  MINOR_INVALID: [127, 'Device minor not allocated'],
  NO_DISK: [138, 'Device does not have a disk-config'],
  RES_NOT_KNOWN: [158, 'Unknown resource'],
  RES_IN_USE: [159, 'Resource still in use (delete all minors first)'],
  MINOR_OR_VOLUME_EXISTS: [161, 'Minor or volume exists already (delete it first)'],
  INVALID_REQUEST: [162, 'Invalid configuration request'],
  INVALID_PEER_NODE_ID: [173, 'Invalid peer-node-id\n'],
} as const satisfies Record<string, readonly [number, string]>;

export function failure(object: string, which: readonly [number, string], info: string[] = []): DrbdFailure {
  const lines = [`${object}: Failure: (${which[0]}) ${which[1]}`.replace(/\n$/, '')];
  if (info.length) lines.push('additional info from kernel:', ...info);
  return new DrbdFailure(10, lines);
}

/** State change refusals (drbd_set_st_err_str) and the exit code drbdsetup maps each to. */
export const STATE_CHANGE = {
  TWO_PRIMARIES: [-1, 'Multiple primaries not allowed by config', 11],
  NO_UP_TO_DATE_DISK: [-2, 'Need access to UpToDate data', 17],
  NO_LOCAL_DISK: [-4, "Can not resync without local disk", 16],
  CONNECTED_OUTDATES: [-6, 'Refusing to be Outdated while Connected', 11],
  PRIMARY_NOP: [-7, 'Refusing to be Primary while peer is not outdated', 11],
  DEVICE_IN_USE: [-12, 'Device is held open by someone', 11],
  LOWER_THAN_OUTDATED: [-16, 'Disk state is lower than outdated', 5],
} as const satisfies Record<string, readonly [number, string, number]>;

export function stateChangeFailed(object: string, which: readonly [number, string, number], info: string[] = []): DrbdFailure {
  const lines = [`${object}: State change failed: (${which[0]}) ${which[1]}`];
  if (info.length) lines.push('additional info from kernel:', ...info);
  return new DrbdFailure(which[2], lines);
}

/** Promotion needs the fence-peer handler first (DRBD's SS_PRIMARY_NOP path: try_outdate_peer). */
export class NeedFence extends DrbdFailure {
  constructor(
    resource: string,
    readonly peerNodeId: number,
  ) {
    super(11, stateChangeFailed(resource, STATE_CHANGE.PRIMARY_NOP).lines);
  }
}

function fencing(peer: KernelPeer): string {
  return peer.netOptions.fencing ?? 'dont-care';
}

function queueHandler(state: EmulatorState, node: string, resource: string, handler: 'fence-peer' | 'unfence-peer', peerNodeId: number): void {
  const pending = (state.pending ??= []);
  if (!pending.some((p) => p.node === node && p.resource === resource && p.handler === handler && p.peerNodeId === peerNodeId)) pending.push({ node, resource, handler, peerNodeId });
}

export function kernelResource(state: EmulatorState, node: string, resource: string): KernelResource | undefined {
  return state.nodes[node]?.kernel[resource];
}

export function requireResource(state: EmulatorState, node: string, resource: string): KernelResource {
  const found = kernelResource(state, node, resource);
  if (!found) throw failure(resource, FAILURE.RES_NOT_KNOWN);
  return found;
}

export function findMinor(state: EmulatorState, node: string, minor: number): { resource: string; kernel: KernelResource; device: KernelDevice } | undefined {
  for (const [resource, kernel] of Object.entries(state.nodes[node]?.kernel ?? {})) {
    for (const device of Object.values(kernel.devices)) if (device.minor === minor) return { resource, kernel, device };
  }
  return undefined;
}

/** This node's meta-data on the device's backing disk (created by drbdmeta create-md). */
export function metadata(state: EmulatorState, node: string, device: KernelDevice): Metadata {
  const meta = nodeState(state, node).meta;
  const key = device.backingDev ?? `(none)`;
  return (meta[key] ??= { disk: 'Inconsistent', gen: 0, history: [] });
}

/** The disk state a node's kernel shows for a volume. */
export function diskState(state: EmulatorState, node: string, device: KernelDevice): DiskState {
  if (device.client || !device.attached) return 'Diskless';
  const disk = metadata(state, node, device).disk;
  return disk === 'UpToDate' && device.consistent ? 'Consistent' : disk;
}

/** With fencing on (handlers), may this node's attached UpToDate data count as UpToDate alone? */
export function markConsistentIfUnfenced(state: EmulatorState, node: string, resource: string, device: KernelDevice): void {
  const kernel = kernelResource(state, node, resource);
  if (!kernel || !state.settings.handlers || !device.attached) return;
  const unfenced = Object.values(kernel.peers).some((peer) => {
    const l = link(state, resource, node, peer.name);
    return fencing(peer) !== 'dont-care' && !l.connected && !l.fenced?.[node];
  });
  device.consistent = unfenced && metadata(state, node, device).disk === 'UpToDate';
}

function clearConsistent(state: EmulatorState, node: string, resource: string): void {
  for (const device of Object.values(kernelResource(state, node, resource)?.devices ?? {})) device.consistent = false;
}

export function link(state: EmulatorState, resource: string, a: string, b: string): Link {
  const key = linkKey(resource, a, b);
  return (state.links[key] ??= { connected: false, cut: false });
}

function peerOf(kernel: KernelResource, name: string): KernelPeer | undefined {
  return Object.values(kernel.peers).find((peer) => peer.name === name);
}

function isYes(value: string | undefined): boolean {
  return value !== undefined && ['yes', 'true', '1', ''].includes(value);
}

/** What the fence-peer handler's exit code means (drbd_khelper in the kernel): fenced, or refused. */
export function applyFenceResult(state: EmulatorState, node: string, resource: string, peerNodeId: number, exitCode: number, log: Logger): boolean {
  const kernel = kernelResource(state, node, resource);
  const peer = kernel?.peers[String(peerNodeId)];
  if (!kernel || !peer) return false;
  const l = link(state, resource, node, peer.name);
  if ([3, 4, 5, 7].includes(exitCode)) {
    if (!l.connected) (l.fenced ??= {})[node] = true;
    clearConsistent(state, node, resource);
    const meaning = { 3: 'peer is inconsistent or worse', 4: 'peer was fenced', 5: 'peer is unreachable, assumed to be dead', 7: 'peer was stonithed' }[exitCode as 3 | 4 | 5 | 7];
    log(node, `${resource}: fence-peer helper returned ${exitCode} (${meaning})`);
    return true;
  }
  if (exitCode === 6) {
    for (const device of Object.values(kernel.devices)) if (device.attached) metadata(state, node, device).disk = 'Outdated';
    log(node, `${resource}: fence-peer helper returned 6 (peer is active): Peer is primary, outdating myself.`);
    return false;
  }
  log(node, `${resource}: fence-peer helper broken, returned ${exitCode}`);
  return false;
}

/** A Primary that writes without its peer starts a new data generation (DRBD's new current UUID). */
export function newGeneration(state: EmulatorState, node: string, resource: string): void {
  const kernel = kernelResource(state, node, resource);
  if (!kernel) return;
  for (const device of Object.values(kernel.devices)) {
    if (!device.attached || device.client) continue;
    const meta = metadata(state, node, device);
    if (meta.gen) meta.history.unshift(meta.gen);
    meta.history = meta.history.slice(0, 32);
    meta.gen = state.seq++;
  }
}

export interface Logger {
  (node: string, message: string): void;
}

/**
 * Brings connections in line with what both ends want: handshakes where both ends connect
 * and the link is whole, losses where not, and the end of finished resyncs.
 */
export function settle(state: EmulatorState, now: number, log: Logger = () => {}): void {
  const seen = new Set<string>();
  for (const [nodeA, stateA] of Object.entries(state.nodes)) {
    for (const [resource, kernelA] of Object.entries(stateA.kernel)) {
      for (const peerA of Object.values(kernelA.peers)) {
        const nodeB = peerA.name;
        const key = linkKey(resource, nodeA, nodeB);
        if (seen.has(key)) continue;
        seen.add(key);
        settlePair(state, resource, nodeA, nodeB, now, log);
      }
    }
  }
  // Links whose ends are gone entirely.
  for (const [key, l] of Object.entries(state.links)) {
    if (seen.has(key) || !l.connected) continue;
    const [resource, a, b] = key.split('|') as [string, string, string];
    settlePair(state, resource, a, b, now, log);
  }
}

function settlePair(state: EmulatorState, resource: string, a: string, b: string, now: number, log: Logger): void {
  const l = link(state, resource, a, b);
  const kernelA = kernelResource(state, a, resource);
  const kernelB = kernelResource(state, b, resource);
  const peerAB = kernelA && peerOf(kernelA, b);
  const peerBA = kernelB && peerOf(kernelB, a);
  const want = Boolean(peerAB?.connect && peerBA?.connect && peerAB.paths.length && peerBA.paths.length && !l.cut);
  if (l.connected && !want) {
    l.connected = false;
    if (l.resync) {
      log(l.resync.target, `${resource}: resync from ${l.resync.source} aborted, disk stays Inconsistent`);
      delete l.resync;
    }
    for (const [node, other] of [[a, b], [b, a]] as const) {
      const kernel = kernelResource(state, node, resource);
      if (kernel?.role === 'Primary') {
        newGeneration(state, node, resource);
        log(node, `${resource}: connection lost while Primary: new current UUID`);
        const peer = peerOf(kernel, other);
        if (state.settings.handlers && peer && fencing(peer) !== 'dont-care' && !l.fenced?.[node]) queueHandler(state, node, resource, 'fence-peer', peer.nodeId);
      }
    }
  } else if (!l.connected && want) {
    handshake(state, resource, a, b, now, log);
  }
  // durationMs < 0: the resync runs until a test ends it (drbd-fault resync-done).
  if (l.connected && !l.resync && l.fenced) unfenceIfUpToDate(state, resource, a, b, l);
  if (l.connected && l.resync && l.resync.durationMs >= 0 && now >= l.resync.startedAt + l.resync.durationMs) finishResync(state, resource, l, log);
}

/** unfence-peer: the kernel calls it once local and peer disks are UpToDate again. */
function unfenceIfUpToDate(state: EmulatorState, resource: string, a: string, b: string, l: Link): void {
  const all = [a, b].every((node) => Object.values(kernelResource(state, node, resource)?.devices ?? {}).every((device) => diskState(state, node, device) === 'UpToDate'));
  if (!all) return;
  for (const [node, other] of [[a, b], [b, a]] as const) {
    if (!l.fenced?.[node]) continue;
    delete l.fenced[node];
    const peer = peerOf(kernelResource(state, node, resource)!, other);
    if (state.settings.handlers && peer) queueHandler(state, node, resource, 'unfence-peer', peer.nodeId);
  }
}

export function finishResync(state: EmulatorState, resource: string, l: Link, log: Logger): void {
  const resync = l.resync;
  if (!resync) return;
  const target = kernelResource(state, resync.target, resource);
  for (const device of Object.values(target?.devices ?? {})) {
    const sourceDevice = kernelResource(state, resync.source, resource)?.devices[String(device.volume)];
    if (!device.attached || !sourceDevice?.attached) continue;
    const from = metadata(state, resync.source, sourceDevice);
    const to = metadata(state, resync.target, device);
    to.disk = 'UpToDate';
    to.gen = from.gen;
    to.history = [...from.history];
  }
  delete l.resync;
  log(resync.target, `${resource}: resync done (SyncTarget from ${resync.source}), disk UpToDate`);
}

type Direction = { source: string; target: string } | 'none' | 'split-brain';

/** Which way data must flow when two nodes meet (the UUID comparison of drbd_sync_handshake). */
export function syncDirection(a: { node: string; meta: Metadata; discard: boolean }, b: { node: string; meta: Metadata; discard: boolean }): Direction {
  if (a.discard && !b.discard) return { source: b.node, target: a.node };
  if (b.discard && !a.discard) return { source: a.node, target: b.node };
  const badA = a.meta.disk === 'Inconsistent';
  const badB = b.meta.disk === 'Inconsistent';
  if (badA && badB) return 'none';
  if (badA) return { source: b.node, target: a.node };
  if (badB) return { source: a.node, target: b.node };
  if (a.meta.gen === b.meta.gen) return 'none';
  if (b.meta.history.includes(a.meta.gen)) return { source: b.node, target: a.node };
  if (a.meta.history.includes(b.meta.gen)) return { source: a.node, target: b.node };
  return 'split-brain';
}

function handshake(state: EmulatorState, resource: string, a: string, b: string, now: number, log: Logger): void {
  const l = link(state, resource, a, b);
  const kernelA = kernelResource(state, a, resource)!;
  const kernelB = kernelResource(state, b, resource)!;
  const peerAB = peerOf(kernelA, b)!;
  const peerBA = peerOf(kernelB, a)!;
  let direction: Direction = 'none';
  for (const deviceA of Object.values(kernelA.devices)) {
    const deviceB = kernelB.devices[String(deviceA.volume)];
    if (!deviceB || !deviceA.attached || !deviceB.attached) continue;
    const found = syncDirection(
      { node: a, meta: metadata(state, a, deviceA), discard: peerAB.discardMyData },
      { node: b, meta: metadata(state, b, deviceB), discard: peerBA.discardMyData },
    );
    if (found !== 'none') direction = found;
    if (found === 'split-brain') break;
  }
  if (direction === 'split-brain') {
    const solved = afterSplitBrain(kernelA, kernelB, peerAB, a, b);
    if (solved) {
      const primaries = [kernelA, kernelB].filter((k) => k.role === 'Primary').length;
      log(solved.source, `drbd ${resource}: Split-Brain detected, ${primaries} primaries, automatically solved. Sync from this node`);
      log(solved.target, `drbd ${resource}: Split-Brain detected, ${primaries} primaries, automatically solved. Sync from peer node`);
      direction = solved;
    }
  }
  if (direction === 'split-brain') {
    peerAB.connect = false;
    peerBA.connect = false;
    l.splitBrain = true;
    for (const node of [a, b]) {
      log(node, `drbd ${resource}: Split-Brain detected but unresolved, dropping connection!`);
      log(node, `helper command: /sbin/drbdadm split-brain ${resource}`);
    }
    return;
  }
  l.connected = true;
  l.splitBrain = false;
  clearConsistent(state, a, resource);
  clearConsistent(state, b, resource);
  if (peerAB.discardMyData || peerBA.discardMyData) {
    const victim = peerAB.discardMyData ? a : b;
    log(victim, `${resource}: Split-Brain detected, manually solved. Sync from peer node`);
  }
  peerAB.discardMyData = false;
  peerBA.discardMyData = false;
  // Equal data: an Outdated or Consistent side is as good as its UpToDate peer.
  for (const deviceA of Object.values(kernelA.devices)) {
    const deviceB = kernelB.devices[String(deviceA.volume)];
    if (!deviceB || !deviceA.attached || !deviceB.attached) continue;
    const metaA = metadata(state, a, deviceA);
    const metaB = metadata(state, b, deviceB);
    if (direction === 'none' && metaA.gen === metaB.gen && metaA.disk !== 'Inconsistent' && metaB.disk !== 'Inconsistent') {
      if (metaA.disk === 'UpToDate' || metaB.disk === 'UpToDate') metaA.disk = metaB.disk = 'UpToDate';
    }
  }
  if (direction !== 'none') startResync(state, resource, direction.source, direction.target, now, log);
}

/**
 * The after-sb-* policy that needs no write history: after-sb-1pri discard-secondary. The
 * others (discard-younger-primary, discard-least-changes, consensus, ...) behave as the
 * default, disconnect.
 */
export function afterSplitBrain(kernelA: KernelResource, kernelB: KernelResource, peerAB: KernelPeer, a: string, b: string): { source: string; target: string } | undefined {
  const primaries = [kernelA.role, kernelB.role].filter((role) => role === 'Primary').length;
  if (primaries === 1 && (peerAB.netOptions['after-sb-1pri'] ?? 'disconnect') === 'discard-secondary') {
    return kernelA.role === 'Primary' ? { source: a, target: b } : { source: b, target: a };
  }
  return undefined;
}

export function startResync(state: EmulatorState, resource: string, source: string, target: string, now: number, log: Logger): void {
  const l = link(state, resource, source, target);
  for (const device of Object.values(kernelResource(state, target, resource)?.devices ?? {})) {
    if (device.attached) metadata(state, target, device).disk = 'Inconsistent';
  }
  l.resync = { source, target, startedAt: now, durationMs: state.settings.resyncMs };
  log(target, `${resource}: resync started, SyncTarget from ${source}`);
  if (l.resync.durationMs === 0) finishResync(state, resource, l, log);
}

export type ConnectionState = 'StandAlone' | 'Connecting' | 'Connected';
export type ReplicationState = 'Off' | 'Established' | 'SyncSource' | 'SyncTarget';

export interface PeerDeviceView {
  volume: number;
  replication: ReplicationState;
  peerDisk: DiskState;
  peerClient: boolean;
  /** Percent done while resyncing. */
  done?: number;
  /** KiB still out of sync. */
  outOfSync: number;
  sizeKiB: number;
}

export interface ConnectionView {
  peerNodeId: number;
  name: string;
  state: ConnectionState;
  role: Role | 'Unknown';
  paths: { local: string; peer: string }[];
  peerDevices: PeerDeviceView[];
}

export interface DeviceView {
  volume: number;
  minor: number;
  disk: DiskState;
  client: boolean;
  backingDev: string;
  quorum: boolean;
  sizeKiB: number;
}

export interface ResourceView {
  name: string;
  nodeId: number;
  role: Role;
  forceIoFailures: boolean;
  devices: DeviceView[];
  connections: ConnectionView[];
}

/** Everything `drbdsetup status/events2` shows on `node` about `resource`. */
export function resourceView(state: EmulatorState, node: string, resource: string, now: number, sizeOf: (device: KernelDevice) => number): ResourceView | undefined {
  const kernel = kernelResource(state, node, resource);
  if (!kernel) return undefined;
  const devices = Object.values(kernel.devices)
    .sort((x, y) => x.volume - y.volume)
    .map((device) => ({
      volume: device.volume,
      minor: device.minor,
      disk: diskState(state, node, device),
      client: device.client,
      backingDev: device.attached && device.backingDev ? device.backingDev : 'none',
      quorum: true,
      sizeKiB: sizeOf(device),
    }));
  const connections = Object.values(kernel.peers)
    .sort((x, y) => x.nodeId - y.nodeId)
    .map((peer): ConnectionView => {
      const l = link(state, resource, node, peer.name);
      const other = kernelResource(state, peer.name, resource);
      const connected = l.connected && Boolean(other);
      const connectionState: ConnectionState = !peer.connect ? 'StandAlone' : connected ? 'Connected' : 'Connecting';
      const peerDevices = devices.map((device): PeerDeviceView => {
        const otherDevice = other?.devices[String(device.volume)];
        let replication: ReplicationState = 'Off';
        let done: number | undefined;
        let outOfSync = 0;
        if (connected) {
          replication = 'Established';
          if (l.resync) {
            replication = l.resync.source === node ? 'SyncSource' : 'SyncTarget';
            const fraction = l.resync.durationMs < 0 ? 0 : Math.min(1, Math.max(0, (now - l.resync.startedAt) / Math.max(1, l.resync.durationMs)));
            done = 100 * fraction;
            outOfSync = Math.round(device.sizeKiB * (1 - fraction));
          }
        }
        return {
          volume: device.volume,
          replication,
          peerDisk: connected && otherDevice ? diskState(state, peer.name, otherDevice) : l.fenced?.[node] ? 'Outdated' : 'DUnknown',
          peerClient: Boolean(connected && otherDevice?.client),
          done,
          outOfSync,
          sizeKiB: device.sizeKiB,
        };
      });
      return { peerNodeId: peer.nodeId, name: peer.name, state: connectionState, role: connected ? other!.role : 'Unknown', paths: peer.paths, peerDevices };
    });
  return { name: resource, nodeId: kernel.nodeId, role: kernel.role, forceIoFailures: kernel.forceIoFailures, devices, connections };
}

/** may_promote and promotion_score exactly as drbdsetup events2 computes them (compute_promotion_info). */
export function promotionInfo(view: ResourceView): { mayPromote: boolean; score: number } {
  if (view.devices.length === 0) return { mayPromote: false, score: 0 };
  let upToDateDevices = 0;
  let allHaveDisk = true;
  let minReplicas = -1;
  let allStable = true;
  for (const device of view.devices) {
    if (!device.quorum) return { mayPromote: false, score: 0 };
    let replicas = device.disk === 'UpToDate' ? 1 : 0;
    let stable = device.disk === 'UpToDate';
    for (const connection of view.connections) {
      for (const peerDevice of connection.peerDevices) {
        if (peerDevice.volume !== device.volume || peerDevice.peerDisk !== 'UpToDate') continue;
        replicas++;
        // UUID_FLAG_STABLE: the peer's data is not being changed by a Primary.
        if (connection.role !== 'Primary') stable = true;
      }
    }
    if (device.disk === 'UpToDate') upToDateDevices++;
    else if (device.disk !== 'Consistent' && device.disk !== 'Inconsistent') allHaveDisk = false;
    if (minReplicas === -1 || replicas < minReplicas) minReplicas = replicas;
    if (!stable) allStable = false;
  }
  if (minReplicas <= 0) return { mayPromote: false, score: 0 };
  const havePrimary = view.role === 'Primary' || view.connections.some((c) => c.role === 'Primary');
  return {
    mayPromote: !havePrimary && allStable,
    score: (allHaveDisk ? 1 : 0) * 10000 + Math.min(upToDateDevices, 99) * 100 + Math.min(minReplicas, 99),
  };
}

/** Peers this node is connected to right now. */
export function connectedPeers(state: EmulatorState, node: string, resource: string): string[] {
  const kernel = kernelResource(state, node, resource);
  if (!kernel) return [];
  return Object.values(kernel.peers)
    .filter((peer) => peer.connect && link(state, resource, node, peer.name).connected && kernelResource(state, peer.name, resource))
    .map((peer) => peer.name);
}

/** drbdsetup primary: the refusals of drbd_set_role, in the kernel's order. */
export function promote(state: EmulatorState, node: string, resource: string, force: boolean, now: number, log: Logger): void {
  const kernel = requireResource(state, node, resource);
  if (kernel.role === 'Primary') return;
  const peers = connectedPeers(state, node, resource);
  for (const peerName of peers) {
    const peer = peerOf(kernel, peerName)!;
    const other = kernelResource(state, peerName, resource)!;
    if (other.role === 'Primary' && !isYes(peer.netOptions['allow-two-primaries'])) throw stateChangeFailed(resource, STATE_CHANGE.TWO_PRIMARIES);
  }
  const devices = Object.values(kernel.devices);
  const accessible = devices.every((device) => {
    if (diskState(state, node, device) === 'UpToDate') return true;
    return peers.some((peerName) => {
      const otherDevice = kernelResource(state, peerName, resource)!.devices[String(device.volume)];
      return otherDevice !== undefined && diskState(state, peerName, otherDevice) === 'UpToDate';
    });
  });
  // Consistent data (fencing, peer unknown): the kernel runs fence-peer, then counts it UpToDate.
  const consistentOnly = devices.length > 0 && devices.every((device) => device.consistent || diskState(state, node, device) === 'UpToDate');
  if (!accessible && consistentOnly && !force && peers.length === 0) {
    const unfenced = Object.values(kernel.peers).find((peer) => fencing(peer) !== 'dont-care' && !link(state, resource, node, peer.name).fenced?.[node]);
    if (unfenced) throw new NeedFence(resource, unfenced.nodeId);
    clearConsistent(state, node, resource);
    newGeneration(state, node, resource);
  } else if (!accessible || devices.length === 0) {
    const attached = devices.length > 0 && devices.every((device) => device.attached && !device.client);
    if (!force || !attached) throw stateChangeFailed(resource, STATE_CHANGE.NO_UP_TO_DATE_DISK);
    log(node, `${resource}: Forced to consider local data as UpToDate!`);
    clearConsistent(state, node, resource);
    for (const device of devices) metadata(state, node, device).disk = 'UpToDate';
    newGeneration(state, node, resource);
    for (const peerName of peers) startResync(state, resource, node, peerName, now, log);
  } else if (peers.length === 0) {
    if (state.settings.handlers && !force) {
      for (const peer of Object.values(kernel.peers)) {
        if (fencing(peer) !== 'dont-care' && !link(state, resource, node, peer.name).fenced?.[node]) throw new NeedFence(resource, peer.nodeId);
      }
    }
    newGeneration(state, node, resource);
  }
  kernel.role = 'Primary';
  log(node, `${resource}: role Primary`);
}

/** drbdsetup secondary: refused while the device is open, unless --force (then I/O fails). */
export function demote(state: EmulatorState, node: string, resource: string, force: boolean, openers: string[], log: Logger): void {
  const kernel = requireResource(state, node, resource);
  if (kernel.role === 'Secondary') return;
  if (openers.length && !force) throw stateChangeFailed(resource, STATE_CHANGE.DEVICE_IN_USE, openers);
  kernel.role = 'Secondary';
  if (openers.length) kernel.forceIoFailures = true;
  log(node, `${resource}: role Secondary${openers.length ? ' (forced, I/O of the openers fails)' : ''}`);
}

/** drbdsetup outdate MINOR on a running resource. */
export function outdate(state: EmulatorState, node: string, minor: number): void {
  const found = findMinor(state, node, minor);
  if (!found) throw failure(String(minor), FAILURE.MINOR_INVALID);
  const { resource, kernel, device } = found;
  const disk = diskState(state, node, device);
  if (kernel.role === 'Primary') throw stateChangeFailed(String(minor), STATE_CHANGE.NO_UP_TO_DATE_DISK);
  if (disk === 'Diskless' || disk === 'Inconsistent') throw stateChangeFailed(String(minor), STATE_CHANGE.LOWER_THAN_OUTDATED);
  if (connectedPeers(state, node, resource).length) throw stateChangeFailed(String(minor), STATE_CHANGE.CONNECTED_OUTDATES);
  metadata(state, node, device).disk = 'Outdated';
}

/** Clears force-io-failures once nobody holds the device any more. */
export function clearForcedIo(kernel: KernelResource, openers: string[]): void {
  if (kernel.forceIoFailures && openers.length === 0 && kernel.role === 'Secondary') kernel.forceIoFailures = false;
}

export { peerOf, isYes };
