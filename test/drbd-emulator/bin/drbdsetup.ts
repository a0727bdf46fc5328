/** Emulated drbdsetup (test double; see test/drbd-emulator/README.md). */
import { drbdsetup } from '../drbdsetup.js';

try {
  process.exitCode = drbdsetup(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`drbdsetup (emulator): ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 20;
}
