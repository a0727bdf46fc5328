/**
 * Fault hooks of the DRBD emulator: a cut link, resync after it, split brain and its manual
 * resolution, outdating, a failed disk, a device held open; all through the built tools.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Deadline } from '../../lib/runtime/deadline.js';
import { createTwoNodeSetup, type TwoNodeOptions, type TwoNodeSetup } from './index.js';

const setups: TwoNodeSetup[] = [];
afterEach(async () => {
  for (const setup of setups.splice(0)) await setup.cleanup();
});

async function twoNodes(options: TwoNodeOptions = {}): Promise<TwoNodeSetup> {
  const setup = await createTwoNodeSetup({ up: true, ...options });
  setups.push(setup);
  return setup;
}

async function events(drbd: TwoNodeSetup, node: string): Promise<string> {
  return (await drbd.drbdsetup(node, ['events2', '--now', drbd.resource])).stdout;
}

/** Polls `drbdadm status` on `node` until it matches (bounded). */
async function waitForStatus(drbd: TwoNodeSetup, node: string, pattern: RegExp, ms = 20_000): Promise<string> {
  const deadline = new Deadline(ms);
  let last = '';
  const found = await deadline.poll(
    async () => {
      last = (await drbd.drbdadm(node, ['status', drbd.resource])).stdout;
      return pattern.test(last) ? last : undefined;
    },
    { intervalMs: 100 },
  );
  if (!found) throw new Error(`status on ${node} never matched ${pattern}; last:\n${last}`);
  return found;
}

