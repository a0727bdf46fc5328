/**
 * Two emulated DRBD nodes for a test: a temporary directory with the shared state, a real
 * DRBD 9 resource file, a loop device over an image file as both nodes' backing disk, and the
 * environment that puts the emulator first on PATH. See README.md.
 *
 *   const drbd = await createTwoNodeSetup();
 *   try { await drbd.drbdadm('alpha', ['up', drbd.resource]); ... } finally { await drbd.cleanup(); }
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, type RunResult } from '../../lib/process/run.js';
import { DIST } from '../helpers/built.js';
import { freePorts } from '../helpers/ports.js';

/** Where `npm run build` puts drbdadm, drbdsetup, drbdmeta and drbd-fault. */
export const EMULATOR_BIN = join(DIST, 'test-tools', 'drbd-emulator');

export interface TwoNodeOptions {
  resource?: string;
  nodes?: [string, string];
  /** Size of the shared image file. */
  sizeMiB?: number;
  /**
   * Disks after setup: 'uptodate' (both hold the same data, as after the initial sync; the
   * default), 'inconsistent' (fresh create-md on both), 'none' (no meta-data at all).
   */
  initial?: 'uptodate' | 'inconsistent' | 'none';
  /** Bring the resource up on both nodes (`drbdadm up`). Default false. */
  up?: boolean;
  /** Extra text inside `net { }` (e.g. 'allow-two-primaries yes;'). */
  net?: string;
  /** Extra sections inside `resource { }` (e.g. handlers, disk). */
  resourceExtra?: string;
  /** Resync duration in ms (default 0: resyncs finish at once; -1: until `drbd-fault resync-done RES`). */
  resyncMs?: number;
}

export interface TwoNodeSetup {
  dir: string;
  stateDir: string;
  /** The resource file (pass it as `drbdadm -c`). */
  config: string;
  resource: string;
  nodes: [string, string];
  /** Node -> the device path it publishes (what `drbdadm sh-dev` says on that node). */
  devices: Record<string, string>;
  /** The loop device over the image: every node's backing disk. */
  loop: string;
  image: string;
  /** Environment of a command run "on" a node: PATH with the emulator first, state, node, config. */
  env(node: string): Record<string, string>;
  drbdadm(node: string, args: string[]): Promise<RunResult>;
  drbdsetup(node: string, args: string[]): Promise<RunResult>;
  fault(args: string[]): Promise<RunResult>;
  /** Downs both nodes (forcibly), removes published devices, detaches loop devices, deletes the directory. */
  cleanup(): Promise<void>;
}

export function emulatorEnv(stateDir: string, node: string, config: string): Record<string, string> {
  return {
    PATH: `${EMULATOR_BIN}:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`,
    DRBD_EMULATOR_STATE: stateDir,
    DRBD_EMULATOR_NODE: node,
    DRBD_EMULATOR_CONF: config,
  };
}

export function resourceFile(options: {
  resource: string;
  nodes: { name: string; nodeId: number; port: number; device: string; minor: number; disk: string }[];
  net?: string;
  resourceExtra?: string;
}): string {
  const hosts = options.nodes
    .map(
      (n) =>
        `  on ${n.name} {\n    node-id ${n.nodeId};\n    address 127.0.0.1:${n.port};\n` +
        `    volume 0 {\n      device ${n.device} minor ${n.minor};\n      disk ${n.disk};\n      meta-disk internal;\n    }\n  }\n`,
    )
    .join('');
  return `global {\n  usage-count no;\n}\nresource ${options.resource} {\n  net {\n    protocol C;\n${options.net ? `    ${options.net}\n` : ''}  }\n${options.resourceExtra ?? ''}${hosts}}\n`;
}

