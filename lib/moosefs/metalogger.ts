/**
 * Running mfsmetalogger: its lock in DATA_PATH (`.mfsmetalogger.lock`) says whether it runs;
 * its TCP connection to MASTER_PORT (read from /proc, no child process) says whether it
 * follows a master. SIGTERM makes it flush and close its changelog (masterconn_beforeclose).
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import type { Deadline } from '../runtime/deadline.js';
import { Failure } from '../runtime/errors.js';
import type { Logger } from '../runtime/log.js';
import { terminate } from '../process/proc.js';
import { describeOutcome, run } from '../process/run.js';
import type { MetaloggerConfig } from './config.js';
import { validateDaemonEnvironment } from './daemon-environment.js';
import { lockOwner } from './data-path.js';
import { isExecutable } from './master-program.js';

export const METALOGGER_LOCK_FILE = '.mfsmetalogger.lock';

export function metaloggerPid(config: MetaloggerConfig): number | undefined {
  return lockOwner(config.dataPath, METALOGGER_LOCK_FILE);
}

/** Socket inodes a process holds open. */
function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return inodes;
  }
  for (const fd of fds) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]!);
    } catch {
      /* closed meanwhile */
    }
  }
  return inodes;
}

const TCP_ESTABLISHED = '01';

/**
 * Whether the process has an established TCP connection to `remotePort` (the metalogger's
 * only outgoing connection is to the master). Reads /proc/PID/net/tcp{,6}: the process's own
 * network namespace.
 */
export function connectedTo(pid: number, remotePort: number): boolean {
  const inodes = socketInodes(pid);
  if (inodes.size === 0) return false;
  const portHex = remotePort.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = readFileSync(`/proc/${pid}/net/${table}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10) continue;
      if (fields[3] === TCP_ESTABLISHED && fields[2]?.endsWith(`:${portHex}`) && inodes.has(fields[9]!)) return true;
    }
  }
  return false;
}

/** Checks what the metalogger needs on this node: the program, its user, DATA_PATH. */
export async function validateMetaloggerEnvironment(binary: string, config: MetaloggerConfig): Promise<void> {
  if (!isExecutable(binary)) throw new Failure('not-installed', `binary ${binary} is not installed or not executable (package moosefs-metalogger)`);
  await validateDaemonEnvironment('metalogger', config);
}

/** Starts mfsmetalogger (it daemonizes) and waits for its lock; returns its PID. */
export async function startMetalogger(binary: string, config: MetaloggerConfig, deadline: Deadline, log: Logger): Promise<number> {
  const running = metaloggerPid(config);
  if (running !== undefined) {
    log.info(`mfsmetalogger already running (pid ${running})`);
    return running;
  }
  const result = await run(binary, ['-c', config.file, 'start'], { deadline, marginMs: 1000, timeoutMs: Infinity, all: true });
  if (!result.ok) throw new Failure('failed', `mfsmetalogger -c ${config.file} did not start: ${describeOutcome(result)}`);
  const pid = await deadline.poll(() => metaloggerPid(config), { intervalMs: 20, marginMs: 500 });
  if (pid === undefined) throw new Failure('failed', `mfsmetalogger -c ${config.file} exited during start-up, no lock in ${config.dataPath} (see its syslog messages)`);
  log.info(`mfsmetalogger started (pid ${pid}), following ${config.masterHost}:${config.masterPort}`);
  return pid;
}

/** Stops mfsmetalogger: SIGTERM (it flushes its changelog), SIGKILL only at the end of the budget. */
export async function stopMetalogger(config: MetaloggerConfig, deadline: Deadline, log: Logger): Promise<void> {
  const pid = metaloggerPid(config);
  await terminate(pid === undefined ? [] : [pid], {
    deadline,
    log,
    what: 'mfsmetalogger',
    afterKill: 'its last changes may not have been flushed to changelog_ml.0.mfs',
  });
}
