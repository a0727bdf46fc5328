/**
 * The process side of lib/drbd with stand-in drbdadm/drbdsetup scripts that print what DRBD
 * 8.4 and 9 print: which commands are run with which arguments, how their outputs and exit
 * codes become a state, a refusal or an error. (The full CLI is exercised over the emulator
 * in test/agents/mfs-drbd-store.emulator.test.ts.)
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Drbd } from '../../../lib/drbd/drbdadm.js';
import { describeState } from '../../../lib/drbd/state.js';
import { Deadline } from '../../../lib/runtime/deadline.js';
import { Failure } from '../../../lib/runtime/errors.js';
import { createLogger } from '../../../lib/runtime/log.js';

let dir: string;
const log = createLogger({ agent: 'test', env: {}, write: () => {} });

/** Scripts answer from $FAKE_MODE and record their arguments in calls.log. */
const DRBDADM = `#!/bin/sh
echo "drbdadm $*" >> "$FAKE_DIR/calls.log"
case "$FAKE_MODE:$*" in
  v84*:*--version*) printf 'DRBDADM_VERSION_CODE=0x090f00\\nDRBD_KERNEL_VERSION_CODE=0x080411\\n' ;;
  *:*--version*) printf 'DRBDADM_VERSION_CODE=0x091600\\nDRBD_KERNEL_VERSION_CODE=0x090202\\n' ;;
  v84:*"role r0") echo "Secondary/Primary" ;;
  v84:*"cstate r0") echo "SyncTarget" ;;
  v84:*"dstate r0") echo "Inconsistent/UpToDate" ;;
  v84down:*"role r0") echo "r0: Unknown resource" >&2; exit 10 ;;
  *:*"sh-dev r0") echo /dev/drbd0; echo /dev/drbd1 ;;
  *:*"sh-dev x") echo "'x' not defined in your config (for this host)." >&2; exit 1 ;;
  *:*"primary r0") printf 'r0: State change failed: (-2) Need access to UpToDate data\\nCommand %s terminated with exit code 17\\n' "'drbdsetup primary r0'" >&2; exit 17 ;;
  *:*"secondary r0") printf 'r0: State change failed: (-12) Device is held open by someone\\nadditional info from kernel:\\n/dev/drbd0 opened by mount (pid 4242) at 2023-01-09 14:51:18.123\\n' >&2; exit 11 ;;
  *:*"down x") echo "'x' not defined in your config (for this host)." >&2; exit 1 ;;
  *:*"up r0") echo "r0: Failure: (125) Device has a net-config (use disconnect first)" >&2; exit 10 ;;
  *) exit 0 ;;
esac
`;

const DRBDSETUP = `#!/bin/sh
echo "drbdsetup $*" >> "$FAKE_DIR/calls.log"
case "$FAKE_MODE" in
  down) echo "exists -" ;;
  nomodule) echo "Failed to modprobe drbd (No such file or directory)" >&2; exit 20 ;;
  broken) echo "something odd" >&2; exit 3 ;;
  *) printf 'exists resource name:r0 role:Primary suspended:no force-io-failures:no may_promote:no promotion_score:10101\\nexists connection name:r0 peer-node-id:1 conn-name:b connection:Connecting role:Unknown\\nexists device name:r0 volume:0 minor:0 backing_dev:/dev/vdb disk:UpToDate client:no quorum:yes\\nexists peer-device name:r0 peer-node-id:1 conn-name:b volume:0 replication:Off peer-disk:DUnknown peer-client:no resync-suspended:no\\nexists -\\n' ;;
esac
`;

