/**
 * The lab: a two-node Corosync + Pacemaker cluster on one machine, each node in its own
 * network, mount, PID, UTS and IPC namespaces, on a bridge in a switch namespace, with a client
 * namespace and a storage namespace for chunkservers. Facts from ../shared/LAB.md ("A live
 * cluster on one machine") and ../shared/lab-cluster. Addresses exist only inside these
 * namespaces.
 */
import { join } from 'node:path';
import { DIST } from '../helpers/built.js';

export const NODES = ['node1', 'node2'] as const;
export type NodeName = (typeof NODES)[number];
/** The other node of the two. */
export const otherNode = (node: NodeName): NodeName => NODES.find((n) => n !== node)!;

/**
 * What a lab node is: `namespace`, namespaces on this machine's kernel (fast; DRBD is the
 * emulator), or `uml`, a User-Mode Linux kernel of its own (real DRBD 8.4, a page cache that
 * dies with the node; test/cluster/uml.ts).
 */
export const NODE_KINDS = ['namespace', 'uml'] as const;
export type NodeKind = (typeof NODE_KINDS)[number];

/**
 * Network namespace names are global to the machine: a second lab beside the first (a demo
 * while the suite runs) sets MFS_OCF_LAB_NS to another prefix. Addresses live inside each
 * lab's own namespaces and need no change.
 */
const NS = process.env.MFS_OCF_LAB_NS || 'mfslab';

export const NET = {
  prefix: '10.78.0',
  switchNs: `${NS}-sw`,
  clientNs: `${NS}-client`,
  storageNs: `${NS}-store`,
  switchIp: '10.78.0.254',
  clientIp: '10.78.0.10',
  storageIp: '10.78.0.20',
  vip: '10.78.0.100',
  switchPort: 7777,
};

export const nodeIp = (node: NodeName) => `${NET.prefix}.${node.slice(4)}`;
/**
 * UML nodes replicate DRBD over a link of their own (eth1 on a second bridge), as DRBD's
 * documentation advises: the replication can then be cut while the cluster still talks.
 */
export const REPLICATION = { prefix: '10.79.0', bridge: 'br1' };
export const replicationIp = (node: NodeName) => `${REPLICATION.prefix}.${node.slice(4)}`;
export const nodeMac = (node: NodeName) => `02:78:00:00:00:0${node.slice(4)}`;

/**
 * How long a node fenced with "reboot" stays off before the switch boots it again. A real server
 * takes minutes; the lab's nodes boot in seconds, and a fenced node back that soon was probed and
 * started while the survivor was taking over, inflating the power-loss and partition figures
 * (issue 15). 20 s outlasts a namespace failover (served again 11-14 s after the fault, the
 * fencing about 8 s after it) without lengthening much each scenario's wait for both nodes.
 */
export const FENCED_NODE_BOOT_DELAY_MS = 20_000;

export const TOOLS = join(DIST, 'test-tools', 'cluster');
export const NODE_INIT = join(TOOLS, 'node-init');
export const LAB_SWITCH = join(TOOLS, 'lab-switch');
export const FENCE_AGENT = join(TOOLS, 'fence_mfslab');

/** Where a lab keeps its files. Fixed per lab directory; every path inside nodes derives from it. */
export class LabPaths {
  constructor(readonly dir: string) {}
  get state() {
    return join(this.dir, 'state');
  }
  node(node: NodeName) {
    return join(this.dir, node);
  }
  /** Files overlaid on /usr inside the nodes (fence agent, modprobe stub, DRBD emulator, agents). */
  get usrOverlay() {
    return join(this.dir, 'usr-overlay');
  }
  /** Lower layer from the .deb (dpkg-deb -x), when one was built. */
  get debRoot() {
    return join(this.dir, 'deb-root');
  }
  /** Which kind of node the lab runs (read by the switch, which powers them). */
  get kindFile() {
    return join(this.state, 'kind');
  }
  /** Where the switch relays commands to UML nodes (console.ts). */
  get consoleSocket() {
    return join(this.state, 'console.sock');
  }
  initPidFile(node: NodeName) {
    return join(this.state, `${node}.pid`);
  }
  get hosts() {
    return join(this.state, 'hosts');
  }
  get switchLog() {
    return join(this.state, 'switch.log');
  }
}
