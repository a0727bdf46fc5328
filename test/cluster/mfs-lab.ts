/**
 * MooseFS on the lab cluster: per-node configuration, the metadata store of the topology
 * (drbd-store: our promotable agent over the DRBD emulator, whose replicated device is one
 * loop device both node namespaces see; drbd: the same device under LINBIT's ocf:linbit:drbd
 * and ocf:heartbeat:Filesystem; metalogger: local directories), the cluster configuration from `mfs-crm` loaded with
 * crmsh inside a node, two chunkservers in the storage namespace, and a FUSE client in the
 * client namespace.
 *
 * Every MooseFS program of the lab is of one version (options.moosefs, default Debian's
 * 3.0.117). Another version is installed in the nodes as MooseFS's own packages install it: its
 * programs are bind-mounted over /usr/sbin/mfsmaster etc. inside each node's mount namespace,
 * so the configuration mfs-crm generates names no binary; the chunkservers and the client run
 * the version's programs from where it is installed. up() checks with `-v` what each runs.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Deadline } from '../../lib/runtime/deadline.js';
import type { SplitBrainPolicy } from '../../lib/drbd/decisions.js';
import { lockOwner, NEW_FILESYSTEM_HEADER } from '../../lib/moosefs/data-path.js';
import { DURABILITY_LEVELS, MINIMUM_SAVE_MODE } from '../../lib/moosefs/durability.js';
import { terminate } from '../../lib/process/proc.js';
import { run } from '../../lib/process/run.js';
import { DIST } from '../helpers/built.js';
import { QUIET_LOG, unmountClient } from '../helpers/moosefs.js';
import { DEBIAN_MOOSEFS, assertInstalled, mfsClientProgram, mfsProgram, type MooseFsInstall } from '../helpers/moosefs-versions.js';
import { must } from '../helpers/run.js';
import { mfsCrmStatus, type ClusterStatus } from '../helpers/status.js';
import { onThisNodeWrapper } from '../drbd-emulator/index.js';
import { Cluster } from './cluster.js';
import { NET, NODES, nodeIp, replicationIp, type NodeKind, type NodeName } from './lab.js';
import { setReplicationLink } from './uml.js';

export type Topology = 'drbd-store' | 'metalogger' | 'drbd';
export const TOPOLOGIES: readonly Topology[] = ['drbd-store', 'metalogger', 'drbd'];

/** Whether a topology keeps the master's metadata on the replicated DRBD device. */
export const topologyHasDrbd = (topology: Topology): boolean => topology !== 'metalogger';

export const MASTER_RESOURCE = 'mfs-master';
export const DRBD_RESOURCE = 'r0';
// Not /var/lib/mfs: the nodes have a per-node directory bound there (for metaloggers).
const STORE_MOUNT = '/srv/mfs';
/** A UML node's own disk (ubd0 on its kernel's command line): DRBD's backing device. */
const UML_DRBD_DISK = '/dev/ubda';
const EMULATOR = join(DIST, 'test-tools', 'drbd-emulator');

/** What each topology needs of CHANGELOG_SAVE_MODE for its promise (mfs-crm says the same). */
export const SAVE_MODE: Record<Topology, 1 | 2> = { 'drbd-store': 2, metalogger: 1, drbd: 2 };

/** The promotable resource of each topology, as mfs-crm names it. */
export const PROMOTABLE_RESOURCE: Record<Topology, string> = { 'drbd-store': 'mfs-store', metalogger: 'mfs-metalogger', drbd: 'mfs-drbd' };

/** LINBIT's agent from drbd-utils (ocf:linbit:drbd): in the drbd topology, Pacemaker runs it unmodified. */
const LINBIT_AGENT_DIR = '/usr/lib/ocf/resource.d/linbit';

/** Where each node keeps its metadata in the metalogger topology (a per-node directory at /var/lib/mfs). */
const LOCAL_MASTER_DATA = '/var/lib/mfs/master';
const LOCAL_METALOGGER_DATA = '/var/lib/mfs/metalogger';