export async function createTwoNodeSetup(options: TwoNodeOptions = {}): Promise<TwoNodeSetup> {
  if (!existsSync(join(EMULATOR_BIN, 'drbdsetup'))) throw new Error(`${EMULATOR_BIN}/drbdsetup is missing: run 'npm run build' first`);
  const resource = options.resource ?? 'r0';
  const nodes = options.nodes ?? ['alpha', 'beta'];
  const dir = mkdtempSync(join(tmpdir(), 'drbd-emu-'));
  const stateDir = join(dir, 'state');
  const image = join(dir, 'disk.img');
  writeFileSync(image, '');
  await run('truncate', ['-s', `${options.sizeMiB ?? 16}M`, image]);
  const made = await run('losetup', ['-f', '--show', image]);
  if (!made.ok) throw new Error(`losetup: ${made.stderr}`);
  const loop = made.stdout.trim();
  const tag = randomBytes(4).toString('hex');
  const ports = await freePorts(2);
  const devices: Record<string, string> = {};
  nodes.forEach((node) => (devices[node] = `/dev/drbd_emu${tag}_${node}`));
  const config = join(dir, `${resource}.res`);
  writeFileSync(
    config,
    resourceFile({
      resource,
      nodes: nodes.map((name, i) => ({ name, nodeId: i, port: ports[i]!, device: devices[name]!, minor: 0, disk: loop })),
      net: options.net,
      resourceExtra: options.resourceExtra,
    }),
  );
  const env = (node: string) => emulatorEnv(stateDir, node, config);
  const tool = (name: string) => join(EMULATOR_BIN, name);
  const setup: TwoNodeSetup = {
    dir,
    stateDir,
    config,
    resource,
    nodes,
    devices,
    loop,
    image,
    env,
    drbdadm: (node, args) => run(tool('drbdadm'), ['-c', config, ...args], { env: env(node), timeoutMs: 60_000 }),
    drbdsetup: (node, args) => run(tool('drbdsetup'), args, { env: env(node), timeoutMs: 60_000 }),
    fault: (args) => run(tool('drbd-fault'), args, { env: env(nodes[0]), timeoutMs: 60_000 }),
    async cleanup() {
      // Nothing may stay behind: no published device, no loop device, no files.
      let loops: string[] = [];
      try {
        const state = JSON.parse(readFileSync(join(stateDir, 'state.json'), 'utf8')) as { loops: Record<string, { loop: string; owned: boolean }> };
        loops = Object.values(state.loops).filter((l) => l.owned).map((l) => l.loop);
      } catch {
        /* never used */
      }
      for (const node of nodes) {
        await run(tool('drbdsetup'), ['secondary', resource, '--force'], { env: env(node), timeoutMs: 20_000 });
        await run(tool('drbdsetup'), ['down', resource], { env: env(node), timeoutMs: 20_000 });
        rmSync(devices[node]!, { force: true });
      }
      for (const l of [...loops, loop]) await run('losetup', ['-d', l]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    if (options.resyncMs !== undefined) await expectOk(setup.fault(['resync-ms', String(options.resyncMs)]));
    const initial = options.initial ?? 'uptodate';
    if (initial !== 'none') for (const node of nodes) await expectOk(setup.drbdadm(node, ['create-md', '--force', resource]));
    if (initial === 'uptodate') await expectOk(setup.fault(['initial-sync', resource, ...nodes]));
    if (options.up) for (const node of nodes) await expectOk(setup.drbdadm(node, ['up', resource]));
  } catch (error) {
    await setup.cleanup();
    throw error;
  }
  return setup;
}

async function expectOk(result: Promise<RunResult>): Promise<RunResult> {
  const done = await result;
  if (!done.ok) throw new Error(`${done.command}: exit code ${done.exitCode}: ${done.stderr}`);
  return done;
}

/** The /proc/drbd of a DRBD 9.2.2 module (DRBD 9 shows only the version, build tag and transports). */
export const PROC_DRBD = 'version: 9.2.2 (api:2/proto:86-121)\nGIT-hash: 0000000000000000000000000000000000000000 build by emulator\nTransports (api:18): tcp (9.2.2)\n';

const ON_NODE_SCRIPT = `set -e
node=$1 realproc=$2 procdrbd=$3; shift 3
mount --make-rprivate /
hostname "$node"
mkdir -p "$realproc"
mount --rbind /proc "$realproc"
mount -t tmpfs -o mode=0555 emulated-proc /proc
ln -s "$realproc"/* /proc/
cp "$procdrbd" /proc/drbd
set +e
exec "$@"
`;

/**
 * A command line that runs `file args` "on" `node` the way a node of a real cluster would
 * see it: its own UTS namespace (uname -n says `node`, which also makes drbdadm pick that
 * host section) and its own mount namespace where /proc has a `drbd` entry, as with the
 * module loaded. procfs cannot be overlaid (the kernel refuses stacking on it), so /proc is a
 * tmpfs of symlinks into the real /proc (bound at `<dir>/realproc`) plus the drbd file:
 * /proc/self and the pids that existed then resolve; newer pids are missing from listings.
 */
export function onNodeCommand(setup: Pick<TwoNodeSetup, 'dir'>, node: string, file: string, args: string[]): { file: string; args: string[] } {
  const procDrbd = join(setup.dir, 'proc-drbd');
  if (!existsSync(procDrbd)) writeFileSync(procDrbd, PROC_DRBD);
  return { file: 'unshare', args: ['--mount', '--uts', '--', 'bash', '-c', ON_NODE_SCRIPT, 'on-node', node, join(setup.dir, `realproc-${node}`), procDrbd, file, ...args] };
}

/**
 * The text of an executable that runs `file` with its own arguments as onNodeCommand does, on
 * the host it runs on (`uname -n`, e.g. a node of the live-cluster lab, which already has its
 * own UTS namespace): installed in place of LINBIT's agent, it gives Pacemaker's calls of the
 * real agent a /proc/drbd. Arguments pass through as "$@"; every fixed word is single-quoted.
 * A caller that is not root (pacemaker-controld asks for meta-data as hacluster) cannot make
 * namespaces: it runs `file` directly.
 */
export function onThisNodeWrapper(setup: Pick<TwoNodeSetup, 'dir'>, file: string): string {
  const { file: unshare, args } = onNodeCommand(setup, '@node@', file, []);
  const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;
  const words = [unshare, ...args].map((word) => (word === '@node@' ? '"$(uname -n)"' : quote(word.replace('realproc-@node@', 'realproc'))));
  return `#!/bin/sh\n# ${file} with a /proc/drbd (test/drbd-emulator: onThisNodeWrapper)\n[ "$(id -u)" = 0 ] || exec ${quote(file)} "$@"\nexec ${words.join(' ')} "$@"\n`;
}
