/**
 * What DRBD says about one resource, as one state object, whichever tool said it:
 *
 * - DRBD 9: `drbdsetup events2 --now RES` (what LINBIT's drbd.ocf parses) or
 *   `drbdsetup status --json RES`;
 * - DRBD 8.4: `drbdadm role|cstate|dstate RES` (`Primary/Secondary`, `Connected`,
 *   `UpToDate/DUnknown`, one line per volume), or one minor's lines of /proc/drbd.
 *
 * Pure parsing, no processes: formats as drbd-utils 9.22 prints them (see DRBD-FACTS.md).
 */

/** Local and peer roles. `Unknown` is a peer we are not connected to. */
export type Role = 'Primary' | 'Secondary' | 'Unknown';

/** Disk states of DRBD 9 (8.4 has the same words). `DUnknown` is only ever a peer's. */
export const DISK_STATES = [
  'Diskless',
  'Attaching',
  'Detaching',
  'Failed',
  'Negotiating',
  'Inconsistent',
  'Outdated',
  'DUnknown',
  'Consistent',
  'UpToDate',
] as const;
export type DiskState = (typeof DISK_STATES)[number];

/**
 * Connection states of DRBD 9. 8.4's words are mapped onto them: WFConnection → Connecting,
 * WFReportParams → Connecting, SyncSource/SyncTarget/... → Connected (with that replication).
 */
export type ConnectionState = 'StandAlone' | 'Disconnecting' | 'Unconnected' | 'Timeout' | 'BrokenPipe' | 'NetworkFailure' | 'ProtocolError' | 'TearDown' | 'Connecting' | 'Connected';

export interface VolumeState {
  volume: number;
  minor: number | undefined;
  disk: DiskState;
  /** An intentionally diskless node (`client:yes`). */
  client: boolean;
  /** `quorum:no` when the resource has lost quorum. */
  quorum: boolean;
}

export interface PeerVolumeState {
  volume: number;
  /** Established, Off, SyncSource, SyncTarget, ... */
  replication: string;
  peerDisk: DiskState;
  peerClient: boolean;
  /** Resync progress in percent, when syncing. */
  done: number | undefined;
}

export interface PeerState {
  nodeId: number | undefined;
  /** conn-name (the peer's host name in the configuration). */
  name: string;
  connection: ConnectionState;
  role: Role;
  volumes: PeerVolumeState[];
}

export interface ResourceState {
  name: string;
  role: Role;
  /** DRBD 9's own opinion (`may_promote:`), when it gives one. */
  mayPromote: boolean | undefined;
  /** DRBD 9's `promotion_score:`, when given (informational). */
  kernelPromotionScore: number | undefined;
  /** `force-io-failures:yes`: demoted by force while held open. */
  forceIoFailures: boolean;
  suspended: boolean;
  volumes: VolumeState[];
  peers: PeerState[];
}

function asDisk(word: string | undefined): DiskState {
  return (DISK_STATES as readonly string[]).includes(word ?? '') ? (word as DiskState) : 'DUnknown';
}

function asRole(word: string | undefined): Role {
  return word === 'Primary' || word === 'Secondary' ? word : 'Unknown';
}

const CONNECTION_WORDS: Record<string, ConnectionState> = {
  StandAlone: 'StandAlone',
  Disconnecting: 'Disconnecting',
  Unconnected: 'Unconnected',
  Timeout: 'Timeout',
  BrokenPipe: 'BrokenPipe',
  NetworkFailure: 'NetworkFailure',
  ProtocolError: 'ProtocolError',
  TearDown: 'TearDown',
  Connecting: 'Connecting',
  Connected: 'Connected',
  // DRBD 8.4 words
  WFConnection: 'Connecting',
  WFReportParams: 'Connecting',
  Disconnected: 'Unconnected',
};

function asConnection(word: string | undefined): ConnectionState {
  if (word && CONNECTION_WORDS[word]) return CONNECTION_WORDS[word]!;
  // 8.4 replication states (SyncSource, WFBitMapS, PausedSyncT, Verify...) are connected states.
  return word && /^(Sync|PausedSync|WFBitMap|WFSync|Verify|Starting|Ahead|Behind)/.test(word) ? 'Connected' : 'Unconnected';
}