export interface MfsLabOptions {
  dir: string;
  topology: Topology;
  token?: number;
  deb?: string;
  /** The MooseFS every daemon and client of the lab runs (default Debian's 3.0.117). */
  moosefs?: MooseFsInstall;
  /** Namespace nodes (default; DRBD is the emulator) or UML kernels (real DRBD 8.4). */
  kind?: NodeKind;
  /**
   * CHANGELOG_SAVE_MODE of the masters, when lower than the topology needs (SAVE_MODE): a
   * measurement of what that loses. The lab then lowers the master's `durability` as an admin
   * would, knowingly, after mfs-crm generated the configuration for the topology's own mode.
   */
  changelogSaveMode?: 1 | 2;
  /**
   * The split-brain policy, through mfs-crm (LAB_SPLIT_BRAIN_POLICY when not given): the
   * store's split_brain_policy on drbd-store, DRBD's after-sb-1pri on the drbd topology. After a
   * partition the fenced old Primary has started a new data generation and returns into a split
   * brain (the emulator always; real 8.4 in the UML run that looked): under manual it would wait
   * for the admin, and no later scenario could switch over to it.
   */
  splitBrainPolicy?: SplitBrainPolicy;
  log?: (line: string) => void;
}

/** The daemons' programs (sbin) and the client's (bin) that a MooseFS installation puts at the standard paths. */
const DAEMON_PROGRAMS = ['mfsmaster', 'mfsmetalogger', 'mfsmetarestore', 'mfschunkserver'] as const;
const CLIENT_PROGRAMS = ['mfsmount', 'mfscli'] as const;
/** What mfscli prints instead of a master's information (3.0.117 and 4.59.2). */
const MFSCLI_NO_MASTER = /master server[s]? not found|Can't find (working )?masters|Can't connect to the MooseFS Master/i;

/** `mfscli` asked for the master's general information (`-SIG`): what serving() runs. */
export const mfscliInfoArgs = (host: string, port: number): string[] => ['-H', host, '-P', String(port), '-SIG'];

/** Whether `mfscli -SIG` reached a master: 3.0's exits 0 when none answers, 4.x's exits 1. */
export const mfscliFoundMaster = (cli: { ok: boolean; stdout: string }): boolean => cli.ok && !MFSCLI_NO_MASTER.test(cli.stdout);

/**
 * Bind mounts that install a version inside a node at the paths of Debian's packages (and of
 * MooseFS's own), which the agents' parameters default to: none for Debian's own version.
 */
export function standardPathBinds(mfs: MooseFsInstall): Array<[string, string]> {
  if (mfs.sbin === '/usr/sbin' && mfs.bin === '/usr/bin') return [];
  return [
    ...DAEMON_PROGRAMS.map((name): [string, string] => [mfsProgram(mfs, name), `/usr/sbin/${name}`]),
    ...CLIENT_PROGRAMS.map((name): [string, string] => [mfsClientProgram(mfs, name), `/usr/bin/${name}`]),
  ];
}

/** How much slower every operation is in a UML node than on a real one, and so how much less often it runs. */
const UML_SLOWDOWN = 3;

/**
 * The configuration with every operation timeout and monitor interval multiplied
 * (UML_SLOWDOWN). In a UML node each process start costs seconds of its one CPU (`node -e 0`
 * 1.3 to 4 s, an agent's monitor 4 to 14 s, `mfs-crm status` 10 to 30 s; on the host 0.2 to
 * 0.6 s, about 1 s and 0.8 s): with mfs-crm's 10 s monitors, the Primary's three monitors alone kept its
 * CPU busy (load 3.5 to 4.3), and every action queued behind them. With the intervals tripled
 * the load fell to 1.3 and `mfs-crm status` to 10 s. A lab accommodation, not advice: a real
 * node keeps mfs-crm's timeouts and intervals.
 */
export function slowKernelOperations(crm: string): string {
  return crm.replace(/\b(timeout|interval)=(\d+)s\b/g, (_, what: string, seconds: string) => `${what}=${Number(seconds) * UML_SLOWDOWN}s`);
}

/** The DRBD labs' split-brain policy (see MfsLabOptions.splitBrainPolicy). */
export const LAB_SPLIT_BRAIN_POLICY: SplitBrainPolicy = 'discard-secondary';

export class MfsLab {
  readonly cluster: Cluster;
  readonly mountpoint: string;
  private loop: string | undefined;
  /** Bind mounts (source on the host, target in the node) each node makes once /usr is in place: binds.json. */
  private readonly nodeBinds: Array<[string, string]> = [];
  /** Processes of the client that only end once mfsmount is gone (see stopStreams). */
  readonly stragglers: number[] = [];
  private readonly log: (line: string) => void;

  constructor(readonly options: MfsLabOptions) {
    this.cluster = new Cluster({ dir: options.dir, token: options.token, deb: options.deb, kind: options.kind, log: options.log });
    this.mountpoint = join(options.dir, 'client-mnt');
    this.log = options.log ?? (() => {});
  }

  get paths() {
    return this.cluster.paths;
  }

