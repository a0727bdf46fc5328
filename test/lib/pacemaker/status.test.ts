/** Reading crm_mon's XML and the CIB (lib/pacemaker/status.ts), as tables of cases. */
import { describe, expect, it } from 'vitest';
import { crmMonComplaint, decodeEntities, parseCib, parseCrmMon, resourceOfOperationKey, StatusInputError } from '../../../lib/pacemaker/status.js';

const mon = (resources: string, extra = '') => `<pacemaker-result api-version="2.25" request="crm_mon -1 --output-as=xml">
  <nodes>
    <node name="alpha" id="1" online="true" standby="false" maintenance="false" unclean="false"/>
    <node name="beta" id="2" online="false" standby="false" maintenance="false" unclean="true"/>
    <node name="gamma" id="3" online="true" standby="true" maintenance="true" unclean="false"/>
  </nodes>
  <resources>${resources}</resources>
  ${extra}
  <status code="0" message="OK"/>
</pacemaker-result>`;

const CLONE = `
  <clone id="mfs-store-clone" multi_state="true">
    <resource id="mfs-store" resource_agent="ocf:mfs:mfs-drbd-store" role="Master" active="true" failed="false" blocked="false" managed="true"><node name="alpha" id="1"/></resource>
    <resource id="mfs-store" resource_agent="ocf:mfs:mfs-drbd-store" role="Slave" active="true" failed="true" blocked="false" managed="true"><node name="gamma" id="3"/></resource>
    <resource id="mfs-store" resource_agent="ocf:mfs:mfs-drbd-store" role="Stopped" active="false" failed="false" blocked="false" managed="true"/>
  </clone>
  <group id="mfs-group" number_resources="2">
    <resource id="mfs-master" resource_agent="ocf:mfs:mfsmaster" role="Started" active="true" failed="false" blocked="true" managed="false"><node name="alpha" id="1"/></resource>
    <resource id="mfs-ip" resource_agent="ocf:heartbeat:IPaddr2" role="Stopped" active="false" failed="false"/>
  </group>
  <clone id="unique-clone"><resource id="u:0" resource_agent="ocf:pacemaker:Dummy" role="Started" active="true"><node name="alpha" id="1"/></resource><resource id="u:1" resource_agent="ocf:pacemaker:Dummy" role="Started" active="true"><node name="gamma" id="3"/></resource></clone>`;

describe('parseCrmMon', () => {
  it('nodes: online, standby, maintenance, unclean', async () => {
    const status = await parseCrmMon(mon(''));
    expect(status.nodes).toEqual([
      { name: 'alpha', online: true, standby: false, maintenance: false, unclean: false },
      { name: 'beta', online: false, standby: false, maintenance: false, unclean: true },
      { name: 'gamma', online: true, standby: true, maintenance: true, unclean: false },
    ]);
    expect(status.resources.size).toBe(0);
    expect(status.failures).toEqual([]);
  });

  it('instances of clones and groups by primitive id, legacy roles in today\'s names, a stopped instance without a node', async () => {
    const status = await parseCrmMon(mon(CLONE));
    expect(status.resources.get('mfs-store')).toEqual({
      id: 'mfs-store',
      agent: 'ocf:mfs:mfs-drbd-store',
      instances: [
        { node: 'alpha', role: 'Promoted', failed: false, blocked: false, managed: true },
        { node: 'gamma', role: 'Unpromoted', failed: true, blocked: false, managed: true },
        { node: undefined, role: 'Stopped', failed: false, blocked: false, managed: true },
      ],
    });
    expect(status.resources.get('mfs-master')?.instances).toEqual([{ node: 'alpha', role: 'Started', failed: false, blocked: true, managed: false }]);
    expect(status.resources.get('mfs-ip')?.instances).toEqual([{ node: undefined, role: 'Stopped', failed: false, blocked: false, managed: true }]);
    expect(status.resources.get('u')?.instances.map((i) => i.node)).toEqual(['alpha', 'gamma']);
  });

  it.each([
    ['a promote of a clone instance', 'mfs-store:1_promote_0', 'promote', '0', 'mfs-store', 0],
    ['a recurring monitor', 'mfs-metalogger_monitor_20000', 'monitor', '20000ms', 'mfs-metalogger', 20000],
    ['a task with an underscore', 'mfs-ip_migrate_to_0', 'migrate_to', undefined, 'mfs-ip', 0],
    ['an id with underscores', 'my_rsc_1_start_0', 'start', '0', 'my_rsc_1', 0],
  ])('failures: %s', async (_what, opKey, task, interval, resource, intervalMs) => {
    const failure = `<failure op_key="${opKey}" node="alpha" exitstatus="error" exitreason="x" exitcode="1" call="7" status="complete" last-rc-change="2026-11-23 20:31:48Z" ${interval === undefined ? '' : `interval="${interval}"`} task="${task}"/>`;
    const status = await parseCrmMon(mon('', `<failures>${failure}</failures>`));
    expect(status.failures).toEqual([
      { resource, node: 'alpha', task, intervalMs, exitStatus: 'error', exitCode: 1, exitReason: 'x', status: 'complete', lastRcChange: '2026-11-23 20:31:48Z' },
    ]);
  });

  it("failures: an exit reason escaped twice by crm_mon is read as the agent wrote it", async () => {
    const failure = `<failure op_key="mfs-store_start_0" node="alpha" exitstatus="error" exitreason="parameter &amp;apos;directory&amp;apos; &amp;lt;/srv&amp;gt; &amp;amp; more" exitcode="6" task="start"/>`;
    const [parsed] = (await parseCrmMon(mon('', `<failures>${failure}</failures>`))).failures;
    expect(parsed?.exitReason).toBe("parameter 'directory' </srv> & more");
    expect(parsed?.exitCode).toBe(6);
  });

  it.each([
    ['not XML', 'crm_mon: error', /crm_mon output is not readable XML/],
    ['empty', '', /crm_mon output is not readable XML/],
    ['another document', '<cib/>', /crm_mon output has no <pacemaker-result> element/],
  ])('refuses %s', async (_what, text, message) => {
    await expect(parseCrmMon(text)).rejects.toThrow(StatusInputError);
    await expect(parseCrmMon(text)).rejects.toThrow(message);
  });
});

