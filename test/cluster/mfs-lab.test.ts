/**
 * The lab's "is the master served?" check, against the real mfscli of each MooseFS version: a
 * running master on loopback, and a port where none listens. 3.0.117's mfscli exits 0 there too,
 * so a check by exit code alone called a cut-off master served (the split-brain scenario then
 * healed the link before the other node had taken over).
 */
import { describe, expect, it } from 'vitest';
import { OCF } from '../../lib/ocf/exit-codes.js';
import { run } from '../../lib/process/run.js';
import { masterAgent, masterFixtures } from '../helpers/moosefs.js';
import { MOOSEFS, mfsClientProgram, type MooseFsInstall } from '../helpers/moosefs-versions.js';
import { freePorts } from '../helpers/ports.js';
import { mfscliFoundMaster, mfscliInfoArgs } from './mfs-lab.js';

const fixtures = masterFixtures();
const mfscli = (moosefs: MooseFsInstall, port: number) => run(mfsClientProgram(moosefs, 'mfscli'), mfscliInfoArgs('127.0.0.1', port), { timeoutMs: 30_000 });

describe.each(MOOSEFS.map((m) => [m.version, m] as const))('mfscliFoundMaster with MooseFS %s', (_version, moosefs) => {
  it('is true for a running master and false where none listens', async () => {
    const fixture = await fixtures({ moosefs });
    expect((await masterAgent(fixture, 'start')).code).toBe(OCF.SUCCESS);
    const served = await mfscli(moosefs, fixture.ports.client);
    expect(mfscliFoundMaster(served), served.stdout).toBe(true);
    const [nobody] = await freePorts(1);
    const unserved = await mfscli(moosefs, nobody!);
    expect(mfscliFoundMaster(unserved), `exit ${unserved.exitCode}: ${unserved.stdout}`).toBe(false);
  }, 120_000);
});
