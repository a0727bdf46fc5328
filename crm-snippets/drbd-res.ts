/**
 * The DRBD resource file (/etc/drbd.d/<res>.res) that matches the generated cluster
 * configuration, for DRBD 8.4 or DRBD 9: synchronous replication (protocol C, which
 * CHANGELOG_SAVE_MODE = 2 needs for "no acknowledged operation lost on power loss") and
 * Pacemaker's fence-peer handlers, so that a Primary that loses its peer forbids the peer's
 * promotion in the CIB before it goes on writing (`fencing resource-only` + crm-fence-peer), and
 * the constraint is lifted once the peer is UpToDate again (crm-unfence-peer).
 *
 * The two generations differ in syntax (drbd-utils' v84 and v9 parsers, user/v84 and user/v9):
 * - 9: `fencing` under `net`, handlers `crm-fence-peer.9.sh` / `unfence-peer crm-unfence-peer.9.sh`,
 *   a `node-id` per host and a `connection-mesh`;
 * - 8.4: `fencing` under `disk` (8.4's parser refuses it under `net`: "'an option keyword'
 *   expected, but got 'fencing'"), handlers `crm-fence-peer.sh` / `after-resync-target
 *   crm-unfence-peer.sh` (the pairing of LINBIT's DRBD 8.4 guide: every 8.4 module runs
 *   after-resync-target on the node whose resync ends; 8.4's `unfence-peer` handler is only
 *   called by late 8.4 modules, on the sync source), no node ids, no connection-mesh.
 * Pure; checked in the tests with the real `drbdadm -c FILE dump` (9) and
 * `/usr/lib/drbd/drbdadm-84 -c FILE sh-nop` and `dump` (8.4).
 */
import type { SplitBrainPolicy } from '../lib/drbd/decisions.js';
import type { DrbdResFileInput, DrbdTarget, DrbdVersion, StoreInput } from './options.js';

/** Where drbd-utils installs Pacemaker's handlers, per DRBD generation (`dpkg -L drbd-utils`). */
export const DRBD_HANDLERS: Record<DrbdVersion, { fencePeer: string; unfence: { handler: string; path: string } }> = {
  '8.4': { fencePeer: '/usr/lib/drbd/crm-fence-peer.sh', unfence: { handler: 'after-resync-target', path: '/usr/lib/drbd/crm-unfence-peer.sh' } },
  '9': { fencePeer: '/usr/lib/drbd/crm-fence-peer.9.sh', unfence: { handler: 'unfence-peer', path: '/usr/lib/drbd/crm-unfence-peer.9.sh' } },
};

/**
 * DRBD's handshake for each split-brain policy, when one node is Primary (a fenced old Primary
 * that comes back beside the node that took over): the same choice mfs-drbd-store's
 * split_brain_policy makes. With none or two Primaries DRBD keeps its default (disconnect): there
 * the newest data cannot be told from the roles alone.
 */
const AFTER_SB_1PRI: Record<SplitBrainPolicy, string> = { manual: 'disconnect', 'discard-secondary': 'discard-secondary' };

export function drbdResFilePath(resource: string): string {
  return `/etc/drbd.d/${resource}.res`;
}

function address(ip: string, port: number): string {
  return ip.includes(':') ? `ipv6 [${ip}]:${port}` : `${ip}:${port}`;
}

/** The header line that says which DRBD the file is for, and why that one. */
export function drbdTargetComment(drbd: DrbdTarget): string {
  switch (drbd.source) {
    case 'option':
      return `# For DRBD ${drbd.version} (--drbd-version ${drbd.version}).`;
    case 'proc-drbd':
      return `# For DRBD ${drbd.version}: /proc/drbd where mfs-crm ran says "${drbd.procVersion}".`;
    case 'default':
      return `# For DRBD 9: no /proc/drbd where mfs-crm ran (no DRBD module loaded) and no --drbd-version; for DRBD 8.4 run mfs-crm with --drbd-version 8.4.`;
  }
}

/** `managedBy`: the promotable clone that runs this resource, named in the header comment. */
export function renderDrbdResFile(nodes: readonly string[], store: StoreInput, file: DrbdResFileInput, managedBy: string): string {
  const version = file.drbd.version;
  const handlers = DRBD_HANDLERS[version];
  const on = nodes.map((node, nodeId) => {
    const at = file.addresses.get(node)!;
    return [
      `  on ${node} {`,
      ...(version === '9' ? [`    node-id ${nodeId};`] : []),
      `    address ${address(at.ip, at.port)};`,
      '    volume 0 {',
      `      device ${store.device} minor ${file.minor};`,
      `      disk ${file.disk};`,
      '      meta-disk internal;',
      '    }',
      '  }',
    ].join('\n');
  });
  const net = ['    protocol C;', ...(file.splitBrainPolicy ? [`    after-sb-1pri ${AFTER_SB_1PRI[file.splitBrainPolicy]};`] : [])];
  const options =
    version === '9'
      ? ['  net {', ...net, '    fencing resource-only;', '  }']
      : ['  disk {', '    fencing resource-only;', '  }', '  net {', ...net, '  }'];
  return [
    `# ${drbdResFilePath(store.drbdResource)}: written by mfs-crm for the MooseFS master's metadata store.`,
    `# Managed by Pacemaker (${managedBy}): never promote it by hand while the cluster runs.`,
    drbdTargetComment(file.drbd),
    `resource ${store.drbdResource} {`,
    ...options,
    '  handlers {',
    `    fence-peer "${handlers.fencePeer}";`,
    `    ${handlers.unfence.handler} "${handlers.unfence.path}";`,
    '  }',
    ...on,
    ...(version === '9' ? ['  connection-mesh {', `    hosts ${nodes.join(' ')};`, '  }'] : []),
    '}',
    '',
  ].join('\n');
}
