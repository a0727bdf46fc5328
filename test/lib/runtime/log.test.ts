import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../lib/runtime/log.js';

const dir = mkdtempSync('/tmp/mfs-ocf-log-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function collect(env: NodeJS.ProcessEnv, secrets: string[] = []) {
  const lines: string[] = [];
  const log = createLogger({ agent: 'mfsmaster', env, secrets, write: (line) => lines.push(line) });
  return { log, lines };
}

describe('logger', () => {
  it('writes agent(instance)[pid]: LEVEL: message lines, in order', async () => {
    const { log, lines } = collect({ OCF_RESOURCE_INSTANCE: 'mfs' });
    log.info('one');
    log.warn('two');
    log.error('three');
    log.crit('four');
    await log.flush();
    const tag = `mfsmaster(mfs)[${process.pid}]`;
    expect(lines).toEqual([`${tag}: INFO: one\n`, `${tag}: WARNING: two\n`, `${tag}: ERROR: three\n`, `${tag}: CRIT: four\n`]);
  });

  it('masks declared secrets, AUTH_CODE and exports passwords', async () => {
    const { log, lines } = collect({}, ['t0ps3cret']);
    log.info('connecting with t0ps3cret');
    log.info('mfsmaster.cfg: AUTH_CODE = mfspassword');
    log.info('exports line: 10.0.0.0/8 / rw,password=letmein,maproot=0');
    log.addSecrets(['later-secret']);
    log.info('and later-secret too');
    await log.flush();
    const text = lines.join('');
    for (const secret of ['t0ps3cret', 'mfspassword', 'letmein', 'later-secret']) expect(text).not.toContain(secret);
    expect(text).toContain('password=***');
  });

  it('keeps a record on one line', async () => {
    const { log, lines } = collect({});
    log.warn('first\nsecond');
    await log.flush();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('first | second');
  });

  it('appends to HA_LOGFILE, and debug records to HA_DEBUGLOG only with HA_debug', async () => {
    const logfile = join(dir, 'ha.log');
    const debuglog = join(dir, 'ha-debug.log');
    const { log } = collect({ HA_LOGFILE: logfile, HA_DEBUGLOG: debuglog, HA_debug: '1' });
    log.info('to the log file');
    log.debug('to the debug file');
    await log.flush();
    expect(readFileSync(logfile, 'utf8')).toMatch(/INFO: to the log file/);
    expect(readFileSync(debuglog, 'utf8')).toMatch(/DEBUG: to the debug file/);
  });

  it('writes the exit reason for Pacemaker', async () => {
    const { log, lines } = collect({});
    log.exitReason('DATA_PATH /x is missing');
    await log.flush();
    expect(lines[0]).toBe('ocf-exit-reason:DATA_PATH /x is missing\n');
    expect(lines[1]).toMatch(/ERROR: DATA_PATH \/x is missing/);
  });
});
