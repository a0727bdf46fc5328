import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Deadline } from '../../../lib/runtime/deadline.js';
import { startMaster } from '../../../lib/moosefs/master-service.js';
import { MasterProgram, parseProgramVersion, untestedVersionNote } from '../../../lib/moosefs/master-program.js';
import { readMasterConfig } from '../../../lib/moosefs/config.js';
import { decodeMasterInfo, queryMasterInfo, tcpAccepts } from '../../../lib/moosefs/protocol.js';
import { ROOT } from '../../helpers/built.js';
import { createMasterFixture, QUIET_LOG, type MasterFixture } from '../../helpers/moosefs.js';
import { MOOSEFS, mfsProgram } from '../../helpers/moosefs-versions.js';
import { freePorts } from '../../helpers/ports.js';

/** Answers captured from real masters (scripts/capture-master-info.ts: five mkdirs after a new file system). */
const captured = (version: string) => readFileSync(join(ROOT, 'test', 'fixtures', 'moosefs', `matocl-info-${version}.bin`));

/** An answer of `length` bytes laid out as mfscli reads it: version, memory at 4, metadata version at offset + 113. */
function synthetic(length: number, offset: number, version = [4, 59, 2]): Buffer {
  const data = Buffer.alloc(length);
  data.writeUInt16BE(version[0]!, 0);
  data.writeUInt8(version[1]!, 2);
  data.writeUInt8(version[2]! * 2, 3); // the community edition
  data.writeBigUInt64BE(207097856n, 4);
  data.writeBigUInt64BE(48290n, offset + 113);
  return data;
}

describe('MATOCL_INFO decoding', () => {
  it.each([
    ['3.0.117', 149, '3.0.117', 8n],
    ['4.59.2', 205, '4.59.2', 8n],
  ])('reads the answer captured from a real %s master (%i bytes)', (version, length, programVersion, metadataVersion) => {
    const data = captured(version);
    expect(data.length).toBe(length);
    const info = decodeMasterInfo(data);
    expect(info).toMatchObject({ programVersion, metadataVersion });
    expect(info.undecoded).toBeUndefined();
    expect(info.memoryUsage).toBeGreaterThan(10_000_000n);
  });

  it.each([
    // 3.0: 121 (2.0), 129 (3.0.32 on), 137 and 149 (with 8 more bytes ahead of the block)
    [121, 0, [2, 0, 91]],
    [129, 0, [3, 0, 32]],
    [137, 8, [3, 0, 90]],
    [149, 8, [3, 0, 117]],
    // 4.x: 173 (4.4.0), 181 and 193 (8 more bytes), 205 (4.59: 12 more)
    [173, 0, [4, 4, 0]],
    [181, 8, [4, 20, 0]],
    [193, 8, [4, 40, 0]],
    [205, 12, [4, 59, 2]],
  ])('reads the metadata version of a %i-byte answer at its offset', (length, offset, version) => {
    expect(decodeMasterInfo(synthetic(length, offset, version))).toEqual({
      programVersion: version.join('.'),
      metadataVersion: 48290n,
      memoryUsage: 207097856n,
    });
  });

  it('an answer of unknown layout is a master that answers, its metadata version unknown', () => {
    const info = decodeMasterInfo(synthetic(221, 12, [5, 0, 1]));
    expect(info.programVersion).toBe('5.0.1');
    expect(info.metadataVersion).toBeUndefined();
    expect(info.undecoded).toMatch(/MATOCL_INFO of 221 bytes from master 5\.0\.1 has a layout this agent does not know/);
    expect(decodeMasterInfo(Buffer.alloc(2)).undecoded).toMatch(/too short/);
  });

  it.each([
    ['version: 3.0.117-1 ; build: 1341', '3.0.117'],
    ['version: 4.59.2-1 ; build: 2106', '4.59.2'],
    ['version: 2.0.91-1', '2.0.91'],
    ['mfsmaster version 1.6.27', '1.6.27'],
    ['no idea', undefined],
  ])('reads the program version from %j', (text, version) => {
    expect(parseProgramVersion(text)?.text).toBe(version);
  });

  it.each([
    ['3.0.117', false],
    ['4.59.2', false],
    ['4.58.3', true],
    ['3.0.116', true],
  ])('version %s is said to be untested: %s', (text, untested) => {
    const note = untestedVersionNote('/usr/sbin/mfsmaster', parseProgramVersion(`version: ${text}`)!);
    if (untested) expect(note).toBe(`/usr/sbin/mfsmaster is MooseFS ${text}, outside the versions mfs-ocf is tested with (3.0.117 and 4.59.2): it is used, unproven`);
    else expect(note).toBeUndefined();
  });
});

describe.each(MOOSEFS)('against a real master, MooseFS $version', (moosefs) => {
  let fixture: MasterFixture;
  beforeAll(async () => {
    fixture = await createMasterFixture({ moosefs });
    const config = readMasterConfig(fixture.configFile);
    const deadline = new Deadline(30_000);
    const program = await MasterProgram.detect(mfsProgram(moosefs, 'mfsmaster'), fixture.configFile, deadline);
    expect(program.version.text).toBe(moosefs.version);
    expect(program.untestedNote).toBeUndefined();
    await startMaster({ program, config, allowEmptyInit: false, durability: 'process', deadline, log: QUIET_LOG() });
  });
  afterAll(() => fixture.cleanup());

  it('answers CLTOMA_INFO with its version and metadata version', async () => {
    const info = await queryMasterInfo('127.0.0.1', fixture.ports.client, 2000);
    expect(info.undecoded).toBeUndefined();
    expect(info.programVersion).toBe(moosefs.version);
    expect(info.metadataVersion).toBeGreaterThan(0n);
  });

  it('tells an open port from a closed one', async () => {
    const [closed] = await freePorts(1);
    expect(await tcpAccepts('127.0.0.1', fixture.ports.client, 1000)).toBe(true);
    expect(await tcpAccepts('127.0.0.1', closed!, 1000)).toBe(false);
  });
});
