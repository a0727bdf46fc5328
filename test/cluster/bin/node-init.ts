/**
 * The init of a lab node (run by tini, PID 1 of the node's PID namespace, which reaps every
 * orphan): it gives the node its own view of the files (hostname, /run, /dev/shm, per-node
 * Corosync/Pacemaker/MooseFS directories, /etc/hosts, /usr with the lab's additions), waits for
 * its network cable, then runs corosync and pacemakerd until told to stop (SIGTERM: orderly,
 * bounded) or powered off (SIGKILL of tini).
 *
 * With --uml it is the init of a real-kernel node (test/cluster/uml.ts): the kernel is the
 * node's own, so /proc, /sys and /dev are mounted fresh, the kernel's modules (overlay, DRBD
 * 8.4) are loaded, the network card is configured here, and commands arrive through the
 * node's command server (console.ts), nsenter having no way in.
 *
 *   node-init LAB_DIR NODE [--uml]
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Deadline, sleep } from '../../../lib/runtime/deadline.js';
import { signalProcess, waitForExit } from '../../../lib/process/proc.js';
import { run, startBackground } from '../../../lib/process/run.js';
import { serveCommands } from '../console.js';
import { LabPaths, nodeIp, replicationIp, type NodeName } from '../lab.js';
import { UML_VAR_DEVICE } from '../uml.js';

const [labDir, nodeArg] = process.argv.slice(2);
if (!labDir || !nodeArg) {
  process.stderr.write('usage: node-init LAB_DIR NODE\n');
  process.exit(2);
}
const node = nodeArg as NodeName;
const uml = process.argv.slice(4).includes('--uml');
const paths = new LabPaths(labDir);
const nodeDir = paths.node(node);
const MAX_LIFETIME_MS = 4 * 3600_000;

function log(message: string): void {
  appendFileSync(join(nodeDir, 'console.log'), `${new Date().toISOString()} [${node} init] ${message}\n`);
}

async function must(file: string, args: string[]): Promise<void> {
  const result = await run(file, args, { timeoutMs: 20_000 });
  if (!result.ok) throw new Error(`${result.command}: ${result.stderr || result.exitCode}`);
}

/** A real kernel starts with nothing mounted and no module loaded. */
async function bootKernel(): Promise<void> {
  // The kernel may have mounted some itself (devtmpfs with CONFIG_DEVTMPFS_MOUNT).
  const mountOnce = async (type: string, target: string) => {
    mkdirSync(target, { recursive: true });
    if (!(await run('mountpoint', ['-q', target])).ok) await must('mount', ['-t', type, type, target]);
  };
  await mountOnce('proc', '/proc');
  await mountOnce('devtmpfs', '/dev');
  await mountOnce('devpts', '/dev/pts');
  // Debian's user-mode-linux keeps the kernel's modules under /usr/lib/uml/modules.
  const release = (await run('uname', ['-r'])).stdout.trim();
  if (!existsSync(join('/lib/modules', release, 'modules.dep'))) {
    mkdirSync('/lib/modules', { recursive: true });
    await run('rm', ['-rf', join('/lib/modules', release)]);
    symlinkSync(join('/usr/lib/uml/modules', release), join('/lib/modules', release));
  }
  for (const module of ['overlay', 'drbd']) await must('modprobe', [module]);
}

/** What a UML node keeps on its own disk (its state), rather than on hostfs. */
const STATE_DIRS = new Set(['var-lib-corosync', 'var-lib-pacemaker', 'var-lib-mfs']);

/**
 * A UML node's state directories on its own disk (ext4, UML_VAR_DEVICE): filled from the lab's
 * per-node directories at the first boot (owners kept), reused at every later boot as a disk is.
 */
