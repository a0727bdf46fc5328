/**
 * Bringing the lab cluster up and down: directories, corosync.conf, a seed CIB, the network
 * (switch with a bridge, client and storage namespaces), the power switch, both nodes. Every
 * process is tracked by PID and ended in down(), which also runs after a failure or Ctrl-C.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Deadline } from '../../lib/runtime/deadline.js';
import { findProcesses, selfAndAncestors, signalProcess, terminate, waitForExit } from '../../lib/process/proc.js';
import { run, startBackground, type RunOptions, type RunResult } from '../../lib/process/run.js';
import { lookupGroup, lookupUser } from '../../lib/system/accounts.js';
import { BINARY } from '../helpers/built.js';
import { must } from '../helpers/run.js';
import { QUIET_LOG } from '../helpers/moosefs.js';
import { FENCE_AGENT, LAB_SWITCH, LabPaths, NET, NODES, nodeIp, type NodeKind, type NodeName } from './lab.js';
import { nodeDriver, type NodeDriver } from './node.js';
import { addTaps, prepareUmlNode, umlForget } from './uml.js';

export interface ClusterOptions {
  dir: string;
  /** corosync totem token in ms (default: corosync's 3000). */
  token?: number;
  /** A .deb of our agents to install in the nodes (dpkg-deb -x), else the built executables. */
  deb?: string;
  /** Namespaces on this kernel (default) or UML kernels of their own. */
  kind?: NodeKind;
  log?: (line: string) => void;
}


export function corosyncConf(token?: number): string {
  const nodes = NODES.map((node) => `    node {\n        name: ${node}\n        nodeid: ${node.slice(4)}\n        ring0_addr: ${nodeIp(node)}\n    }\n`).join('');
  return `totem {
    version: 2
    cluster_name: mfslab
    transport: knet
    crypto_cipher: aes256
    crypto_hash: sha256
${token ? `    token: ${token}\n` : ''}}
nodelist {
${nodes}}
quorum {
    provider: corosync_votequorum
    two_node: 1
}
logging {
    to_logfile: yes
    logfile: /var/log/corosync/corosync.log
    to_stderr: no
    to_syslog: no
    timestamp: hires
}
`;
}

export class Cluster {
  readonly paths: LabPaths;
  readonly nodes: NodeDriver;
  /** Set once up() found no other lab on these names: down() then knows the lab is ours to end. */
  claimed = false;
  private switchPid: number | undefined;
  private readonly log: (line: string) => void;

  constructor(readonly options: ClusterOptions) {
    this.paths = new LabPaths(options.dir);
    this.nodes = nodeDriver(this.paths, options.kind ?? 'namespace');
    this.log = options.log ?? (() => {});
  }

  get kind(): NodeKind {
    return this.nodes.kind;
  }

  /** Unmounts what a crashed lab left mounted under its directory (a UML node's root), deepest first. */
  private async unmountLeftovers(): Promise<void> {
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((line) => line.split(' ')[4] ?? '')
      .filter((point) => point.startsWith(`${this.paths.dir}/`))
      .sort((a, b) => b.length - a.length);
    for (const point of mounts) await run('umount', ['-l', point], { timeoutMs: 20_000 });
  }

