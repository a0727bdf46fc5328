import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Deadline } from '../../../lib/ocf/deadline.js';
import { startMaster } from '../../../lib/moosefs/master-service.js';
import { MasterProgram, parseProgramVersion } from '../../../lib/moosefs/master-program.js';
import { readMasterConfig } from '../../../lib/moosefs/config.js';
import { decodeMasterInfo, queryMasterInfo, tcpAccepts } from '../../../lib/moosefs/protocol.js';
import { createMasterFixture, QUIET_LOG, type MasterFixture } from '../../helpers/moosefs.js';
import { freePorts } from '../../helpers/ports.js';

describe('MATOCL_INFO decoding', () => {
  it('reads version and metadata version of a 3.0 answer (length 149)', () => {
    const data = Buffer.alloc(149);
    data.writeUInt16BE(3, 0);
    data.writeUInt8(0, 2);
    data.writeUInt8(234, 3); // 117 * 2: the community edition
    data.writeBigUInt64BE(207097856n, 4);
    data.writeBigUInt64BE(48290n, 8 + 113);
    expect(decodeMasterInfo(data)).toEqual({ programVersion: '3.0.117', metadataVersion: 48290n, memoryUsage: 207097856n });
  });

  it('refuses an answer of unknown length', () => {
    expect(() => decodeMasterInfo(Buffer.alloc(99))).toThrow(/unknown master version/);
  });

  it.each([
    ['version: 3.0.117-1 ; build: 1341', '3.0.117'],
    ['version: 2.0.91-1', '2.0.91'],
    ['mfsmaster version 1.6.27', '1.6.27'],
    ['no idea', undefined],
  ])('reads the program version from %j', (text, version) => {
    expect(parseProgramVersion(text)?.text).toBe(version);
  });
});

describe('against a real master', () => {
  let fixture: MasterFixture;
  beforeAll(async () => {
    fixture = await createMasterFixture();
    const config = readMasterConfig(fixture.configFile);
    const deadline = new Deadline(30_000);
    const program = await MasterProgram.detect('/usr/sbin/mfsmaster', fixture.configFile, deadline);
    await startMaster({ program, config, allowEmptyInit: false, durability: 'process', deadline, log: QUIET_LOG() });
  });
  afterAll(() => fixture.cleanup());

  it('answers CLTOMA_INFO with its version and metadata version', async () => {
    const info = await queryMasterInfo('127.0.0.1', fixture.ports.client, 2000);
    expect(info.programVersion).toMatch(/^[1-4]\.\d+\.\d+$/);
    expect(info.metadataVersion).toBeGreaterThan(0n);
  });

  it('tells an open port from a closed one', async () => {
    const [closed] = await freePorts(1);
    expect(await tcpAccepts('127.0.0.1', fixture.ports.client, 1000)).toBe(true);
    expect(await tcpAccepts('127.0.0.1', closed!, 1000)).toBe(false);
  });
});