  /** The MooseFS version of every daemon and client of this lab. */
  get moosefs(): MooseFsInstall {
    return this.options.moosefs ?? DEBIAN_MOOSEFS;
  }

  /** The master's DATA_PATH inside a node: on the replicated store, or local. */
  get dataPath(): string {
    return this.options.topology === 'metalogger' ? LOCAL_MASTER_DATA : `${STORE_MOUNT}/meta`;
  }

  /** The masters' CHANGELOG_SAVE_MODE in this lab. */
  get saveMode(): 1 | 2 {
    return this.options.changelogSaveMode ?? SAVE_MODE[this.options.topology];
  }

  get promotableResource(): string {
    return PROMOTABLE_RESOURCE[this.options.topology];
  }

  /** Whether the promotable agent publishes why a node is not promoted (ocf:linbit:drbd does not: only its score). */
  get publishesReasons(): boolean {
    return this.options.topology !== 'drbd';
  }

  get hasDrbd(): boolean {
    return topologyHasDrbd(this.options.topology);
  }

  /** DRBD is the emulator (namespace nodes share one kernel, which has no DRBD); UML nodes run the real 8.4. */
  get drbdEmulated(): boolean {
    return this.hasDrbd && this.cluster.kind === 'namespace';
  }

  async up(): Promise<void> {
    assertInstalled(this.moosefs);
    await this.cluster.up(() => this.prepare());
    await this.checkVersions();
    // As an admin would: mfs-crm on a node, where the agents and the fence agent are installed.
    const generated = await must(this.cluster.exec('node1', 'mfs-crm', this.mfsCrmArgs()));
    let crmConfiguration = this.saveMode < SAVE_MODE[this.options.topology] ? this.lowerDurability(generated.stdout) : generated.stdout;
    if (this.cluster.kind === 'uml') crmConfiguration = slowKernelOperations(crmConfiguration);
    writeFileSync(join(this.paths.state, 'cluster.crm'), crmConfiguration);
    if (this.hasDrbd && !this.drbdEmulated) await this.copyDrbdResFile();
    if (this.hasDrbd) await (this.drbdEmulated ? this.initialiseStore() : this.initialiseRealStore());
    const crm = join(this.paths.state, 'cluster.crm');
    // crmsh costs about 11 s a call in a UML node, over a minute on a loaded machine.
    await must(this.cluster.exec('node1', 'crm', ['configure', 'load', 'update', crm], { timeoutMs: this.cluster.kind === 'uml' ? 300_000 : 60_000 }));
    this.log('cluster configuration from mfs-crm loaded with crmsh');
    await this.waitUntilServing(this.cluster.kind === 'uml' ? 600_000 : 180_000);
    await this.startChunkservers();
    await this.mountClient();
  }

  /**
   * The generated configuration with the master's durability lowered to what the lab's
   * CHANGELOG_SAVE_MODE gives, and that mode in every node's mfsmaster.cfg.
   */
  private lowerDurability(crm: string): string {
    const durability = [...DURABILITY_LEVELS].reverse().find((level) => MINIMUM_SAVE_MODE[level] <= this.saveMode)!;
    // The master's params line, not the header comment that explains the durability.
    const parameter = /^(\s+params\b.*) durability=\w+/m;
    if (!parameter.test(crm)) throw new Error('the generated configuration sets no durability on the master');
    for (const node of NODES) {
      const file = join(this.paths.node(node), 'etc-mfs', 'mfsmaster.cfg');
      writeFileSync(file, readFileSync(file, 'utf8').replace(/^CHANGELOG_SAVE_MODE = \d$/m, `CHANGELOG_SAVE_MODE = ${this.saveMode}`));
    }
    this.log(`CHANGELOG_SAVE_MODE = ${this.saveMode} and durability=${durability} on the master (lowered knowingly, to measure)`);
    return crm.replace(parameter, `$1 durability=${durability}`);
  }

