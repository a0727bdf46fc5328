/**
 * The emulated DRBD "kernels" of every node, kept in one JSON file in a directory that all
 * emulated nodes share (DRBD_EMULATOR_STATE). Every invocation reads, changes and writes it
 * under a lock file, with bounded waits, so that two nodes acting at once cannot corrupt it.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readlinkSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export type Role = 'Primary' | 'Secondary';
/** Disk states as DRBD names them (drbd_disk_str). */
export type DiskState = 'Diskless' | 'Attaching' | 'Detaching' | 'Failed' | 'Negotiating' | 'Inconsistent' | 'Outdated' | 'DUnknown' | 'Consistent' | 'UpToDate';
/** What the meta-data on a node's backing disk says about its data. */
export type StoredDisk = 'UpToDate' | 'Outdated' | 'Inconsistent' | 'Consistent';

export interface Metadata {
  disk: StoredDisk;
  /** Current data generation (DRBD's current UUID, as a number). 0: never synced. */
  gen: number;
  /** Earlier generations of this data (DRBD's history UUIDs). */
  history: number[];
}

export interface KernelDevice {
  volume: number;
  minor: number;
  /** The device path this node publishes (from the resource file), e.g. /dev/drbd_x. */
  path: string;
  /** new-minor --diskless: an intentional diskless client. */
  client: boolean;
  attached: boolean;
  backingDev?: string;
  metaDev?: string;
  metaIdx?: string;
  diskOptions: Record<string, string>;
  /**
   * Attached UpToDate data shown as Consistent: with fencing, a disk attached while its peers are
   * neither connected nor known outdated (kernel disk_state_from_md / may_be_up_to_date).
   */
  consistent?: boolean;
  /** The loop device standing for the backing disk while attached. */
  loop?: string;
  /** A failed disk (fault hook): detached on I/O error, shown as Diskless. */
  failed?: boolean;
}

export interface KernelPeer {
  nodeId: number;
  /** Connection name: the peer's host name. */
  name: string;
  netOptions: Record<string, string>;
  paths: { local: string; peer: string }[];
  /** `connect` was issued (Connecting/Connected); false: StandAlone. */
  connect: boolean;
  discardMyData: boolean;
  peerDeviceOptions: Record<string, Record<string, string>>;
}

export interface KernelResource {
  nodeId: number;
  options: Record<string, string>;
  role: Role;
  forceIoFailures: boolean;
  devices: Record<string, KernelDevice>;
  peers: Record<string, KernelPeer>;
}

export interface NodeState {
  /** Resources the node's kernel knows (up). */
  kernel: Record<string, KernelResource>;
  /** Per backing disk (file or device path): this node's DRBD meta-data on it (survives down). */
  meta: Record<string, Metadata>;
}

export interface Resync {
  source: string;
  target: string;
  startedAt: number;
  durationMs: number;
}

export interface Link {
  /** Both ends are connected (handshake done). */
  connected: boolean;
  /** Fault hook: the network between the two nodes is cut. */
  cut: boolean;
  resync?: Resync;
  /** The last handshake found a split brain. */
  splitBrain?: boolean;
  /** Node -> it fenced (outdated) its peer through the fence-peer handler while disconnected. */
  fenced?: Record<string, boolean>;
}

/** A handler the emulated kernel calls (`drbdadm fence-peer|unfence-peer RES`), run by the node's next emulator command. */
export interface PendingHandler {
  node: string;
  resource: string;
  handler: 'fence-peer' | 'unfence-peer';
  peerNodeId: number;
}

export interface LoopDevice {
  loop: string;
  /** Nodes that attached this backing file. */
  users: string[];
  /** The emulator made the loop device (and detaches it). */
  owned: boolean;
}

