/**
 * `mfs-crm ... --drbd-res-file`: the DRBD resource file, for DRBD 9 and DRBD 8.4, judged by
 * drbd-utils' own parsers, offline: `drbdadm -c FILE dump` (DRBD 9) and
 * `/usr/lib/drbd/drbdadm-84 -c FILE sh-nop` and `dump` (DRBD 8.4, the parser drbdadm hands an
 * 8.4 module to). Which DRBD the file is for: --drbd-version, else /proc/drbd where mfs-crm runs
 * (given to the built mfs-crm in its own mount namespace, as test/drbd-emulator does for LINBIT's
 * agent), else 9; the file's header says which and why.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, type RunResult } from '../../lib/process/run.js';
import { onNodeCommand, PROC_DRBD } from '../drbd-emulator/index.js';
import { MFS_CRM, runCrm } from './mfs-crm.js';

const DRBDADM_84 = '/usr/lib/drbd/drbdadm-84';
const PROC_DRBD_84 = 'version: 8.4.11 (api:1/proto:86-101)\nsrcversion: 2A4B9BDE4C5A8D1D3B5CF7F\n';

const STORE = ['--drbd-resource', 'mfs', '--device', '/dev/drbd0', '--directory', '/var/lib/mfs', '--fstype', 'xfs'];
const FENCED = ['--fence-agent', 'fence_ipmilan', '--fence-param', 'username=admin', '--fence-param', 'password=pw',
  '--fence-node-param', 'node1:ip=10.30.0.1', '--fence-node-param', 'node2:ip=10.30.0.2'];
const args = (topology: string) => [topology, '--node', 'node1', '--node', 'node2', '--ip', '10.20.0.100', ...STORE, ...FENCED];
const resArgs = (file: string, addresses = ['node1=10.1.0.1', 'node2=10.1.0.2:7790']) =>
  ['--drbd-res-file', file, '--drbd-disk', '/dev/vg0/mfs', ...addresses.flatMap((a) => ['--drbd-address', a])];

const flat = (text: string) => text.replace(/\s+/g, ' ');

function parse(file: string, version: '8.4' | '9', command: 'dump' | 'sh-nop' = 'dump'): Promise<RunResult> {
  return version === '9' ? run('drbdadm', ['-c', file, command], { timeoutMs: 30_000 }) : run(DRBDADM_84, ['-c', file, command], { timeoutMs: 30_000 });
}

let dir: string;
let step = 0;
const resFile = (tag: string) => join(dir, `${++step}-${tag}.res`);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mfs-crm-drbd-res-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the handlers the files name are those drbd-utils installs', () => {
  it('dpkg -L drbd-utils lists crm-fence-peer.sh, crm-unfence-peer.sh and their .9.sh forms under /usr/lib/drbd', async () => {
    const listed = await run('dpkg-query', ['-L', 'drbd-utils'], { timeoutMs: 30_000 });
    expect(listed.exitCode, listed.stderr).toBe(0);
    const files = listed.stdout.split('\n');
    for (const handler of ['crm-fence-peer.sh', 'crm-unfence-peer.sh', 'crm-fence-peer.9.sh', 'crm-unfence-peer.9.sh']) {
      expect(files).toContain(`/usr/lib/drbd/${handler}`);
      expect(existsSync(`/usr/lib/drbd/${handler}`)).toBe(true);
    }
  });
});

describe.each(['drbd', 'drbd-store'])('mfs-crm %s --drbd-res-file', (topology) => {
  it('--drbd-version 9: DRBD 9 syntax, parsed by drbdadm (dump)', async () => {
    const file = resFile(`${topology}-9`);
    const result = await runCrm([...args(topology), ...resArgs(file), '--drbd-version', '9']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(/DRBD/);
    expect(readFileSync(file, 'utf8')).toContain('\n# For DRBD 9 (--drbd-version 9).\n');
    const dump = await parse(file, '9');
    expect(dump.exitCode, dump.stderr).toBe(0);
    const text = flat(dump.stdout);
    expect(text).toContain('resource mfs {');
    expect(text).toMatch(/net \{ protocol C; fencing resource-only; \}/);
    expect(text).toContain('handlers { fence-peer /usr/lib/drbd/crm-fence-peer.9.sh; unfence-peer /usr/lib/drbd/crm-unfence-peer.9.sh; }');
    expect(text).toMatch(/on node1 \{ node-id 0; volume 0 \{ device \/dev\/drbd0 minor 0; disk \/dev\/vg0\/mfs; meta-disk internal; \} address ipv4 10.1.0.1:7789; \}/);
    expect(text).toContain('address ipv4 10.1.0.2:7790;');
    expect(text).toContain('connection-mesh { hosts node1 node2; }');
  });

  it('--drbd-version 8.4: DRBD 8.4 syntax, accepted by drbdadm-84 (sh-nop and dump, rc 0): fencing under disk, the 8.4 handlers', async () => {
    const file = resFile(`${topology}-84`);
    const result = await runCrm([...args(topology), ...resArgs(file), '--drbd-version', '8.4']);
    expect(result.exitCode, result.stderr).toBe(0);
    const written = readFileSync(file, 'utf8');
    expect(written).toContain('\n# For DRBD 8.4 (--drbd-version 8.4).\n');
    expect(written).not.toMatch(/node-id|connection-mesh|\.9\.sh/);
    const nop = await parse(file, '8.4', 'sh-nop');
    expect(nop.exitCode, nop.stderr).toBe(0);
    expect(nop.stderr).toBe('');
    const dump = await parse(file, '8.4');
    expect(dump.exitCode, dump.stderr).toBe(0);
    const text = flat(dump.stdout);
    expect(text).toContain('resource mfs {');
    expect(text).toContain('disk { fencing resource-only; }');
    expect(text).toContain('net { protocol C; }');
    expect(text).toContain('handlers { fence-peer /usr/lib/drbd/crm-fence-peer.sh; after-resync-target /usr/lib/drbd/crm-unfence-peer.sh; }');
    expect(text).toMatch(/on node1 \{ volume 0 \{ device \/dev\/drbd0 minor 0; disk \/dev\/vg0\/mfs; meta-disk internal; \} address ipv4 10.1.0.1:7789; \}/);
    expect(text).toContain('address ipv4 10.1.0.2:7790;');
  });
});

describe('--split-brain-policy on the drbd topology: DRBD resolves it at the handshake (after-sb-1pri)', () => {
  it.each(['9', '8.4'] as const)('DRBD %s: discard-secondary and manual, as drbdadm reads them; drbd-store leaves it to its agent', async (version) => {
    for (const [policy, afterSb] of [['discard-secondary', 'discard-secondary'], ['manual', 'disconnect']] as const) {
      const file = resFile(`after-sb-${policy}-${version}`);
      const result = await runCrm([...args('drbd'), ...resArgs(file), '--drbd-version', version, '--split-brain-policy', policy]);
      expect(result.exitCode, result.stderr).toBe(0);
      const dump = await parse(file, version);
      expect(dump.exitCode, dump.stderr).toBe(0);
      expect(flat(dump.stdout)).toMatch(new RegExp(`net \\{ protocol C; after-sb-1pri ${afterSb};`));
    }
    const file = resFile(`after-sb-store-${version}`);
    expect((await runCrm([...args('drbd-store'), ...resArgs(file), '--drbd-version', version, '--split-brain-policy', 'discard-secondary'])).exitCode).toBe(0);
    expect(readFileSync(file, 'utf8')).not.toContain('after-sb');
  });
});

describe('the parsers tell the two generations apart (the checks above can fail)', () => {
  it('a DRBD 9 file fed to drbdadm-84 is refused: fencing under net', async () => {
    const file = resFile('9-to-84');
    expect((await runCrm([...args('drbd'), ...resArgs(file), '--drbd-version', '9'])).exitCode).toBe(0);
    const refused = await parse(file, '8.4', 'sh-nop');
    expect(refused.exitCode).not.toBe(0);
    expect(flat(refused.stderr)).toContain(`${file}:7: Parse error: 'an option keyword' expected, but got 'fencing'`);
    expect(readFileSync(file, 'utf8').split('\n')[6]).toBe('    fencing resource-only;'); // line 7, under net
  });

  it('an IPv6 replication address is written as each DRBD wants it', async () => {
    for (const version of ['9', '8.4'] as const) {
      const file = resFile(`ipv6-${version}`);
      const result = await runCrm([...args('drbd'), ...resArgs(file, ['node1=[fd00::1]', 'node2=[fd00::2]']), '--drbd-version', version]);
      expect(result.exitCode, result.stderr).toBe(0);
      const dump = await parse(file, version);
      expect(dump.exitCode, dump.stderr).toBe(0);
      expect(dump.stdout).toMatch(/address\s+ipv6 \[fd00::1\]:7789;/);
    }
  });

  it('replaces an existing file whole; a file drbdadm rejects is one we would notice', async () => {
    const file = resFile('replace');
    writeFileSync(file, 'garbage {');
    expect((await parse(file, '9')).exitCode).not.toBe(0);
    expect((await parse(file, '8.4', 'sh-nop')).exitCode).not.toBe(0);
    const result = await runCrm([...args('drbd'), ...resArgs(file), '--drbd-version', '8.4']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).not.toContain('garbage');
    expect((await parse(file, '8.4', 'sh-nop')).exitCode).toBe(0);
  });
});

describe('which DRBD, without --drbd-version', () => {
  /** The built mfs-crm run with /proc/drbd saying `procDrbd` (its own mount namespace), or as it is here when undefined. */
  async function crmWithProcDrbd(procDrbd: string | undefined, extra: string[]): Promise<RunResult> {
    if (procDrbd === undefined) return runCrm(extra);
    const at = join(dir, `proc-${++step}`);
    mkdirSync(at);
    writeFileSync(join(at, 'proc-drbd'), procDrbd);
    const command = onNodeCommand({ dir: at }, 'node1', MFS_CRM, extra);
    return run(command.file, command.args, { timeoutMs: 60_000 });
  }

  it.each<[string, string, '8.4' | '9', string]>([
    ['an 8.4 module', PROC_DRBD_84, '8.4', '# For DRBD 8.4: /proc/drbd where mfs-crm ran says "version: 8.4.11 (api:1/proto:86-101)".'],
    ['a DRBD 9 module', PROC_DRBD, '9', '# For DRBD 9: /proc/drbd where mfs-crm ran says "version: 9.2.2 (api:2/proto:86-121)".'],
  ])('/proc/drbd of %s: the file is for that DRBD, and says so', async (_case, procDrbd, version, header) => {
    const file = resFile(`proc-${version}`);
    const result = await crmWithProcDrbd(procDrbd, [...args('drbd-store'), ...resArgs(file)]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(/DRBD/);
    expect(readFileSync(file, 'utf8').split('\n')[2]).toBe(header);
    const check = await parse(file, version, version === '9' ? 'dump' : 'sh-nop');
    expect(check.exitCode, check.stderr).toBe(0);
  });

  it.skipIf(existsSync('/proc/drbd'))('no /proc/drbd (no module loaded here): DRBD 9, said in the file and on stderr', async () => {
    const file = resFile('default');
    const result = await crmWithProcDrbd(undefined, [...args('drbd'), ...resArgs(file)]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/warning: the DRBD resource file is written for DRBD 9: there is no \/proc\/drbd here .* give --drbd-version 8.4/);
    expect(readFileSync(file, 'utf8').split('\n')[2]).toBe(
      '# For DRBD 9: no /proc/drbd where mfs-crm ran (no DRBD module loaded) and no --drbd-version; for DRBD 8.4 run mfs-crm with --drbd-version 8.4.',
    );
    expect((await parse(file, '9')).exitCode).toBe(0);
  });

  it('--drbd-version wins over /proc/drbd, with a warning when they differ', async () => {
    const file = resFile('override');
    const result = await crmWithProcDrbd(PROC_DRBD_84, [...args('drbd'), ...resArgs(file), '--drbd-version', '9']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain('warning: the DRBD resource file is written for DRBD 9 (--drbd-version), but /proc/drbd here says "version: 8.4.11 (api:1/proto:86-101)"');
    expect((await parse(file, '9')).exitCode).toBe(0);
  });

  it.each<[string, string | undefined, string[], RegExp]>([
    ['a /proc/drbd of a DRBD mfs-crm does not write for (8.3)', 'version: 8.3.16 (api:88/proto:86-97)\n', [], /--drbd-version: is needed: \/proc\/drbd here says "version: 8.3.16/],
    ['a version that is not 8.4 or 9', undefined, ['--drbd-version', '8'], /--drbd-version: must be one of 8.4, 9, got "8"/],
  ])('%s: exit 2, nothing written', async (_case, procDrbd, extra, message) => {
    const file = resFile('refused');
    const result = await crmWithProcDrbd(procDrbd, [...args('drbd'), ...resArgs(file), ...extra]);
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
    expect(existsSync(file)).toBe(false);
  });

  it('--drbd-version without --drbd-res-file: exit 2', async () => {
    const result = await runCrm([...args('drbd'), '--drbd-version', '8.4']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('--drbd-version: needs --drbd-res-file');
  });
});
