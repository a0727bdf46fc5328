/**
 * The pure core: agent knowledge (from our declarations and from installed meta-data), the
 * operations it yields, the configuration object of the drbd topology and its renderings.
 */
import { describe, expect, it } from 'vitest';
import drbdStore from '../../agents/mfs-drbd-store/agent.js';
import metarestore from '../../agents/mfs-metarestore/agent.js';
import mfsmaster from '../../agents/mfsmaster/agent.js';
import { agentInfoFromDefinition, agentInfoFromMetadata, type AgentInfo } from '../../crm-snippets/agent-info.js';
import { generate, masterConfigWarnings } from '../../crm-snippets/generate.js';
import { commentLine, commentProblem, primitives } from '../../crm-snippets/model.js';
import { operationsFor, withUnit } from '../../crm-snippets/operations.js';
import { InputError, parseInput, type RawOptions, type TopologyName } from '../../crm-snippets/options.js';
import { AGENT, neededSaveMode, topology, type AgentSet } from '../../crm-snippets/topologies.js';
import { MINIMUM_SAVE_MODE } from '../../lib/moosefs/durability.js';
import { advertisedActions } from '../../lib/ocf/agent.js';
import { run } from '../../lib/process/run.js';

async function installed(type: string): Promise<AgentInfo> {
  const result = await run('crm_resource', ['--show-metadata', type], { timeoutMs: 30_000 });
  if (!result.ok) throw new Error(`${type}: ${result.stderr}`);
  return agentInfoFromMetadata(type, result.stdout);
}

async function drbdAgents(): Promise<AgentSet> {
  return new Map([
    [AGENT.drbd, await installed(AGENT.drbd)],
    [AGENT.filesystem, await installed(AGENT.filesystem)],
    [AGENT.ipaddr2, await installed(AGENT.ipaddr2)],
    [AGENT.mfsmaster, agentInfoFromDefinition(AGENT.mfsmaster, mfsmaster)],
  ]);
}

/** Every agent of every topology. */
async function allAgents(): Promise<AgentSet> {
  return new Map([
    ...(await drbdAgents()),
    [AGENT.drbdStore, agentInfoFromDefinition(AGENT.drbdStore, drbdStore)],
    [AGENT.metarestore, agentInfoFromDefinition(AGENT.metarestore, metarestore)],
  ]);
}

const RAW: RawOptions = {
  node: ['n1', 'n2'],
  ip: '192.0.2.1',
  drbdResource: 'r0',
  device: '/dev/drbd1',
  directory: '/srv/mfs',
  fstype: 'ext4',
  fenceAgent: 'fence_ipmilan',
  fenceParam: ['ip=192.0.2.200'],
};

describe('agent knowledge', () => {
  it("reads LINBIT's drbd meta-data: legacy roles become Promoted/Unpromoted, bare timeouts are seconds", async () => {
    const drbd = await installed(AGENT.drbd);
    expect(drbd.parameters.drbd_resource).toEqual({ required: true });
    const monitors = drbd.actions.filter((a) => a.name === 'monitor').map((a) => [a.role, a.interval]);
    expect(monitors).toEqual(expect.arrayContaining([['Promoted', '10'], ['Unpromoted', '20']]));
    expect(withUnit(drbd.actions.find((a) => a.name === 'start')!.timeout)).toMatch(/^\d+s$/);
  });

  it('takes our own agents from their declarations: the same timeouts their meta-data advertises', () => {
    const info = agentInfoFromDefinition(AGENT.mfsmaster, mfsmaster);
    expect(info.actions).toEqual(advertisedActions(mfsmaster));
    expect(info.parameters.config?.default).toBe(mfsmaster.parameters.config.default);
  });
});

