/**
 * crmsh, pcs and crm_resource find agents only under /usr/lib/ocf/resource.d/<provider>/
 * (OCF_RA_PATH is not honoured by crm_resource), so tests that need them install the built
 * agents there, under an exclusive lock shared by every test that touches that directory
 * (the packaging tests install the .deb there too), and remove them afterwards.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { AGENT_DIR, BINARY } from './built.js';
import { withDirectoryLock } from './lock.js';

export const OCF_PROVIDER_DIR = '/usr/lib/ocf/resource.d/mfs';
const LOCK = '/run/lock/mfs-ocf-test-agents.lock';

/** Runs `body` while holding the lock on the provider directory (bounded wait: 10 min). */
export function withProviderDirectory<T>(body: () => Promise<T>): Promise<T> {
  return withDirectoryLock(LOCK, body, 600_000);
}

/** Installs links to the built agents in the provider directory while `body` runs. */
export function withInstalledAgents<T>(body: () => Promise<T>): Promise<T> {
  return withProviderDirectory(async () => {
    if (existsSync(OCF_PROVIDER_DIR)) throw new Error(`${OCF_PROVIDER_DIR} exists already: an installed package? remove it first`);
    mkdirSync(OCF_PROVIDER_DIR, { recursive: true });
    try {
      for (const name of readdirSync(AGENT_DIR)) symlinkSync(BINARY, join(OCF_PROVIDER_DIR, name));
      return await body();
    } finally {
      rmSync(OCF_PROVIDER_DIR, { recursive: true, force: true });
    }
  });
}