function integer(text: string | undefined): number | undefined {
  return text !== undefined && /^-?\d+$/.test(text) ? Number(text) : undefined;
}

/** `key:value` fields of one events2 line (the value may itself hold colons: `local:ipv4:...`). */
function fields(words: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const word of words) {
    const colon = word.indexOf(':');
    if (colon > 0) map.set(word.slice(0, colon), word.slice(colon + 1));
  }
  return map;
}

/**
 * Parses `drbdsetup events2 --now [RES]`. Only `exists` lines count, up to `exists -`, and only
 * those whose third field is `name:RES` (as drbd.ocf reads them). Undefined when the resource
 * does not exist (the kernel does not know it: the resource is down).
 */
export function parseEvents2(text: string, resource: string): ResourceState | undefined {
  let state: ResourceState | undefined;
  const peers = new Map<string, PeerState>();
  const pendingPeerVolumes: Array<[string, PeerVolumeState]> = [];
  for (const line of text.split('\n')) {
    const words = line.trim().split(/\s+/);
    if (words[0] !== 'exists') continue;
    if (words[1] === '-') break;
    if (words[2] !== `name:${resource}`) continue;
    const f = fields(words.slice(3));
    const peerKey = f.get('peer-node-id') ?? f.get('conn-name') ?? '-';
    switch (words[1]) {
      case 'resource':
        state = {
          name: resource,
          role: asRole(f.get('role')),
          mayPromote: f.has('may_promote') ? f.get('may_promote') === 'yes' : undefined,
          kernelPromotionScore: integer(f.get('promotion_score')),
          forceIoFailures: f.get('force-io-failures') === 'yes',
          suspended: (f.get('suspended') ?? 'no') !== 'no',
          volumes: [],
          peers: [],
        };
        break;
      case 'connection':
        peers.set(peerKey, {
          nodeId: integer(f.get('peer-node-id')),
          name: f.get('conn-name') ?? peerKey,
          connection: asConnection(f.get('connection')),
          role: asRole(f.get('role')),
          volumes: [],
        });
        break;
      case 'device':
        state?.volumes.push({
          volume: integer(f.get('volume')) ?? 0,
          minor: integer(f.get('minor')),
          disk: asDisk(f.get('disk')),
          client: f.get('client') === 'yes',
          quorum: f.get('quorum') !== 'no',
        });
        break;
      case 'peer-device':
        pendingPeerVolumes.push([
          peerKey,
          {
            volume: integer(f.get('volume')) ?? 0,
            replication: f.get('replication') ?? 'Off',
            peerDisk: asDisk(f.get('peer-disk')),
            peerClient: f.get('peer-client') === 'yes',
            done: f.has('done') ? Number(f.get('done')) : undefined,
          },
        ]);
        break;
      default:
        break; // path lines and whatever later versions add
    }
  }
  if (!state) return undefined;
  for (const [key, volume] of pendingPeerVolumes) peers.get(key)?.volumes.push(volume);
  state.peers = [...peers.values()];
  return state;
}

interface JsonPeerDevice {
  volume?: number;
  'replication-state'?: string;
  'peer-disk-state'?: string;
  'peer-client'?: boolean;
  'percent-in-sync'?: number;
}
interface JsonConnection {
  'peer-node-id'?: number;
  name?: string;
  'connection-state'?: string;
  'peer-role'?: string;
  peer_devices?: JsonPeerDevice[];
}
interface JsonDevice {
  volume?: number;
  minor?: number;
  'disk-state'?: string;
  client?: boolean;
  quorum?: boolean;
}
interface JsonResource {
  name?: string;
  role?: string;
  suspended?: boolean;
  'force-io-failures'?: boolean;
  devices?: JsonDevice[];
  connections?: JsonConnection[];
}

/**
 * Parses `drbdsetup status --json [RES]`: an array of resources. Undefined when the named
 * resource is not in it. Throws on text that is not JSON.
 */
