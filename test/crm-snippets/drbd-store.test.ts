/** `mfs-crm drbd-store` (ocf:mfs:mfs-drbd-store + mfsmaster + IPaddr2), judged by Pacemaker's tools: see topology-suite.ts. */
import { FENCING, NODES, topologySuite } from './topology-suite.js';

topologySuite({
  topology: 'drbd-store',
  args: [
    ...NODES.flatMap((node) => ['--node', node]),
    '--ip', '2001:db8::10', '--cidr-netmask', '64',
    '--drbd-resource', 'mfsmeta', '--device', '/dev/drbd1', '--directory', '/srv/mfs', '--fstype', 'xfs',
    '--mount-options', 'noatime', '--config', '/etc/mfs/ha/mfsmaster.cfg', '--split-brain-policy', 'discard-secondary',
    ...FENCING,
  ],
  base: { primitive: 'mfs-store', clone: 'mfs-store-clone', agent: 'ocf:mfs:mfs-drbd-store' },
  changelog: /^# .*CHANGELOG_SAVE_MODE = 2 \(changelog fsynced before each reply\) with DRBD protocol C:\n# no acknowledged operation is lost on power loss. mfs-master sets durability=power, so that\n/m,
  members: ['mfs-master', 'mfs-ip'],
  contains: ['durability=power', 'drbd_resource=mfsmeta', 'device=/dev/drbd1', 'fstype=xfs', 'options=noatime', 'master_config=/etc/mfs/ha/mfsmaster.cfg', 'split_brain_policy=discard-secondary', 'config=/etc/mfs/ha/mfsmaster.cfg', 'ip=2001:db8::10'],
});
