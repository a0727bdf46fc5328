import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inventoryDataPath, metadataState, readMetadataHeader } from '../../../lib/moosefs/data-path.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync('/tmp/mfs-ocf-datapath-');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function header(signature: string, version: bigint, fsId: bigint): Buffer {
  const buffer = Buffer.alloc(24);
  buffer.write(signature, 0, 'latin1');
  buffer.writeBigUInt64BE(version, 8);
  buffer.writeBigUInt64BE(fsId, 16);
  return buffer;
}

describe('metadata header', () => {
  it('reads the version and file-system id of MFSM 2.0', () => {
    writeFileSync(join(dir, 'metadata.mfs'), Buffer.concat([header('MFSM 2.0', 48290n, 0x6b047d949d2a103fn), Buffer.from('SESS 1.5')]));
    expect(readMetadataHeader(join(dir, 'metadata.mfs'))).toEqual({ signature: 'MFSM 2.0', version: 48290n, fsId: 0x6b047d949d2a103fn });
  });

  it('knows a new file system and refuses what is not metadata', () => {
    writeFileSync(join(dir, 'new'), 'MFSM NEW');
    writeFileSync(join(dir, 'junk'), 'hello world, not metadata at all');
    expect(readMetadataHeader(join(dir, 'new'))).toEqual({ signature: 'MFSM NEW', version: 0n, fsId: 0n });
    expect(readMetadataHeader(join(dir, 'junk'))).toBeUndefined();
    expect(readMetadataHeader(join(dir, 'missing'))).toBeUndefined();
  });
});

describe('data path states', () => {
  it.each([
    [[], 'empty'],
    [['metadata.mfs.empty'], 'empty'],
    [['metadata.mfs', 'changelog.0.mfs'], 'clean'],
    [['metadata.mfs.back', 'changelog.0.mfs', 'changelog.1.mfs'], 'needs-recovery'],
    [['metadata.mfs.back.1'], 'needs-recovery'],
    [['changelog.3.mfs'], 'needs-recovery'],
  ])('%j is %s', (files, state) => {
    for (const file of files as string[]) writeFileSync(join(dir, file), 'x');
    expect(metadataState(inventoryDataPath(dir))).toBe(state);
  });

  it('orders images and changelogs newest first, and tells metalogger files apart', () => {
    for (const file of ['changelog.10.mfs', 'changelog.2.mfs', 'changelog.0.mfs', 'metadata.mfs.back.1', 'metadata.mfs.back', 'changelog_ml.0.mfs', 'metadata_ml.mfs.back', 'stats.mfs']) {
      writeFileSync(join(dir, file), 'x');
    }
    const inventory = inventoryDataPath(dir);
    expect(inventory.changelogs.map((p) => p.slice(dir.length + 1))).toEqual(['changelog.0.mfs', 'changelog.2.mfs', 'changelog.10.mfs']);
    expect(inventory.backupImages.map((p) => p.slice(dir.length + 1))).toEqual(['metadata.mfs.back', 'metadata.mfs.back.1']);
    expect(inventory.metaloggerFiles.map((p) => p.slice(dir.length + 1)).sort()).toEqual(['changelog_ml.0.mfs', 'metadata_ml.mfs.back']);
  });
});
