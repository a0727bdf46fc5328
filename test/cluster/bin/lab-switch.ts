/**
 * The lab's network power switch, the one stand-in of the live cluster: it runs in the switch
 * namespace (reachable from the nodes, never from outside) and in the host PID namespace, so
 * that "off" can cut a node's power (SIGKILL of its init, or of its UML kernel's process
 * group), and "on" can boot it again; "reboot" cuts it and boots it FENCED_NODE_BOOT_DELAY_MS
 * later, as a fenced server comes back. One request line per TCP connection:
 * `status NODE` | `off NODE` | `on NODE` | `reboot NODE` | `list`.
 * For UML nodes it is also the lab's console server: it relays commands from a Unix socket in
 * the lab directory to the nodes' command servers on the bridge (console.ts).
 *
 *   lab-switch LAB_DIR
 */
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { relayCommands } from '../console.js';
import { FENCED_NODE_BOOT_DELAY_MS, LabPaths, NET, NODES, type NodeName } from '../lab.js';
import { labKind, nodeDriver } from '../node.js';

const labDir = process.argv[2];
if (!labDir) {
  process.stderr.write('usage: lab-switch LAB_DIR\n');
  process.exit(2);
}
const paths = new LabPaths(labDir);
const log = (message: string) => appendFileSync(paths.switchLog, `${new Date().toISOString()} switch: ${message}\n`);
const nodes = nodeDriver(paths, labKind(paths));
const status = (node: NodeName) => (nodes.isOn(node) ? 'on' : 'off');
if (nodes.kind === 'uml') relayCommands(paths.consoleSocket);
// Requests for one node are served one at a time.
const queues = new Map<string, Promise<unknown>>();

async function answer(words: string[]): Promise<string> {
  if (words.length === 1 && words[0] === 'list') return NODES.map((n) => `${n} ${status(n)}`).join(',');
  const [action, node] = words as [string, NodeName];
  if (words.length !== 2 || !NODES.includes(node)) return 'ERR bad request';
  if (action === 'status') return status(node);
  if (action === 'off') {
    log(`OFF ${node}`);
    await nodes.powerOff(node);
    return status(node);
  }
  if (action === 'on') {
    log(`ON ${node}`);
    await nodes.powerOn(node);
    return status(node);
  }
  if (action === 'reboot') {
    log(`OFF ${node}, on again in ${FENCED_NODE_BOOT_DELAY_MS / 1000} s`);
    await nodes.powerOff(node);
    // In the node's queue, so that it never races another request for the node; a node powered on meanwhile stays as it is.
    setTimeout(() => void serve(['on', node]), FENCED_NODE_BOOT_DELAY_MS);
    return status(node);
  }
  return 'ERR bad request';
}

/** Answers a request after the earlier ones for the same node; logs what changed something. */
function serve(words: string[], from = 'switch'): Promise<string> {
  const key = words[1] ?? '';
  const previous = queues.get(key) ?? Promise.resolve();
  const next = previous.then(() => answer(words)).catch((error: unknown) => `ERR ${error instanceof Error ? error.message : String(error)}`);
  queues.set(key, next);
  return next.then((reply) => {
    if (words[0] !== 'status' && words[0] !== 'list') log(`${from} ${words.join(' ')} -> ${reply}`);
    return reply;
  });
}

const server = createServer((socket) => {
  socket.setTimeout(30_000, () => socket.destroy());
  let buffer = '';
  socket.on('data', (chunk) => {
    buffer += chunk.toString();
    const end = buffer.indexOf('\n');
    if (end < 0) return;
    const words = buffer.slice(0, end).trim().split(/\s+/);
    void serve(words, socket.remoteAddress).then((reply) => socket.end(`${reply}\n`));
  });
  socket.on('error', () => socket.destroy());
});
server.listen(NET.switchPort, NET.switchIp, () => log(`listening on ${NET.switchIp}:${NET.switchPort}`));
// Bounded lifetime: a forgotten switch does not outlive the day.
setTimeout(() => process.exit(0), 8 * 3600_000).unref();