async function nodeVarDisk(dirs: string[]): Promise<string> {
  const mountpoint = '/run/node-var';
  mkdirSync(mountpoint, { recursive: true });
  await must('mount', [UML_VAR_DEVICE, mountpoint]);
  const marker = join(mountpoint, '.lab-initialised');
  if (!existsSync(marker)) {
    for (const dir of dirs) await must('cp', ['-a', join(nodeDir, dir), join(mountpoint, dir)]);
    writeFileSync(marker, `${new Date().toISOString()}\n`);
    await must('sync', []);
  }
  return mountpoint;
}

async function prepareFiles(): Promise<void> {
  if (uml) await bootKernel();
  await must('hostname', [node]);
  await must('mount', ['-t', 'sysfs', 'sysfs', '/sys']);
  // Private /run: pid files (/run/corosync.pid), /run/crm, resource-agents' state.
  await must('mount', ['-t', 'tmpfs', '-o', 'mode=0755,size=64m', 'tmpfs', '/run']);
  for (const dir of ['/run/lock', '/run/resource-agents', '/run/crm', '/run/pacemaker']) mkdirSync(dir, { recursive: true });
  await must('chown', ['hacluster:haclient', '/run/crm', '/run/pacemaker']);
  if (!uml) await privateDev();
  // libqb's IPC ring buffers.
  mkdirSync('/dev/shm', { recursive: true });
  await must('mount', ['-t', 'tmpfs', '-o', 'mode=1777,size=256m', 'tmpfs', '/dev/shm']);
  const binds: Array<[string, string]> = [
    ['etc-corosync', '/etc/corosync'],
    ['var-lib-corosync', '/var/lib/corosync'],
    ['var-lib-pacemaker', '/var/lib/pacemaker'],
    ['log-pacemaker', '/var/log/pacemaker'],
    ['log-corosync', '/var/log/corosync'],
    ['etc-mfs', '/etc/mfs'],
    ['var-lib-mfs', '/var/lib/mfs'],
  ];
  const source = uml ? await nodeVarDisk(binds.filter(([from]) => STATE_DIRS.has(from)).map(([from]) => from)) : undefined;
  for (const [from, to] of binds) await must('mount', ['--bind', source && STATE_DIRS.has(from) ? join(source, from) : join(nodeDir, from), to]);
  // crmsh takes node names from /etc/hosts (an unresolvable name is silently ignored).
  await must('mount', ['--bind', paths.hosts, '/etc/hosts']);
  // The lab's additions to /usr: fence agent, modprobe stub, DRBD emulator, our agents (from the .deb when there is one).
  const lower = [paths.usrOverlay, ...(existsSync(join(paths.debRoot, 'usr')) ? [join(paths.debRoot, 'usr')] : []), '/usr'];
  await must('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower.join(':')}`, '/usr']);
  // Binds listed by the harness, made once /usr is in place: the topology's (the DRBD
  // configuration) and the MooseFS version's programs at the standard paths (/usr/sbin/mfsmaster...).
  const extra = join(paths.state, 'binds.json');
  if (existsSync(extra)) {
    for (const [from, to] of JSON.parse(readFileSync(extra, 'utf8')) as Array<[string, string]>) await must('mount', ['--bind', from, to]);
  }
}

/**
 * A /dev of the node's own, so that each node publishes its own /dev/drbdN (the DRBD emulator
 * makes device nodes there): a tmpfs with the host's devices that nodes need bound in.
 */
async function privateDev(): Promise<void> {
  const hostDev = '/run/host-dev';
  mkdirSync(hostDev, { recursive: true });
  await must('mount', ['--rbind', '/dev', hostDev]);
  await must('mount', ['-t', 'tmpfs', '-o', 'mode=0755,size=8m', 'tmpfs', '/dev']);
  // null first: starting any child needs it.
  const names = readdirSync(hostDev)
    .filter((name) => /^(null|zero|full|random|urandom|tty|fuse|loop-control|loop\d+|kmsg|log)$/.test(name))
    .sort((a, b) => Number(b === 'null') - Number(a === 'null'));
  for (const name of names) {
    const target = join('/dev', name);
    writeFileSync(target, '');
    await must('mount', ['--bind', join(hostDev, name), target]);
  }
  for (const dir of ['pts', 'mqueue']) {
    if (!existsSync(join(hostDev, dir))) continue;
    mkdirSync(join('/dev', dir), { recursive: true });
    await must('mount', ['--rbind', join(hostDev, dir), join('/dev', dir)]);
  }
  for (const [link, target] of [['fd', '/proc/self/fd'], ['stdin', '/proc/self/fd/0'], ['stdout', '/proc/self/fd/1'], ['stderr', '/proc/self/fd/2']] as const) {
    symlinkSync(target, join('/dev', link));
  }
}

async function waitForCable(): Promise<void> {
  const ip = nodeIp(node);
  if (uml) {
    // The kernel's own card, on its tap in the lab's bridge (its MAC is on the kernel's command line).
    for (const args of [['link', 'set', 'lo', 'up'], ['addr', 'add', `${ip}/24`, 'dev', 'eth0'], ['link', 'set', 'eth0', 'up']]) await must('ip', args);
    for (const args of [['addr', 'add', `${replicationIp(node)}/24`, 'dev', 'eth1'], ['link', 'set', 'eth1', 'up']]) await must('ip', args);
    serveCommands(ip);
  }
  const ready = await new Deadline(10_000).poll(
    async () => ((await run('ip', ['-4', '-o', 'addr', 'show', 'dev', 'eth0'], { timeoutMs: 2000 })).stdout.includes(` ${ip}/`) ? true : undefined),
    { intervalMs: 50 },
  );
  if (!ready) throw new Error(`eth0 with ${ip} did not appear within 10 s`);
}

const COROSYNC_START_MS = 60_000;

async function main(): Promise<void> {
  await prepareFiles();
  await waitForCable();
  const mfsmaster = await run('/usr/sbin/mfsmaster', ['-v'], { timeoutMs: 5000 });
  log(`files and network ready; /usr/sbin/mfsmaster -v: ${`${mfsmaster.stdout}${mfsmaster.stderr}`.trim() || `(${mfsmaster.exitCode})`}`);
  const corosync = await startBackground('corosync', ['-f'], { quiet: true });
  // Bounded generously: a UML node on a loaded 2-core machine took more than 10 s.
  const up = await new Deadline(COROSYNC_START_MS).poll(async () => ((await run('corosync-cfgtool', ['-s'], { timeoutMs: 5000 })).ok ? true : undefined), { intervalMs: 100 });
  if (!up) throw new Error(`corosync not up after ${COROSYNC_START_MS / 1000} s`);
  log(`corosync up (pid ${corosync.pid})`);
  const pacemaker = await startBackground('pacemakerd', [], {
    quiet: true,
    env: { PCMK_logfile: '/var/log/pacemaker/pacemaker.log', PCMK_logfacility: 'none' },
  });
  log(`pacemakerd started (pid ${pacemaker.pid})`);

  let stopping = false;
  process.on('SIGTERM', () => {
    if (stopping) return;
    stopping = true;
    void (async () => {
      log('SIGTERM: stopping pacemaker (bounded 60 s), then corosync');
      signalProcess(pacemaker.pid, 'SIGTERM');
      if (!(await waitForExit([pacemaker.pid], new Deadline(60_000), 0, 100))) log('pacemakerd still running, giving up on it');
      await run('corosync-cfgtool', ['-H', '--force'], { timeoutMs: 10_000 });
      if (!(await waitForExit([corosync.pid], new Deadline(10_000), 0, 100))) signalProcess(corosync.pid, 'SIGKILL');
      log('bye');
      process.exit(0);
    })();
  });
  await Promise.race([pacemaker.result, sleep(MAX_LIFETIME_MS)]);
  if (!stopping) {
    log('pacemakerd ended or the lifetime is over: the node stops');
    process.exit(1);
  }
}

main().catch((error: unknown) => {
  log(`FATAL: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