  /** Files every node needs, its private directories, and the lab's additions to /usr. */
  private async prepareFiles(): Promise<void> {
    const { paths } = this;
    // A lab starts from nothing (up() has checked that no lab runs).
    await this.unmountLeftovers();
    rmSync(paths.dir, { recursive: true, force: true });
    mkdirSync(paths.state, { recursive: true });
    writeFileSync(paths.kindFile, this.kind);
    const hacluster = await lookupUser('hacluster');
    const haclient = await lookupGroup('haclient');
    if (!hacluster || !haclient) throw new Error('hacluster/haclient missing: is pacemaker installed?');
    const authkey = join(paths.state, 'authkey');
    await must(run('corosync-keygen', ['-k', authkey], { timeoutMs: 30_000 }));
    // Seed CIB: dc-deadtime 5 s, or the first election waits the default 20 s (LAB.md).
    const seed = join(paths.state, 'seed-cib.xml');
    writeFileSync(seed, (await must(run('cibadmin', ['--empty']))).stdout);
    await must(run('crm_attribute', ['--type', 'crm_config', '--name', 'dc-deadtime', '--update', '5s'], { env: { CIB_file: seed } }));
    const hosts = readFileSync('/etc/hosts', 'utf8');
    writeFileSync(paths.hosts, `${hosts}\n${NODES.map((n) => `${nodeIp(n)} ${n}`).join('\n')}\n${NET.clientIp} client\n${NET.switchIp} switch\n`);
    for (const node of NODES) {
      const dir = paths.node(node);
      rmSync(dir, { recursive: true, force: true });
      for (const sub of ['etc-corosync', 'var-lib-corosync', 'log-corosync', 'log-pacemaker/bundles', 'var-lib-pacemaker/cib', 'var-lib-pacemaker/pengine', 'var-lib-pacemaker/blackbox', 'var-lib-pacemaker/cores', 'etc-mfs', 'var-lib-mfs']) {
        mkdirSync(join(dir, sub), { recursive: true });
      }
      for (const sub of ['var-lib-pacemaker', 'var-lib-pacemaker/cib', 'var-lib-pacemaker/pengine', 'var-lib-pacemaker/blackbox', 'var-lib-pacemaker/cores', 'log-pacemaker', 'log-pacemaker/bundles']) {
        chownSync(join(dir, sub), hacluster.id, haclient.id);
      }
      chmodSync(join(dir, 'log-pacemaker'), 0o770);
      writeFileSync(join(dir, 'etc-corosync', 'authkey'), readFileSync(authkey), { mode: 0o400 });
      writeFileSync(join(dir, 'etc-corosync', 'corosync.conf'), corosyncConf(this.options.token));
      writeFileSync(join(dir, 'var-lib-pacemaker', 'cib', 'cib.xml'), readFileSync(seed), { mode: 0o600 });
      chownSync(join(dir, 'var-lib-pacemaker', 'cib', 'cib.xml'), hacluster.id, haclient.id);
    }
    // /usr additions inside the nodes.
    const sbin = join(paths.usrOverlay, 'sbin');
    mkdirSync(sbin, { recursive: true });
    symlinkSync(FENCE_AGENT, join(sbin, 'fence_mfslab'));
    // ocf:heartbeat:Filesystem insists on a modprobe binary; namespace nodes cannot load modules
    // anyway (a UML node has its kernel's own modules, and the real modprobe).
    if (this.kind === 'namespace') writeFileSync(join(sbin, 'modprobe'), '#!/bin/sh\necho "lab: no kernel modules here" >&2\nexit 1\n', { mode: 0o755 });
    if (this.options.deb) {
      await must(run('dpkg-deb', ['-x', this.options.deb, paths.debRoot], { timeoutMs: 120_000 }));
      this.log(`agents from ${this.options.deb}`);
    } else {
      const provider = join(paths.usrOverlay, 'lib', 'ocf', 'resource.d', 'mfs');
      mkdirSync(provider, { recursive: true });
      const programs = JSON.parse((await must(run(BINARY, ['--programs']))).stdout) as Array<{ name: string; kind: string }>;
      for (const { name, kind } of programs) {
        if (kind === 'agent') symlinkSync(BINARY, join(provider, name));
        else symlinkSync(BINARY, join(sbin, name));
      }
      this.log(`agents from the build (${BINARY})`);
    }
  }

