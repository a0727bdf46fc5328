/**
 * Every format mfs-crm writes, for every topology and every way of fencing, loaded the way its
 * header says to apply it: the crmsh text with `crm configure load update`, the pcs script with
 * `pcs -f`, the XML with `cibadmin -M -c -x` and with `crm configure load xml update` (both named
 * in its header); crmsh forced (-F) where the header says so, without any fence device. Each into an empty CIB file, with the built agents installed (crmsh and
 * pcs check agents and parameters). The four CIBs must describe the same configuration, keep the
 * comments (crmsh stores them as XML comments: a `--` in one made it refuse the whole file), and
 * pass crm_verify, except without any fence option, where Pacemaker must refuse to start anything.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, type RunResult } from '../../lib/process/run.js';
import { withInstalledAgents } from '../helpers/installed-agents.js';
import { cibadminModify, crmLoadUpdate, crmVerify, emptyCib, normalizedConfiguration, runPcsScript, succeeded } from '../helpers/pacemaker.js';
import { runCrm } from './mfs-crm.js';
import { NODES } from './topology-suite.js';

const TOPOLOGY_ARGS: Record<string, { args: string[]; durability: string }> = {
  drbd: { args: ['--drbd-resource', 'mfsmeta', '--device', '/dev/drbd0', '--directory', '/var/lib/mfs', '--fstype', 'ext4'], durability: 'power' },
  'drbd-store': { args: ['--drbd-resource', 'mfsmeta', '--device', '/dev/drbd1', '--directory', '/srv/mfs', '--fstype', 'xfs'], durability: 'power' },
  // a path with -- : the comment that names it must still load
  metalogger: { args: ['--metalogger-config', '/etc/mfs--ha/mfsmetalogger.cfg'], durability: 'process' },
};

/**
 * The ways of fencing the topology suites (drbd.test.ts, drbd-store.test.ts, metalogger.test.ts)
 * do not load: they load fence devices, one per node and one for both, in every format.
 */
const FENCINGS: Record<string, string[]> = {
  '--no-fencing': ['--no-fencing'],
  'no fence option': [],
};

/** `crm [-F] configure load update -` into a CIB file (crmLoadUpdate, forced when the output says so). */
function crmLoad(cib: string, text: string, force: boolean): Promise<RunResult> {
  if (!force) return crmLoadUpdate(cib, text);
  return run('crm', ['-D', 'plain', '-F', 'configure', 'load', 'update', '-'], { env: { CIB_file: cib }, input: text, timeoutMs: 60_000 });
}

/** `crm [-F] configure load xml update FILE` into a CIB file. */
function crmLoadXml(cib: string, xml: string, directory: string, force: boolean): Promise<RunResult> {
  const path = join(directory, 'crm-load.xml');
  writeFileSync(path, xml);
  return run('crm', ['-D', 'plain', ...(force ? ['-F'] : []), 'configure', 'load', 'xml', 'update', path], { env: { CIB_file: cib }, timeoutMs: 60_000 });
}

const comments = (cib: string) => [...readFileSync(cib, 'utf8').matchAll(/<!--(.*?)-->/gs)].map((m) => m[1]!);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mfs-crm-load-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const CASES = Object.keys(TOPOLOGY_ARGS).flatMap((topology) => Object.keys(FENCINGS).map((fencing) => [topology, fencing] as const));