beforeAll(() => {
  dir = mkdtempSync('/tmp/mfs-ocf-drbdadm-');
  for (const [name, text] of [['drbdadm', DRBDADM], ['drbdsetup', DRBDSETUP]] as const) {
    writeFileSync(join(dir, name), text);
    chmodSync(join(dir, name), 0o755);
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A Drbd whose tools are the stand-ins; `configFile` null: no -c. */
function drbd(mode: string, resource = 'r0', configFile: string | null = '/etc/drbd.d/r0.res'): Drbd {
  writeFileSync(join(dir, 'calls.log'), '');
  return new Drbd({ resource, configFile: configFile ?? undefined, log, env: { PATH: `${dir}:${process.env.PATH}`, FAKE_DIR: dir, FAKE_MODE: mode } });
}

const calls = () => readFileSync(join(dir, 'calls.log'), 'utf8').trim().split('\n');
const deadline = () => new Deadline(20_000);

describe('Drbd (DRBD 9)', () => {
  it('reads the state from events2 --now, passing -c to drbdadm only', async () => {
    const d = drbd('v9');
    const state = await d.state(deadline());
    expect(describeState(state!)).toBe('Primary, disk UpToDate, peer b Connecting DUnknown');
    expect(calls()).toEqual(['drbdadm -c /etc/drbd.d/r0.res --version', 'drbdsetup events2 --now r0']);
  });

  it.each([
    ['down', undefined],
    ['nomodule', undefined],
  ])('a resource the kernel does not know (%s) is down', async (mode) => {
    expect(await drbd(mode).state(deadline())).toBeUndefined();
  });

  it('an unexplained drbdsetup failure is an error, not "down"', async () => {
    await expect(drbd('broken').state(deadline())).rejects.toThrow(/cannot read the state of DRBD resource r0: drbdsetup events2 --now r0: exit code 3/);
  });

  it('lists devices per volume, and says when the resource is not configured here', async () => {
    expect(await drbd('v9').devices(deadline())).toEqual(['/dev/drbd0', '/dev/drbd1']);
    const error = await drbd('v9', 'x').devices(deadline()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Failure);
    expect((error as Failure).kind).toBe('not-installed');
    expect((error as Failure).message).toContain("DRBD resource 'x' is not configured on this node (drbdadm sh-dev: 'x' not defined in your config (for this host).)");
  });

  it("classifies DRBD's refusals from exit code and text", async () => {
    const d = drbd('v9', 'r0', null);
    expect((await d.primary(deadline())).refusal).toBe('need-uptodate-data');
    const secondary = await d.secondary(deadline());
    expect(secondary.refusal).toBe('held-open');
    expect(secondary.said).toContain('/dev/drbd0 opened by mount (pid 4242)');
    await expect(d.up(deadline())).rejects.toThrow(/drbdadm up r0: exit code 10.*\(125\) Device has a net-config/);
    expect((await d.connect(deadline(), { discardMyData: true })).ok).toBe(true);
    expect(calls()).toEqual(['drbdadm primary r0', 'drbdadm secondary r0', 'drbdadm up r0', 'drbdadm connect --discard-my-data r0']);
  });
});

describe('Drbd versions', () => {
  it('takes the module version from /proc/drbd when there is one, without running drbdadm', async () => {
    writeFileSync(join(dir, 'calls.log'), '');
    writeFileSync(join(dir, 'proc-drbd'), 'version: 8.4.11 (api:1/proto:86-101)\n');
    const d = new Drbd({ resource: 'r0', configFile: undefined, log, procDrbd: join(dir, 'proc-drbd'), env: { PATH: `${dir}:${process.env.PATH}`, FAKE_DIR: dir, FAKE_MODE: 'v84' } });
    expect(await d.versions(deadline())).toEqual({ utils: 0, kernel: 0x08040b });
    expect(describeState((await d.state(deadline()))!)).toContain('SyncTarget');
    expect(calls().sort()).toEqual(['drbdadm cstate r0', 'drbdadm dstate r0', 'drbdadm role r0']);
  });
});

describe('Drbd down', () => {
  it('falls back to drbdsetup down when the configuration no longer names the resource', async () => {
    const d = drbd('v9', 'x');
    expect((await d.down(deadline())).ok).toBe(true);
    expect(calls()).toEqual(['drbdadm -c /etc/drbd.d/r0.res down x', 'drbdsetup down x']);
    const normal = drbd('v9');
    expect((await normal.down(deadline())).ok).toBe(true);
    expect(calls()).toEqual(['drbdadm -c /etc/drbd.d/r0.res down r0']);
  });
});

describe('Drbd (DRBD 8.4)', () => {
  it('reads role/cstate/dstate when the kernel module is 8.4', async () => {
    const d = drbd('v84', 'r0', null);
    const state = await d.state(deadline());
    expect(describeState(state!)).toBe('Secondary, disk Inconsistent, the peer Connected Primary UpToDate SyncTarget');
    expect(calls().sort()).toEqual(['drbdadm --version', 'drbdadm cstate r0', 'drbdadm dstate r0', 'drbdadm role r0']);
    expect(calls().some((line) => line.startsWith('drbdsetup'))).toBe(false);
  });

  it("reads the state from its device's minor in /proc/drbd, without running drbdadm, when the device is known", async () => {
    const device = join(dir, 'drbd3');
    execFileSync('mknod', [device, 'b', '147', '3']);
    const procDrbd = join(dir, 'proc-drbd');
    writeFileSync(procDrbd, 'version: 8.4.11 (api:1/proto:86-101)\n 3: cs:WFConnection ro:Primary/Unknown ds:UpToDate/DUnknown C s----s\n    ns:0 nr:0 dw:0 dr:0 al:0 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:0\n');
    writeFileSync(join(dir, 'calls.log'), '');
    const d = new Drbd({ resource: 'r0', configFile: undefined, log, procDrbd, device, env: { PATH: `${dir}:${process.env.PATH}`, FAKE_DIR: dir, FAKE_MODE: 'v84' } });
    const state = (await d.state(deadline()))!;
    expect(describeState(state)).toBe('Primary, disk UpToDate, the peer Connecting DUnknown');
    expect(state.suspended).toBe(true);
    expect(readFileSync(join(dir, 'calls.log'), 'utf8')).toBe('');
    // Down: the minor gone from /proc/drbd.
    writeFileSync(procDrbd, 'version: 8.4.11 (api:1/proto:86-101)\n');
    expect(await d.state(deadline())).toBeUndefined();
  });

  it('refuses a device that is not one of the resource\'s (its minor would be another resource\'s state)', async () => {
    const other = join(dir, 'other');
    writeFileSync(other, '');
    const d = drbd('v84', 'r0', null);
    await expect(d.checkDevice(other, deadline())).rejects.toThrow(`device=${other} is not a device of DRBD resource r0 (drbdadm sh-dev: /dev/drbd0, /dev/drbd1)`);
    await expect(d.checkDevice(other, deadline())).rejects.toMatchObject({ kind: 'misconfigured' });
    await expect(d.checkDevice(join(dir, 'absent'), deadline())).resolves.toBeUndefined();
    // A device not there yet still needs a resource that this node's configuration defines.
    await expect(drbd('v84', 'x', null).checkDevice(join(dir, 'absent'), deadline())).rejects.toMatchObject({ kind: 'not-installed' });
  });

  it('is down when drbdadm role fails (Unknown resource)', async () => {
    expect(await drbd('v84down', 'r0', null).state(deadline())).toBeUndefined();
  });
});
