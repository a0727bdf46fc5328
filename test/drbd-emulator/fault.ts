/**
 * Fault hooks: what tests do to the emulated cluster that no DRBD command does.
 *
 *   drbd-fault crash NODE                            NODE lost power: its kernel forgets every resource
 *   drbd-fault [-c FILE] cut RES [NODE_A NODE_B]     cut the replication link (all pairs of RES)
 *   drbd-fault [-c FILE] heal RES [NODE_A NODE_B]    restore it (the nodes reconnect: resync or split brain)
 *   drbd-fault [-c FILE] outdate RES NODE            outdate NODE's disk, as a fence-peer handler does
 *   drbd-fault [-c FILE] fail-disk RES NODE [VOL]    the backing disk fails: NODE detaches, Diskless
 *   drbd-fault [-c FILE] hold-open RES NODE [WHO]    pretend NODE's device is held open by WHO
 *   drbd-fault [-c FILE] release RES NODE            undo hold-open
 *   drbd-fault [-c FILE] initial-sync RES NODE...    these nodes' disks hold the same UpToDate data
 *   drbd-fault crash NODE                            NODE lost its power: its kernel forgets every resource (no
 *                                                    demote, no detach: the on-disk meta-data stays as it was); peers lose it
 *   drbd-fault resync-ms MS                          later resyncs take MS milliseconds (0: instant, -1: until resync-done)
 *   drbd-fault resync-done RES                       running resyncs of RES end now
 *   drbd-fault handlers on|off                       run fence-peer/unfence-peer handlers (default off)
 *   drbd-fault state | log                           print the shared state / the emulated kernel log
 *
 * The config file (for disks of nodes that are down) is -c FILE or DRBD_EMULATOR_CONF.
 */
