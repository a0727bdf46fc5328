/** Emulated drbdmeta (test double; see test/drbd-emulator/README.md). */
import { drbdmeta } from '../drbdmeta.js';

try {
  process.exitCode = drbdmeta(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`drbdmeta (emulator): ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 20;
}
