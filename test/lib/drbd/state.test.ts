/**
 * Parsing DRBD's state outputs into one state object: events2 --now and status --json (DRBD 9,
 * formats of drbd-utils 9.22 as in DRBD-FACTS.md), role/cstate/dstate (8.4), --version.
 */
import { describe, expect, it } from 'vitest';
import { describeState, isDrbd84, parse84, parseEvents2, parseProcDrbd, parseProcDrbd84, parseStatusJson, parseVersion } from '../../../lib/drbd/state.js';

const P = 'name:r0 peer-node-id:1 conn-name:node2';

/** events2 --now of a two-node resource, with changes to the connected Secondary/UpToDate case. */
function events2({ role = 'Secondary', connection = 'Connected', peerRole = 'Secondary', disk = 'UpToDate', replication = 'Established', peerDisk = 'UpToDate', extra = '' } = {}) {
  return [
    `exists resource name:r0 role:${role} suspended:no force-io-failures:no may_promote:${role === 'Primary' ? 'no' : 'yes'} promotion_score:10102`,
    `exists connection ${P} connection:${connection} role:${peerRole}`,
    `exists device name:r0 volume:0 minor:0 backing_dev:/dev/vdb1 disk:${disk} client:no quorum:yes`,
    `exists peer-device ${P} volume:0 replication:${replication} peer-disk:${peerDisk} peer-client:no resync-suspended:no${extra}`,
    `exists path ${P} local:ipv4:10.0.0.1:7789 peer:ipv4:10.0.0.2:7789 established:${connection === 'Connected' ? 'yes' : 'no'}`,
    'exists -',
    '',
  ].join('\n');
}