export function parseStatusJson(text: string, resource: string): ResourceState | undefined {
  const all = JSON.parse(text) as JsonResource[];
  const found = Array.isArray(all) ? all.find((r) => r.name === resource) : undefined;
  if (!found) return undefined;
  return {
    name: resource,
    role: asRole(found.role),
    mayPromote: undefined,
    kernelPromotionScore: undefined,
    forceIoFailures: found['force-io-failures'] === true,
    suspended: found.suspended === true,
    volumes: (found.devices ?? []).map((d) => ({
      volume: d.volume ?? 0,
      minor: d.minor,
      disk: asDisk(d['disk-state']),
      client: d.client === true,
      quorum: d.quorum !== false,
    })),
    peers: (found.connections ?? []).map((c) => ({
      nodeId: c['peer-node-id'],
      name: c.name ?? String(c['peer-node-id'] ?? '-'),
      connection: asConnection(c['connection-state']),
      role: asRole(c['peer-role']),
      volumes: (c.peer_devices ?? []).map((p) => ({
        volume: p.volume ?? 0,
        replication: p['replication-state'] ?? 'Off',
        peerDisk: asDisk(p['peer-disk-state']),
        peerClient: p['peer-client'] === true,
        done: /^Sync/.test(p['replication-state'] ?? '') ? p['percent-in-sync'] : undefined,
      })),
    })),
  };
}

/** The name of DRBD 8.4's one peer, which neither its commands nor /proc/drbd say. */
export const UNNAMED_PEER = '';

/** How messages name a peer: `peer node2`, or `the peer` when DRBD (8.4) does not name it. */
export function peerLabel(name: string): string {
  return name === UNNAMED_PEER ? 'the peer' : `peer ${name}`;
}

/** `node2, node3`, or `the peer` for DRBD 8.4's unnamed one. */
export function peerNames(names: readonly string[]): string {
  return names.every((n) => n === UNNAMED_PEER) ? 'the peer' : names.join(', ');
}

/**
 * DRBD 8.4: the outputs of `drbdadm role RES` (`Primary/Secondary` per volume), `drbdadm
 * cstate RES` (`Connected`, `WFConnection`, `StandAlone`, `SyncSource`...) and `drbdadm dstate
 * RES` (`UpToDate/DUnknown`). 8.4 has one peer. Undefined when the role says the resource is
 * not configured (`Unconfigured`) or is empty.
 */
export function parse84(resource: string, role: string, cstate: string, dstate: string): ResourceState | undefined {
  const lines = (text: string) => text.split('\n').map((l) => l.trim()).filter(Boolean);
  const roles = lines(role);
  if (roles.length === 0 || roles.some((r) => /Unconfigured/.test(r))) return undefined;
  const cstates = lines(cstate);
  const dstates = lines(dstate);
  const [localRole, peerRole] = (roles[0] ?? '').split('/');
  const connectionWord = cstates[0];
  const connection = asConnection(connectionWord);
  const volumes: VolumeState[] = [];
  const peerVolumes: PeerVolumeState[] = [];
  dstates.forEach((line, volume) => {
    const [local, peer] = line.split('/');
    volumes.push({ volume, minor: undefined, disk: asDisk(local), client: false, quorum: true });
    const word = cstates[volume] ?? connectionWord ?? '';
    peerVolumes.push({
      volume,
      replication: connection === 'Connected' ? (word === 'Connected' ? 'Established' : word) : 'Off',
      peerDisk: asDisk(peer),
      peerClient: false,
      done: undefined,
    });
  });
  return {
    name: resource,
    role: asRole(localRole),
    mayPromote: undefined,
    kernelPromotionScore: undefined,
    forceIoFailures: false,
    suspended: false,
    volumes,
    peers: [{ nodeId: undefined, name: UNNAMED_PEER, connection, role: asRole(peerRole), volumes: peerVolumes }],
  };
}