  /** Files the nodes see from boot: MooseFS configs, the DRBD resource file, the emulator. */
  private async prepare(): Promise<void> {
    this.nodeBinds.length = 0;
    for (const node of NODES) {
      const etc = join(this.paths.node(node), 'etc-mfs');
      mkdirSync(etc, { recursive: true });
      writeFileSync(
        join(etc, 'mfsmaster.cfg'),
        [
          'WORKING_USER = mfs',
          `DATA_PATH = ${this.dataPath}`,
          'EXPORTS_FILENAME = /etc/mfs/mfsexports.cfg',
          'TOPOLOGY_FILENAME = /etc/mfs/mfstopology.cfg',
          `CHANGELOG_SAVE_MODE = ${SAVE_MODE[this.options.topology]}`,
          'NICE_LEVEL = 0',
          'LOCK_MEMORY = 0',
          '',
        ].join('\n'),
      );
      writeFileSync(join(etc, 'mfsexports.cfg'), '* / rw,alldirs,maproot=0\n');
      writeFileSync(join(etc, 'mfstopology.cfg'), '');
    }
    writeFileSync(join(this.paths.state, 'metadata.mfs.new'), NEW_FILESYSTEM_HEADER);
    if (this.hasDrbd) await this.prepareDrbd();
    else await this.prepareMetaloggers();
    this.nodeBinds.push(...standardPathBinds(this.moosefs));
    writeFileSync(join(this.paths.state, 'binds.json'), JSON.stringify(this.nodeBinds));
  }

  /**
   * What each program of the lab says it is (`-v`, `-V`), checked against the lab's version:
   * mfsmaster and mfsmetalogger at their standard paths inside each node, the chunkservers' and
   * the client's programs on the host.
   */
  private async checkVersions(): Promise<void> {
    const wanted = this.moosefs.version;
    const versionOf = async (where: string, result: Promise<{ stdout: string; stderr: string }>) => {
      const { stdout, stderr } = await result;
      // "version: 4.59.2-1 ; build: 2106" (daemons), "MFS version: 4.59.2-1 ..." (mfsmount, beside fusermount3's own version line).
      const version = /^(?:MFS )?version:?\s*(\d+\.\d+\.\d+)/im.exec(`${stdout}\n${stderr}`)?.[1];
      if (version !== wanted) throw new Error(`${where} is MooseFS ${version ?? `of unknown version (${stdout}${stderr})`}, not the lab's ${wanted}`);
      return `${where} ${version}`;
    };
    const seen: string[] = [];
    for (const node of NODES) {
      for (const program of ['mfsmaster', 'mfsmetalogger'] as const) {
        seen.push(await versionOf(`${node}:/usr/sbin/${program}`, this.cluster.exec(node, `/usr/sbin/${program}`, ['-v'], { timeoutMs: 10_000 })));
      }
    }
    seen.push(await versionOf(mfsProgram(this.moosefs, 'mfschunkserver'), run(mfsProgram(this.moosefs, 'mfschunkserver'), ['-v'], { timeoutMs: 10_000 })));
    seen.push(await versionOf(mfsClientProgram(this.moosefs, 'mfsmount'), run(mfsClientProgram(this.moosefs, 'mfsmount'), ['-V'], { timeoutMs: 10_000 })));
    this.log(`MooseFS ${wanted}: ${seen.join(', ')}`);
  }

  /**
   * Metalogger topology: each node keeps the master's files and its metalogger's in its own
   * /var/lib/mfs; the metaloggers follow the master through the virtual IP. As an admin starts
   * a new MooseFS, node1 gets an empty file system (metadata.mfs.empty) in the master's directory.
   */
  private async prepareMetaloggers(): Promise<void> {
    for (const node of NODES) {
      const varLib = join(this.paths.node(node), 'var-lib-mfs');
      for (const sub of ['master', 'metalogger']) mkdirSync(join(varLib, sub), { recursive: true });
      if (node === 'node1') copyFileSync(join(this.paths.state, 'metadata.mfs.new'), join(varLib, 'master', 'metadata.mfs'));
      await must(run('chown', ['-R', 'mfs:mfs', varLib]));
      writeFileSync(
        join(this.paths.node(node), 'etc-mfs', 'mfsmetalogger.cfg'),
        ['WORKING_USER = mfs', `DATA_PATH = ${LOCAL_METALOGGER_DATA}`, `MASTER_HOST = ${NET.vip}`, 'MASTER_PORT = 9419', 'MASTER_RECONNECTION_DELAY = 1', 'META_DOWNLOAD_FREQ = 1', 'NICE_LEVEL = 0', 'LOCK_MEMORY = 0', ''].join('\n'),
      );
    }
  }