  private async network(): Promise<void> {
    const sw = NET.switchNs;
    await must(run('ip', ['netns', 'add', sw]));
    await must(run('ip', ['-n', sw, 'link', 'set', 'lo', 'up']));
    // A fixed MAC: a bridge otherwise takes its lowest port's, which changes when a node dies and stalls ARP.
    await must(run('ip', ['-n', sw, 'link', 'add', 'br0', 'address', '02:78:00:00:00:fe', 'type', 'bridge']));
    await must(run('ip', ['-n', sw, 'addr', 'add', `${NET.switchIp}/24`, 'dev', 'br0']));
    await must(run('ip', ['-n', sw, 'link', 'set', 'br0', 'up']));
    const host = async (ns: string, name: string, ip: string, mac: string) => {
      await must(run('ip', ['netns', 'add', ns]));
      await must(run('ip', ['-n', sw, 'link', 'add', `v-${name}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]));
      await must(run('ip', ['-n', sw, 'link', 'set', `v-${name}`, 'master', 'br0', 'up']));
      await must(run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']));
      await must(run('ip', ['-n', ns, 'link', 'set', 'eth0', 'address', mac]));
      await must(run('ip', ['-n', ns, 'addr', 'add', `${ip}/24`, 'dev', 'eth0']));
      await must(run('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']));
    };
    await host(NET.clientNs, 'client', NET.clientIp, '02:78:00:00:00:0a');
    await host(NET.storageNs, 'store', NET.storageIp, '02:78:00:00:00:14');
    if (this.kind === 'uml') for (const node of NODES) await addTaps(node);
  }

  /** Powers everything on; `prepare` runs after the lab's files exist and before the nodes boot. */
  async up(prepare?: () => Promise<void>): Promise<void> {
    const started = Date.now();
    for (const ns of [NET.switchNs, NET.clientNs, NET.storageNs]) {
      if (existsSync(`/run/netns/${ns}`)) throw new Error(`network namespace ${ns} exists: another lab runs (or a crashed one: run its down)`);
    }
    this.claimed = true;
    await this.prepareFiles();
    await prepare?.();
    if (this.kind === 'uml') for (const node of NODES) await prepareUmlNode(this.paths, node);
    await this.network();
    const sw = await startBackground('ip', ['netns', 'exec', NET.switchNs, LAB_SWITCH, this.paths.dir], { quiet: true });
    this.switchPid = sw.pid;
    writeFileSync(join(this.paths.state, 'switch.pid'), String(sw.pid));
    for (const node of NODES) await this.nodes.powerOn(node);
    this.log(`${this.kind} nodes powered on in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await this.waitForNodes(NODES, this.kind === 'uml' ? 240_000 : 90_000);
    this.log(`cluster formed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }

  /** Waits until `node` (or the first running node) sees these nodes online with a DC. */
  async waitForNodes(online: readonly NodeName[], timeoutMs: number): Promise<void> {
    const ok = await new Deadline(timeoutMs).poll(
      async () => {
        const observer = online.find((n) => this.nodes.isOn(n));
        if (!observer) return undefined;
        // A booting UML node answers no command yet: asked again at the next poll.
        const mon = await this.nodes.exec(observer, 'crm_mon', ['-1', '--output-as=xml'], { timeoutMs: 10_000 }).catch(() => undefined);
        if (!mon) return undefined;
        const seen = online.every((n) => new RegExp(`<node name="${n}"[^>]* online="true"`).test(mon.stdout));
        return seen && /current_dc present="true"/.test(mon.stdout) ? true : undefined;
      },
      { intervalMs: 250 },
    );
    if (!ok) throw new Error(`nodes ${online.join(', ')} not online with a DC within ${timeoutMs / 1000} s`);
  }

  exec(node: NodeName, file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    return this.nodes.exec(node, file, args, options);
  }

  powerOff(node: NodeName): Promise<void> {
    return this.nodes.powerOff(node);
  }

  powerOn(node: NodeName): Promise<void> {
    return this.nodes.powerOn(node);
  }

  /** Cuts a node's network link (the partition scenario) or plugs it back in. */
  setLink(node: NodeName, up: boolean): Promise<void> {
    return this.nodes.setLink(node, up);
  }

  /** A command in the client or storage namespace (network only: mounts stay visible to the host). */
  inNamespace(ns: string, file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    return run('nsenter', [`--net=/run/netns/${ns}`, '--', file, ...args], { timeoutMs: 60_000, ...options });
  }

  async down(): Promise<void> {
    // The switch first (a boot it still owes a fenced node must not come after the nodes are
    // cut), then the nodes (SIGKILL: the lab is thrown away), then the namespaces.
    const pidFile = join(this.paths.state, 'switch.pid');
    const switchPid = this.switchPid ?? (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : 0);
    if (switchPid) {
      // `ip netns exec` execs the switch: the PID is the switch's.
      signalProcess(switchPid, 'SIGTERM');
      if (!(await waitForExit([switchPid], new Deadline(3000)))) signalProcess(switchPid, 'SIGKILL');
    }
    for (const node of NODES) await this.nodes.powerOff(node).catch(() => undefined);
    if (this.kind === 'uml') for (const node of NODES) await umlForget(this.paths, node).catch(() => undefined);
    // Whatever still has an argument in the lab directory (chunkservers, clients, a node's init).
    const inLab = (arg: string) => arg === this.paths.dir || arg.startsWith(`${this.paths.dir}/`);
    // Never this process's own ancestors: `timeout 60 ... down.ts LAB_DIR` names the lab too
    // (down.ts killed the shell that ran it, and seemed to hang).
    const ours = selfAndAncestors();
    const leftovers = findProcesses((p) => !ours.has(p.pid) && p.argv.some(inLab)).map((p) => p.pid);
    await terminate(leftovers, { deadline: new Deadline(5000), log: QUIET_LOG(), what: 'lab processes', afterKill: 'lab teardown' });
    for (const ns of [NET.switchNs, NET.clientNs, NET.storageNs]) await run('ip', ['netns', 'del', ns]);
  }

  async shutdownNode(node: NodeName): Promise<void> {
    await this.nodes.shutdown(node);
  }
}