describe('operationsFor', () => {
  const agent: AgentInfo = {
    agent: { class: 'ocf', provider: 'x', type: 'y' },
    parameters: {},
    actions: [
      { name: 'start', timeout: '240' },
      { name: 'stop', timeout: '100s' },
      { name: 'monitor', timeout: '20', interval: '20', role: 'Unpromoted' },
      { name: 'monitor', timeout: '30s', interval: '10s', role: 'Promoted' },
      { name: 'monitor', timeout: '60s', interval: '60s', role: 'Promoted', depth: 10 },
    ],
  };
  const plan = { actions: ['start', 'stop'], monitors: [{ key: 'p', role: 'Promoted' as const }, { key: 'u', role: 'Unpromoted' as const }] };

  it.each<[string, Record<string, string>, string[]]>([
    ['advertised values, units made explicit, the shallowest monitor per role', {}, ['monitor 10s 30s Promoted', 'monitor 20s 20s Unpromoted', 'start 0s 240s -', 'stop 0s 100s -']],
    ['an interval override keeps the advertised timeout', { p: '15s' }, ['monitor 15s 30s Promoted', 'monitor 20s 20s Unpromoted', 'start 0s 240s -', 'stop 0s 100s -']],
  ])('%s', (_case, overrides, expected) => {
    const ops = operationsFor(agent, plan, new Map(Object.entries(overrides)));
    expect(ops.map((op) => `${op.name} ${op.interval} ${op.timeout} ${op.role ?? '-'}`)).toEqual(expected);
  });

  it.each([['p', '20s'], ['u', '10s'], ['p', '20']])('refuses the same interval for both roles (%s=%s)', (key, interval) => {
    expect(() => operationsFor(agent, plan, new Map([[key, interval]]))).toThrow(InputError);
    expect(() => operationsFor(agent, plan, new Map([[key, interval]]))).toThrow(/--monitor-interval: .*distinct interval per role/);
  });

  it('refuses an agent that does not advertise an action the topology needs', () => {
    expect(() => operationsFor(agent, { actions: ['promote'], monitors: [] }, new Map())).toThrow(/advertises no timeout for its promote action/);
  });
});

describe('the drbd topology', () => {
  it('builds the fence device, the promotable DRBD clone and the group on top, tied by one colocation and one order', async () => {
    const input = parseInput('drbd', RAW, topology('drbd').takes);
    const { configuration, warnings } = await generate(input, await drbdAgents());
    expect(configuration.resources.map((r) => `${r.kind} ${r.id}`)).toEqual(['primitive mfs-fence', 'clone mfs-drbd-clone', 'group mfs-group']);
    const group = configuration.resources[2]!;
    expect(group.kind === 'group' && group.members.map((m) => m.id)).toEqual(['mfs-fs', 'mfs-master', 'mfs-ip']);
    expect(configuration.constraints).toEqual([
      { kind: 'colocation', id: 'mfs-group-with-drbd-promoted', score: 'INFINITY', rsc: 'mfs-group', withRsc: 'mfs-drbd-clone', withRscRole: 'Promoted' },
      { kind: 'order', id: 'mfs-drbd-promote-then-group', first: 'mfs-drbd-clone', firstAction: 'promote', then: 'mfs-group', thenAction: 'start' },
    ]);
    expect(configuration.properties).toEqual([{ name: 'stonith-enabled', value: 'true' }]);
    // every timeout of our own agent is the one its declaration advertises
    const master = primitives(configuration).find((p) => p.id === 'mfs-master')!;
    for (const op of master.ops) {
      const advertised = advertisedActions(mfsmaster).find((a) => a.name === op.name)!;
      expect(op.timeout).toBe(advertised.timeout);
    }
    expect(master.params).toEqual([
      { name: 'config', value: '/etc/mfs/mfsmaster.cfg' },
      { name: 'durability', value: 'power' },
    ]);
    expect(warnings.join('\n')).toMatch(/DRBD resource file was not written/);
  });

  it('renders the same ids in every format', async () => {
    const agents = await drbdAgents();
    const ids = ['mfs-fence', 'mfs-drbd', 'mfs-drbd-clone', 'mfs-fs', 'mfs-master', 'mfs-ip', 'mfs-group', 'mfs-group-with-drbd-promoted', 'mfs-drbd-promote-then-group'];
    for (const format of ['crmsh', 'pcs', 'xml'] as const) {
      const { text } = await generate(parseInput('drbd', { ...RAW, format }, topology('drbd').takes), agents);
      for (const id of ids) expect(text, `${format} ${id}`).toMatch(new RegExp(`(^|[\\s"=])${id}([\\s"]|$)`, 'm'));
      expect(text, format).toMatch(/CHANGELOG_SAVE_MODE = 2/);
    }
  });

  it('--name prefixes every id', async () => {
    const input = parseInput('drbd', { ...RAW, name: 'fs2' }, topology('drbd').takes);
    const { configuration } = await generate(input, await drbdAgents());
    const ids = [...configuration.resources.map((r) => r.id), ...primitives(configuration).map((p) => p.id), ...configuration.constraints.map((c) => c.id)];
    expect(ids.every((id) => id.startsWith('fs2-'))).toBe(true);
  });
});