describe('DRBD emulator fault hooks', () => {
  it('a cut link: the Primary keeps UpToDate, the Secondary stays UpToDate until outdated; healing resyncs', async () => {
    // The resync runs until the test ends it: its intermediate states are observed without races.
    const drbd = await twoNodes({ resyncMs: -1 });
    expect((await drbd.drbdadm('alpha', ['primary', 'r0'])).exitCode).toBe(0);
    expect((await drbd.fault(['cut', 'r0'])).exitCode).toBe(0);
    expect((await drbd.drbdadm('alpha', ['status', 'r0'])).stdout).toBe('r0 role:Primary\n  disk:UpToDate\n  beta connection:Connecting\n');
    // No fencing: the disconnected Secondary keeps UpToDate data, promotable (LINBIT's score 1000 case).
    expect(await events(drbd, 'beta')).toContain('role:Secondary suspended:no force-io-failures:no may_promote:yes promotion_score:10101');
    // What a fence-peer handler achieves: the peer's disk is outdated.
    expect((await drbd.fault(['outdate', 'r0', 'beta'])).exitCode).toBe(0);
    const outdated = await events(drbd, 'beta');
    expect(outdated).toContain('may_promote:no promotion_score:0');
    expect(outdated).toContain('disk:Outdated');
    const refused = await drbd.drbdadm('beta', ['primary', 'r0']);
    expect(refused.exitCode).toBe(17);
    expect(refused.stderr).toContain('(-2) Need access to UpToDate data');
    // A Primary cannot be outdated.
    expect((await drbd.fault(['outdate', 'r0', 'alpha'])).exitCode).not.toBe(0);
    // Reconnect: alpha wrote meanwhile (new generation), so it is the SyncSource.
    expect((await drbd.fault(['heal', 'r0'])).exitCode).toBe(0);
    const syncing = (await drbd.drbdadm('beta', ['status', 'r0'])).stdout;
    expect(syncing).toMatch(/^r0 role:Secondary\n {2}disk:Inconsistent\n {2}alpha role:Primary\n {4}replication:SyncTarget peer-disk:UpToDate done:\d+\.\d\d\n$/);
    expect((await drbd.drbdsetup('alpha', ['events2', '--now', 'r0'])).stdout).toMatch(/replication:SyncSource peer-disk:Inconsistent peer-client:no resync-suspended:no done:\d+\.\d\d/);
    // A SyncTarget with its UpToDate peer may be promoted (reads go to the peer) once that peer is not Primary.
    expect((await drbd.drbdsetup('beta', ['events2', '--now', 'r0'])).stdout).toContain('may_promote:no promotion_score:10001');
    expect((await drbd.fault(['resync-done', 'r0'])).exitCode).toBe(0);
    await waitForStatus(drbd, 'beta', /disk:UpToDate\n {2}alpha role:Primary\n {4}peer-disk:UpToDate\n$/);
  });

  it('drbdadm outdate: refused while connected, works once disconnected', async () => {
    const drbd = await twoNodes();
    expect((await drbd.drbdsetup('beta', ['outdate', '0'])).exitCode).toBe(11);
    expect((await drbd.drbdadm('beta', ['disconnect', 'r0'])).exitCode).toBe(0);
    expect((await drbd.drbdadm('beta', ['outdate', 'r0'])).exitCode).toBe(0);
    expect((await drbd.drbdadm('beta', ['dstate', 'r0'])).stdout).toBe('Outdated/DUnknown');
    // Outdated meets UpToDate with the same data: UpToDate again, no resync.
    expect((await drbd.drbdadm('beta', ['connect', 'r0'])).exitCode).toBe(0);
    expect((await drbd.drbdadm('beta', ['dstate', 'r0'])).stdout).toBe('UpToDate/UpToDate');
    // Down, the meta-data is outdated through drbdmeta.
    expect((await drbd.drbdadm('beta', ['down', 'r0'])).exitCode).toBe(0);
    expect((await drbd.drbdadm('beta', ['outdate', 'r0'])).exitCode).toBe(0);
    expect((await drbd.drbdadm('beta', ['up', 'r0'])).exitCode).toBe(0);
    expect((await drbd.drbdadm('beta', ['dstate', 'r0'])).stdout).toBe('UpToDate/UpToDate');
  });

  it('split brain: both Primary while cut, StandAlone on reconnect; connect --discard-my-data resolves it', async () => {
    // A resync that ends by itself after 300 ms.
    const drbd = await twoNodes({ resyncMs: 300 });
    expect((await drbd.drbdadm('alpha', ['primary', 'r0'])).exitCode).toBe(0);
    expect((await drbd.fault(['cut', 'r0'])).exitCode).toBe(0);
    expect((await drbd.drbdadm('beta', ['primary', 'r0'])).exitCode).toBe(0);
    expect((await drbd.fault(['heal', 'r0'])).exitCode).toBe(0);
    for (const [node, peer] of [['alpha', 'beta'], ['beta', 'alpha']] as const) {
      expect((await drbd.drbdadm(node, ['status', 'r0'])).stdout).toBe(`r0 role:Primary\n  disk:UpToDate\n  ${peer} connection:StandAlone\n`);
      expect(await events(drbd, node)).toContain('connection:StandAlone role:Unknown');
    }
    expect((await drbd.fault(['log'])).stdout).toContain('Split-Brain detected but unresolved, dropping connection!');
    // The victim must not be Primary.
    const primaryVictim = await drbd.drbdadm('beta', ['connect', '--discard-my-data', 'r0']);
    expect(primaryVictim.exitCode).toBe(10);
    expect(primaryVictim.stderr).toContain('r0: Failure: (123) --discard-my-data not allowed when primary.');
    expect((await drbd.drbdadm('beta', ['disconnect', 'r0'])).exitCode).toBe(0);
    expect((await drbd.drbdadm('beta', ['secondary', 'r0'])).exitCode).toBe(0);
    expect((await drbd.drbdadm('beta', ['connect', '--discard-my-data', 'r0'])).exitCode).toBe(0);
    expect((await drbd.drbdadm('beta', ['cstate', 'r0'])).stdout).toBe('Connecting');
    expect((await drbd.drbdadm('alpha', ['connect', 'r0'])).exitCode).toBe(0);
    expect((await drbd.fault(['log'])).stdout).toContain('Split-Brain detected, manually solved. Sync from peer node');
    await waitForStatus(drbd, 'beta', /^r0 role:Secondary\n {2}disk:UpToDate\n {2}alpha role:Primary\n {4}peer-disk:UpToDate\n$/);
  });

  it('a failed disk: the node goes Diskless and a Primary keeps serving through its peer', async () => {
    const drbd = await twoNodes();
    expect((await drbd.drbdadm('alpha', ['primary', 'r0'])).exitCode).toBe(0);
    expect((await drbd.fault(['fail-disk', 'r0', 'alpha'])).exitCode).toBe(0);
    expect((await drbd.drbdadm('alpha', ['status', 'r0'])).stdout).toBe('r0 role:Primary\n  disk:Diskless client:no\n  beta role:Secondary\n    peer-disk:UpToDate\n');
    expect(await events(drbd, 'beta')).toContain('peer-disk:Diskless peer-client:no');
    expect(await events(drbd, 'alpha')).toContain('backing_dev:none disk:Diskless client:no');
    // Once the link goes too, no UpToDate data is reachable: a Diskless node cannot be promoted.
    expect((await drbd.drbdadm('alpha', ['secondary', 'r0'])).exitCode).toBe(0);
    expect((await drbd.fault(['cut', 'r0'])).exitCode).toBe(0);
    expect((await drbd.drbdadm('alpha', ['primary', 'r0'])).exitCode).toBe(17);
    expect((await drbd.drbdadm('alpha', ['primary', '--force', 'r0'])).exitCode).toBe(17);
    // Re-attaching brings the disk back.
    expect((await drbd.fault(['heal', 'r0'])).exitCode).toBe(0);
    expect((await drbd.drbdadm('alpha', ['attach', 'r0'])).exitCode).toBe(0);
    expect((await drbd.drbdadm('alpha', ['dstate', 'r0'])).stdout).toBe('UpToDate/UpToDate');
  });

  it('hold-open: a Primary whose device is held open cannot be demoted or downed', async () => {
    const drbd = await twoNodes();
    expect((await drbd.drbdadm('alpha', ['primary', 'r0'])).exitCode).toBe(0);
    expect((await drbd.fault(['hold-open', 'r0', 'alpha', 'mfsmaster'])).exitCode).toBe(0);
    const refused = await drbd.drbdadm('alpha', ['secondary', 'r0']);
    expect(refused.exitCode).toBe(11);
    expect(refused.stderr).toContain(`additional info from kernel:\n${drbd.devices.alpha} opened by mfsmaster (pid 0)`);
    expect((await drbd.drbdadm('alpha', ['down', 'r0'])).exitCode).toBe(11);
    expect((await drbd.fault(['release', 'r0', 'alpha'])).exitCode).toBe(0);
    expect((await drbd.drbdadm('alpha', ['down', 'r0'])).exitCode).toBe(0);
    expect((await drbd.drbdadm('beta', ['status', 'r0'])).stdout).toBe('r0 role:Secondary\n  disk:UpToDate\n  alpha connection:Connecting\n');
  });

  it('fencing: promotion with an unknown peer runs fence-peer (rc 11 (-7) when it fails), a Primary losing its peer runs it, resync runs unfence-peer', async () => {
    const handler = (name: string) => `#!/bin/sh\necho "${name} $DRBD_RESOURCE peer=$DRBD_PEER_NODE_ID node0=$DRBD_NODE_ID_0 cstate=$DRBD_CSTATE" >> "$(dirname "$0")/handlers.log"\nexit $(cat "$(dirname "$0")/fence-exit")\n`;
    const setup = await createTwoNodeSetup({ net: 'fencing resource-only;' });
    setups.push(setup);
    const fence = join(setup.dir, 'fence.sh');
    const unfence = join(setup.dir, 'unfence.sh');
    writeFileSync(fence, handler('fence-peer'), { mode: 0o755 });
    writeFileSync(unfence, handler('unfence-peer'), { mode: 0o755 });
    writeFileSync(join(setup.dir, 'fence-exit'), '7\n');
    writeFileSync(setup.config, readFileSync(setup.config, 'utf8').replace('  net {', `  handlers {\n    fence-peer "${fence}";\n    unfence-peer "${unfence}";\n  }\n  net {`));
    const handlersLog = () => readFileSync(join(setup.dir, 'handlers.log'), 'utf8').trim().split('\n');
    expect((await setup.fault(['handlers', 'on'])).exitCode).toBe(0);
    for (const node of setup.nodes) expect((await setup.drbdadm(node, ['up', 'r0'])).exitCode).toBe(0);
    expect((await setup.fault(['cut', 'r0'])).exitCode).toBe(0);
    // beta promotes with alpha unknown: the handler fences alpha (7: stonithed), then beta is Primary.
    const promoted = await setup.drbdadm('beta', ['primary', 'r0']);
    expect(promoted.exitCode, promoted.stderr).toBe(0);
    expect(handlersLog()).toEqual(['fence-peer r0 peer=0 node0=alpha cstate=Connecting']);
    expect(await events(setup, 'beta')).toContain('replication:Off peer-disk:Outdated');
    // alpha's handler fails: promotion refused as the kernel refuses it.
    writeFileSync(join(setup.dir, 'fence-exit'), '1\n');
    const refused = await setup.drbdadm('alpha', ['primary', 'r0']);
    expect(refused.exitCode).toBe(11);
    expect(refused.stderr).toContain('r0: State change failed: (-7) Refusing to be Primary while peer is not outdated');
    // --force overrides it.
    expect((await setup.drbdadm('alpha', ['primary', '--force', 'r0'])).exitCode).toBe(0);
    expect((await setup.drbdadm('alpha', ['secondary', 'r0'])).exitCode).toBe(0);
    expect((await setup.drbdadm('alpha', ['disconnect', 'r0'])).exitCode).toBe(0);
    expect((await setup.drbdadm('alpha', ['connect', '--discard-my-data', 'r0'])).exitCode).toBe(0);
    // Reconnected and resynced: beta's next command runs unfence-peer.
    expect((await setup.fault(['heal', 'r0'])).exitCode).toBe(0);
    expect((await setup.drbdadm('beta', ['dstate', 'r0'])).stdout).toBe('UpToDate/UpToDate');
    expect((await setup.drbdadm('beta', ['role', 'r0'])).exitCode).toBe(0);
    expect(handlersLog().filter((line) => line.startsWith('unfence-peer'))).toEqual(['unfence-peer r0 peer=0 node0=alpha cstate=Connecting']);
    // The Primary loses its peer: its next command runs fence-peer.
    writeFileSync(join(setup.dir, 'fence-exit'), '4\n');
    expect((await setup.fault(['cut', 'r0'])).exitCode).toBe(0);
    const before = handlersLog().length;
    expect((await setup.drbdadm('beta', ['role', 'r0'])).stdout).toBe('Primary');
    expect(handlersLog().slice(before)).toEqual(['fence-peer r0 peer=0 node0=alpha cstate=Connecting']);
    expect((await setup.fault(['log'])).stdout).toContain('fence-peer helper returned 4 (peer was fenced)');
  });

  it('fencing: a disk attached while its peer is unknown is Consistent (no promotion score) until fence-peer or the peer', async () => {
    const setup = await createTwoNodeSetup({ net: 'fencing resource-only;' });
    setups.push(setup);
    const fence = join(setup.dir, 'fence.sh');
    writeFileSync(fence, `#!/bin/sh\necho "fence-peer $DRBD_RESOURCE" >> "$(dirname "$0")/handlers.log"\nexit 5\n`, { mode: 0o755 });
    writeFileSync(setup.config, readFileSync(setup.config, 'utf8').replace('  net {', `  handlers {\n    fence-peer "${fence}";\n  }\n  net {`));
    expect((await setup.fault(['handlers', 'on'])).exitCode).toBe(0);
    expect((await setup.drbdadm('alpha', ['up', 'r0'])).exitCode).toBe(0);
    const alone = await events(setup, 'alpha');
    expect(alone).toContain('disk:Consistent client:no');
    expect(alone).toContain('may_promote:no promotion_score:0');
    // Promotion fences the unknown peer first (5: unreachable), then counts the data UpToDate.
    expect((await setup.drbdadm('alpha', ['primary', 'r0'])).exitCode).toBe(0);
    expect(readFileSync(join(setup.dir, 'handlers.log'), 'utf8')).toBe('fence-peer r0\n');
    expect((await setup.drbdadm('alpha', ['dstate', 'r0'])).stdout).toBe('UpToDate/Outdated');
    // The peer comes: it was not fenced itself, meets alpha's newer data and resyncs.
    expect((await setup.drbdadm('beta', ['up', 'r0'])).exitCode).toBe(0);
    expect((await setup.drbdadm('beta', ['dstate', 'r0'])).stdout).toBe('UpToDate/UpToDate');
    expect((await setup.drbdadm('beta', ['status', 'r0'])).stdout).toBe('r0 role:Secondary\n  disk:UpToDate\n  alpha role:Primary\n    peer-disk:UpToDate\n');
  });

  it('crash: the node forgets its resources, its peer sees it gone, promotes, and is SyncSource when it returns', async () => {
    const drbd = await twoNodes();
    expect((await drbd.drbdadm('alpha', ['primary', 'r0'])).exitCode).toBe(0);
    expect((await drbd.fault(['crash', 'alpha'])).exitCode).toBe(0);
    // The emulated kernel knows nothing of r0 on alpha any more (its /dev went with it: the node is left as it was).
    expect((await drbd.drbdsetup('alpha', ['events2', '--now', 'r0'])).stdout).toBe('exists -');
    expect((await drbd.drbdadm('beta', ['status', 'r0'])).stdout).toBe('r0 role:Secondary\n  disk:UpToDate\n  alpha connection:Connecting\n');
    expect((await drbd.drbdadm('beta', ['primary', 'r0'])).exitCode).toBe(0);
    expect((await drbd.drbdadm('alpha', ['up', 'r0'])).exitCode).toBe(0);
    expect((await drbd.drbdadm('alpha', ['status', 'r0'])).stdout).toBe('r0 role:Secondary\n  disk:UpToDate\n  beta role:Primary\n    peer-disk:UpToDate\n');
    expect((await drbd.fault(['log'])).stdout).toContain('alpha: r0: resync started, SyncTarget from beta');
  });

  it('after-sb-1pri discard-secondary: a split brain with one Primary is solved at the handshake', async () => {
    const drbd = await twoNodes({ net: 'after-sb-1pri discard-secondary;' });
    expect((await drbd.drbdadm('alpha', ['primary', 'r0'])).exitCode).toBe(0);
    expect((await drbd.fault(['cut', 'r0'])).exitCode).toBe(0);
    expect((await drbd.drbdadm('beta', ['primary', 'r0'])).exitCode).toBe(0);
    expect((await drbd.drbdadm('beta', ['secondary', 'r0'])).exitCode).toBe(0);
    expect((await drbd.fault(['heal', 'r0'])).exitCode).toBe(0);
    expect((await drbd.drbdadm('beta', ['status', 'r0'])).stdout).toBe('r0 role:Secondary\n  disk:UpToDate\n  alpha role:Primary\n    peer-disk:UpToDate\n');
    const log = (await drbd.fault(['log'])).stdout;
    expect(log).toContain('beta: drbd r0: Split-Brain detected, 1 primaries, automatically solved. Sync from peer node');
    expect(log).not.toContain('unresolved');
    // The running net options (drbdsetup show) match the file: adjust has nothing to do.
    expect((await drbd.drbdadm('alpha', ['-d', 'adjust', 'r0'])).stdout).toBe('');
  });
});
