/**
 * crmsh, pcs and crm_resource find agents only under /usr/lib/ocf/resource.d/<provider>/
 * (OCF_RA_PATH is not honoured by crm_resource), so tests that need them install the built
 * agents there, under an exclusive lock shared by every test that touches that directory
 * (the packaging tests install the .deb there too), and remove them afterwards.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, rmdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { sleep } from '../../lib/ocf/deadline.js';
import { AGENT_DIR, BINARY } from './built.js';

export const OCF_PROVIDER_DIR = '/usr/lib/ocf/resource.d/mfs';
const LOCK = '/run/lock/mfs-ocf-test-agents.lock';

/** Runs `body` while holding the lock on the provider directory (bounded wait: 10 min). */
export async function withProviderDirectory<T>(body: () => Promise<T>): Promise<T> {
  for (let tries = 0; ; tries++) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || tries > 6000) throw error;
      await sleep(100);
    }
  }
  try {
    return await body();
  } finally {
    rmdirSync(LOCK);
  }
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