describe('masterConfigWarnings (mfs-crm run where mfsmaster.cfg is)', () => {
  const input = parseInput('drbd', { ...RAW, directory: '/srv/mfs' }, topology('drbd').takes);
  const config = (dataPath: string, changelogSaveMode: 0 | 1 | 2) =>
    ({ file: '/etc/mfs/mfsmaster.cfg', dataPath, changelogSaveMode }) as Parameters<typeof masterConfigWarnings>[1];

  it.each<[string, string, 0 | 1 | 2, RegExp[]]>([
    ['DATA_PATH on the store, mode 2', '/srv/mfs', 2, []],
    ['DATA_PATH below the mount, mode 2', '/srv/mfs/master', 2, []],
    ['mode 1', '/srv/mfs', 1, [/CHANGELOG_SAVE_MODE = 1: the drbd topology needs 2/]],
    ['mode 0 and DATA_PATH off the store', '/var/lib/mfs', 0, [/CHANGELOG_SAVE_MODE = 0/, /DATA_PATH = \/var\/lib\/mfs, which is not on the replicated store/]],
    ['a sibling directory with the same prefix', '/srv/mfs2', 2, [/not on the replicated store/]],
  ])('%s', (_case, dataPath, mode, expected) => {
    const warnings = masterConfigWarnings(input, config(dataPath, mode));
    expect(warnings).toHaveLength(expected.length);
    expected.forEach((pattern, index) => expect(warnings[index]).toMatch(pattern));
  });
});

describe('fence parameters against the fence agent', () => {
  const fenceInfo: AgentInfo = { agent: { class: 'stonith', type: 'fence_ipmilan' }, parameters: { ip: { required: true }, username: { required: false } }, actions: [] };

  it.each<[string, Partial<RawOptions>, RegExp | undefined]>([
    ['declared parameters', { fenceParam: ['ip=192.0.2.200', 'username=u'] }, undefined],
    ["Pacemaker's own pcmk_* parameters", { fenceParam: ['ip=192.0.2.200', 'pcmk_delay_max=10s'] }, undefined],
    ['a parameter the agent does not declare', { fenceParam: ['ipaddress=192.0.2.200'] }, /^--fence-param: stonith:fence_ipmilan has no parameter ipaddress/],
    ['a per-node parameter the agent does not declare', { fenceParam: [], fenceNodeParam: ['n1:ip=1', 'n2:plug=2'] }, /^--fence-node-param: .* no parameter plug/],
  ])('%s', async (_case, change, refused) => {
    const agents = new Map(await drbdAgents()).set('stonith:fence_ipmilan', fenceInfo);
    const input = parseInput('drbd', { ...RAW, ...change }, topology('drbd').takes);
    const generating = generate(input, agents);
    if (refused) await expect(generating).rejects.toThrow(refused);
    else await expect(generating).resolves.toBeDefined();
  });
});