describe('events2 --now', () => {
  it('reads the connected Secondary/UpToDate example', () => {
    expect(parseEvents2(events2(), 'r0')).toEqual({
      name: 'r0',
      role: 'Secondary',
      mayPromote: true,
      kernelPromotionScore: 10102,
      forceIoFailures: false,
      suspended: false,
      volumes: [{ volume: 0, minor: 0, disk: 'UpToDate', client: false, quorum: true }],
      peers: [
        {
          nodeId: 1,
          name: 'node2',
          connection: 'Connected',
          role: 'Secondary',
          volumes: [{ volume: 0, replication: 'Established', peerDisk: 'UpToDate', peerClient: false, done: undefined }],
        },
      ],
    });
  });

  it.each([
    ['Primary', { role: 'Primary' }, 'Primary, disk UpToDate, peer node2 Connected Secondary UpToDate'],
    ['peer Primary', { peerRole: 'Primary' }, 'Secondary, disk UpToDate, peer node2 Connected Primary UpToDate'],
    ['Connecting', { connection: 'Connecting', peerRole: 'Unknown', replication: 'Off', peerDisk: 'DUnknown' }, 'Secondary, disk UpToDate, peer node2 Connecting DUnknown'],
    ['StandAlone', { connection: 'StandAlone', peerRole: 'Unknown', replication: 'Off', peerDisk: 'DUnknown' }, 'Secondary, disk UpToDate, peer node2 StandAlone DUnknown'],
    ['Outdated', { disk: 'Outdated' }, 'Secondary, disk Outdated, peer node2 Connected Secondary UpToDate'],
    ['SyncTarget', { disk: 'Inconsistent', replication: 'SyncTarget', extra: ' done:45.67' }, 'Secondary, disk Inconsistent, peer node2 Connected Secondary UpToDate SyncTarget'],
  ])('reads %s', (_name, change, text) => {
    const state = parseEvents2(events2(change), 'r0');
    expect(state).toBeDefined();
    expect(describeState(state!)).toBe(text);
  });

  it('keeps the resync progress and a diskless client', () => {
    const sync = parseEvents2(events2({ disk: 'Inconsistent', replication: 'SyncTarget', extra: ' done:45.67' }), 'r0')!;
    expect(sync.peers[0]!.volumes[0]!.done).toBe(45.67);
    const client = parseEvents2(
      'exists resource name:r0 role:Secondary suspended:no\nexists device name:r0 volume:0 minor:0 backing_dev:none disk:Diskless client:yes quorum:yes\nexists -\n',
      'r0',
    )!;
    expect(client.volumes[0]).toMatchObject({ disk: 'Diskless', client: true });
  });

  it('reads lost quorum and forced I/O failures', () => {
    const text = events2().replace('quorum:yes', 'quorum:no').replace('force-io-failures:no', 'force-io-failures:yes');
    const state = parseEvents2(text, 'r0')!;
    expect(state.volumes[0]!.quorum).toBe(false);
    expect(state.forceIoFailures).toBe(true);
  });

  it('is undefined for a resource the kernel does not know (only "exists -")', () => {
    expect(parseEvents2('exists -\n', 'r0')).toBeUndefined();
    expect(parseEvents2('', 'r0')).toBeUndefined();
  });

  it('ignores other resources, lines after "exists -" and live change lines', () => {
    const other = events2().replace(/name:r0/g, 'name:r1');
    expect(parseEvents2(other, 'r0')).toBeUndefined();
    const after = `exists -\n${events2()}`;
    expect(parseEvents2(after, 'r0')).toBeUndefined();
    const live = `change resource name:r0 role:Primary\n${events2()}`;
    expect(parseEvents2(live, 'r0')!.role).toBe('Secondary');
    // name:r0 must be the third field exactly: r0x is another resource.
    expect(parseEvents2(events2().replace(/name:r0/g, 'name:r0x'), 'r0')).toBeUndefined();
  });

  it('reads several peers and volumes, with --statistics fields in between', () => {
    const Q = 'name:r0 peer-node-id:2 conn-name:node3';
    const text = [
      'exists resource name:r0 role:Primary suspended:no force-io-failures:no write-ordering:flush may_promote:no promotion_score:10202',
      `exists connection ${P} connection:Connected role:Secondary congested:no ap-in-flight:0 rs-in-flight:0`,
      `exists connection ${Q} connection:Connecting role:Unknown congested:no ap-in-flight:0 rs-in-flight:0`,
      'exists device name:r0 volume:0 minor:0 backing_dev:/dev/vdb1 disk:UpToDate client:no quorum:yes size:1048576 read:0 written:0 al-writes:0 bm-writes:0 upper-pending:0 lower-pending:0 al-suspended:no blocked:no',
      'exists device name:r0 volume:1 minor:1 backing_dev:/dev/vdc1 disk:UpToDate client:no quorum:yes',
      `exists peer-device ${P} volume:0 replication:Established peer-disk:UpToDate peer-client:no resync-suspended:no received:0 sent:0 out-of-sync:0 pending:0 unacked:0`,
      `exists peer-device ${P} volume:1 replication:Established peer-disk:UpToDate peer-client:no resync-suspended:no`,
      `exists peer-device ${Q} volume:0 replication:Off peer-disk:DUnknown peer-client:no resync-suspended:no`,
      `exists peer-device ${Q} volume:1 replication:Off peer-disk:DUnknown peer-client:no resync-suspended:no`,
      'exists -',
    ].join('\n');
    const state = parseEvents2(text, 'r0')!;
    expect(state.volumes.map((v) => v.minor)).toEqual([0, 1]);
    expect(state.peers.map((p) => [p.name, p.connection, p.volumes.map((v) => v.peerDisk).join('/')])).toEqual([
      ['node2', 'Connected', 'UpToDate/UpToDate'],
      ['node3', 'Connecting', 'DUnknown/DUnknown'],
    ]);
  });
});

