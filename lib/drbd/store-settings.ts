/**
 * mfs-drbd-store's parameters turned into the settings store.ts works with: the signal list,
 * the score table, the master's side (DATA_PATH under the mount point, its working user). Each
 * check says which parameter is at fault.
 */
import { constants } from 'node:os';
import { readMasterConfig } from '../moosefs/config.js';
import { Failure } from '../runtime/errors.js';
import type { Logger } from '../runtime/log.js';
import { parseScoreTable, type ScoreTable } from './scores.js';
import { dataPathProblem, type StoreSettings } from './store.js';

/** `unmount_signals`: names with or without SIG, space- or comma-separated. */
export function parseSignals(text: string): NodeJS.Signals[] {
  const names = text
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((word) => (word.startsWith('SIG') ? word : `SIG${word}`));
  const unknown = names.filter((name) => !(name in constants.signals));
  if (unknown.length > 0) throw new Failure('misconfigured', `parameter 'unmount_signals' names unknown signals: ${unknown.join(', ')}`);
  return names as NodeJS.Signals[];
}

/** `adjust_master_score`. */
export function parseScoreParameter(text: string): ScoreTable {
  try {
    return parseScoreTable(text);
  } catch (error) {
    throw new Failure('misconfigured', `parameter 'adjust_master_score' ${(error as Error).message}`);
  }
}

/** The master's DATA_PATH and working user from `master_config` (needed at promote; elsewhere a problem is only logged). */
export function masterSide(masterConfig: string, directory: string, required: boolean, log: Logger): Pick<StoreSettings, 'dataPath' | 'workingUser' | 'workingGroup'> {
  try {
    const config = readMasterConfig(masterConfig);
    log.addSecrets(config.secrets);
    const problem = dataPathProblem(config.dataPath, directory);
    if (problem) throw new Failure('misconfigured', `${problem} (parameter 'directory', ${config.file})`);
    return { dataPath: config.dataPath, workingUser: config.workingUser, workingGroup: config.workingGroup };
  } catch (error) {
    if (required || !(error instanceof Failure)) throw error;
    log.debug(`master configuration not used: ${error.message}`);
    return { dataPath: undefined, workingUser: undefined, workingGroup: undefined };
  }
}