  /** DRBD topologies: the DRBD resource file's device and the emulator inside the nodes. */
  private async prepareDrbd(): Promise<void> {
    const drbdDir = join(this.paths.dir, 'drbd');
    mkdirSync(join(drbdDir, 'etc-drbd.d'), { recursive: true });
    if (!this.drbdEmulated) {
      // Real DRBD in UML nodes: the kernel's module, drbd-utils, each node's own disk (/dev/ubda).
      // usage-count no: drbdadm would otherwise ask (and wait) on the first run.
      writeFileSync(join(drbdDir, 'etc-drbd.d', 'global_common.conf'), 'global {\n  usage-count no;\n}\ncommon {\n}\n');
      this.nodeBinds.push([join(drbdDir, 'etc-drbd.d'), '/etc/drbd.d']);
      return;
    }
    // The replicated device: one image, one loop device, seen by both node namespaces.
    mkdirSync(join(drbdDir, 'state'), { recursive: true });
    const image = join(drbdDir, 'disk.img');
    writeFileSync(image, '');
    await must(run('truncate', ['-s', '256M', image]));
    this.loop = (await must(run('losetup', ['-f', '--show', image]))).stdout.trim();
    // The emulator inside the nodes: Pacemaker runs agents with a clean environment, so small
    // wrappers give it its state directory and the real drbdadm (for parsing resource files).
    const realDrbdadm = join(drbdDir, 'real-drbdadm');
    copyFileSync('/usr/sbin/drbdadm', realDrbdadm);
    const sbin = join(this.paths.usrOverlay, 'sbin');
    for (const tool of ['drbdadm', 'drbdsetup', 'drbdmeta', 'drbd-fault']) {
      writeFileSync(
        join(sbin, tool),
        `#!/usr/bin/env node\n// lab wrapper: the DRBD emulator with the lab's shared state\nprocess.env.DRBD_EMULATOR_STATE = ${JSON.stringify(join(drbdDir, 'state'))};\n` +
          `process.env.DRBD_EMULATOR_REAL_DRBDADM = ${JSON.stringify(realDrbdadm)};\nrequire(${JSON.stringify(join(EMULATOR, tool))});\n`,
        { mode: 0o755 },
      );
    }
    if (this.options.topology === 'drbd') this.prepareLinbitAgent(drbdDir);
    // /etc/drbd.conf includes drbd.d/global_common.conf and drbd.d/*.res: the nodes see ours.
    copyFileSync('/etc/drbd.d/global_common.conf', join(drbdDir, 'etc-drbd.d', 'global_common.conf'));
    this.nodeBinds.push([join(drbdDir, 'etc-drbd.d'), '/etc/drbd.d']);
  }

  /**
   * drbd topology: LINBIT's agent needs /proc/drbd (`test -f`, as with the module loaded), which
   * procfs cannot be given. The real agent (with the drbd.shellfuncs.sh it sources from its own
   * directory) is copied aside, untouched; in the nodes' /usr overlay its name runs it in a mount
   * namespace whose /proc has a drbd entry (onThisNodeWrapper).
   */
  private prepareLinbitAgent(drbdDir: string): void {
    const real = join(drbdDir, 'linbit');
    mkdirSync(real, { recursive: true });
    for (const file of ['drbd', 'drbd.shellfuncs.sh']) copyFileSync(join(LINBIT_AGENT_DIR, file), join(real, file));
    const overlay = join(this.paths.usrOverlay, 'lib', 'ocf', 'resource.d', 'linbit');
    mkdirSync(overlay, { recursive: true });
    writeFileSync(join(overlay, 'drbd'), onThisNodeWrapper({ dir: drbdDir }, join(real, 'drbd')), { mode: 0o755 });
  }

  mfsCrmArgs(): string[] {
    const store = this.hasDrbd
      ? [
          '--drbd-resource', DRBD_RESOURCE, '--device', '/dev/drbd0', '--directory', STORE_MOUNT, '--fstype', 'ext4',
          '--drbd-res-file', `/etc/drbd.d/${DRBD_RESOURCE}.res`,
          // The emulator is DRBD 9. UML nodes: each its own disk, replication on its own link; the
          // DRBD version (8.4) is what mfs-crm reads from the node's /proc/drbd.
          ...(this.drbdEmulated
            ? ['--drbd-version', '9', '--drbd-disk', this.loop!, ...NODES.flatMap((n) => ['--drbd-address', `${n}=${nodeIp(n)}`])]
            : ['--drbd-disk', UML_DRBD_DISK, ...NODES.flatMap((n) => ['--drbd-address', `${n}=${replicationIp(n)}`])]),
        ]
      : ['--metalogger-config', '/etc/mfs/mfsmetalogger.cfg'];
    const policy = this.hasDrbd ? ['--split-brain-policy', this.options.splitBrainPolicy ?? LAB_SPLIT_BRAIN_POLICY] : [];
    return [
      this.options.topology,
      '--node', 'node1', '--node', 'node2',
      '--ip', NET.vip, '--cidr-netmask', '24', '--nic', 'eth0',
      '--config', '/etc/mfs/mfsmaster.cfg',
      ...store,
      ...policy,
      '--fence-agent', 'stonith:fence_mfslab', '--fence-param', `ip=${NET.switchIp}`, '--fence-param', `pcmk_host_list=${NODES.join(' ')}`,
    ];
  }

