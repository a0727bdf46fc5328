/** Issue 15's failover targets, as bench:failover judges them. */
import { describe, expect, it } from 'vitest';
import { judge, masterMonitorMs, targetFor } from '../../../scripts/bench/targets.js';

const defaults = { tokenMs: 3000, consensusMs: 3600, masterMonitorMs: 10_000 };

describe('failover targets', () => {
  it.each([
    ['switch-over', defaults, 4000, 'median'],
    ['switch-over-ban', defaults, 4000, 'median'],
    ['kill-master', defaults, 12_000, 'max'],
    ['power-loss', defaults, 9100, 'median'],
    ['partition', defaults, 9100, 'median'],
    ['partition', { ...defaults, tokenMs: 1000, consensusMs: 1200 }, 4700, 'median'],
  ] as const)('%s: %o gives %d ms on the %s', (scenario, ctx, limitMs, statistic) => {
    expect(targetFor(scenario, ctx)).toMatchObject({ limitMs, statistic });
  });

  it('sets none for the scenarios issue 15 does not name', () => {
    expect(targetFor('full-restart', defaults)).toBeUndefined();
    expect(targetFor('replication-cut', defaults)).toBeUndefined();
  });

  it('judges the statistic the target names, fails on any loss, and names the costliest phases without the notification span', () => {
    const phases = [
      { phase: 'transition calculated', took_ms: null },
      { phase: 'stop mfs-master on old', took_ms: 2640 },
      { phase: 'demote mfs-store on old', took_ms: 1088 },
      { phase: 'notifications', took_ms: 6344 },
      { phase: 'start mfs-master on new', took_ms: 2452 },
      { phase: 'start mfs-ip on new', took_ms: 404 },
    ];
    const switchOver = judge(targetFor('switch-over', defaults)!, { median: 10_918, max: 11_500 }, 0, phases);
    expect(switchOver).toMatchObject({ met: false, measuredMs: 10_918 });
    expect(switchOver.costliest.map((p) => p.phase)).toEqual(['stop mfs-master on old', 'start mfs-master on new', 'demote mfs-store on old']);
    const kill = targetFor('kill-master', defaults)!;
    expect(judge(kill, { median: 3000, max: 11_900 }, 0, []).met).toBe(true);
    expect(judge(kill, { median: 3000, max: 12_100 }, 0, []).met, 'the worst case counts').toBe(false);
    expect(judge(kill, { median: 3000, max: 3000 }, 1, []).met, 'a faster failover that loses anything is not faster').toBe(false);
    expect(judge(kill, { median: null, max: null }, 0, []).met).toBe(false);
  });

  it("reads the master's monitor interval from mfs-crm's crmsh output", () => {
    const crm = [
      'primitive mfs-store ocf:mfs:mfs-drbd-store \\',
      '\tparams drbd_resource=r0 \\',
      '\top monitor interval=20s timeout=20s role=Unpromoted',
      'primitive mfs-master ocf:mfs:mfsmaster \\',
      '\tparams config=/etc/mfs/mfsmaster.cfg durability=power \\',
      '\top monitor interval=10s timeout=20s \\',
      '\top start interval=0s timeout=120s',
      'primitive mfs-ip ocf:heartbeat:IPaddr2 \\',
      '\top monitor interval=30s timeout=20s',
    ].join('\n');
    expect(masterMonitorMs(crm)).toBe(10_000);
    expect(masterMonitorMs(crm.replace('interval=10s timeout', 'interval=2min timeout'))).toBe(120_000);
    expect(masterMonitorMs('primitive mfs-ip ocf:heartbeat:IPaddr2 \\\n\top monitor interval=30s')).toBeUndefined();
  });
});