describe('the durability each topology sets on the master', () => {
  const STORE: RawOptions = { ...RAW, fenceAgent: undefined, fenceParam: undefined, noFencing: true };
  const inputs = {
    drbd: parseInput('drbd', STORE, topology('drbd').takes),
    'drbd-store': parseInput('drbd-store', STORE, topology('drbd-store').takes),
    metalogger: parseInput('metalogger', { node: ['n1', 'n2'], ip: '192.0.2.1', noFencing: true }, topology('metalogger').takes),
  };

  it.each<[keyof typeof inputs, string, 0 | 1 | 2]>([
    ['drbd', 'power', 2],
    ['drbd-store', 'power', 2],
    ['metalogger', 'process', 1],
  ])('%s: durability=%s, a value ocf:mfs:mfsmaster declares; the comment says CHANGELOG_SAVE_MODE %i', async (name, durability, mode) => {
    const { configuration } = await generate(inputs[name], await allAgents());
    const master = primitives(configuration).find((p) => p.id === 'mfs-master')!;
    expect(master.params).toContainEqual({ name: 'durability', value: durability });
    expect(mfsmaster.parameters.durability.options).toContain(durability);
    expect(topology(name).durability).toBe(durability);
    expect(neededSaveMode(topology(name))).toBe(mode);
    expect(MINIMUM_SAVE_MODE[topology(name).durability]).toBe(mode);
    expect(configuration.comments.join('\n')).toContain(`CHANGELOG_SAVE_MODE = ${mode}`);
    expect(configuration.comments.join(' ')).toContain(`mfs-master sets durability=${durability}, so that ${AGENT.mfsmaster} refuses to start`);
  });

  it('refuses to write a value the loaded declaration does not list', async () => {
    const agents = new Map(await allAgents());
    const info = agents.get(AGENT.mfsmaster)!;
    agents.set(AGENT.mfsmaster, { ...info, parameters: { ...info.parameters, durability: { ...info.parameters.durability!, options: ['none', 'process'] } } });
    await expect(generate(inputs.drbd, agents)).rejects.toThrow(/ocf:mfs:mfsmaster declares durability as one of none, process, not power/);
    await expect(generate(inputs.metalogger, agents)).resolves.toBeDefined();
  });

  it('metalogger: mfsmaster.cfg with mode 0 is warned about (the master would refuse to start), mode 1 is not', () => {
    const config = (changelogSaveMode: 0 | 1 | 2) => ({ file: '/etc/mfs/mfsmaster.cfg', dataPath: '/var/lib/mfs', changelogSaveMode }) as Parameters<typeof masterConfigWarnings>[1];
    expect(masterConfigWarnings(inputs.metalogger, config(0))).toEqual([
      '/etc/mfs/mfsmaster.cfg has CHANGELOG_SAVE_MODE = 0: the metalogger topology needs 1; the configuration sets durability=process on ocf:mfs:mfsmaster, which refuses to start below it (see the comment in the output)',
    ]);
    expect(masterConfigWarnings(inputs.metalogger, config(1))).toEqual([]);
  });
});

describe("the group's order", () => {
  const STORE: RawOptions = { ...RAW, fenceAgent: undefined, fenceParam: undefined, noFencing: true };
  it.each<[TopologyName, string[], RawOptions]>([
    ['drbd', ['mfs-fs', 'mfs-master', 'mfs-ip'], STORE],
    ['drbd-store', ['mfs-master', 'mfs-ip'], STORE],
    // The metaloggers follow the master through the IP: it goes last, after the master has stopped.
    ['metalogger', ['mfs-ip', 'mfs-master'], { node: ['n1', 'n2'], ip: '192.0.2.1', noFencing: true }],
  ])('%s: members in start order %j', async (name, members, raw) => {
    const { configuration } = await generate(parseInput(name, raw, topology(name).takes), await allAgents());
    const group = configuration.resources.find((r) => r.kind === 'group')!;
    expect(group.kind === 'group' && group.members.map((m) => m.id)).toEqual(members);
    const says = /mfs-group starts mfs-ip before mfs-master, so that mfs-master stops before mfs-ip: the metaloggers follow/;
    expect(configuration.comments.join('\n')).toMatch(name === 'metalogger' ? says : /^(?![\s\S]*mfs-group starts)/);
  });
});

