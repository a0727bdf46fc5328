/**
 * Users and groups, as NSS knows them: /etc/passwd and /etc/group first (no process), then
 * `getent` for directory services (LDAP, SSSD).
 */
import { readFileSync } from 'node:fs';
import { run } from '../process/run.js';

export interface Account {
  name: string;
  id: number;
  /** A user's primary group id. */
  gid?: number;
}

function fromFile(file: string, name: string): string[] | undefined {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .map((line) => line.split(':'))
      .find((fields) => fields[0] === name);
  } catch {
    return undefined;
  }
}

async function lookup(database: 'passwd' | 'group', name: string): Promise<string[] | undefined> {
  const local = fromFile(`/etc/${database}`, name);
  if (local) return local;
  const result = await run('getent', [database, name], { timeoutMs: 5000 });
  return result.ok ? result.stdout.split('\n')[0]?.split(':') : undefined;
}

export async function lookupUser(name: string): Promise<Account | undefined> {
  const fields = await lookup('passwd', name);
  return fields ? { name, id: Number(fields[2]), gid: Number(fields[3]) } : undefined;
}

export async function lookupGroup(name: string): Promise<Account | undefined> {
  const fields = await lookup('group', name);
  return fields ? { name, id: Number(fields[2]) } : undefined;
}