describe.each(CASES)('mfs-crm %s with %s', (topology, fencing) => {
  const at = () => join(dir, `${topology}-${fencing.replace(/\W+/g, '_')}`);
  const cibs = {} as Record<'crmsh' | 'pcs' | 'cibadmin' | 'crmXml', string>;
  const outputs = {} as Record<'crmsh' | 'pcs' | 'xml', string>;

  beforeAll(async () => {
    mkdirSync(at());
    await Promise.all(
      (['crmsh', 'pcs', 'xml'] as const).map(async (format) => {
        const result = await runCrm([topology, ...NODES.flatMap((n) => ['--node', n]), '--ip', '192.0.2.10', ...TOPOLOGY_ARGS[topology]!.args, ...FENCINGS[fencing]!, '--format', format]);
        expect(result.exitCode, result.stderr).toBe(0);
        outputs[format] = result.stdout;
      }),
    );
    for (const kind of ['crmsh', 'pcs', 'cibadmin', 'crmXml'] as const) cibs[kind] = await emptyCib(join(at(), `${kind}.xml`));
  });

  it('loads in every format as its apply line says: crm configure load update, the pcs script, cibadmin -M -c -x, crm configure load xml update', async () => {
    // without a fence device crmsh commits only when forced, and the outputs say so
    const force = fencing === 'no fence option';
    expect(outputs.crmsh).toContain(force ? '\n# Apply: crm -F configure load update FILE (or - for stdin). Forced (-F) because\n' : '\n# Apply: crm configure load update FILE (or - for stdin)\n');
    expect(outputs.xml).toContain(`<!-- Apply: cibadmin -M -c -x FILE (modify, allow-create, xml-file), or crm ${force ? '-F ' : ''}configure load xml update FILE`);
    expect(outputs.pcs).toContain('#   pcs cluster cib mfs.xml && sh THIS-FILE mfs.xml && pcs cluster cib-push mfs.xml --config\n');
    // four CIB files, four tools: at once
    const [crmsh, , , crmXml] = await withInstalledAgents(() =>
      Promise.all([
        crmLoad(cibs.crmsh, outputs.crmsh, force).then((r) => succeeded(r, 'crm configure load update')),
        runPcsScript(cibs.pcs, outputs.pcs, at()).then((r) => succeeded(r, 'the pcs script')),
        cibadminModify(cibs.cibadmin, outputs.xml, at()).then((r) => succeeded(r, 'cibadmin -M -c -x')),
        crmLoadXml(cibs.crmXml, outputs.xml, at(), force).then((r) => succeeded(r, 'crm configure load xml update')),
      ]),
    );
    if (!force) for (const loaded of [crmsh, crmXml]) expect(loaded.stderr).not.toMatch(/ERROR/);
    const reference = await normalizedConfiguration(cibs.crmsh);
    for (const kind of ['pcs', 'cibadmin', 'crmXml'] as const) expect(await normalizedConfiguration(cibs[kind]), kind).toEqual(reference);
    const master = (reference as { resources: Array<{ id: string; children?: Array<{ id: string; params: string[] }> }> }).resources
      .flatMap((r) => r.children ?? [])
      .find((p) => p.id === 'mfs-master');
    expect(master?.params).toContain(`durability=${TOPOLOGY_ARGS[topology]!.durability}`);
  });

  it('the comments reach the CIB (crmsh keeps them as XML comments)', () => {
    const kept = comments(cibs.crmsh).join('\n');
    expect(kept).toContain(`# mfs-crm ${topology}: MooseFS master`);
    expect(kept).toContain(`mfs-master sets durability=${TOPOLOGY_ARGS[topology]!.durability}`);
    if (fencing === '--no-fencing') expect(kept).toContain("# FENCING DISABLED (mfs-crm's no-fencing option)");
    if (fencing === 'no fence option') expect(kept).toContain('# FENCING IS NOT CONFIGURED');
  });

  it(fencing === 'no fence option' ? 'crm_verify: Pacemaker refuses to start anything until a fence device exists' : 'crm_verify is clean', async () => {
    for (const kind of ['crmsh', 'pcs', 'cibadmin', 'crmXml'] as const) {
      const verify = await crmVerify(cibs[kind]);
      if (fencing === 'no fence option') {
        expect(verify.exitCode, kind).not.toBe(0);
        expect(verify.stderr).toMatch(/no STONITH resources have been defined/);
      } else {
        expect(verify.exitCode, `${kind}: ${verify.stderr}`).toBe(0);
        expect(verify.stderr).not.toMatch(/error/i);
      }
    }
  });
});