describe('crmMonComplaint', () => {
  it.each([
    [
      'no cluster',
      '<pacemaker-result><status code="102" message="Not connected"><errors><error>error: Could not connect to launcher: Connection refused</error><error>crm_mon: Connection to cluster failed: Connection refused</error></errors></status></pacemaker-result>',
      'Not connected: error: Could not connect to launcher: Connection refused: crm_mon: Connection to cluster failed: Connection refused',
    ],
    ['a message only', '<pacemaker-result><status code="1" message="Error occurred"/></pacemaker-result>', 'Error occurred'],
    ['nothing said', '<pacemaker-result/>', undefined],
    ['not XML', 'Segmentation fault', undefined],
  ])('%s', async (_what, xml, expected) => expect(await crmMonComplaint(xml)).toBe(expected));
});

describe('resourceOfOperationKey and decodeEntities', () => {
  it.each([
    ['mfs-store_promote_0', 'promote', 'mfs-store'],
    ['mfs-store:0_monitor_10000', 'monitor', 'mfs-store'],
    ['a_b_stop_0', 'stop', 'a_b'],
    ['a_b_stop_0', '', 'a_b'],
    ['x_migrate_from_0', 'migrate_from', 'x'],
  ])('%s (task %j) is %s', (key, task, id) => expect(resourceOfOperationKey(key, task)).toBe(id));

  it.each([
    ['it&apos;s', "it's"],
    ['&lt;a&gt; &quot;b&quot; &amp;amp;', '<a> "b" &amp;'],
    ['&#233;t&#xE9;', 'été'],
    ['&unknown; & plain', '&unknown; & plain'],
  ])('%j → %j', (text, decoded) => expect(decodeEntities(text)).toBe(decoded));
});

const CIB = `<cib epoch="1" num_updates="0" admin_epoch="0">
  <configuration>
    <crm_config>
      <cluster_property_set id="cib-bootstrap-options">
        <nvpair id="o1" name="stonith-enabled" value="true"/>
        <nvpair id="o2" name="mfs-ocf-high-water-mfs-metalogger" value="48290:000000001234ABCD"/>
      </cluster_property_set>
    </crm_config>
    <nodes/>
    <resources>
      <primitive id="fence" class="stonith" type="fence_apc"/>
      <clone id="mfs-metalogger-clone">
        <meta_attributes id="m"><nvpair id="m1" name="promotable" value="true"/><nvpair id="m2" name="notify" value="true"/></meta_attributes>
        <primitive id="mfs-metalogger" class="ocf" provider="mfs" type="mfs-metarestore">
          <instance_attributes id="i"><nvpair id="i1" name="ignore_high_water_mark" value="true"/></instance_attributes>
        </primitive>
      </clone>
      <master id="old-ms"><primitive id="old-drbd" class="ocf" provider="linbit" type="drbd"><instance_attributes id="j"><nvpair id="j1" name="drbd_resource" value="r0"/></instance_attributes></primitive></master>
      <group id="mfs-group">
        <primitive id="mfs-master" class="ocf" provider="mfs" type="mfsmaster"><instance_attributes id="k"><nvpair id="k1" name="durability" value="power"/></instance_attributes></primitive>
        <primitive id="mfs-ip" class="ocf" provider="heartbeat" type="IPaddr2"/>
      </group>
    </resources>
    <constraints/>
  </configuration>
  <status>
    <node_state id="1" uname="alpha">
      <transient_attributes id="1">
        <instance_attributes id="status-1"><nvpair id="s1" name="master-mfs-metalogger" value="1000"/></instance_attributes>
        <instance_attributes id="status-1b"><nvpair id="s2" name="mfs-ocf-reason-mfs-metalogger" value="why &amp; how"/></instance_attributes>
      </transient_attributes>
    </node_state>
    <node_state id="beta"/>
  </status>
</cib>`;