describe('comments every format can carry (crmsh and CIB XML refuse -- and a final -)', () => {
  it.each<[string, string]>([
    ['plain text', 'plain text'],
    ['a--b', 'a- -b'],
    ['a---b', 'a- - -b'],
    ['ends with -', 'ends with - .'],
    ['ends with - ', 'ends with - .'],
    ['--no-fencing', '- -no-fencing'],
  ])('%j becomes %j', (text, line) => {
    expect(commentLine(text)).toBe(line);
    expect(commentProblem(commentLine(text))).toBeUndefined();
  });

  it.each(['a--b', 'x-', 'x- '])('commentProblem sees %j', (text) => {
    expect(commentProblem(text)).toBeDefined();
  });

  const FENCING: Array<[string, Partial<RawOptions>]> = [
    ['fence devices', { fenceAgent: 'fence_ipmilan', fenceParam: ['ip=192.0.2.200'] }],
    ['--no-fencing', { fenceAgent: undefined, fenceParam: undefined, noFencing: true }],
    ['no fence options', { fenceAgent: undefined, fenceParam: undefined }],
  ];
  const TOPOLOGIES: Array<[string, RawOptions]> = [
    ['drbd', RAW],
    ['drbd-store', RAW],
    ['metalogger', { node: ['n1', 'n2'], ip: '192.0.2.1', metaloggerConfig: '/etc/mfs--ha/mfsmetalogger.cfg', name: 'mfs-' }],
  ];

  it.each(TOPOLOGIES.flatMap(([name, raw]) => FENCING.map(([fencing, change]) => [name, fencing, { ...raw, ...change }] as const)))(
    '%s with %s: no comment line holds -- or ends with -, in any format',
    async (name, _fencing, raw) => {
      const agents = new Map(await allAgents()).set('stonith:fence_ipmilan', { agent: { class: 'stonith', type: 'fence_ipmilan' }, parameters: { ip: { required: false } }, actions: [] });
      for (const format of ['crmsh', 'pcs', 'xml'] as const) {
        const input = parseInput(name as 'drbd', { ...raw, format }, topology(name as 'drbd').takes);
        const { text, configuration } = await generate(input, agents);
        for (const line of configuration.comments) expect(commentProblem(line), line).toBeUndefined();
        const comments = format === 'xml' ? [...text.matchAll(/<!--(.*?)-->/gs)].map((m) => m[1]!) : text.split('\n').filter((l) => l.startsWith('#') && !l.startsWith('#!'));
        expect(comments.length).toBeGreaterThan(3);
        if (format !== 'pcs') for (const line of comments) expect(commentProblem(line), `${format}: ${line}`).toBeUndefined();
      }
    },
  );

  it("a user's value with -- is spaced out in the comment, and only there", async () => {
    const input = parseInput('metalogger', { node: ['n1', 'n2'], ip: '192.0.2.1', metaloggerConfig: '/etc/mfs--ha/mfsmetalogger.cfg', noFencing: true }, topology('metalogger').takes);
    const { configuration, text } = await generate(input, await allAgents());
    expect(configuration.comments[1]).toBe('/etc/mfs- -ha/mfsmetalogger.cfg on both nodes: MASTER_HOST = 192.0.2.1, so that the metalogger follows the master.');
    expect(text).toContain('params metalogger_config=/etc/mfs--ha/mfsmetalogger.cfg ');
  });
});