export interface EmulatorState {
  version: 1;
  /** Next data generation number. */
  seq: number;
  nodes: Record<string, NodeState>;
  /** Key: `res|nodeA|nodeB` with the two names sorted. */
  links: Record<string, Link>;
  /** Backing file or device -> loop device shared by the nodes. */
  loops: Record<string, LoopDevice>;
  /** Fault hook: pretend the device of `res|node` is held open by this description. */
  heldOpen: Record<string, string>;
  /** handlers: run fence-peer/unfence-peer handlers (off unless a test turns them on). */
  settings: { resyncMs: number; handlers?: boolean };
  pending?: PendingHandler[];
}

export function emptyState(): EmulatorState {
  return { version: 1, seq: 1, nodes: {}, links: {}, loops: {}, heldOpen: {}, settings: { resyncMs: 0 } };
}

/** The state directory every emulated node shares. */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.DRBD_EMULATOR_STATE;
  if (!dir) throw new EmulatorUsageError('DRBD_EMULATOR_STATE is not set: the DRBD emulator needs a state directory shared by its nodes');
  return dir;
}

/** This invocation's node: drbdadm's own __DRBD_NODE__, then DRBD_EMULATOR_NODE, then uname -n. */
export function nodeName(env: NodeJS.ProcessEnv = process.env): string {
  return env.__DRBD_NODE__ || env.DRBD_EMULATOR_NODE || hostname();
}

export class EmulatorUsageError extends Error {}

export function linkKey(resource: string, a: string, b: string): string {
  return [resource, ...[a, b].sort()].join('|');
}

export function nodeState(state: EmulatorState, node: string): NodeState {
  let found = state.nodes[node];
  if (!found) {
    found = { kernel: {}, meta: {} };
    state.nodes[node] = found;
  }
  return found;
}

const LOCK_WAIT_MS = 30_000;
/** No emulator command holds the lock this long (they never sleep under it): its holder died. */
const STALE_LOCK_MS = 10_000;

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The PID namespace: nodes of a live-cluster test run in their own, where other pids mean nothing. */
function pidNamespace(): string {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return '?';
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the lock (an O_EXCL file; bounded wait), returns its release. A lock is broken when
 * its holder is dead (checked only within the same PID namespace) or older than any command.
 */
export function lock(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'state.lock');
  const namespace = pidNamespace();
  const started = Date.now();
  for (;;) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, `${process.pid} ${Date.now()} ${namespace}\n`);
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let holder: string;
    try {
      holder = readFileSync(path, 'utf8');
    } catch {
      continue;
    }
    const [pidText, sinceText, holderNamespace] = holder.trim().split(' ');
    const pid = Number(pidText);
    const since = Number(sinceText);
    const dead = holderNamespace === namespace && pid > 0 && !pidAlive(pid);
    if (dead || (since > 0 && Date.now() - since > STALE_LOCK_MS)) {
      rmSync(path, { force: true });
      continue;
    }
    if (Date.now() - started > LOCK_WAIT_MS) throw new Error(`DRBD emulator: state lock ${path} held by ${holder.trim()} for more than ${LOCK_WAIT_MS} ms`);
    sleep(5);
  }
}

export function readState(dir: string): EmulatorState {
  const path = join(dir, 'state.json');
  if (!existsSync(path)) return emptyState();
  return JSON.parse(readFileSync(path, 'utf8')) as EmulatorState;
}

export function writeState(dir: string, state: EmulatorState): void {
  const path = join(dir, 'state.json');
  const temporary = `${path}.${process.pid}`;
  writeFileSync(temporary, `${JSON.stringify(state, null, 1)}\n`);
  renameSync(temporary, path);
}

/** Runs `change` on the state under the lock and writes it back. */
export function withState<T>(dir: string, change: (state: EmulatorState) => T): T {
  const release = lock(dir);
  try {
    const state = readState(dir);
    const result = change(state);
    writeState(dir, state);
    return result;
  } finally {
    release();
  }
}

/** One line to the emulator's event log (the "kernel log"), for tests and humans. */
export function kernelLog(dir: string, node: string, message: string): void {
  try {
    writeFileSync(join(dir, 'kernel.log'), `${new Date().toISOString()} ${node}: ${message}\n`, { flag: 'a' });
  } catch {
    /* the log is a convenience */
  }
}
