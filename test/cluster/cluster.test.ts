/**
 * The live cluster (issue 8): a real two-node Corosync + Pacemaker cluster in namespaces, our
 * agents installed in the nodes, configuration from mfs-crm, a FUSE client writing throughout;
 * scenarios 1-4 on the drbd-store topology. Each must end with the master served by a node and
 * no acknowledged operation lost (DRBD protocol C modelled as one shared device, mode 2).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MfsLab, SAVE_MODE } from './mfs-lab.js';
import { runScenario } from './scenarios.js';

const lab = new MfsLab({ dir: '/tmp/mfs-ocf-test-lab', topology: 'drbd-store' });
const log = (line: string) => console.log(`[cluster] ${line}`);

describe('live cluster, drbd-store topology', () => {
  beforeAll(async () => {
    await lab.up();
  }, 300_000);
  afterAll(async () => {
    await lab.down();
  }, 120_000);

  it.each(['switch-over', 'kill-master', 'power-loss', 'partition'])(
    '%s: the master is served again and nothing acknowledged is lost',
    async (scenario) => {
      const result = await runScenario(lab, scenario, 'drbd-store', SAVE_MODE['drbd-store'], log);
      log(JSON.stringify(result));
      expect(result.failover_ms, 'the service came back').not.toBeNull();
      expect(result.to).not.toBeNull();
      expect(result.acknowledged).toBeGreaterThan(20);
      expect(result.lost).toBe(0);
      if (scenario === 'power-loss' || scenario === 'partition') {
        // The survivor fenced the lost node through the switch before taking over.
        expect(readFileSync(lab.paths.switchLog, 'utf8')).toMatch(new RegExp(`off ${result.from} -> off`));
        expect(result.to).not.toBe(result.from);
      }
    },
    420_000,
  );
});
