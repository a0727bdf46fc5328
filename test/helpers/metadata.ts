/** Meta-data checks with the real tools: the OCF 1.0 DTD (as ocf-tester runs it) and resource-agents' schema. */
import { run } from '../../lib/process/run.js';

export const DTD_DIR = '/usr/share/resource-agents';

/** Throws with xmllint's complaint unless the meta-data is valid for ocf-tester. */
export async function validateMetadata(xml: string, { relaxng = true }: { relaxng?: boolean } = {}): Promise<void> {
  // Exactly ocf-tester's check: `xmllint --noout --valid -` in the DTD's directory.
  const dtd = await run('xmllint', ['--noout', '--valid', '-'], { input: xml, cwd: DTD_DIR, timeoutMs: 10_000 });
  if (!dtd.ok) throw new Error(`meta-data fails ra-api-1.dtd: ${dtd.stderr}`);
  if (!relaxng) return;
  const rng = await run('xmllint', ['--noout', '--relaxng', `${DTD_DIR}/metadata.rng`, '-'], { input: xml, timeoutMs: 10_000 });
  if (!rng.ok) throw new Error(`meta-data fails metadata.rng: ${rng.stderr}`);
}
