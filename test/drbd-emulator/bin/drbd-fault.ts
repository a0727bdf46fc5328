/** Fault hooks of the DRBD emulator (test double; see test/drbd-emulator/README.md). */
import { fault } from '../fault.js';

try {
  process.exitCode = fault(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`drbd-fault: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
