/**
 * Running drbdadm and drbdsetup (drbd-utils 9.22; DRBD 8.4 where the state commands differ).
 * Argument arrays only; every run bounded by the action's deadline. What their output means
 * is parsed in state.ts, what their refusals mean in decisions.ts.
 */
import { readFileSync, realpathSync, statSync } from 'node:fs';
import type { Deadline } from '../runtime/deadline.js';
import { Failure } from '../runtime/errors.js';
import type { Logger } from '../runtime/log.js';
import { describeOutcome, run, type RunResult } from '../process/run.js';
import { classifyRefusal, type DrbdRefusal } from './decisions.js';
import { isDrbd84, parse84, parseEvents2, parseProcDrbd, parseProcDrbd84, parseVersion, type DrbdVersions, type ResourceState } from './state.js';

/** Longest any single DRBD command may take (the action's deadline bounds it further). */
const COMMAND_TIMEOUT_MS = 30_000;

export interface DrbdCommandResult extends RunResult {
  refusal: DrbdRefusal | undefined;
  /** stdout and stderr, trimmed: what the tool said. */
  said: string;
}

export interface DrbdOptions {
  resource: string;
  /** drbdadm's -c: the configuration file; drbdadm's own default when undefined. */
  configFile: string | undefined;
  log: Logger;
  /** Extra environment for the tools (tests: the emulator's node). */
  env?: Record<string, string | undefined>;
  /** Where the kernel module reports its version, and with 8.4 its state (tests). */
  procDrbd?: string;
  /**
   * The resource's device (mfs-drbd-store's `device`), when known: with DRBD 8.4 its minor's
   * lines of /proc/drbd are the state, read without running drbdadm three times.
   */
  device?: string;
}

/** The minor number of a block device (stat follows /dev/drbd/by-res/ links); undefined when it cannot be read. */
function minorOf(device: string): number | undefined {
  try {
    const { rdev } = statSync(device);
    return (rdev & 0xff) | ((rdev >> 12) & 0xfff00);
  } catch {
    return undefined;
  }
}

export class Drbd {
  private versionsCache: DrbdVersions | undefined;

  constructor(private readonly options: DrbdOptions) {}

  get resource(): string {
    return this.options.resource;
  }

  private adminArgs(args: readonly string[]): string[] {
    return this.options.configFile ? ['-c', this.options.configFile, ...args] : [...args];
  }

  private async exec(file: 'drbdadm' | 'drbdsetup', args: readonly string[], deadline: Deadline, timeoutMs = COMMAND_TIMEOUT_MS): Promise<DrbdCommandResult> {
    const fullArgs = file === 'drbdadm' ? this.adminArgs(args) : [...args];
    const result = await run(file, fullArgs, { deadline, timeoutMs, marginMs: 500, env: this.options.env });
    const said = [result.stdout, result.stderr].map((s) => s.trim()).filter(Boolean).join('\n');
    if (result.notFound) throw new Failure('not-installed', `${file} not found: is drbd-utils installed?`);
    return { ...result, said, refusal: result.ok ? undefined : classifyRefusal(result.exitCode, said) };
  }

  /** A drbdadm command that must succeed; its failure becomes an OcfError with DRBD's words. */
  private async must(args: readonly string[], deadline: Deadline): Promise<DrbdCommandResult> {
    const result = await this.exec('drbdadm', args, deadline);
    if (!result.ok) throw new Failure('failed', `${describeOutcome(result)}${result.said ? `: ${oneLine(result.said)}` : ''}`);
    return result;
  }

  /**
   * The versions; the kernel module's from /proc/drbd when it is loaded (a file read, no
   * process: the monitor path), else from `drbdadm --version`.
   */
  async versions(deadline: Deadline): Promise<DrbdVersions> {
    if (this.versionsCache) return this.versionsCache;
    // No module loaded (or an emulator): an empty text, and drbdadm is asked.
    const kernel = parseProcDrbd(this.readProcDrbd());
    if (kernel > 0) {
      this.versionsCache = { utils: 0, kernel };
      return this.versionsCache;
    }
    const result = await this.exec('drbdadm', ['--version'], deadline, 10_000);
    this.versionsCache = parseVersion(result.stdout);
    return this.versionsCache;
  }

  /**
   * The resource's devices (`drbdadm sh-dev RES`, one per volume). Throws ERR_INSTALLED when
   * the resource is not defined for this node (a probe then reports not running).
   */
  async devices(deadline: Deadline): Promise<string[]> {
    const result = await this.exec('drbdadm', ['sh-dev', this.resource], deadline, 10_000);
    const devices = result.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
    if (!result.ok || devices.length === 0) {
      throw new Failure(
        'not-installed',
        `DRBD resource '${this.resource}' is not configured on this node (drbdadm sh-dev: ${oneLine(result.said) || `exit code ${result.exitCode}`})`,
      );
    }
    return devices;
  }