  /** A new file system on the replicated device, made through the emulator on node1, then handed to Pacemaker. */
  private async initialiseStore(): Promise<void> {
    const on = (node: NodeName, file: string, args: string[]) => must(this.cluster.exec(node, file, args));
    for (const node of NODES) await on(node, 'drbdadm', ['create-md', '--force', DRBD_RESOURCE]);
    for (const node of NODES) await on(node, 'drbdadm', ['up', DRBD_RESOURCE]);
    await this.formatStore(on);
    this.log('metadata store initialised (new, empty file system on the emulated replicated device)');
  }

  /** mfs-crm wrote the resource file on node1; the other node gets the same file, as an admin copies it. */
  private async copyDrbdResFile(): Promise<void> {
    const path = `/etc/drbd.d/${DRBD_RESOURCE}.res`;
    const text = (await must(this.cluster.exec('node1', 'cat', [path]))).stdout;
    writeFileSync(join(this.paths.state, `${DRBD_RESOURCE}.res`), text);
    for (const node of NODES.filter((n) => n !== 'node1')) await must(this.cluster.exec(node, 'tee', [path], { input: `${text}\n` }));
    this.log(`DRBD resource file from mfs-crm on both nodes (a copy: ${join(this.paths.state, `${DRBD_RESOURCE}.res`)})`);
  }

  /**
   * A new file system on real DRBD (UML nodes): meta-data on both disks, the pair connected,
   * the initial resync skipped (both disks are blank: new-current-uuid --clear-bitmap, as
   * DRBD's guide does for new devices), then as with the emulator.
   */
  private async initialiseRealStore(): Promise<void> {
    const on = (node: NodeName, file: string, args: string[]) => must(this.cluster.exec(node, file, args, { timeoutMs: 120_000 }));
    for (const node of NODES) await on(node, 'drbdadm', ['create-md', '--force', DRBD_RESOURCE]);
    for (const node of NODES) await on(node, 'drbdadm', ['up', DRBD_RESOURCE]);
    const state = async (what: string) => (await this.cluster.exec('node1', 'drbdadm', [what, DRBD_RESOURCE])).stdout.trim();
    const connected = await new Deadline(60_000).poll(async () => ((await state('cstate')) === 'Connected' ? true : undefined), { intervalMs: 500 });
    if (!connected) throw new Error(`DRBD ${DRBD_RESOURCE} did not connect: ${await state('cstate')}`);
    await on('node1', 'drbdadm', ['--', '--clear-bitmap', 'new-current-uuid', `${DRBD_RESOURCE}/0`]);
    const upToDate = await new Deadline(60_000).poll(async () => ((await state('dstate')) === 'UpToDate/UpToDate' ? true : undefined), { intervalMs: 500 });
    if (!upToDate) throw new Error(`DRBD ${DRBD_RESOURCE} not UpToDate on both nodes: ${await state('dstate')}`);
    await this.formatStore(on);
    this.log('metadata store initialised on real DRBD (new, empty file system)');
  }

  /** On the pair: node1 Primary, a new ext4 holding the master's new file system, then everything down for Pacemaker. */
  private async formatStore(on: (node: NodeName, file: string, args: string[]) => Promise<unknown>): Promise<void> {
    await on('node1', 'drbdadm', ['primary', '--force', DRBD_RESOURCE]);
    await on('node1', 'mkfs.ext4', ['-q', '-F', '/dev/drbd0']);
    await on('node1', 'mkdir', ['-p', STORE_MOUNT]);
    await on('node1', 'mount', ['/dev/drbd0', STORE_MOUNT]);
    await on('node1', 'mkdir', ['-p', this.dataPath]);
    await on('node1', 'cp', [join(this.paths.state, 'metadata.mfs.new'), `${this.dataPath}/metadata.mfs`]);
    await on('node1', 'chown', ['-R', 'mfs:mfs', this.dataPath]);
    await on('node1', 'umount', [STORE_MOUNT]);
    await on('node1', 'drbdadm', ['secondary', DRBD_RESOURCE]);
    for (const node of NODES) await on(node, 'drbdadm', ['down', DRBD_RESOURCE]);
  }