/**
 * DRBD 8.4: one minor's lines of /proc/drbd, as drbd_proc.c prints them:
 * `%2d: cs:%s ro:%s/%s ds:%s/%s %c %c%c%c%c%c%c` (connection, roles, disks, the wire protocol
 * or a blank without a network configuration, then `s` when I/O is suspended, else `r`), the
 * counters, and during a resync a line with `sync'ed: 15.3%`. The same facts as drbdadm role,
 * cstate and dstate, read without a process, and the suspension besides (a fence-peer handler
 * running). Undefined when the minor is not there or `cs:Unconfigured` (down).
 */
export function parseProcDrbd84(text: string, resource: string, minor: number): ResourceState | undefined {
  const lines = text.split('\n');
  const at = lines.findIndex((line) => line.trimStart().startsWith(`${minor}: cs:`));
  if (at < 0) return undefined;
  const head = /cs:(\S+) ro:(\S+) ds:(\S+) .? ([rs])/.exec(lines[at]!);
  if (!head) return undefined; // cs:Unconfigured
  const [, cstate, roles, disks, io] = head;
  const state = parse84(resource, roles!, cstate!, disks!);
  if (!state) return undefined;
  let end = at + 1;
  while (end < lines.length && !/^\s*\d+: cs:/.test(lines[end]!)) end++;
  const synced = /sync'ed:\s*([\d.]+)%/.exec(lines.slice(at + 1, end).join('\n'));
  return {
    ...state,
    suspended: io === 's',
    volumes: state.volumes.map((v) => ({ ...v, minor })),
    peers: state.peers.map((p) => ({ ...p, volumes: p.volumes.map((v) => ({ ...v, done: synced && /^Sync/.test(v.replication) ? Number(synced[1]) : undefined })) })),
  };
}

export interface DrbdVersions {
  /** drbd-utils, e.g. 0x091600 for 9.22.0. */
  utils: number;
  /** The kernel module's, 0 when no module is loaded. */
  kernel: number;
}

/** Parses `drbdadm --version` (shell assignments, `DRBD_KERNEL_VERSION_CODE=0x090202`). */
export function parseVersion(text: string): DrbdVersions {
  const code = (key: string) => {
    const match = new RegExp(`^${key}=(0x[0-9a-fA-F]+)`, 'm').exec(text);
    return match ? parseInt(match[1]!, 16) : 0;
  };
  return { utils: code('DRBDADM_VERSION_CODE'), kernel: code('DRBD_KERNEL_VERSION_CODE') };
}

/**
 * The kernel module's version code from /proc/drbd (`version: 8.4.11 (api:1/proto:86-101)` or
 * `version: 9.2.2 (api:2/proto:86-121)`); 0 when the text does not say.
 */
export function parseProcDrbd(text: string): number {
  const match = /^version: (\d+)\.(\d+)\.(\d+)/m.exec(text);
  return match ? (Number(match[1]) << 16) | (Number(match[2]) << 8) | Number(match[3]) : 0;
}

/** Which generation of the command line to speak: 8.4 when the kernel module says so. */
export function isDrbd84(versions: DrbdVersions): boolean {
  return versions.kernel > 0 && versions.kernel < 0x090000;
}

/** Every local volume's disk state is UpToDate (and there is at least one volume). */
export function allDisksUpToDate(state: ResourceState): boolean {
  return state.volumes.length > 0 && state.volumes.every((v) => v.disk === 'UpToDate');
}

/** A short human description: `Secondary, disk UpToDate, peer node2 Connected Secondary UpToDate`. */
export function describeState(state: ResourceState): string {
  const disks = state.volumes.map((v) => v.disk).join('/') || 'no volumes';
  const peers = state.peers.map((p) => {
    const pdisk = p.volumes.map((v) => `${v.peerDisk}${v.replication !== 'Established' && v.replication !== 'Off' ? ` ${v.replication}` : ''}`).join('/');
    return `${peerLabel(p.name)} ${p.connection}${p.connection === 'Connected' ? ` ${p.role}` : ''}${pdisk ? ` ${pdisk}` : ''}`;
  });
  return [`${state.role}, disk ${disks}`, ...peers].join(', ');
}
