/**
 * What CHANGELOG_SAVE_MODE promises (MOOSEFS.md, measured on 3.0.117), and the agents' policy
 * on it. 0: the reply to the client goes out before the background writer saves the change,
 * so a crash loses acknowledged operations (all of those of a disk stall); 1: saved before the
 * reply, survives a process crash, not a power loss (no fsync); 2: saved and fsynced.
 */
import type { ChangelogSaveMode } from './config.js';

export const DURABILITY_LEVELS = ['none', 'process', 'power'] as const;
export type Durability = (typeof DURABILITY_LEVELS)[number];

/** The lowest CHANGELOG_SAVE_MODE that keeps each promise. */
export const MINIMUM_SAVE_MODE: Record<Durability, ChangelogSaveMode> = { none: 0, process: 1, power: 2 };

const RISK: Record<ChangelogSaveMode, string> = {
  0: 'the master acknowledges changes before writing them, so a crash of the master loses acknowledged operations',
  1: 'changes are written but not fsynced before the reply, so a power loss or kernel crash can lose acknowledged operations',
  2: '',
};

export interface DurabilityVerdict {
  /** Set when the configuration does not keep the required promise: refuse. */
  refusal?: string;
  /** Set when it keeps it but not the strictest one: say once per start what is at risk. */
  warning?: string;
}

export function judgeDurability(configFile: string, mode: ChangelogSaveMode, required: Durability): DurabilityVerdict {
  const needed = MINIMUM_SAVE_MODE[required];
  if (mode < needed) {
    return {
      refusal:
        `${configFile}: CHANGELOG_SAVE_MODE = ${mode} does not give durability=${required}: set CHANGELOG_SAVE_MODE = ${needed} or higher ` +
        `(${RISK[mode]}), or lower the agent's durability parameter knowingly`,
    };
  }
  if (mode < 2) return { warning: `${configFile}: CHANGELOG_SAVE_MODE = ${mode}: ${RISK[mode]}` };
  return {};
}
