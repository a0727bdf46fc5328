/**
 * What every MooseFS daemon (master, metalogger) needs on a node: its working user and group,
 * and a DATA_PATH that exists and that user can write. One check for all of them.
 */
import { statSync } from 'node:fs';
import { Failure } from '../runtime/errors.js';
import { lookupGroup, lookupUser } from '../system/accounts.js';

export interface DaemonSettings {
  /** The config file the settings come from (named in errors). */
  file: string;
  workingUser: string;
  workingGroup: string | undefined;
  dataPath: string;
}

export async function validateDaemonEnvironment(daemon: string, config: DaemonSettings, missingDataPathHint = ''): Promise<void> {
  const user = await lookupUser(config.workingUser);
  if (!user) throw new Failure('misconfigured', `${config.file}: WORKING_USER = "${config.workingUser}" does not exist on this node`);
  if (config.workingGroup && !(await lookupGroup(config.workingGroup))) {
    throw new Failure('misconfigured', `${config.file}: WORKING_GROUP = "${config.workingGroup}" does not exist on this node`);
  }
  let stat;
  try {
    stat = statSync(config.dataPath);
  } catch {
    throw new Failure('not-installed', `DATA_PATH ${config.dataPath} (from ${config.file}) does not exist on this node${missingDataPathHint}`);
  }
  if (!stat.isDirectory()) throw new Failure('not-installed', `DATA_PATH ${config.dataPath} (from ${config.file}) is not a directory`);
  if (stat.uid !== user.id && (stat.mode & 0o002) === 0) {
    throw new Failure(
      'not-permitted',
      `DATA_PATH ${config.dataPath} is owned by uid ${stat.uid}, not by WORKING_USER ${config.workingUser} (uid ${user.id}): the ${daemon} could not write it`,
    );
  }
}
