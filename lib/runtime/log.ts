/**
 * Logging in the form cluster admins already read. pacemaker-execd copies an agent's stderr
 * into the Pacemaker log, so each record is one stderr line:
 *
 *     mfsmaster(mfs)[1234]: INFO: message
 *
 * plus, as ocf-shellfuncs does, syslog when HA_LOGFACILITY is set (through the sender the caller
 * gives: the OCF layer runs `logger`, this base runs no program), and HA_LOGFILE / HA_DEBUGLOG
 * when set. Debug records only with HA_debug=1. Secrets are masked
 * in every record.
 *
 * Records go through pino, which is loaded on the first record that is actually written:
 * an action that logs nothing (a healthy monitor) never loads it.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export type Level = 'debug' | 'info' | 'warn' | 'error' | 'crit';

const LABEL: Record<Level, string> = { debug: 'DEBUG', info: 'INFO', warn: 'WARNING', error: 'ERROR', crit: 'CRIT' };
const PINO_LEVEL: Record<Level, string> = { debug: 'debug', info: 'info', warn: 'warn', error: 'error', crit: 'fatal' };
const FROM_PINO: Record<number, Level> = { 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'crit' };
const SYSLOG_PRIORITY: Record<Level, string> = { debug: 'debug', info: 'info', warn: 'warning', error: 'err', crit: 'crit' };

/** Generic secret-bearing fragments: `password=...` in exports lines, AUTH_CODE in configs. */
const SECRET_PATTERNS: RegExp[] = [/(password\s*[=:]\s*)\S+/gi, /(AUTH_CODE\s*=\s*)\S+/g, /(secret\s*[=:]\s*)\S+/gi];

export interface LoggerOptions {
  /** Agent name, e.g. mfsmaster. */
  agent: string;
  /** OCF_RESOURCE_INSTANCE (may be absent when run by hand). */
  instance?: string;
  env: NodeJS.ProcessEnv;
  /** Exact values never to print. */
  secrets?: string[];
  /** Where lines go; fd 2 by default (tests pass a collector). */
  write?: (line: string) => void;
  /** Sends a record to syslog when HA_LOGFACILITY names a facility; none: no syslog. */
  syslog?: SyslogSender;
}

/** Sends one line to syslog with a tag and a `facility.priority` (`daemon.warning`). */
export type SyslogSender = (tag: string, priority: string, line: string) => Promise<void>;

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  crit(message: string): void;
  /**
   * A warning said once per resource instance until the node reboots (remembered under
   * HA_RSCTMP), then at debug level: for a standing condition a monitor meets every interval.
   */
  warnOnce(message: string): void;
  /** Adds values to mask from now on (e.g. a password read from a config file). */
  addSecrets(values: readonly string[]): void;
  /** Masks secrets in any text bound for output. */
  redact(text: string): string;
  /** `ocf-exit-reason:` line on stderr (Pacemaker shows it in crm_mon), and an ERROR record. */
  exitReason(message: string): void;
  /** Waits until every record is written (syslog included). */
  flush(): Promise<void>;
}

type PinoLike = Record<string, (msg: string) => void>;

export function createLogger(options: LoggerOptions): Logger {
  const { env } = options;
  const debugEnabled = /^(1|yes|true|on)$/i.test(env.HA_debug ?? '');
  const tag = `${options.agent}(${options.instance ?? env.OCF_RESOURCE_INSTANCE ?? 'default'})[${process.pid}]`;
  const writeLine = options.write ?? ((line: string) => writeSync(2, line));
  const secrets = new Set<string>(options.secrets?.filter((s) => s.length > 0) ?? []);
  const facility = options.syslog && env.HA_LOGFACILITY && env.HA_LOGFACILITY !== 'none' ? env.HA_LOGFACILITY : undefined;
  const syslogTag = env.HA_LOGTAG || options.agent;
  const pendingSyslog: Promise<unknown>[] = [];
  const queue: Array<{ level: Level; message: string }> = [];
  let pino: PinoLike | undefined;
  let loading: Promise<void> | undefined;

  const redact = (text: string): string => {
    let out = text;
    for (const secret of secrets) out = out.split(secret).join('***');
    for (const pattern of SECRET_PATTERNS) out = out.replace(pattern, '$1***');
    return out;
  };

  /** The pino destination: formats each JSON record into the admins' line and sends it on. */
  const destination = {
    write(json: string): void {
      const record = JSON.parse(json) as { level: number; msg: string };
      const level = FROM_PINO[record.level] ?? 'info';
      const line = `${tag}: ${LABEL[level]}: ${record.msg}\n`;
      writeLine(line);
      const file = level === 'debug' ? env.HA_DEBUGLOG || env.HA_LOGFILE : env.HA_LOGFILE;
      if (file) {
        try {
          appendFileSync(file, `${new Date().toISOString()} ${line}`);
        } catch {
          /* a log file we cannot write must not fail the action */
        }
      }
      if (facility && level !== 'debug') pendingSyslog.push(options.syslog!(syslogTag, `${facility}.${SYSLOG_PRIORITY[level]}`, `${tag}: ${LABEL[level]}: ${record.msg}`));
    },
  };

  const drain = (): void => {
    if (!pino) return;
    for (const { level, message } of queue.splice(0)) pino[PINO_LEVEL[level]]!(message);
  };

  const emit = (level: Level, message: string): void => {
    if (level === 'debug' && !debugEnabled) return;
    queue.push({ level, message: redact(message).replace(/\s*\n\s*/g, ' | ') });
    if (pino) return drain();
    loading ??= import('pino').then(({ pino: create }) => {
      pino = create(
        { level: debugEnabled ? 'debug' : 'info', base: null, timestamp: false },
        destination,
      ) as unknown as PinoLike;
      drain();
    });
  };

  return {
    debug: (m) => emit('debug', m),
    info: (m) => emit('info', m),
    warn: (m) => emit('warn', m),
    error: (m) => emit('error', m),
    crit: (m) => emit('crit', m),
    warnOnce(message) {
      emit(firstSaying(env, tag.replace(/\[\d+\]$/, ''), message) ? 'warn' : 'debug', message);
    },
    addSecrets(values) {
      for (const value of values) if (value.length > 0) secrets.add(value);
    },
    redact,
    exitReason(message) {
      const oneLine = redact(message).replace(/\s*\n\s*/g, ' | ');
      // Written at once, ahead of queued records: Pacemaker takes the last such line.
      writeLine(`ocf-exit-reason:${oneLine}\n`);
      emit('error', oneLine);
    },
    async flush() {
      if (loading) await loading;
      drain();
      await Promise.allSettled(pendingSyslog.splice(0));
    },
  };
}

/** True the first time `message` is said by `speaker` (a marker file under HA_RSCTMP); true as well when that cannot be remembered. */
function firstSaying(env: NodeJS.ProcessEnv, speaker: string, message: string): boolean {
  const directory = env.HA_RSCTMP || '/run/resource-agents';
  const marker = join(directory, `mfs-ocf-said-${createHash('sha256').update(`${speaker}\0${message}`).digest('hex').slice(0, 16)}`);
  try {
    mkdirSync(directory, { recursive: true });
    writeFileSync(marker, `${message}\n`, { flag: 'wx' });
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'EEXIST';
  }
}
