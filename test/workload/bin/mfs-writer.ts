/**
 * The client workload: metadata operations through an mfsmount, each acknowledged one
 * recorded with its moment in an fsynced journal outside MooseFS. It keeps going across a
 * master's crash or failover, retrying each operation as a real client does, until its
 * duration is over or it gets SIGTERM.
 *
 *   mfs-writer --mount DIR --journal FILE [--duration-ms N] [--data] [--retry-ms 50]
 *
 * Operations cycle through mkdir, create (with --data: write 1-4 KiB then close), and rename
 * of the previous file; every name carries the sequence number, so a retry after an
 * uncertain failure can tell whether the operation had happened (EEXIST / ENOENT). A rename
 * whose acknowledged source the file system no longer has (lost by the master) is abandoned,
 * not retried: the writer goes on, and the checker counts the loss.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { JournalEntry, Operation } from '../journal.js';

const { values } = parseArgs({
  options: {
    mount: { type: 'string' },
    journal: { type: 'string' },
    'duration-ms': { type: 'string', default: '3600000' },
    data: { type: 'boolean', default: false },
    'retry-ms': { type: 'string', default: '50' },
    prefix: { type: 'string', default: 'w' },
  },
});
if (!values.mount || !values.journal) {
  process.stderr.write('usage: mfs-writer --mount DIR --journal FILE [--duration-ms N] [--data] [--retry-ms MS] [--prefix P]\n');
  process.exit(2);
}
const mount = values.mount;
const journalFd = openSync(values.journal, 'a');
const endAt = Date.now() + Number(values['duration-ms']);
const retryMs = Number(values['retry-ms']);
let stopping = false;
process.on('SIGTERM', () => {
  stopping = true;
});
process.on('SIGINT', () => {
  stopping = true;
});

function record(line: object, sync = true): void {
  writeSync(journalFd, `${JSON.stringify(line)}\n`);
  if (sync) fsyncSync(journalFd);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The file system answered that `path` does not exist (existsSync would also say so of an unreachable mount). */
function answeredAbsent(path: string): boolean {
  try {
    statSync(path);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/** Thrown when an operation can never succeed: a rename whose source the master lost. */
class Abandoned extends Error {}

/** Performs one operation; 'done' when it took effect now or (after a retry) already had. */
function perform(operation: Operation, content: Buffer | undefined, retried: boolean): void {
  const full = join(mount, operation.path);
  try {
    if (operation.op === 'mkdir') mkdirSync(full);
    else if (operation.op === 'create') {
      const fd = openSync(full, retried ? 'w' : 'wx');
      try {
        if (content) writeSync(fd, content);
      } finally {
        closeSync(fd); // close returns the write's status on MooseFS
      }
    } else renameSync(join(mount, operation.from), full);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // After an uncertain failure the operation may have happened before the reply was lost:
    // it is done when its effect is there.
    if (retried && ((operation.op === 'mkdir' && code === 'EEXIST') || (operation.op === 'rename' && code === 'ENOENT')) && existsSync(full)) return;
    if (operation.op === 'rename' && code === 'ENOENT' && answeredAbsent(join(mount, operation.from)) && answeredAbsent(full)) {
      throw new Abandoned(`${operation.from} is gone`);
    }
    throw error;
  }
}

async function main(): Promise<void> {
  let seq = 0;
  let lastFile: string | undefined;
  const prefix = values.prefix;
  while (!stopping && Date.now() < endAt) {
    seq++;
    const kind = seq % 3;
    let operation: Operation;
    let content: Buffer | undefined;
    if (kind === 1) operation = { op: 'mkdir', path: `${prefix}-d${seq}` };
    else if (kind === 2 || !lastFile) {
      content = values.data ? randomBytes(1024 + (seq % 4) * 1024) : undefined;
      operation = { op: 'create', path: `${prefix}-f${seq}`, ...(content ? { sha256: createHash('sha256').update(content).digest('hex'), bytes: content.length } : {}) };
    } else operation = { op: 'rename', from: lastFile, path: `${prefix}-r${seq}` };
    const startedAt = Date.now();
    record({ intent: true, seq, ...operation }, false);
    let attempts = 0;
    let abandoned = false;
    for (;;) {
      attempts++;
      try {
        perform(operation, content, attempts > 1);
        break;
      } catch (error) {
        if (error instanceof Abandoned) {
          record({ failure: `abandoned: ${error.message}`, seq, at: Date.now() });
          abandoned = true;
          break;
        }
        record({ failure: (error as NodeJS.ErrnoException).code ?? String(error), seq, at: Date.now() });
        if (stopping || Date.now() >= endAt) return;
        await sleep(retryMs);
      }
    }
    if (abandoned) {
      lastFile = undefined;
      continue;
    }
    const entry: JournalEntry = { ...operation, seq, startedAt, ackedAt: Date.now(), attempts };
    record(entry);
    if (operation.op === 'create') lastFile = operation.path;
    else if (operation.op === 'rename') lastFile = undefined;
    // Yield so that signals are seen between operations.
    if (seq % 20 === 0) await sleep(0);
  }
}

main().then(
  () => closeSync(journalFd),
  (error) => {
    process.stderr.write(`mfs-writer: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
