import { describe, expect, it } from 'vitest';
import { actionDeadline } from '../../../lib/ocf/agent.js';
import { Deadline, parseOcfTime } from '../../../lib/runtime/deadline.js';

describe('deadline', () => {
  it('takes the budget from OCF_RESKEY_CRM_meta_timeout (ms), else the advertised timeout', () => {
    expect(actionDeadline({ OCF_RESKEY_CRM_meta_timeout: '20000' }, 5000).totalMs).toBe(20000);
    expect(actionDeadline({}, 5000).totalMs).toBe(5000);
    expect(actionDeadline({ OCF_RESKEY_CRM_meta_timeout: 'soon' }, 5000).totalMs).toBe(5000);
  });

  it('polls until the check answers', async () => {
    let calls = 0;
    const result = await new Deadline(5000).poll(() => (++calls === 3 ? 'ready' : undefined), { intervalMs: 5 });
    expect(result).toBe('ready');
    expect(calls).toBe(3);
  });

  it('never waits past the deadline less the margin', async () => {
    const deadline = new Deadline(300);
    const started = performance.now();
    const result = await deadline.poll(() => undefined, { intervalMs: 20, marginMs: 100 });
    const waited = performance.now() - started;
    expect(result).toBeUndefined();
    expect(waited).toBeGreaterThanOrEqual(190);
    expect(waited).toBeLessThan(290);
  });

  it.each([
    ['20s', 20000],
    ['2min', 120000],
    ['500ms', 500],
    ['90', 90000],
    ['1h', 3600000],
  ])('parses the OCF time %s', (text, ms) => {
    expect(parseOcfTime(text)).toBe(ms);
  });
});
