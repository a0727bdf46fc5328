/**
 * A MooseFS version outside the tested ones is used, and said: validate-all's output (and so
 * every start, which validates first) names it and the versions tested. The other version is
 * a stand-in program that only answers `-v` as 4.58.1 would: no such release runs here.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TESTED_MOOSEFS_VERSIONS } from '../../lib/moosefs/master-program.js';
import { masterAgent, masterFixtures } from '../helpers/moosefs.js';
import { MOOSEFS } from '../helpers/moosefs-versions.js';

const fixture = masterFixtures();

describe('the MooseFS version in validate-all', () => {
  it('an untested version: validate-all succeeds and says it is outside the tested versions', async () => {
    const f = await fixture();
    const other = join(f.dir, 'mfsmaster-4.58.1');
    writeFileSync(other, '#!/bin/sh\necho "version: 4.58.1-1 ; build: 2050"\n');
    chmodSync(other, 0o755);
    const result = await masterAgent(f, 'validate-all', { binary: other });
    expect(result.name, result.stderr).toBe('OCF_SUCCESS');
    expect(result.stderr).toContain(`WARNING: ${other} is MooseFS 4.58.1, outside the versions mfs-ocf is tested with (${TESTED_MOOSEFS_VERSIONS.join(' and ')}): it is used, unproven`);
  });

  it.each(MOOSEFS)('MooseFS $version: validate-all says nothing of the version', async (moosefs) => {
    const f = await fixture({ moosefs });
    const result = await masterAgent(f, 'validate-all');
    expect(result.name, result.stderr).toBe('OCF_SUCCESS');
    expect(result.stderr).not.toMatch(/outside the versions/);
  });
});