  /** A fault hook of the DRBD emulator (drbd-fault), with the lab's shared state. */
  async drbdFault(args: string[]): Promise<void> {
    await must(run(join(this.paths.usrOverlay, 'sbin', 'drbd-fault'), args, { timeoutMs: 30_000 }));
  }

  /**
   * Cuts (or restores) a node's DRBD replication, the cluster's link left alone: the emulator's
   * fault hook (one shared device: every pair), or the UML node's replication link.
   */
  async setReplication(node: NodeName, up: boolean): Promise<void> {
    if (this.drbdEmulated) await this.drbdFault([up ? 'heal' : 'cut', DRBD_RESOURCE]);
    else await setReplicationLink(node, up);
  }

  /**
   * The location constraint DRBD's fence-peer handler (drbd-utils' crm-fence-peer.sh) placed
   * in the CIB (`drbd-fence-by-handler-<resource>-<clone>`), as cibadmin shows it on `on`.
   */
  async fencePeerConstraint(on: NodeName): Promise<string | undefined> {
    const result = await this.cluster.exec(on, 'cibadmin', ['--query', '--scope', 'constraints'], { timeoutMs: 30_000 });
    if (!result.ok) throw new Error(`cibadmin --query on ${on}: ${result.stderr}`);
    return /<rsc_location [^>]*id="drbd-fence-by-handler-[\s\S]*?<\/rsc_location>/.exec(result.stdout)?.[0];
  }

  /** Waits (bounded) until the handler's constraint is there (`present`) or gone. */
  async waitForFencePeerConstraint(on: NodeName, present: boolean, timeoutMs: number): Promise<string | undefined> {
    let seen: string | undefined;
    const ok = await new Deadline(timeoutMs).poll(
      async () => {
        seen = await this.fencePeerConstraint(on).catch(() => seen);
        return (seen !== undefined) === present ? true : undefined;
      },
      { intervalMs: 1000 },
    );
    if (!ok) throw new Error(`DRBD's fence-peer constraint is ${present ? 'not there' : `still there (${seen})`} on ${on} after ${timeoutMs / 1000} s`);
    return seen;
  }

  /** Waits (bounded) until Pacemaker has nothing left to do: no transition running or pending. */
  async waitForIdle(on: NodeName, timeoutMs = 180_000): Promise<void> {
    const result = await this.cluster.exec(on, 'crm_resource', ['--wait', '--timeout', `${Math.round(timeoutMs / 1000)}s`], { timeoutMs: timeoutMs + 10_000 });
    if (!result.ok) throw new Error(`the cluster did not settle within ${timeoutMs / 1000} s: ${result.stderr || result.stdout}`);
  }

  /** The node where the master runs, per Pacemaker (crm_mon asked on any running node). */
  async activeNode(): Promise<NodeName | undefined> {
    for (const observer of NODES) {
      const mon = await this.cluster.exec(observer, 'crm_mon', ['-1', '--output-as=xml'], { timeoutMs: 10_000 }).catch(() => undefined);
      if (!mon?.ok) continue;
      const match = new RegExp(`<resource id="${MASTER_RESOURCE}"[^>]*role="Started"[^>]*>\\s*<node name="(node\\d)"`).exec(mon.stdout);
      return match ? (match[1] as NodeName) : undefined;
    }
    return undefined;
  }

  /** `mfs-crm status` as an admin runs it on a node (the installed tool), parsed. */
  async status(on: NodeName): Promise<ClusterStatus> {
    // In a UML node mfs-crm status took 10 to 30 s (slowKernelOperations).
    const timeoutMs = this.cluster.kind === 'uml' ? 120_000 : 30_000;
    return mfsCrmStatus((file, args) => this.cluster.exec(on, file, args, { timeoutMs }), { mfsCrm: 'mfs-crm' });
  }

  /** DRBD's connection state on a node (`drbdadm cstate`: Connected, Connecting or WFConnection, StandAlone...). */
  async drbdConnection(node: NodeName): Promise<string> {
    return (await this.cluster.exec(node, 'drbdadm', ['cstate', DRBD_RESOURCE], { timeoutMs: 30_000 })).stdout.trim();
  }

  /**
   * DRBD's own word on a node (not what a promotion score last said): its connection and disks
   * (`drbdadm dstate`: local/peer), and whether that is a pair replicating, both UpToDate.
   */
  async drbdPair(node: NodeName): Promise<{ connection: string; disks: string; replicating: boolean }> {
    const disks = (await this.cluster.exec(node, 'drbdadm', ['dstate', DRBD_RESOURCE], { timeoutMs: 30_000 })).stdout.trim();
    const connection = await this.drbdConnection(node);
    return { connection, disks, replicating: connection === 'Connected' && disks === 'UpToDate/UpToDate' };
  }

