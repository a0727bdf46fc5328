/**
 * The mfsmaster program: which version is installed, and the command lines each version
 * understands. 2.0 and later recover with `mfsmaster -a`; 1.6 has the separate
 * `mfsmetarestore -a`. Older programs are refused.
 */
import { accessSync, constants } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Deadline } from '../runtime/deadline.js';
import { Failure } from '../runtime/errors.js';
import { describeOutcome, run, type RunResult } from '../process/run.js';

export interface ProgramVersion {
  major: number;
  minor: number;
  patch: number;
  text: string;
}

/** Parses `mfsmaster -v` output: "version: 3.0.117-1 ; build: 1341" (3.x/4.x), "version: 2.0.91-1" (2.x), "mfsmaster version 1.6.27" (1.6). */
export function parseProgramVersion(output: string): ProgramVersion | undefined {
  const match = /version:?\s*(\d+)\.(\d+)\.(\d+)/i.exec(output);
  if (!match) return undefined;
  return { major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3]), text: `${match[1]}.${match[2]}.${match[3]}` };
}

/** The MooseFS releases the test suite runs every daemon-level test against (test/helpers/moosefs-versions.ts). */
export const TESTED_MOOSEFS_VERSIONS = ['3.0.117', '4.59.2'] as const;

/**
 * Said by validate (so in validate-all's output and before every start and promote) when the
 * installed program is not a tested release: the agents still run it, and should its protocol
 * answer not decode, they treat the master as answering with an unknown metadata version.
 */
export function untestedVersionNote(binary: string, version: ProgramVersion): string | undefined {
  if ((TESTED_MOOSEFS_VERSIONS as readonly string[]).includes(version.text)) return undefined;
  return `${binary} is MooseFS ${version.text}, outside the versions mfs-ocf is tested with (${TESTED_MOOSEFS_VERSIONS.join(' and ')}): it is used, unproven`;
}

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export class MasterProgram {
  constructor(
    readonly binary: string,
    readonly configFile: string,
    readonly version: ProgramVersion,
  ) {}

  /** Finds the installed version; OCF_ERR_INSTALLED when the binary is missing or unsupported. */
  static async detect(binary: string, configFile: string, deadline: Deadline): Promise<MasterProgram> {
    if (!isExecutable(binary)) throw new Failure('not-installed', `binary ${binary} is not installed or not executable (package moosefs-master)`);
    const result = await run(binary, ['-v'], { deadline, timeoutMs: 5000 });
    const version = parseProgramVersion(`${result.stdout}\n${result.stderr}`);
    if (!version) throw new Failure('not-installed', `cannot tell the version of ${binary}: ${describeOutcome(result)}`);
    if (version.major < 1 || (version.major === 1 && version.minor < 6)) {
      throw new Failure('not-installed', `mfsmaster ${version.text} is not supported (1.6 or later is needed)`);
    }
    return new MasterProgram(binary, configFile, version);
  }

  /** Set when the version is not a tested one (see untestedVersionNote). */
  get untestedNote(): string | undefined {
    return untestedVersionNote(this.binary, this.version);
  }

  /** Recovery is built into mfsmaster (`-a`) from 2.0 on. */
  get recoversItself(): boolean {
    return this.version.major >= 2;
  }

  /** Starts the daemon (it forks and returns once initialised, or fails). */
  start(deadline: Deadline, { recover }: { recover: boolean }): Promise<RunResult> {
    const args = ['-c', this.configFile, ...(recover && this.recoversItself ? ['-a'] : []), 'start'];
    return run(this.binary, args, { deadline, marginMs: 1000, timeoutMs: Infinity, all: true });
  }

  /** 1.6: rebuild metadata.mfs from the backup image and changelogs before a plain start. */
  restoreWithMetarestore(dataPath: string, deadline: Deadline): Promise<RunResult> {
    const metarestore = join(dirname(this.binary), 'mfsmetarestore');
    return run(metarestore, ['-a', '-d', dataPath], { deadline, marginMs: 1000, timeoutMs: Infinity, all: true });
  }

  /** Asks the running master to re-read its configuration, exports and topology. */
  reload(deadline: Deadline): Promise<RunResult> {
    return run(this.binary, ['-c', this.configFile, 'reload'], { deadline, timeoutMs: 10_000, all: true });
  }
}