describe('status --json', () => {
  const json = (...[role, disk, cstate, peerRole, peerDisk, replication]: readonly [string, string, string, string, string, string]) =>
    JSON.stringify([
      {
        name: 'r0',
        'node-id': 0,
        role,
        suspended: false,
        'suspended-user': false,
        'suspended-no-data': false,
        'suspended-fencing': false,
        'suspended-quorum': false,
        'force-io-failures': false,
        'write-ordering': 'flush',
        devices: [{ volume: 0, minor: 0, 'disk-state': disk, client: false, quorum: true, size: 1024, read: 0, written: 0, 'al-writes': 0, 'bm-writes': 0, 'upper-pending': 0, 'lower-pending': 0 }],
        connections: [
          {
            'peer-node-id': 1,
            name: 'node2',
            'connection-state': cstate,
            congested: false,
            'peer-role': peerRole,
            'ap-in-flight': 0,
            'rs-in-flight': 0,
            peer_devices: [
              { volume: 0, 'replication-state': replication, 'peer-disk-state': peerDisk, 'peer-client': false, 'resync-suspended': 'no', received: 0, sent: 0, 'out-of-sync': 0, pending: 0, unacked: 0, 'has-sync-details': false, 'has-online-verify-details': false, 'percent-in-sync': 100.0 },
            ],
          },
        ],
      },
    ], null, 1);

  it.each([
    [['Secondary', 'UpToDate', 'Connected', 'Secondary', 'UpToDate', 'Established'], 'Secondary, disk UpToDate, peer node2 Connected Secondary UpToDate'],
    [['Primary', 'UpToDate', 'Connecting', 'Unknown', 'DUnknown', 'Off'], 'Primary, disk UpToDate, peer node2 Connecting DUnknown'],
    [['Secondary', 'Inconsistent', 'Connected', 'Primary', 'UpToDate', 'SyncTarget'], 'Secondary, disk Inconsistent, peer node2 Connected Primary UpToDate SyncTarget'],
  ] as Array<[[string, string, string, string, string, string], string]>)('reads %j', (args, text) => {
    const state = parseStatusJson(json(...args), 'r0');
    expect(describeState(state!)).toBe(text);
  });

  it('is undefined for a resource not listed, and refuses what is not JSON', () => {
    expect(parseStatusJson('[]', 'r0')).toBeUndefined();
    expect(() => parseStatusJson('r0 role:Secondary', 'r0')).toThrow();
  });

  it('gives the same state as events2 for the same situation', () => {
    const fromJson = parseStatusJson(json('Secondary', 'UpToDate', 'Connected', 'Secondary', 'UpToDate', 'Established'), 'r0')!;
    const fromEvents = parseEvents2(events2(), 'r0')!;
    expect({ ...fromJson, mayPromote: undefined, kernelPromotionScore: undefined }).toEqual({ ...fromEvents, mayPromote: undefined, kernelPromotionScore: undefined });
  });
});

describe('DRBD 8.4 role/cstate/dstate', () => {
  it.each([
    [['Primary/Secondary', 'Connected', 'UpToDate/UpToDate'], 'Primary, disk UpToDate, the peer Connected Secondary UpToDate'],
    [['Secondary/Unknown', 'WFConnection', 'UpToDate/DUnknown'], 'Secondary, disk UpToDate, the peer Connecting DUnknown'],
    [['Secondary/Unknown', 'StandAlone', 'Outdated/DUnknown'], 'Secondary, disk Outdated, the peer StandAlone DUnknown'],
    [['Secondary/Primary', 'SyncTarget', 'Inconsistent/UpToDate'], 'Secondary, disk Inconsistent, the peer Connected Primary UpToDate SyncTarget'],
    [['Secondary/Secondary\nSecondary/Secondary', 'Connected\nConnected', 'UpToDate/UpToDate\nUpToDate/UpToDate'], 'Secondary, disk UpToDate/UpToDate, the peer Connected Secondary UpToDate/UpToDate'],
  ] as const)('reads %j', ([role, cstate, dstate], text) => {
    expect(describeState(parse84('r0', role, cstate, dstate)!)).toBe(text);
  });

  it('is undefined when the resource is unconfigured', () => {
    expect(parse84('r0', 'Unconfigured', '', '')).toBeUndefined();
    expect(parse84('r0', '', '', '')).toBeUndefined();
  });
});