  /** True when the master answers through the virtual IP, from the client namespace. */
  async serving(): Promise<boolean> {
    const cli = await this.cluster.inNamespace(NET.clientNs, mfsClientProgram(this.moosefs, 'mfscli'), mfscliInfoArgs(NET.vip, 9421), { timeoutMs: 5000 });
    return mfscliFoundMaster(cli);
  }

  async waitUntilServing(timeoutMs: number): Promise<NodeName> {
    const node = await new Deadline(timeoutMs).poll(async () => ((await this.serving()) ? this.activeNode() : undefined), { intervalMs: 500 });
    if (!node) {
      const mon = await this.cluster.exec('node1', 'crm_mon', ['-1', '-A', '-f']).catch(() => undefined);
      throw new Error(`the master does not serve through ${NET.vip} within ${timeoutMs / 1000} s\n${mon?.stdout ?? ''}`);
    }
    return node;
  }

  private chunkserverDir(i: number): string {
    return join(this.paths.dir, 'storage', `cs${i}`);
  }

  private async startChunkservers(): Promise<void> {
    for (const i of [1, 2]) {
      const dir = this.chunkserverDir(i);
      for (const sub of ['data', 'hdd']) mkdirSync(join(dir, sub), { recursive: true });
      await must(run('chown', ['-R', 'mfs:mfs', dir]));
      writeFileSync(join(dir, "mfshdd.cfg"), `${join(dir, "hdd")}\n`);
      writeFileSync(
        join(dir, 'mfschunkserver.cfg'),
        [
          'WORKING_USER = mfs',
          `DATA_PATH = ${join(dir, 'data')}`,
          `HDD_CONF_FILENAME = ${join(dir, 'mfshdd.cfg')}`,
          `MASTER_HOST = ${NET.vip}`,
          'MASTER_PORT = 9420',
          `CSSERV_LISTEN_PORT = ${9322 + i * 100}`,
          'MASTER_RECONNECTION_DELAY = 1',
          'HDD_LEAVE_SPACE_DEFAULT = 64MiB',
          'NICE_LEVEL = 0',
          'LOCK_MEMORY = 0',
          '',
        ].join('\n'),
      );
      await must(this.cluster.inNamespace(NET.storageNs, mfsProgram(this.moosefs, 'mfschunkserver'), ['-c', join(dir, 'mfschunkserver.cfg'), 'start'], { timeoutMs: 30_000 }));
    }
    this.log(`two chunkservers in the storage namespace (${mfsProgram(this.moosefs, 'mfschunkserver')})`);
  }

  private async mountClient(): Promise<void> {
    mkdirSync(this.mountpoint, { recursive: true });
    await must(this.cluster.inNamespace(NET.clientNs, mfsClientProgram(this.moosefs, 'mfsmount'), [this.mountpoint, '-H', NET.vip, '-P', '9421', '-o', 'mfsioretries=120'], { timeoutMs: 30_000 }));
    this.log(`client: ${mfsClientProgram(this.moosefs, 'mfsmount')} ${NET.vip}:9421 on ${this.mountpoint} (client namespace)`);
  }

  /**
   * Ends everything of the lab. A lab whose up() found another lab on its names ends nothing
   * (that other lab is not ours), unless `force` (test/cluster/down.ts, after a crashed run).
   */
  async down({ force = false }: { force?: boolean } = {}): Promise<void> {
    if (!this.cluster.claimed && !force) return;
    await unmountClient(this.mountpoint);
    await terminate(this.stragglers.splice(0), { deadline: new Deadline(10_000), log: QUIET_LOG(), what: 'client processes', afterKill: 'lab teardown' });
    const chunkservers = [1, 2].map((i) => lockOwner(join(this.chunkserverDir(i), 'data'), '.mfschunkserver.lock')).filter((p): p is number => p !== undefined);
    await terminate(chunkservers, { deadline: new Deadline(15_000), log: QUIET_LOG(), what: 'lab chunkservers', afterKill: 'lab teardown' });
    await this.cluster.down();
    // Every loop device over the lab's image (also those of an interrupted start).
    const image = join(this.paths.dir, 'drbd', 'disk.img');
    const loops = (await run('losetup', ['-j', image], { timeoutMs: 10_000 })).stdout.split('\n').map((l) => l.split(':')[0]!).filter(Boolean);
    for (const loop of loops) await run('losetup', ['-d', loop], { timeoutMs: 10_000 });
  }
}
