/**
 * The init of a lab node (run by tini, PID 1 of the node's PID namespace, which reaps every
 * orphan): it gives the node its own view of the files (hostname, /run, /dev/shm, per-node
 * Corosync/Pacemaker/MooseFS directories, /etc/hosts, /usr with the lab's additions), waits for
 * its network cable, then runs corosync and pacemakerd until told to stop (SIGTERM: orderly,
 * bounded) or powered off (SIGKILL of tini).
 *
 *   node-init LAB_DIR NODE
 */
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Deadline, sleep } from '../../../lib/ocf/deadline.js';
import { signalProcess, waitForExit } from '../../../lib/process/proc.js';
import { run, startBackground } from '../../../lib/process/run.js';
import { LabPaths, nodeIp, type NodeName } from '../lab.js';

const [labDir, nodeArg] = process.argv.slice(2);
if (!labDir || !nodeArg) {
  process.stderr.write('usage: node-init LAB_DIR NODE\n');
  process.exit(2);
}
const node = nodeArg as NodeName;
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

async function prepareFiles(): Promise<void> {
  await must('hostname', [node]);
  await must('mount', ['-t', 'sysfs', 'sysfs', '/sys']);
  // Private /run: pid files (/run/corosync.pid), /run/crm, resource-agents' state.
  await must('mount', ['-t', 'tmpfs', '-o', 'mode=0755,size=64m', 'tmpfs', '/run']);
  for (const dir of ['/run/lock', '/run/resource-agents', '/run/crm', '/run/pacemaker']) mkdirSync(dir, { recursive: true });
  await must('chown', ['hacluster:haclient', '/run/crm', '/run/pacemaker']);
  // libqb's IPC ring buffers.
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
  for (const [from, to] of binds) await must('mount', ['--bind', join(nodeDir, from), to]);
  // crmsh takes node names from /etc/hosts (an unresolvable name is silently ignored).
  await must('mount', ['--bind', paths.hosts, '/etc/hosts']);
  // The lab's additions to /usr: fence agent, modprobe stub, DRBD emulator, our agents (from the .deb when there is one).
  const lower = [paths.usrOverlay, ...(existsSync(join(paths.debRoot, 'usr')) ? [join(paths.debRoot, 'usr')] : []), '/usr'];
  await must('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower.join(':')}`, '/usr']);
}

async function waitForCable(): Promise<void> {
  const ip = nodeIp(node);
  const ready = await new Deadline(10_000).poll(
    async () => ((await run('ip', ['-4', '-o', 'addr', 'show', 'dev', 'eth0'], { timeoutMs: 2000 })).stdout.includes(` ${ip}/`) ? true : undefined),
    { intervalMs: 50 },
  );
  if (!ready) throw new Error(`eth0 with ${ip} did not appear within 10 s`);
}

async function main(): Promise<void> {
  await prepareFiles();
  await waitForCable();
  log('files and network ready');
  const corosync = await startBackground('corosync', ['-f'], { quiet: true });
  const up = await new Deadline(10_000).poll(async () => ((await run('corosync-cfgtool', ['-s'], { timeoutMs: 2000 })).ok ? true : undefined), { intervalMs: 100 });
  if (!up) throw new Error('corosync not up after 10 s');
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