describe('DRBD 8.4 /proc/drbd, one minor', () => {
  const header = 'version: 8.4.11 (api:1/proto:86-101)\nsrcversion: 059B1B470318F053F5077D5 \n';
  const counters = '    ns:179 nr:0 dw:179 dr:19 al:4 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:0\n';
  it.each([
    // As real 8.4.11 printed it in the UML lab (Primary, connected).
    ['connected Primary', ' 0: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r-----\n' + counters, 0, 'Primary, disk UpToDate, the peer Connected Secondary UpToDate', false],
    ['waiting for its peer', ' 0: cs:WFConnection ro:Secondary/Unknown ds:UpToDate/DUnknown C r-----\n' + counters, 0, 'Secondary, disk UpToDate, the peer Connecting DUnknown', false],
    // No network configuration: a blank where the protocol is.
    ['standalone, no net config', ' 0: cs:StandAlone ro:Secondary/Unknown ds:Outdated/DUnknown   r-----\n' + counters, 0, 'Secondary, disk Outdated, the peer StandAlone DUnknown', false],
    // I/O suspended while the fence-peer handler runs.
    ['suspended Primary', ' 0: cs:WFConnection ro:Primary/Unknown ds:UpToDate/DUnknown C s----s\n' + counters, 0, 'Primary, disk UpToDate, the peer Connecting DUnknown', true],
    ['the second of two minors', ' 0: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r-----\n' + counters + '10: cs:SyncTarget ro:Secondary/Primary ds:Inconsistent/UpToDate C r-----\n' + counters, 10, 'Secondary, disk Inconsistent, the peer Connected Primary UpToDate SyncTarget', false],
  ] as const)('reads %s', (_case, minors, minor, text, suspended) => {
    const state = parseProcDrbd84(header + minors, 'r0', minor)!;
    expect(describeState(state)).toBe(text);
    expect(state.suspended).toBe(suspended);
    expect(state.volumes.map((v) => v.minor)).toEqual([minor]);
    // The same facts as drbdadm role/cstate/dstate give.
    const [, cstate, roles, disks] = /cs:(\S+) ro:(\S+) ds:(\S+)/.exec(minors.split('\n').find((l) => l.trimStart().startsWith(`${minor}:`))!)!;
    expect({ ...state, suspended: false, volumes: state.volumes.map((v) => ({ ...v, minor: undefined })) }).toEqual(parse84('r0', roles!, cstate!, disks!));
  });

  it('reads the resync progress of a syncing minor', () => {
    const text = header + " 0: cs:SyncSource ro:Primary/Secondary ds:UpToDate/Inconsistent C r-----\n" + counters + "\t[==>.................] sync'ed: 15.3% (217812/257012)K\n\tfinish: 0:00:05 speed: 39,200 (39,200) K/sec\n";
    expect(parseProcDrbd84(text, 'r0', 0)!.peers[0]!.volumes[0]!.done).toBe(15.3);
    expect(parseProcDrbd84(header + ' 0: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r-----\n' + counters, 'r0', 0)!.peers[0]!.volumes[0]!.done).toBeUndefined();
  });

  it('is undefined when the minor is unconfigured or not there (the resource is down)', () => {
    expect(parseProcDrbd84(header + ' 0: cs:Unconfigured\n', 'r0', 0)).toBeUndefined();
    expect(parseProcDrbd84(header, 'r0', 0)).toBeUndefined();
    expect(parseProcDrbd84(header + '10: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r-----\n' + counters, 'r0', 0)).toBeUndefined();
  });
});

describe('drbdadm --version', () => {
  it('reads the utils and kernel version codes; 8.4 only when the module says so', () => {
    const installed = [
      'DRBDADM_BUILDTAG=GIT-hash:\\ 409097fe02187f83790b88ac3e0d94f3c167adab\\ reproducible\\ build\\,\\ 2023-01-09\\ 14:51:18',
      'DRBDADM_API_VERSION=2',
      'DRBD_KERNEL_VERSION_CODE=0x000000',
      'DRBD_KERNEL_VERSION=0',
      'DRBDADM_VERSION_CODE=0x091600',
      'DRBDADM_VERSION=9.22.0',
    ].join('\n');
    expect(parseVersion(installed)).toEqual({ utils: 0x091600, kernel: 0 });
    expect(isDrbd84(parseVersion(installed))).toBe(false);
    expect(isDrbd84(parseVersion(installed.replace('0x000000', '0x090202')))).toBe(false);
    expect(isDrbd84(parseVersion(installed.replace('0x000000', '0x080411')))).toBe(true);
  });
});

describe('/proc/drbd', () => {
  it.each([
    ['version: 9.2.2 (api:2/proto:86-121)\nGIT-hash: 65ffd5b0 build by root@vm\nTransports (api:18): tcp (9.2.2)\n', 0x090202],
    ['version: 8.4.11 (api:1/proto:86-101)\nsrcversion: 2A6E9E2C4EC7F4BA9A2C8E2\n 0: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r-----\n', 0x08040b],
    ['', 0],
  ])('reads the module version from %j', (text, code) => {
    expect(parseProcDrbd(text)).toBe(code);
    if (code) expect(isDrbd84({ utils: 0, kernel: code })).toBe(code < 0x090000);
  });
});
