import { describe, expect, it } from 'vitest';
import { judgeDurability } from '../../../lib/moosefs/durability.js';

describe('durability policy', () => {
  it.each([
    [0, 'none', undefined, /CHANGELOG_SAVE_MODE = 0: the master acknowledges changes before writing them/],
    [0, 'process', /CHANGELOG_SAVE_MODE = 0 does not give durability=process: set CHANGELOG_SAVE_MODE = 1 or higher/, undefined],
    [0, 'power', /set CHANGELOG_SAVE_MODE = 2 or higher/, undefined],
    [1, 'process', undefined, /CHANGELOG_SAVE_MODE = 1: .*power loss/],
    [1, 'power', /CHANGELOG_SAVE_MODE = 1 does not give durability=power: set CHANGELOG_SAVE_MODE = 2/, undefined],
    [2, 'power', undefined, undefined],
    [2, 'none', undefined, undefined],
  ] as const)('mode %i with durability=%s', (mode, required, refusal, warning) => {
    const verdict = judgeDurability('/etc/mfs/mfsmaster.cfg', mode, required);
    if (refusal) expect(verdict.refusal).toMatch(refusal);
    else expect(verdict.refusal).toBeUndefined();
    if (warning) expect(verdict.warning).toMatch(warning);
    else expect(verdict.warning).toBeUndefined();
  });
});
