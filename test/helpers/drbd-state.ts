/** A DRBD resource's state as lib/drbd/state.ts parses it, from a short description (pure decision tests). */
import type { DiskState, ResourceState, Role } from '../../lib/drbd/state.js';

export interface Shape {
  role?: Role;
  disk?: DiskState | DiskState[];
  client?: boolean;
  quorum?: boolean;
  peers?: Array<{ name?: string; connection?: ResourceState['peers'][number]['connection']; role?: Role; disk?: DiskState; replication?: string }>;
}

export function drbdState({ role = 'Secondary', disk = 'UpToDate', client = false, quorum = true, peers = [{}] }: Shape = {}): ResourceState {
  const disks = Array.isArray(disk) ? disk : [disk];
  return {
    name: 'r0',
    role,
    mayPromote: undefined,
    kernelPromotionScore: undefined,
    forceIoFailures: false,
    suspended: false,
    volumes: disks.map((d, volume) => ({ volume, minor: volume, disk: d, client, quorum })),
    peers: peers.map((p, i) => {
      const connection = p.connection ?? 'Connected';
      const connected = connection === 'Connected';
      return {
        nodeId: i + 1,
        name: p.name ?? `node${i + 2}`,
        connection,
        role: connected ? (p.role ?? 'Secondary') : 'Unknown',
        volumes: disks.map((_, volume) => ({
          volume,
          replication: connected ? (p.replication ?? 'Established') : 'Off',
          peerDisk: connected ? (p.disk ?? 'UpToDate') : 'DUnknown',
          peerClient: false,
          done: undefined,
        })),
      };
    }),
  };
}
