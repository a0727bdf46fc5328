/**
 * The pure core of mfs-crm: checked input and agent knowledge in, every output text out
 * (the configuration in the chosen format, the DRBD resource file, warnings). No I/O: the CLI
 * reads the meta-data and writes the results.
 */
import type { ClusterConfiguration } from './model.js';
import { renderDrbdResFile } from './drbd-res.js';
import type { GeneratorInput } from './options.js';
import { renderCrmsh } from './render-crmsh.js';
import { renderPcs } from './render-pcs.js';
import { renderXml } from './render-xml.js';
import { fencing, topology, type AgentSet } from './topologies.js';

export interface GeneratorOutput {
  configuration: ClusterConfiguration;
  /** The configuration in the chosen format, for stdout. */
  text: string;
  /** The DRBD resource file, when --drbd-res-file asked for it. */
  drbdResFile?: { path: string; text: string };
  warnings: string[];
}

export async function render(configuration: ClusterConfiguration, format: GeneratorInput['format']): Promise<string> {
  switch (format) {
    case 'crmsh':
      return renderCrmsh(configuration);
    case 'pcs':
      return renderPcs(configuration);
    case 'xml':
      return renderXml(configuration);
  }
}

export async function generate(input: GeneratorInput, agents: AgentSet): Promise<GeneratorOutput> {
  const configuration = topology(input.topology).build(input, agents);
  const warnings = [...fencing(input).warnings];
  const output: GeneratorOutput = { configuration, text: await render(configuration, input.format), warnings };
  if (input.drbdResFile && input.store) {
    output.drbdResFile = { path: input.drbdResFile.path, text: renderDrbdResFile(input.nodes, input.store, input.drbdResFile) };
  } else if (input.store) {
    warnings.push(`the DRBD resource file was not written: add --drbd-res-file /etc/drbd.d/${input.store.drbdResource}.res --drbd-disk PATH --drbd-address NODE=IP ... to write it`);
  }
  return output;
}
