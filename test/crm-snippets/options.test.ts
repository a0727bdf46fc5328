/** The checks of mfs-crm's input: a table of bad inputs, each refused with the option it names. */
import { describe, expect, it } from 'vitest';
import { InputError, parseInput, type DrbdTarget, type HostFacts, type RawOptions } from '../../crm-snippets/options.js';
import { topology } from '../../crm-snippets/topologies.js';

const GOOD: RawOptions = {
  node: ['node1', 'node2'],
  ip: '192.0.2.10',
  drbdResource: 'mfs',
  device: '/dev/drbd0',
  directory: '/var/lib/mfs',
  fstype: 'ext4',
};

const drbd = (raw: RawOptions, host: HostFacts = {}) => parseInput('drbd', raw, topology('drbd').takes, host);

function refusal(raw: RawOptions, host: HostFacts = {}): InputError {
  try {
    drbd(raw, host);
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error(`accepted: ${JSON.stringify(raw)}`);
}

describe('parseInput', () => {
  it('accepts a complete drbd command line, with defaults', () => {
    const input = drbd(GOOD);
    expect(input).toMatchObject({ name: 'mfs', format: 'crmsh', nodes: ['node1', 'node2'], ip: { address: '192.0.2.10' }, stickiness: 100, migrationThreshold: 3 });
    expect(input.fencing).toEqual({ mode: 'unconfigured' });
    expect(input.config).toBeUndefined();
  });

  it('takes IPv6, fencing per node, monitor intervals and the DRBD resource file', () => {
    const input = drbd({
      ...GOOD,
      ip: '2001:db8::10',
      cidrNetmask: '64',
      fenceAgent: 'stonith:fence_ipmilan',
      fenceParam: ['username=admin'],
      fenceNodeParam: ['node1:ip=10.0.0.1', 'node2:ip=10.0.0.2'],
      monitorInterval: ['master=5s', 'drbd-promoted=9s'],
      drbdResFile: '/etc/drbd.d/mfs.res',
      drbdDisk: '/dev/vg0/mfs',
      drbdAddress: ['node1=10.1.0.1', 'node2=[fd00::2]:7790'],
    });
    expect(input.ip).toEqual({ address: '2001:db8::10', cidrNetmask: 64 });
    expect(input.fencing.mode).toBe('devices');
    expect(input.monitorIntervals.get('drbd-promoted')).toBe('9s');
    expect(input.drbdResFile?.addresses.get('node2')).toEqual({ ip: 'fd00::2', port: 7790 });
    expect(input.drbdResFile?.minor).toBe(0);
  });

  it.each<[string, RawOptions, string, RegExp]>([
    ['a node name twice', { node: ['node1', 'node1'] }, 'node', /given twice/],
    ['one node only', { node: ['node1'] }, 'node', /exactly two/],
    ['three nodes', { node: ['a', 'b', 'c'] }, 'node', /exactly two/],
    ['a node name Pacemaker refuses', { node: ['node1', 'node_2'] }, 'node', /host name/],
    ['a node name with a space', { node: ['node1', 'node 2'] }, 'node', /host name/],
    ['an IP that is not an address', { ip: '192.0.2.300' }, 'ip', /IPv4 or IPv6/],
    ['a host name for the IP', { ip: 'master.example' }, 'ip', /IPv4 or IPv6/],
    ['no IP', { ip: undefined }, 'ip', /required/],
    ['an IPv4 netmask out of range', { cidrNetmask: '33' }, 'cidr-netmask', /between 1 and 32/],
    ['a netmask of 0', { cidrNetmask: '0' }, 'cidr-netmask', /between 1 and 32/],
    ['a dotted netmask', { cidrNetmask: '255.255.255.0' }, 'cidr-netmask', /integer/],
    ['an IPv6 netmask out of range', { ip: 'fd00::1', cidrNetmask: '129' }, 'cidr-netmask', /between 1 and 128/],
    ['a NIC name too long', { nic: 'averyveryverylongname' }, 'nic', /interface/],
    ['a relative mount directory', { directory: 'var/lib/mfs' }, 'directory', /absolute/],
    ['a relative device', { device: 'drbd0' }, 'device', /absolute/],
    ['a relative config', { config: 'mfsmaster.cfg' }, 'config', /absolute/],
    ['a path with ..', { directory: '/var/../etc' }, 'directory', /\.\./],
    ['a path with a space', { directory: '/var/lib/m fs' }, 'directory', /letters, digits/],
    ['/ as mount directory', { directory: '/' }, 'directory', /not be \//],
    ['a DRBD resource name Pacemaker refuses', { drbdResource: 'mfs:0' }, 'drbd-resource', /name of letters/],
    ['no DRBD resource', { drbdResource: undefined }, 'drbd-resource', /required/],
    ['no fstype', { fstype: undefined }, 'fstype', /required/],
    ['an fstype with a slash', { fstype: 'ext4/x' }, 'fstype', /file system type/],
    ['mount options with a space', { mountOptions: 'noatime, ro' }, 'mount-options', /without spaces/],
    ['an id prefix Pacemaker refuses', { name: 'mfs:ha' }, 'name', /XML ID/],
    ['an id prefix starting with a digit', { name: '1mfs' }, 'name', /XML ID/],
    ['an unknown format', { format: 'json' }, 'format', /crmsh, pcs, xml/],
    ['--no-fencing with a fence agent', { noFencing: true, fenceAgent: 'fence_ipmilan' }, 'no-fencing', /choose one/],
    ['fence parameters without an agent', { fenceParam: ['ip=1.2.3.4'] }, 'fence-param', /needs --fence-agent/],
    ['an OCF agent as fence agent', { fenceAgent: 'ocf:heartbeat:IPaddr2' }, 'fence-agent', /fence agent/],
    ['a fence parameter with a quote', { fenceAgent: 'fence_ipmilan', fenceParam: ['password=a"b'] }, 'fence-param', /quotes/],
    ['a fence parameter without =', { fenceAgent: 'fence_ipmilan', fenceParam: ['ip'] }, 'fence-param', /KEY=VALUE/],
    ['a fence parameter twice', { fenceAgent: 'fence_ipmilan', fenceParam: ['ip=1', 'ip=2'] }, 'fence-param', /twice/],
    ['a per-node fence parameter for an unknown node', { fenceAgent: 'fence_ipmilan', fenceNodeParam: ['node3:ip=1'] }, 'fence-node-param', /not one of/],
    ['per-node fence parameters for one node only', { fenceAgent: 'fence_ipmilan', fenceNodeParam: ['node1:ip=1'] }, 'fence-node-param', /every node/],
    ['an unknown monitor key', { monitorInterval: ['nfs=10s'] }, 'monitor-interval', /unknown key/],
    ['a monitor interval that is not a time', { monitorInterval: ['master=often'] }, 'monitor-interval', /not a time/],
    ['a monitor interval under a second', { monitorInterval: ['master=500ms'] }, 'monitor-interval', /at least 1s/],
    ['a stickiness that is not a number', { stickiness: 'high' }, 'stickiness', /integer/],
    ['a migration threshold of 0', { migrationThreshold: '0' }, 'migration-threshold', /between 1/],
    ['a DRBD resource file without disk', { drbdResFile: '/etc/drbd.d/mfs.res', drbdAddress: ['node1=10.0.0.1', 'node2=10.0.0.2'] }, 'drbd-disk', /required/],
    ['a DRBD resource file with a relative path', { drbdResFile: 'mfs.res', drbdDisk: '/dev/sdb', drbdAddress: ['node1=10.0.0.1', 'node2=10.0.0.2'] }, 'drbd-res-file', /absolute/],
    ['a DRBD address missing for a node', { drbdResFile: '/etc/drbd.d/mfs.res', drbdDisk: '/dev/sdb', drbdAddress: ['node1=10.0.0.1'] }, 'drbd-address', /node2/],
    ['a DRBD address that is not one', { drbdResFile: '/etc/drbd.d/mfs.res', drbdDisk: '/dev/sdb', drbdAddress: ['node1=10.0.0.1', 'node2=host2'] }, 'drbd-address', /IPv4/],
    ['a DRBD port out of range', { drbdResFile: '/etc/drbd.d/mfs.res', drbdDisk: '/dev/sdb', drbdAddress: ['node1=10.0.0.1', 'node2=10.0.0.2:70000'] }, 'drbd-address', /65535/],
    ['a DRBD resource file for a device not /dev/drbdN', { device: '/dev/mapper/x', drbdResFile: '/etc/drbd.d/mfs.res', drbdDisk: '/dev/sdb', drbdAddress: ['node1=10.0.0.1', 'node2=10.0.0.2'] }, 'device', /\/dev\/drbdN/],
    ['DRBD addresses without a resource file', { drbdAddress: ['node1=10.0.0.1'] }, 'drbd-address', /needs --drbd-res-file/],
  ])('refuses %s, naming --%s', (_case, change, option, message) => {
    const error = refusal({ ...GOOD, ...change });
    expect(error.option).toBe(option);
    expect(error.message).toMatch(new RegExp(`^--${option}: `));
    expect(error.message).toMatch(message);
  });

  it('refuses store options for a topology without a DRBD store', () => {
    const takes = { store: false, metalogger: true, monitorKeys: ['master', 'ip'] };
    expect(() => parseInput('metalogger', GOOD, takes)).toThrow(/^--drbd-resource: the metalogger topology has no DRBD store/);
  });

  it.each<[string, RawOptions, string]>([
    ['the DRBD resource file', { node: ['node1', 'node2'], ip: '192.0.2.10', drbdResFile: '/etc/drbd.d/mfs.res' }, '--drbd-res-file: the metalogger topology has no DRBD store'],
    ['a DRBD version', { node: ['node1', 'node2'], ip: '192.0.2.10', drbdVersion: '9' }, '--drbd-version: the metalogger topology has no DRBD store'],
  ])('refuses %s for a topology without a DRBD store, by the option\'s declared scope', (_case, raw, message) => {
    expect(() => parseInput('metalogger', raw, topology('metalogger').takes)).toThrow(message);
  });

  it("takes the split-brain policy by the store agent's own choices: mfs-drbd-store's parameter, or DRBD's after-sb-1pri in the drbd topology's resource file", () => {
    expect(parseInput('drbd-store', { ...GOOD, splitBrainPolicy: 'discard-secondary' }, topology('drbd-store').takes).store?.splitBrainPolicy).toBe('discard-secondary');
    expect(parseInput('drbd-store', GOOD, topology('drbd-store').takes).store?.splitBrainPolicy, "unset: the agent's default").toBeUndefined();
    expect(() => parseInput('drbd-store', { ...GOOD, splitBrainPolicy: 'discard-primary' }, topology('drbd-store').takes)).toThrow(
      '--split-brain-policy: must be one of manual, discard-secondary, got "discard-primary"',
    );
    expect(() => parseInput('drbd', { ...GOOD, splitBrainPolicy: 'manual' }, topology('drbd').takes)).toThrow(
      /^--split-brain-policy: ocf:linbit:drbd has no such parameter: .*add --drbd-res-file/,
    );
    const resFile = { drbdResFile: '/etc/drbd.d/mfs.res', drbdDisk: '/dev/sdb', drbdAddress: ['node1=10.0.0.1', 'node2=10.0.0.2'], drbdVersion: '8.4' };
    const linbit = parseInput('drbd', { ...GOOD, ...resFile, splitBrainPolicy: 'discard-secondary' }, topology('drbd').takes);
    expect(linbit.drbdResFile?.splitBrainPolicy).toBe('discard-secondary');
    expect(linbit.store?.splitBrainPolicy, 'not a parameter of ocf:linbit:drbd').toBeUndefined();
    const store = parseInput('drbd-store', { ...GOOD, ...resFile, splitBrainPolicy: 'discard-secondary' }, topology('drbd-store').takes);
    expect(store.drbdResFile?.splitBrainPolicy, "the agent resolves it; DRBD's handshake keeps its default").toBeUndefined();
  });

  it('refuses --metalogger-config for a topology without a metalogger', () => {
    expect(() => parseInput('drbd', { ...GOOD, metaloggerConfig: '/etc/mfs/mfsmetalogger.cfg' }, topology('drbd').takes)).toThrow(
      '--metalogger-config: the drbd topology has no metalogger',
    );
  });
});

describe('required options', () => {
  it.each<[string, RawOptions, string[], string]>([
    ['none at all', {}, ['node', 'ip', 'drbd-resource', 'device', 'directory', 'fstype'], '--node, --ip, --drbd-resource, --device, --directory, --fstype: are required (--node twice: one per node)'],
    ['the store options', { node: ['node1', 'node2'], ip: '192.0.2.10' }, ['drbd-resource', 'device', 'directory', 'fstype'], '--drbd-resource, --device, --directory, --fstype: are required'],
    ['one', { ...GOOD, fstype: undefined }, ['fstype'], '--fstype: is required'],
    ['an empty value counts as missing', { ...GOOD, directory: '', device: '' }, ['device', 'directory'], '--device, --directory: are required'],
    ['those the DRBD resource file needs, with the others', { ...GOOD, fstype: undefined, drbdResFile: '/etc/drbd.d/mfs.res' }, ['fstype', 'drbd-disk', 'drbd-address'], '--fstype, --drbd-disk, --drbd-address: are required'],
  ])('%s: every missing one named in one error', (_case, raw, options, message) => {
    const error = refusal(raw);
    expect(error.options).toEqual(options);
    expect(error.option).toBe(options[0]);
    expect(error.message).toBe(message);
  });

  it('the metalogger topology needs no store options', () => {
    const takes = topology('metalogger').takes;
    expect(() => parseInput('metalogger', { node: ['node1', 'node2'] }, takes)).toThrow(/^--ip: is required$/);
    expect(parseInput('metalogger', { node: ['node1', 'node2'], ip: '192.0.2.10' }, takes).store).toBeUndefined();
  });
});

describe('--drbd-version: which DRBD the resource file is for', () => {
  const RES: RawOptions = { ...GOOD, drbdResFile: '/etc/drbd.d/mfs.res', drbdDisk: '/dev/sdb', drbdAddress: ['node1=10.0.0.1', 'node2=10.0.0.2'] };
  const V84 = 'version: 8.4.11 (api:1/proto:86-101)\nsrcversion: 2A4B9BDE4C5A8D1D3B5CF7F\n 0: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r-----\n';
  const V9 = 'version: 9.2.2 (api:2/proto:86-121)\nGIT-hash: 0 build by x\nTransports (api:18): tcp (9.2.2)\n';

  it.each<[string, Partial<RawOptions>, HostFacts, DrbdTarget]>([
    ['given: 8.4', { drbdVersion: '8.4' }, {}, { version: '8.4', source: 'option' }],
    ['given: 9, beside an 8.4 module (kept, what /proc/drbd says remembered for the warning)', { drbdVersion: '9' }, { procDrbd: V84 }, { version: '9', source: 'option', procVersion: 'version: 8.4.11 (api:1/proto:86-101)' }],
    ['from /proc/drbd: 8.4.11', {}, { procDrbd: V84 }, { version: '8.4', source: 'proc-drbd', procVersion: 'version: 8.4.11 (api:1/proto:86-101)' }],
    ['from /proc/drbd: 8.4.3', {}, { procDrbd: 'version: 8.4.3 (api:1/proto:86-101)\n' }, { version: '8.4', source: 'proc-drbd', procVersion: 'version: 8.4.3 (api:1/proto:86-101)' }],
    ['from /proc/drbd: 9.2.2', {}, { procDrbd: V9 }, { version: '9', source: 'proc-drbd', procVersion: 'version: 9.2.2 (api:2/proto:86-121)' }],
    ['no /proc/drbd: 9', {}, {}, { version: '9', source: 'default' }],
  ])('%s', (_case, change, host, expected) => {
    expect(drbd({ ...RES, ...change }, host).drbdResFile?.drbd).toEqual(expected);
  });

  it.each<[string, Partial<RawOptions>, HostFacts, RegExp]>([
    ['a version mfs-crm does not write for', { drbdVersion: '8.3' }, {}, /^--drbd-version: must be one of 8.4, 9, got "8.3"/],
    ['a /proc/drbd of DRBD 8.3', {}, { procDrbd: 'version: 8.3.16 (api:88/proto:86-97)\n' }, /^--drbd-version: is needed: \/proc\/drbd here says "version: 8.3.16 \(api:88\/proto:86-97\)"/],
    ['a /proc/drbd that says no version', {}, { procDrbd: 'garbage\n' }, /^--drbd-version: is needed: \/proc\/drbd here says "garbage"/],
    ['--drbd-version without the file', { drbdResFile: undefined, drbdDisk: undefined, drbdAddress: undefined, drbdVersion: '9' }, {}, /^--drbd-version: needs --drbd-res-file/],
  ])('refuses %s', (_case, change, host, message) => {
    const error = refusal({ ...RES, ...change }, host);
    expect(error.option).toBe('drbd-version');
    expect(error.message).toMatch(message);
  });

  it('/proc/drbd matters only for the resource file', () => {
    expect(drbd(GOOD, { procDrbd: 'garbage' }).drbdResFile).toBeUndefined();
  });
});
