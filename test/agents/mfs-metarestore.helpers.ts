/**
 * Emulated nodes for ocf:mfs:mfs-metarestore tests: each node has its own metalogger
 * configuration and data path, its own master configuration and DATA_PATH (on the same
 * loopback ports as the original master: "the virtual IP"), its own HA_RSCTMP, and a shared
 * offline CIB in which the election's attributes and the high-water mark live.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Deadline } from '../../lib/runtime/deadline.js';
import { exitCodeName } from '../../lib/ocf/exit-codes.js';
import { inspectSource } from '../../lib/moosefs/metalogger-files.js';
import { queryMasterInfo } from '../../lib/moosefs/protocol.js';
import { run } from '../../lib/process/run.js';
import { ocfEnv, runAgent } from '../helpers/built.js';
import { createMasterFixture, createMetaloggerFixture, masterAgent, type MasterFixture, type MetaloggerFixture } from '../helpers/moosefs.js';
import { emptyCib, onlineNodes } from '../helpers/pacemaker.js';
import { decodeReasons } from '../../lib/pacemaker/reason.js';
import type { MooseFsInstall } from '../helpers/moosefs-versions.js';

export const RESOURCE = 'mfsmeta';

export interface Node {
  name: string;
  master: MasterFixture;
  ml: MetaloggerFixture;
  rsctmp: string;
}

export interface Cluster {
  /** The MooseFS every daemon of this cluster runs (master, metaloggers, restore, clients). */
  moosefs: MooseFsInstall;
  dir: string;
  cib: string;
  /** The master the nodes follow (the "old" master, node1 in the words). */
  origin: MasterFixture;
  nodes: Node[];
  cleanup(): Promise<void>;
}

/**
 * An original master (started by ocf:mfs:mfsmaster) and `count` metalogger nodes following it, all of one MooseFS version.
 * `masterHost`: the address the metaloggers follow (MASTER_HOST), 127.0.0.1 by default; a VirtualIp's address makes them
 * follow whichever node holds it.
 */