describe('parseCib', () => {
  it('primitives with their agent, clone or group, parameters and the clone\'s meta attributes', async () => {
    const facts = await parseCib(CIB);
    expect(facts.primitives).toEqual([
      { id: 'fence', agent: 'stonith:fence_apc', params: {}, meta: {} },
      { id: 'mfs-master', agent: 'ocf:mfs:mfsmaster', group: 'mfs-group', params: { durability: 'power' }, meta: {} },
      { id: 'mfs-ip', agent: 'ocf:heartbeat:IPaddr2', group: 'mfs-group', params: {}, meta: {} },
      { id: 'mfs-metalogger', agent: 'ocf:mfs:mfs-metarestore', clone: 'mfs-metalogger-clone', params: { ignore_high_water_mark: 'true' }, meta: { promotable: 'true', notify: 'true' } },
      { id: 'old-drbd', agent: 'ocf:linbit:drbd', clone: 'old-ms', params: { drbd_resource: 'r0' }, meta: { promotable: 'true' } },
    ]);
  });

  it('cluster properties and the transient node attributes of the status section (every set)', async () => {
    const facts = await parseCib(CIB);
    expect(facts.properties).toEqual({ 'stonith-enabled': 'true', 'mfs-ocf-high-water-mfs-metalogger': '48290:000000001234ABCD' });
    expect(facts.nodeAttributes).toEqual(
      new Map([
        ['alpha', { 'master-mfs-metalogger': '1000', 'mfs-ocf-reason-mfs-metalogger': 'why & how' }],
        ['beta', {}],
      ]),
    );
  });

  // What drbd-utils' handlers write (cibadmin -C -o constraints -X ...), from /usr/lib/drbd/crm-fence-peer.sh (8.4:
  // one expression) and crm-fence-peer.9.sh (9: one per node that keeps its data, ids numbered by DRBD node id).
  const HANDLER_84 = `<rsc_location rsc="ms_drbd_r0" id="drbd-fence-by-handler-r0-ms_drbd_r0">
  <rule role="Master" score="-INFINITY" id="drbd-fence-by-handler-r0-rule-ms_drbd_r0">
    <expression attribute="#uname" operation="ne" value="alpha" id="drbd-fence-by-handler-r0-expr-ms_drbd_r0"/>
  </rule>
</rsc_location>`;
  const HANDLER_9 = `<rsc_location rsc="mfs-store-clone" id="drbd-fence-by-handler-mfs-meta-mfs-store-clone">
 <rule role="Promoted" score="-INFINITY" id="drbd-fence-by-handler-mfs-meta-rule-mfs-store-clone">
  <expression attribute="#uname" operation="ne" value="alpha" id="drbd-fence-by-handler-mfs-meta-expr-0-mfs-store-clone"/>
  <expression attribute="#uname" operation="ne" value="gamma" id="drbd-fence-by-handler-mfs-meta-expr-2-mfs-store-clone"/>
 </rule>
</rsc_location>`;
  const OTHERS = `<rsc_location id="cli-prefer-mfs-store-clone" rsc="mfs-store-clone" role="Started" node="beta" score="INFINITY"/>
<rsc_location rsc="mfs-store-clone" id="drbd-fence-by-handler-elsewhere"><rule role="Started" score="100" id="r9"><expression attribute="#uname" operation="eq" value="beta" id="e9"/></rule></rsc_location>`;

  it.each([
    ['DRBD 8.4 (crm-fence-peer.sh, role Master)', HANDLER_84, [{ id: 'drbd-fence-by-handler-r0-ms_drbd_r0', resource: 'ms_drbd_r0', drbdResource: 'r0', allowed: [{ attribute: '#uname', value: 'alpha' }] }]],
    [
      'DRBD 9 (crm-fence-peer.9.sh, two nodes keep their data, role Promoted)',
      HANDLER_9,
      [
        {
          id: 'drbd-fence-by-handler-mfs-meta-mfs-store-clone',
          resource: 'mfs-store-clone',
          drbdResource: 'mfs-meta',
          allowed: [
            { attribute: '#uname', value: 'alpha' },
            { attribute: '#uname', value: 'gamma' },
          ],
        },
      ],
    ],
    ['other location constraints are not the handler\'s', OTHERS, []],
  ])('the fence-peer handler\'s constraint: %s', async (_what, xml, expected) => {
    const facts = await parseCib(CIB.replace('<constraints/>', `<constraints>${xml}</constraints>`));
    expect(facts.fenceConstraints).toEqual(expected);
  });

  it.each([
    ['not XML', '<cib><configuration>', /the CIB is not readable XML/],
    ['another document', '<pacemaker-result/>', /not a CIB: no <cib> element/],
    ['a CIB without configuration', '<cib><status/></cib>', /not a CIB: no <configuration> element/],
  ])('refuses %s', async (_what, text, message) => {
    await expect(parseCib(text)).rejects.toThrow(StatusInputError);
    await expect(parseCib(text)).rejects.toThrow(message);
  });
});
