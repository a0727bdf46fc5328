/**
 * A short demonstration of the built ocf:mfs:mfsmaster agent against a real MooseFS master,
 * on loopback ports in a temporary directory: each action as Pacemaker would run it, with
 * its exit code. Everything it starts is ended by PID, also on Ctrl-C.
 */
import { Deadline } from '../../lib/runtime/deadline.js';
import { exitCodeName } from '../../lib/ocf/exit-codes.js';
import { signalProcess, waitForExit } from '../../lib/process/proc.js';
import { agentPath, ocfEnv, runAgent } from '../../test/helpers/built.js';
import { createMasterFixture } from '../../test/helpers/moosefs.js';

const fixture = await createMasterFixture({ config: { CHANGELOG_SAVE_MODE: 1 } });
let cleaned = false;
const cleanup = async () => {
  if (cleaned) return;
  cleaned = true;
  await fixture.cleanup();
};
process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
process.once('SIGTERM', () => void cleanup().then(() => process.exit(143)));

async function step(title: string, action: string, extra: Record<string, string> = {}) {
  const started = performance.now();
  const result = await runAgent('mfsmaster', action, ocfEnv(fixture.params, { OCF_RESKEY_CRM_meta_timeout: '60000', ...extra }));
  const ms = Math.round(performance.now() - started);
  console.log(`${title.padEnd(44)} ${`mfsmaster ${action}`.padEnd(24)} -> ${String(result.code).padStart(3)} ${exitCodeName(result.code ?? -1).padEnd(22)} ${String(ms).padStart(5)} ms`);
  for (const line of result.stderr.split('\n').filter((l) => /: (INFO|WARNING|ERROR|CRIT):|^ocf-exit-reason:/.test(l))) console.log(`      ${line}`);
}

try {
  console.log(`agent:  ${agentPath('mfsmaster')}`);
  console.log(`config: ${fixture.configFile} (DATA_PATH ${fixture.dataPath}, client port ${fixture.ports.client})\n`);
  const recurring = { OCF_RESKEY_CRM_meta_interval: '10000' };
  await step('validate the configuration', 'validate-all');
  await step('probe before start (expect 7)', 'monitor');
  await step('start', 'start');
  await step('monitor, depth 0: the locking process', 'monitor', { ...recurring, OCF_CHECK_LEVEL: '0' });
  await step('monitor, depth 10: the client port', 'monitor', { ...recurring, OCF_CHECK_LEVEL: '10' });
  await step('monitor, depth 20: a protocol answer', 'monitor', { ...recurring, OCF_CHECK_LEVEL: '20' });
  await step('start again (idempotent)', 'start');
  const pid = fixture.masterPid();
  if (pid) {
    signalProcess(pid, 'SIGKILL');
    await waitForExit([pid], new Deadline(5000));
    console.log(`\n-- kill -9 ${pid}: the master crashed --\n`);
  }
  await step('monitor after the crash (expect 7)', 'monitor', recurring);
  await step('start: recovers from the changelogs', 'start');
  await step('stop: writes the metadata image', 'stop');
  await step('stop again (idempotent)', 'stop');
  await step('monitor after stop (expect 7)', 'monitor', recurring);
} finally {
  await cleanup();
}
