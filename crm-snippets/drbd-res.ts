/**
 * The DRBD 9 resource file (/etc/drbd.d/<res>.res) that matches the generated cluster
 * configuration: synchronous replication (protocol C, which CHANGELOG_SAVE_MODE = 2 needs for
 * "no acknowledged operation lost on power loss") and Pacemaker's fence-peer handlers, so that a
 * Primary that loses its peer forbids the peer's promotion in the CIB before it goes on writing
 * (`fencing resource-only` + crm-fence-peer.9.sh; crm-unfence-peer.9.sh lifts it after resync).
 * Pure; checked in the tests with the real `drbdadm -c FILE dump`.
 */
import type { DrbdResFileInput, StoreInput } from './options.js';

/** Where drbd-utils installs Pacemaker's handlers. */
export const CRM_FENCE_PEER = '/usr/lib/drbd/crm-fence-peer.9.sh';
export const CRM_UNFENCE_PEER = '/usr/lib/drbd/crm-unfence-peer.9.sh';

export function drbdResFilePath(resource: string): string {
  return `/etc/drbd.d/${resource}.res`;
}

function address(ip: string, port: number): string {
  return ip.includes(':') ? `ipv6 [${ip}]:${port}` : `${ip}:${port}`;
}

/** `managedBy`: the promotable clone that runs this resource, named in the header comment. */
export function renderDrbdResFile(nodes: readonly string[], store: StoreInput, file: DrbdResFileInput, managedBy: string): string {
  const on = nodes.map((node, nodeId) => {
    const at = file.addresses.get(node)!;
    return [
      `  on ${node} {`,
      `    node-id ${nodeId};`,
      `    address ${address(at.ip, at.port)};`,
      '    volume 0 {',
      `      device ${store.device} minor ${file.minor};`,
      `      disk ${file.disk};`,
      '      meta-disk internal;',
      '    }',
      '  }',
    ].join('\n');
  });
  return [
    `# ${drbdResFilePath(store.drbdResource)}: written by mfs-crm for the MooseFS master's metadata store.`,
    `# Managed by Pacemaker (${managedBy}): never promote it by hand while the cluster runs.`,
    `resource ${store.drbdResource} {`,
    '  net {',
    '    protocol C;',
    '    fencing resource-only;',
    '  }',
    '  handlers {',
    `    fence-peer "${CRM_FENCE_PEER}";`,
    `    unfence-peer "${CRM_UNFENCE_PEER}";`,
    '  }',
    ...on,
    '  connection-mesh {',
    `    hosts ${nodes.join(' ')};`,
    '  }',
    '}',
    '',
  ].join('\n');
}
