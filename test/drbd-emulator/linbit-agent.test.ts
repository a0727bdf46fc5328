/**
 * The judge of faithfulness: LINBIT's own installed agent, ocf:linbit:drbd, run unmodified
 * over the emulator on two nodes. Each action runs "on" its node (own UTS and mount
 * namespaces: hostname, /proc/drbd), its promotion score goes through crm_master into a CIB
 * file (CIB_file, two online nodes made by crm_simulate), as Pacemaker would keep it.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OCF } from '../../lib/ocf/exit-codes.js';
import { run } from '../../lib/process/run.js';
import { createTwoNodeSetup, EMULATOR_BIN, onNodeCommand, onThisNodeWrapper, PROC_DRBD, type TwoNodeSetup } from './index.js';

const LINBIT_AGENT = '/usr/lib/ocf/resource.d/linbit/drbd';
let drbd: TwoNodeSetup;
let cib: string;

beforeAll(async () => {
  expect(existsSync(LINBIT_AGENT)).toBe(true);
  drbd = await createTwoNodeSetup();
  const empty = join(drbd.dir, 'empty.xml');
  cib = join(drbd.dir, 'cib.xml');
  const made = await run('sh', ['-c', 'cibadmin --empty > "$1" && crm_simulate -x "$1" -q true -u alpha -u beta -O "$2"', 'sh', empty, cib]);
  expect(made.exitCode).toBe(0);
});

afterAll(async () => {
  await drbd?.cleanup();
});

/** One action of ocf:linbit:drbd on `node`, with the environment Pacemaker gives a promotable clone. */
async function linbit(node: string, action: string, extra: Record<string, string> = {}, setup: TwoNodeSetup = drbd, command = onNodeCommand(setup, node, LINBIT_AGENT, [action])) {
  const { file, args } = command;
  const result = await run(file, args, {
    extendEnv: false,
    timeoutMs: 60_000,
    env: {
      PATH: `${EMULATOR_BIN}:/usr/sbin:/usr/bin:/sbin:/bin`,
      DRBD_EMULATOR_STATE: setup.stateDir,
      CIB_file: cib,
      OCF_ROOT: '/usr/lib/ocf',
      OCF_RESOURCE_INSTANCE: 'drbd0',
      OCF_RESKEY_drbd_resource: setup.resource,
      OCF_RESKEY_drbdconf: setup.config,
      OCF_RESKEY_crm_feature_set: '3.16.2',
      OCF_RESKEY_CRM_meta_clone_max: '2',
      OCF_RESKEY_CRM_meta_clone_node_max: '1',
      OCF_RESKEY_CRM_meta_master_max: '1',
      OCF_RESKEY_CRM_meta_master_node_max: '1',
      OCF_RESKEY_CRM_meta_notify: 'true',
      OCF_RESKEY_CRM_meta_timeout: '30000',
      OCF_RESKEY_CRM_meta_interval: action === 'monitor' ? '15000' : '0',
      ...extra,
    },
  });
  const reason = result.stderr.split('\n').filter((line) => line.startsWith('ocf-exit-reason:')).at(-1);
  return { ...result, reason };
}

const probe = { OCF_RESKEY_CRM_meta_interval: '0' };

/** The promotion score the agent keeps for `node` (undefined when deleted). */
async function score(node: string): Promise<string | undefined> {
  const result = await run('crm_attribute', ['-N', node, '-n', 'master-drbd0', '-l', 'reboot', '-G', '-q'], { env: { CIB_file: cib } });
  return result.exitCode === 0 ? result.stdout.trim() : undefined;
}