import { existsSync, readFileSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { hostVolumes } from './config.js';
import { releaseLoop } from './devices.js';
import { detachDevice, reconcile } from './drbdsetup.js';
import { finishResync, kernelResource, link, settle } from './model.js';
import { kernelLog, nodeState, stateDir, withState, type EmulatorState } from './state.js';

function pairs(state: EmulatorState, resource: string, named: string[]): [string, string][] {
  if (named.length >= 2) return [[named[0]!, named[1]!]];
  const found: [string, string][] = [];
  for (const key of Object.keys(state.links)) {
    const [res, a, b] = key.split('|') as [string, string, string];
    if (res === resource) found.push([a, b]);
  }
  // Links not made yet: every two nodes that know the resource.
  const nodes = Object.keys(state.nodes).filter((node) => state.nodes[node]!.kernel[resource]);
  for (const a of nodes) for (const b of nodes) if (a < b && !found.some(([x, y]) => [x, y].sort().join() === [a, b].join())) found.push([a, b]);
  return found;
}

/** The backing disks of NODE for RES: from its running devices, else from the config file. */
function disksOf(state: EmulatorState, conf: string | undefined, resource: string, node: string): string[] {
  const kernel = kernelResource(state, node, resource);
  const running = Object.values(kernel?.devices ?? {}).flatMap((device) => (device.backingDev ? [device.backingDev] : []));
  if (running.length) return running;
  const configured = hostVolumes(conf, resource, node) ?? [];
  return configured.filter((volume) => volume.disk !== 'none').map((volume) => volume.disk);
}

export function fault(argv: string[], env: NodeJS.ProcessEnv = process.env): number {
  const out = (text: string) => void writeSync(1, text);
  let args = argv;
  let conf = env.DRBD_EMULATOR_CONF;
  if (args[0] === '-c' && args[1]) {
    conf = resolve(args[1]);
    args = args.slice(2);
  }
  const [command, resource, ...rest] = args;
  const dir = stateDir(env);
  const log = (node: string, message: string) => kernelLog(dir, node, message);
  if (command === 'log') {
    const path = join(dir, 'kernel.log');
    out(existsSync(path) ? readFileSync(path, 'utf8') : '');
    return 0;
  }
  return withState(dir, (state) => {
    const touched = new Set<string>();
    switch (command) {
      case 'state':
        out(`${JSON.stringify(state, null, 2)}\n`);
        return 0;
      case 'resync-ms':
        state.settings.resyncMs = Number(resource ?? '0');
        return 0;
      case 'crash': {
        // Power loss: the node's kernel state is gone (its devices went with its /dev), the
        // meta-data on its disk stays; peers lose the connection as a real peer would.
        const node = resource;
        if (!node) throw new Error('usage: drbd-fault crash NODE');
        const kernels = state.nodes[node]?.kernel ?? {};
        for (const [res, kernel] of Object.entries(kernels)) {
          for (const device of Object.values(kernel.devices)) if (device.attached && device.backingDev) releaseLoop(state, node, device.backingDev);
          delete kernels[res];
          delete state.heldOpen[`${res}|${node}`];
          log(node, `${res}: node crashed (fault hook): the kernel forgot the resource`);
        }
        state.pending = (state.pending ?? []).filter((p) => p.node !== node);
        settle(state, Date.now(), log);
        return 0;
      }
      case 'handlers':
        state.settings.handlers = resource === 'on';
        return 0;
      case 'resync-done': {
        if (!resource) throw new Error('usage: drbd-fault resync-done RES');
        for (const [key, l] of Object.entries(state.links)) {
          if (!key.startsWith(`${resource}|`) || !l.resync) continue;
          touched.add(l.resync.source).add(l.resync.target);
          finishResync(state, resource, l, log);
        }
        break;
      }
      case 'cut':
      case 'heal': {
        if (!resource) throw new Error(`usage: drbd-fault ${command} RES [NODE_A NODE_B]`);
        for (const [a, b] of pairs(state, resource, rest)) {
          link(state, resource, a, b).cut = command === 'cut';
          log(a, `${resource}: link to ${b} ${command === 'cut' ? 'cut (fault hook)' : 'restored (fault hook)'}`);
          touched.add(a).add(b);
        }
        break;
      }
      case 'outdate': {
        const node = rest[0];
        if (!resource || !node) throw new Error('usage: drbd-fault outdate RES NODE');
        if (kernelResource(state, node, resource)?.role === 'Primary') throw new Error(`${node} is Primary in ${resource}: a Primary cannot be outdated`);
        const disks = disksOf(state, conf, resource, node);
        if (!disks.length) throw new Error(`no disk of ${node} in ${resource} is known (is the resource file given by -c or DRBD_EMULATOR_CONF?)`);
        for (const disk of disks) {
          const meta = nodeState(state, node).meta[disk];
          if (meta && meta.disk !== 'Inconsistent') meta.disk = 'Outdated';
        }
        log(node, `${resource}: outdated by its peer (fence-peer)`);
        touched.add(node);
        break;
      }
      case 'fail-disk': {
        const node = rest[0];
        if (!resource || !node) throw new Error('usage: drbd-fault fail-disk RES NODE [VOLUME]');
        const kernel = kernelResource(state, node, resource);
        for (const device of Object.values(kernel?.devices ?? {})) {
          if (rest[1] !== undefined && String(device.volume) !== rest[1]) continue;
          if (!device.attached) continue;
          detachDevice(state, node, resource, device);
          device.failed = true;
          log(node, `${resource}/${device.volume}: disk failed (fault hook): on-io-error detach, Diskless`);
        }
        touched.add(node);
        break;
      }
      case 'hold-open':
      case 'release': {
        const node = rest[0];
        if (!resource || !node) throw new Error(`usage: drbd-fault ${command} RES NODE`);
        if (command === 'hold-open') state.heldOpen[`${resource}|${node}`] = `${rest[1] ?? 'test-hook'} (pid 0) at 1970-01-01 00:00:00.000`;
        else delete state.heldOpen[`${resource}|${node}`];
        break;
      }
      case 'initial-sync': {
        if (!resource || rest.length === 0) throw new Error('usage: drbd-fault initial-sync RES NODE...');
        const gen = state.seq++;
        for (const node of rest) {
          const disks = disksOf(state, conf, resource, node);
          if (!disks.length) throw new Error(`no disk of ${node} in ${resource} is known (is the resource file given by -c or DRBD_EMULATOR_CONF?)`);
          for (const disk of disks) nodeState(state, node).meta[disk] = { disk: 'UpToDate', gen, history: [] };
          log(node, `${resource}: initial sync done (fault hook), UpToDate`);
        }
        break;
      }
      default:
        throw new Error(`unknown fault hook '${command ?? ''}' (cut, heal, crash, outdate, fail-disk, hold-open, release, initial-sync, resync-ms, resync-done, state, log)`);
    }
    settle(state, Date.now(), log);
    for (const node of touched) reconcile(state, node);
    return 0;
  });
}
