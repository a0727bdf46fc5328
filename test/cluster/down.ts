/**
 * Tears down a lab left behind by a crashed or killed run: every process with an argument in
 * its directory, its client mount, its namespaces, its loop device.
 *
 *   node scripts/run-ts.mjs test/cluster/down.ts [LAB_DIR]
 */
import { MfsLab } from './mfs-lab.js';

const dir = process.argv[2] ?? '/tmp/mfs-ocf-demo';
await new MfsLab({ dir, topology: 'drbd-store' }).down();
console.log(`lab ${dir} is down`);