export async function createCluster(names: string[], moosefs: MooseFsInstall, { masterHost }: { masterHost?: string } = {}): Promise<Cluster> {
  const dir = mkdtempSync('/tmp/mfs-ocf-test-cluster-');
  const origin = await createMasterFixture({ moosefs });
  const ports = origin.ports;
  const nodes: Node[] = [];
  for (const name of names) {
    const master = await createMasterFixture({
      moosefs,
      metadata: 'none',
      config: { MATOML_LISTEN_PORT: ports.metalogger, MATOCS_LISTEN_PORT: ports.chunkserver, MATOCL_LISTEN_PORT: ports.client },
    });
    // The fixture reports the ports it chose; this node's master listens on the shared ones.
    (master as { ports: typeof ports }).ports = ports;
    const ml = await createMetaloggerFixture(ports.metalogger, masterHost ? { MASTER_HOST: masterHost } : {}, moosefs);
    nodes.push({ name, master, ml, rsctmp: mkdtempSync(join(dir, `${name}-rsctmp-`)) });
  }
  const cib = await onlineNodes(await emptyCib(join(dir, 'empty.xml')), ['origin', ...names], join(dir, 'cib.xml'));
  return {
    moosefs,
    dir,
    cib,
    origin,
    nodes,
    async cleanup() {
      for (const node of nodes) {
        await node.master.cleanup();
        await node.ml.cleanup();
      }
      await origin.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The node's agent parameters: its configurations and its MooseFS version's programs. */
export function nodeParams(node: Node): Record<string, string> {
  return { metalogger_config: node.ml.configFile, master_config: node.master.configFile, metalogger_binary: node.ml.binary, master_binary: node.master.params.binary! };
}

export function nodeEnv(cluster: Cluster, node: Node, params: Record<string, string> = {}, extra: Record<string, string> = {}): Record<string, string> {
  return ocfEnv(
    { ...nodeParams(node), ...params },
    {
      OCF_RESOURCE_INSTANCE: RESOURCE,
      OCF_RESKEY_CRM_meta_on_node: node.name,
      OCF_RESKEY_CRM_meta_timeout: '60000',
      CIB_file: cluster.cib,
      HA_RSCTMP: node.rsctmp,
      ...extra,
    },
  );
}

export async function metarestore(cluster: Cluster, node: Node, action: string, params: Record<string, string> = {}, extra: Record<string, string> = {}) {
  const result = await runAgent('mfs-metarestore', action, nodeEnv(cluster, node, params, extra));
  return { ...result, name: exitCodeName(result.code ?? -1) };
}

export const mfsmaster = (master: MasterFixture, action: string) => masterAgent(master, action);

/** The notification environment of a pre-promote of `promoted` among `candidates`. */
export function prePromote(promoted: Node, candidates: Node[]): Record<string, string> {
  const names = candidates.map((n) => n.name).join(' ');
  return {
    OCF_RESKEY_CRM_meta_notify: 'true',
    OCF_RESKEY_CRM_meta_clone_max: String(candidates.length),
    OCF_RESKEY_CRM_meta_notify_type: 'pre',
    OCF_RESKEY_CRM_meta_notify_operation: 'promote',
    OCF_RESKEY_CRM_meta_notify_promote_uname: promoted.name,
    OCF_RESKEY_CRM_meta_notify_active_uname: names,
    OCF_RESKEY_CRM_meta_notify_unpromoted_uname: names,
  };
}

/** Clone meta of a promote action (no notify variables: Pacemaker gives them only to notify). */
export function cloneMeta(count: number): Record<string, string> {
  return { OCF_RESKEY_CRM_meta_notify: 'true', OCF_RESKEY_CRM_meta_clone_max: String(count), OCF_RESKEY_CRM_meta_promoted_max: '1' };
}

const cibEnv = (cluster: Cluster) => ({ CIB_file: cluster.cib });

export async function nodeAttribute(cluster: Cluster, node: string, name: string): Promise<string | undefined> {
  const result = await run('crm_attribute', ['--node', node, '--name', name, '--lifetime', 'reboot', '--query', '--quiet'], { env: cibEnv(cluster), timeoutMs: 20_000 });
  return result.ok ? result.stdout.trim() : undefined;
}

export const promotionScore = (cluster: Cluster, node: string) => nodeAttribute(cluster, node, `master-${RESOURCE}`);
/** The published reason's text (its codes follow it in the attribute: lib/pacemaker/reason.ts). */
export const reason = async (cluster: Cluster, node: string) => {
  const value = await nodeAttribute(cluster, node, `mfs-ocf-reason-${RESOURCE}`);
  return value === undefined ? undefined : decodeReasons(value).text;
};

export async function highWaterMark(cluster: Cluster): Promise<string | undefined> {
  const result = await run('crm_attribute', ['--type', 'crm_config', '--name', `mfs-ocf-high-water-${RESOURCE}`, '--query', '--quiet'], { env: cibEnv(cluster), timeoutMs: 20_000 });
  return result.ok ? result.stdout.trim() : undefined;
}

export async function setHighWaterMark(cluster: Cluster, value: string): Promise<void> {
  const result = await run('crm_attribute', ['--type', 'crm_config', '--name', `mfs-ocf-high-water-${RESOURCE}`, '--update', value], { env: cibEnv(cluster), timeoutMs: 20_000 });
  if (!result.ok) throw new Error(result.stderr);
}

/** Content hashes of every regular file under the directories (lock files aside: they hold PIDs). */
export function contentHashes(...directories: string[]): Map<string, string> {
  const hashes = new Map<string, string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const stat = statSync(path);
      if (stat.isDirectory()) walk(path);
      else if (stat.isFile() && !name.endsWith('.lock')) hashes.set(path, createHash('sha256').update(readFileSync(path)).digest('hex'));
    }
  };
  for (const directory of directories) walk(directory);
  return hashes;
}

/** Files whose content no longer exists anywhere under the directories. */
export function vanished(before: Map<string, string>, ...directories: string[]): string[] {
  const after = new Set(contentHashes(...directories).values());
  return [...before].filter(([, hash]) => !after.has(hash)).map(([path]) => path);
}

/** Waits until the node's metalogger files hold every change of the running original master. */
export async function waitCaughtUp(cluster: Cluster, node: Node, timeoutMs = 10_000): Promise<bigint> {
  const client = cluster.origin.ports.client;
  let last = '';
  const version = await new Deadline(timeoutMs).poll(async () => {
    const master = (await queryMasterInfo('127.0.0.1', client, 2000)).metadataVersion!;
    const own = inspectSource('metalogger', node.ml.dataPath).version;
    last = `master ${master}, ${node.name} ${own}`;
    return own !== undefined && own >= master ? own : undefined;
  }, { intervalMs: 50 });
  if (version === undefined) throw new Error(`${node.name}'s metalogger did not catch up: ${last}`);
  return version;
}