  /**
   * As devices(), and throws (misconfigured) when `device` is not one of them: the 8.4 state is
   * read from its minor, so a wrong device would report another resource's state. A device that
   * does not exist yet (before the resource is up) cannot be told, and passes.
   */
  async checkDevice(device: string, deadline: Deadline): Promise<void> {
    const resolve = (path: string) => {
      try {
        return realpathSync(path);
      } catch {
        return undefined;
      }
    };
    const devices = await this.devices(deadline);
    const given = resolve(device);
    if (given === undefined) return;
    if (!devices.some((d) => (resolve(d) ?? d) === given)) {
      throw new Failure('misconfigured', `device=${device} is not a device of DRBD resource ${this.resource} (drbdadm sh-dev: ${devices.join(', ')})`);
    }
  }

  private readProcDrbd(): string {
    try {
      return readFileSync(this.options.procDrbd ?? '/proc/drbd', 'utf8');
    } catch {
      return '';
    }
  }

  /** The resource's state; undefined when it is down (the kernel does not know it). */
  async state(deadline: Deadline): Promise<ResourceState | undefined> {
    const versions = await this.versions(deadline);
    if (isDrbd84(versions)) return this.state84(deadline);
    const result = await this.exec('drbdsetup', ['events2', '--now', this.resource], deadline, 10_000);
    if (!result.ok) {
      // Unknown to the kernel, or no kernel module at all: nothing of it can be up.
      if (result.refusal === 'no-such-resource' || result.refusal === 'no-module' || result.exitCode === 10) return undefined;
      throw new Failure('failed', `cannot read the state of DRBD resource ${this.resource}: ${describeOutcome(result)}`);
    }
    return parseEvents2(result.stdout, this.resource);
  }

  private async state84(deadline: Deadline): Promise<ResourceState | undefined> {
    const minor = this.options.device === undefined ? undefined : minorOf(this.options.device);
    if (minor !== undefined) return parseProcDrbd84(this.readProcDrbd(), this.resource, minor);
    const [role, cstate, dstate] = await Promise.all(['role', 'cstate', 'dstate'].map((what) => this.exec('drbdadm', [what, this.resource], deadline, 10_000)));
    if (!role!.ok) return undefined;
    return parse84(this.resource, role!.stdout, cstate!.ok ? cstate!.stdout : 'StandAlone', dstate!.ok ? dstate!.stdout : 'Diskless/DUnknown');
  }

  /** `drbdadm up RES`: attach and connect (Secondary). */
  up(deadline: Deadline): Promise<DrbdCommandResult> {
    return this.must(['up', this.resource], deadline);
  }

  /** `drbdadm adjust RES`: re-attach a lost disk, re-create a lost connection. */
  adjust(deadline: Deadline): Promise<DrbdCommandResult> {
    return this.must(['adjust', this.resource], deadline);
  }

  /**
   * `drbdadm primary RES`. With resource-level fencing and the peer unknown, DRBD runs the
   * fence-peer handler (crm-fence-peer.sh) before it answers: half the action's budget, not the
   * usual 30 s (in UML nodes the handler took about 50 s; drbdadm killed at 30 s meant a retry).
   */
  primary(deadline: Deadline): Promise<DrbdCommandResult> {
    return this.exec('drbdadm', ['primary', this.resource], deadline, Math.max(COMMAND_TIMEOUT_MS, deadline.totalMs / 2));
  }

  secondary(deadline: Deadline): Promise<DrbdCommandResult> {
    return this.exec('drbdadm', ['secondary', this.resource], deadline);
  }

  /**
   * `drbdadm down RES`; when drbdadm cannot read the resource from the configuration (file
   * gone or changed), `drbdsetup down RES` as LINBIT's agent does: a stop must still work.
   */
  async down(deadline: Deadline): Promise<DrbdCommandResult> {
    const result = await this.exec('drbdadm', ['down', this.resource], deadline);
    if (result.ok || (result.refusal !== 'no-such-resource' && !/no resources defined|Can not open|No such file/i.test(result.said))) return result;
    this.options.log.warn(`drbdadm down ${this.resource}: ${result.said.split('\n').at(-1) ?? ''}; using drbdsetup down ${this.resource}`);
    return this.exec('drbdsetup', ['down', this.resource], deadline);
  }

  disconnect(deadline: Deadline): Promise<DrbdCommandResult> {
    return this.exec('drbdadm', ['disconnect', this.resource], deadline);
  }

  connect(deadline: Deadline, { discardMyData = false }: { discardMyData?: boolean } = {}): Promise<DrbdCommandResult> {
    return this.exec('drbdadm', discardMyData ? ['connect', '--discard-my-data', this.resource] : ['connect', this.resource], deadline);
  }
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' | ').slice(0, 400);
}
