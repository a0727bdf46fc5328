/**
 * Tears down a lab left behind by a crashed or killed run: every process with an argument in
 * its directory, its client mount, its namespaces, its loop device, its UML nodes' roots.
 * MFS_OCF_LAB_NS names the lab's namespaces when it was not the default.
 *
 *   node scripts/run-ts.mjs test/cluster/down.ts [LAB_DIR]
 */
import { LabPaths } from './lab.js';
import { MfsLab } from './mfs-lab.js';
import { labKind } from './node.js';

const dir = process.argv[2] ?? '/tmp/mfs-ocf-demo';
await new MfsLab({ dir, topology: 'drbd-store', kind: labKind(new LabPaths(dir)) }).down({ force: true });
console.log(`lab ${dir} is down`);
