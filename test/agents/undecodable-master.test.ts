/**
 * Fail safe against a master release newer than our decoder: a real master (the newest tested
 * version) behind a loopback proxy that lengthens its MATOCL_INFO answers by 16 bytes, a
 * layout no decoder knows. Such a master answers, and every decision must treat it so: the
 * mfsmaster monitor passes at every depth and says once what it could not read; a
 * mfs-metarestore node following it is not "without a master": its promote refuses (two
 * masters), its score does not claim to know the lag.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MATOCL_INFO } from '../../lib/moosefs/protocol.js';
import { SCORE } from '../../lib/moosefs/election.js';
import { exitCodeName, OCF } from '../../lib/ocf/exit-codes.js';
import { run } from '../../lib/process/run.js';
import { ocfEnv, runAgent } from '../helpers/built.js';
import { createMasterFixture, createMetaloggerFixture, masterAgent, type MasterFixture, type MetaloggerFixture } from '../helpers/moosefs.js';
import { NEWEST_MOOSEFS, mfsProgram } from '../helpers/moosefs-versions.js';
import { emptyCib, onlineNodes } from '../helpers/pacemaker.js';

const EXTRA = 16;

/** Forwards 127.0.0.1:<its port> to `target`, lengthening every MATOCL_INFO packet from the master. */
async function lengtheningProxy(target: number): Promise<{ port: number; server: Server; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = new Socket();
    sockets.add(client).add(upstream);
    let pending = Buffer.alloc(0);
    upstream.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      // Whole packets only: u32 command, u32 length, payload.
      while (pending.length >= 8 && pending.length >= 8 + pending.readUInt32BE(4)) {
        const length = pending.readUInt32BE(4);
        let packet = pending.subarray(0, 8 + length);
        pending = pending.subarray(8 + length);
        if (packet.readUInt32BE(0) === MATOCL_INFO) {
          packet = Buffer.concat([packet, Buffer.alloc(EXTRA)]);
          packet.writeUInt32BE(length + EXTRA, 4);
        }
        client.write(packet);
      }
    });
    client.on('data', (chunk) => upstream.write(chunk));
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', close).on('error', close);
    upstream.on('close', close).on('error', close);
    upstream.connect(target, '127.0.0.1');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, server, sockets };
}

describe(`a master whose CLTOMA_INFO answer does not decode (MooseFS ${NEWEST_MOOSEFS.version}, answer lengthened)`, () => {
  let master: MasterFixture;
  let proxy: Awaited<ReturnType<typeof lengtheningProxy>>;
  /** The master's own configuration with the client port moved to the proxy: what the agents read. */
  let proxiedConfig: string;
  let dir: string;
  beforeAll(async () => {
    master = await createMasterFixture({ moosefs: NEWEST_MOOSEFS });
    expect((await masterAgent(master, 'start')).name).toBe('OCF_SUCCESS');
    proxy = await lengtheningProxy(master.ports.client);
    dir = mkdtempSync('/tmp/mfs-ocf-test-undecodable-');
    proxiedConfig = join(dir, 'mfsmaster.cfg');
    writeFileSync(proxiedConfig, readFileSync(master.configFile, 'utf8').replace(/^MATOCL_LISTEN_PORT = \d+$/m, `MATOCL_LISTEN_PORT = ${proxy.port}`));
  });
  afterAll(async () => {
    for (const socket of proxy?.sockets ?? []) socket.destroy();
    proxy?.server.close();
    await master?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the mfsmaster monitor passes at depths 0, 10 and 20, and says once what it could not read', async () => {
    const rsctmp = mkdtempSync(join(dir, 'rsctmp-'));
    const monitor = (depth: number) =>
      masterAgent(master, 'monitor', { config: proxiedConfig }, { OCF_CHECK_LEVEL: String(depth), HA_RSCTMP: rsctmp, OCF_RESKEY_CRM_meta_interval: '10000' });
    for (const depth of [0, 10]) expect((await monitor(depth)).name).toBe('OCF_SUCCESS');
    const first = await monitor(20);
    expect(first.name, first.stderr).toBe('OCF_SUCCESS');
    expect(first.stderr).toMatch(/WARNING: mfsmaster \(pid \d+\) answers, but MATOCL_INFO of 221 bytes from master 4\.59\.2 has a layout this agent does not know: its metadata version is unknown/);
    const again = await monitor(20);
    expect(again.name).toBe('OCF_SUCCESS');
    expect(again.stderr, 'said once, not at every monitor').not.toMatch(/WARNING/);
  });

  describe('mfs-metarestore following it', () => {
    let ml: MetaloggerFixture;
    let node: MasterFixture;
    let cib: string;
    let env: Record<string, string>;
    beforeAll(async () => {
      ml = await createMetaloggerFixture(master.ports.metalogger, {}, NEWEST_MOOSEFS);
      // This node's own master configuration: the virtual IP's client port is the proxy's.
      node = await createMasterFixture({ moosefs: NEWEST_MOOSEFS, metadata: 'none', config: { MATOCL_LISTEN_PORT: proxy.port } });
      cib = await onlineNodes(await emptyCib(join(dir, 'empty.xml')), ['node1'], join(dir, 'cib.xml'));
      env = ocfEnv(
        { metalogger_config: ml.configFile, master_config: node.configFile, metalogger_binary: ml.binary, master_binary: mfsProgram(NEWEST_MOOSEFS, 'mfsmaster') },
        { OCF_RESOURCE_INSTANCE: 'mfsmeta', OCF_RESKEY_CRM_meta_on_node: 'node1', OCF_RESKEY_CRM_meta_timeout: '60000', CIB_file: cib, HA_RSCTMP: mkdtempSync(join(dir, 'ml-rsctmp-')) },
      );
    });
    afterAll(async () => {
      await ml?.cleanup();
      await node?.cleanup();
    });
    const agent = async (action: string, extra: Record<string, string> = {}) => {
      const result = await runAgent('mfs-metarestore', action, { ...env, ...extra });
      return { ...result, name: exitCodeName(result.code ?? -1) };
    };
    const attribute = async (name: string) =>
      (await run('crm_attribute', ['--node', 'node1', '--name', name, '--lifetime', 'reboot', '--query', '--quiet'], { env: { CIB_file: cib }, timeoutMs: 20_000 })).stdout.trim();

    it('is scored as following a master whose lag is unknown, never as a node without a master', async () => {
      expect((await agent('start')).name).toBe('OCF_SUCCESS');
      // The metalogger connects to the real master's MATOML port; bounded wait for the connection.
      let monitor = await agent('monitor', { OCF_RESKEY_CRM_meta_interval: '10000' });
      for (let i = 0; i < 20 && monitor.code !== OCF.SUCCESS; i++) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        monitor = await agent('monitor', { OCF_RESKEY_CRM_meta_interval: '10000' });
      }
      expect(monitor.name, monitor.stderr).toBe('OCF_SUCCESS');
      expect(await attribute('master-mfsmeta')).toBe(String(SCORE.floorInSync));
      expect(await attribute('mfs-ocf-reason-mfsmeta')).toMatch(/following a master whose metadata version cannot be read: lag not judged/);
    });

    it('refuses to promote while it answers: two masters', async () => {
      const promote = await agent('promote');
      expect(promote.name).toBe('OCF_ERR_GENERIC');
      expect(promote.exitReason).toMatch(new RegExp(`a master still answers at 127\\.0\\.0\\.1:${proxy.port} \\(metadata version unreadable\\): promoting would make two masters`));
      expect(node.masterPid(), 'no second master was started').toBeUndefined();
    });
  });
});
