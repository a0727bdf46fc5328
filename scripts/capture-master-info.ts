/**
 * Captures a real master's answer to CLTOMA_INFO for each tested MooseFS version, into
 * test/fixtures/moosefs/matocl-info-<version>.bin (the decoder's table test reads them):
 *   node scripts/run-ts.mjs scripts/capture-master-info.ts
 * The master runs from a test fixture on free loopback ports, with five directories made through
 * mfsmount, and is stopped by PID.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readMasterConfig } from '../lib/moosefs/config.js';
import { MasterProgram } from '../lib/moosefs/master-program.js';
import { startMaster } from '../lib/moosefs/master-service.js';
import { CLTOMA_INFO, MATOCL_INFO, request } from '../lib/moosefs/protocol.js';
import { Deadline } from '../lib/runtime/deadline.js';
import { ROOT } from '../test/helpers/built.js';
import { createMasterFixture, mountClient, QUIET_LOG } from '../test/helpers/moosefs.js';
import { ALL_MOOSEFS, mfsProgram } from '../test/helpers/moosefs-versions.js';

const out = join(ROOT, 'test', 'fixtures', 'moosefs');
mkdirSync(out, { recursive: true });
for (const moosefs of ALL_MOOSEFS) {
  const fixture = await createMasterFixture({ moosefs });
  try {
    const deadline = new Deadline(30_000);
    const program = await MasterProgram.detect(mfsProgram(moosefs, 'mfsmaster'), fixture.configFile, deadline);
    await startMaster({ program, config: readMasterConfig(fixture.configFile), allowEmptyInit: false, durability: 'process', deadline, log: QUIET_LOG() });
    // Some changes, so that the metadata version in the capture is not the trivial 1.
    const mnt = await mountClient(fixture);
    for (let i = 0; i < 5; i++) mkdirSync(join(mnt, `dir-${i}`));
    const answer = await request('127.0.0.1', fixture.ports.client, CLTOMA_INFO, Buffer.alloc(0), MATOCL_INFO, 5000);
    const file = join(out, `matocl-info-${moosefs.version}.bin`);
    writeFileSync(file, answer);
    console.log(`${file}: ${answer.length} bytes from mfsmaster ${moosefs.version}`);
  } finally {
    await fixture.cleanup();
  }
}
