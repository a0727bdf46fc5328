/** `mfs-crm metalogger` (ocf:mfs:mfs-metarestore + mfsmaster + IPaddr2), judged by Pacemaker's tools: see topology-suite.ts. */
import { NODES, ONE_DEVICE_FENCING, topologySuite } from './topology-suite.js';

topologySuite({
  topology: 'metalogger',
  args: [
    ...NODES.flatMap((node) => ['--node', node]),
    '--ip', '192.0.2.20', '--cidr-netmask', '24',
    '--config', '/etc/mfs/mfsmaster.cfg', '--metalogger-config', '/etc/mfs/ha/mfsmetalogger.cfg',
    ...ONE_DEVICE_FENCING,
  ],
  base: { primitive: 'mfs-metalogger', clone: 'mfs-metalogger-clone', agent: 'ocf:mfs:mfs-metarestore' },
  changelog: /^# mfsmaster.cfg: CHANGELOG_SAVE_MODE = 1 or 2, .*\n# loses nothing. mfs-master sets durability=process, so that ocf:mfs:mfsmaster refuses to start\n(# .*\n)*# CHANGELOG_SAVE_MODE says: a failover loses the operations within the metalogger lag/m,
  // The IP first: the master stops while the metaloggers still reach it through the IP (topologies.ts, metaloggerGroup).
  members: ['mfs-ip', 'mfs-master'],
  contains: ['durability=process', 'metalogger_config=/etc/mfs/ha/mfsmetalogger.cfg', 'master_config=/etc/mfs/mfsmaster.cfg', 'ip=192.0.2.20', 'pcmk_host_list=alpha beta', 'stonith:fence_apc'],
});
