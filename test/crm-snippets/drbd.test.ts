/** `mfs-crm drbd` (ocf:linbit:drbd + Filesystem + mfsmaster + IPaddr2), judged by Pacemaker's tools: see topology-suite.ts. */
import { FENCING, NODES, topologySuite } from './topology-suite.js';

topologySuite({
  topology: 'drbd',
  args: [
    ...NODES.flatMap((node) => ['--node', node]),
    '--ip', '192.0.2.10', '--cidr-netmask', '24', '--nic', 'eth0',
    '--drbd-resource', 'mfsmeta', '--device', '/dev/drbd0', '--directory', '/var/lib/mfs', '--fstype', 'ext4',
    '--mount-options', 'noatime,nodiratime', '--config', '/etc/mfs/mfsmaster.cfg',
    ...FENCING,
  ],
  base: { primitive: 'mfs-drbd', clone: 'mfs-drbd-clone', agent: 'ocf:linbit:drbd' },
  changelog: /^# .*CHANGELOG_SAVE_MODE = 2 \(changelog fsynced before each reply\) with DRBD protocol C:\n# no acknowledged operation is lost on power loss. mfs-master sets durability=power, so that\n/m,
  members: ['mfs-fs', 'mfs-master', 'mfs-ip'],
  contains: ['durability=power', 'drbd_resource=mfsmeta', 'options=noatime,nodiratime', 'password=not a secret', 'nic=eth0'],
});
