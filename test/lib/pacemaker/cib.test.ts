/** Pacemaker's names and id rules (lib/pacemaker/cib.ts), as tables. */
import { describe, expect, it } from 'vitest';
import { cibId, cibIdProblem, formatAgentType, isPacemakerTrue, nodeNameProblem, normalizeRole, pacemakerBoolean, parseAgentType } from '../../../lib/pacemaker/cib.js';

describe('CIB ids', () => {
  it.each(['mfs', 'mfs-drbd-clone', '_x', 'a.b_c-1'])('accepts %s', (id) => expect(cibIdProblem(id)).toBeUndefined());
  it.each(['', '1mfs', 'mfs:0', 'mfs ha', 'mfs/x', '-mfs', 'é', 'x'.repeat(201)])('refuses %j', (id) => expect(cibIdProblem(id)).toBeDefined());
  it.each([
    [['mfs', 'fence', 'node1'], 'mfs-fence-node1'],
    [['mfs', 'fence', '10.0.0.1'], 'mfs-fence-10.0.0.1'],
    [['1node'], '_1node'],
    [['a:b', 'c d'], 'a-b-c-d'],
  ])('builds %j as %s', (parts, id) => {
    expect(cibId(...parts)).toBe(id);
    expect(cibIdProblem(cibId(...parts))).toBeUndefined();
  });
});

describe('node names', () => {
  it.each(['node1', 'n1.example.com', 'a', '1node', 'node-1'])('accepts %s', (name) => expect(nodeNameProblem(name)).toBeUndefined());
  it.each(['', 'node_1', '-node', 'node-', 'a..b', 'node 1', 'node:1'])('refuses %j', (name) => expect(nodeNameProblem(name)).toBeDefined());
});

describe('roles and agent types', () => {
  it.each([
    ['Master', 'Promoted'],
    ['Slave', 'Unpromoted'],
    ['Promoted', 'Promoted'],
    ['Started', 'Started'],
  ])('%s is %s', (legacy, modern) => expect(normalizeRole(legacy)).toBe(modern));
  it('refuses an unknown role', () => expect(() => normalizeRole('Leader')).toThrow(/unknown role/));
  it.each(['ocf:heartbeat:IPaddr2', 'ocf:mfs:mfs-drbd-store', 'stonith:fence_ipmilan'])('%s round-trips', (type) =>
    expect(formatAgentType(parseAgentType(type))).toBe(type),
  );
  it.each(['IPaddr2', 'ocf:heartbeat', 'lsb:foo', 'stonith:', 'ocf::x'])('refuses %j', (type) => expect(() => parseAgentType(type)).toThrow());
});

describe('Pacemaker booleans', () => {
  it.each(['true', 'TRUE', 'on', 'yes', 'Y', 'y', '1', ' true '])('%j is true, as crm_is_true says', (value) => expect(isPacemakerTrue(value)).toBe(true));
  it.each(['false', 'off', 'no', '0', '', 'truthy', '2', undefined])('%j is false', (value) => expect(isPacemakerTrue(value)).toBe(false));
  it('writes what it reads', () => {
    expect(isPacemakerTrue(pacemakerBoolean(true))).toBe(true);
    expect(isPacemakerTrue(pacemakerBoolean(false))).toBe(false);
  });
});