describe('ocf:linbit:drbd over the DRBD emulator', () => {
  it('probe before start: not running (7)', async () => {
    for (const node of drbd.nodes) expect((await linbit(node, 'monitor', probe)).exitCode).toBe(OCF.NOT_RUNNING);
    expect(await score('alpha')).toBeUndefined();
  });

  it('start on alpha alone: Secondary, score 1000 (UpToDate, peer unknown)', async () => {
    const started = await linbit('alpha', 'start');
    expect(started.exitCode, started.stderr).toBe(OCF.SUCCESS);
    // Its wait for the peer timed out (rc 5, ignored), as with a real unreachable peer.
    expect(started.stderr).toContain('Called drbdsetup wait-connect-resource r0 --wfc-timeout=5');
    expect((await drbd.drbdadm('alpha', ['role', 'r0'])).stdout).toBe('Secondary');
    expect(await score('alpha')).toBe('1000');
  });

  it('start on beta: connected, monitors 0 and score 10000 on both', async () => {
    expect((await linbit('beta', 'start')).exitCode).toBe(OCF.SUCCESS);
    for (const node of drbd.nodes) {
      expect((await linbit(node, 'monitor')).exitCode).toBe(OCF.SUCCESS);
      expect(await score(node)).toBe('10000');
    }
    expect((await drbd.drbdadm('alpha', ['cstate', 'r0'])).stdout).toBe('Connected');
  });

  it('promote alpha: 0, then monitor 8', async () => {
    const promoted = await linbit('alpha', 'promote');
    expect(promoted.exitCode, promoted.stderr).toBe(OCF.SUCCESS);
    expect((await linbit('alpha', 'monitor')).exitCode).toBe(OCF.RUNNING_PROMOTED);
    expect((await linbit('beta', 'monitor')).exitCode).toBe(OCF.SUCCESS);
  });

  it('promote beta while alpha is Primary: refused, beta stays Secondary', async () => {
    const refused = await linbit('beta', 'promote', { OCF_RESKEY_fail_promote_early_if_peer_primary: 'true' });
    expect(refused.exitCode).toBe(OCF.ERR_GENERIC);
    expect(refused.stderr).toContain('Multiple primaries not allowed by config');
    expect(refused.reason).toBe('ocf-exit-reason:Peer node already/still Primary');
    expect((await drbd.drbdadm('beta', ['role', 'r0'])).stdout).toBe('Secondary');
  });

  it('demote alpha: 0, monitor 0', async () => {
    expect((await linbit('alpha', 'demote')).exitCode).toBe(OCF.SUCCESS);
    expect((await linbit('alpha', 'monitor')).exitCode).toBe(OCF.SUCCESS);
  });

  it('stop both: 0, probes 7, scores deleted, devices gone', async () => {
    for (const node of drbd.nodes) {
      const stopped = await linbit(node, 'stop');
      expect(stopped.exitCode, stopped.stderr).toBe(OCF.SUCCESS);
      expect((await linbit(node, 'monitor', probe)).exitCode).toBe(OCF.NOT_RUNNING);
      expect(await score(node)).toBeUndefined();
      expect(existsSync(drbd.devices[node]!)).toBe(false);
    }
  });

  it('the wrapper the live-cluster lab installs as ocf:linbit:drbd (onThisNodeWrapper): /proc/drbd, the host name it runs on, arguments as given', async () => {
    const wrapper = join(drbd.dir, 'linbit-wrapper');
    writeFileSync(wrapper, onThisNodeWrapper(drbd, LINBIT_AGENT), { mode: 0o755 });
    // On a host named beta (a lab node has its own UTS namespace): the agent's probe there.
    const onBeta = { file: 'unshare', args: ['--uts', '--', 'bash', '-c', 'hostname "$1" && shift && exec "$@"', 'host', 'beta', wrapper, 'monitor'] };
    const probed = await linbit('beta', 'monitor', probe, drbd, onBeta);
    expect(probed.exitCode, probed.stderr).toBe(OCF.NOT_RUNNING);
    const cat = join(drbd.dir, 'cat-wrapper');
    writeFileSync(cat, onThisNodeWrapper(drbd, 'cat'), { mode: 0o755 });
    const shown = await run(cat, ['/proc/drbd', '/proc/self/comm']);
    expect(shown.stdout).toBe(`${PROC_DRBD}cat`); // run() trims the last newline
    // pacemaker-controld asks for meta-data as hacluster, who cannot make namespaces.
    const open = mkdtempSync(join(tmpdir(), 'linbit-wrapper-'));
    try {
      chmodSync(open, 0o755);
      writeFileSync(join(open, 'drbd'), onThisNodeWrapper(drbd, LINBIT_AGENT), { mode: 0o755 });
      const meta = await run('setpriv', ['--reuid=hacluster', '--regid=haclient', '--clear-groups', join(open, 'drbd'), 'meta-data']);
      expect(meta.exitCode, meta.stderr).toBe(OCF.SUCCESS);
      expect(meta.stdout).toContain('<resource-agent name="drbd"');
    } finally {
      rmSync(open, { recursive: true, force: true });
    }
    const odd = join(drbd.dir, `it's "$HOME" * a name`);
    writeFileSync(odd, 'as given');
    expect((await run(cat, [odd])).stdout).toBe('as given');
  });

  it('with fencing: alone after start its disk is Consistent (no score); promote fences the peer through the handler', async () => {
    const fenced = await createTwoNodeSetup({ net: 'fencing resource-only;' });
    try {
      const handler = join(fenced.dir, 'fence.sh');
      writeFileSync(handler, `#!/bin/sh\necho "fence-peer $DRBD_RESOURCE on $(uname -n)" >> "$(dirname "$0")/handlers.log"\nexit 5\n`, { mode: 0o755 });
      writeFileSync(fenced.config, readFileSync(fenced.config, 'utf8').replace('  net {', `  handlers {\n    fence-peer "${handler}";\n  }\n  net {`));
      expect((await fenced.fault(['handlers', 'on'])).exitCode).toBe(0);
      expect((await linbit('alpha', 'start', {}, fenced)).exitCode).toBe(OCF.SUCCESS);
      expect((await fenced.drbdsetup('alpha', ['events2', '--now', 'r0'])).stdout).toContain('disk:Consistent');
      // LINBIT gives Consistent data without a good peer no promotion score.
      expect((await linbit('alpha', 'monitor', {}, fenced)).exitCode).toBe(OCF.SUCCESS);
      expect(await score('alpha')).toBeUndefined();
      // Promoted anyway (as by an operator): drbdadm primary fences the peer first.
      const promoted = await linbit('alpha', 'promote', {}, fenced);
      expect(promoted.exitCode, promoted.stderr).toBe(OCF.SUCCESS);
      expect(readFileSync(join(fenced.dir, 'handlers.log'), 'utf8')).toBe('fence-peer r0 on alpha\n');
      expect((await linbit('alpha', 'monitor', {}, fenced)).exitCode).toBe(OCF.RUNNING_PROMOTED);
      expect((await linbit('alpha', 'stop', {}, fenced)).exitCode).toBe(OCF.SUCCESS);
    } finally {
      await fenced.cleanup();
    }
  });
});
