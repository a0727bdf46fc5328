/**
 * The emulated `drbdadm` is the REAL drbdadm 9.22 (/usr/sbin/drbdadm): its parser, checks,
 * messages and exit codes. It runs the emulated drbdsetup and drbdmeta because, called by a
 * bare name, drbdadm finds them through PATH (assign_command_names_from_argv0), and it reads
 * the kernel version from a fake `modinfo` (drbdtool_common_linux.c: /proc/drbd, else
 * `modinfo -F version drbd`), so `drbdadm --version` says DRBD_KERNEL_VERSION_CODE=0x090202.
 *
 * The wrapper adds to the environment:
 *  - __DRBD_NODE__ (drbdadm's own "pretend to be this host" hook) from DRBD_EMULATOR_NODE;
 *  - DRBD_EMULATOR_CONF: the absolute `-c FILE`, so the emulated kernel can publish the
 *    device paths that file names (and, without -c, DRBD_EMULATOR_CONF becomes the -c);
 * and drops drbdadm's "PRETENDING that I am" chatter from stderr, which a real host does
 * not print.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { REAL_DRBDADM } from './config.js';

/** The version the emulated kernel module reports. */
export const KERNEL_VERSION = '9.2.2';

function configFile(args: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-c' || arg === '--config-file') return args[i + 1];
    if (arg.startsWith('--config-file=')) return arg.slice('--config-file='.length);
    if (arg.startsWith('-c') && arg.length > 2 && !arg.startsWith('--')) return arg.slice(2);
    if (arg === '--') break;
  }
  return undefined;
}

/** A directory with the fake `modinfo` that drbdadm asks for the kernel module's version. */
function libexec(env: NodeJS.ProcessEnv): string {
  const dir = join(env.DRBD_EMULATOR_STATE || join(tmpdir(), 'drbd-emulator'), 'libexec');
  const modinfo = join(dir, 'modinfo');
  if (!existsSync(modinfo)) {
    mkdirSync(dir, { recursive: true });
    const temporary = `${modinfo}.${process.pid}`;
    writeFileSync(
      temporary,
      `#!/bin/sh\n# DRBD emulator: the drbd module version, for drbdadm only\ncase "$*" in *drbd*) echo ${KERNEL_VERSION}; exit 0;; esac\nexec /sbin/modinfo "$@"\n`,
    );
    chmodSync(temporary, 0o755);
    renameSync(temporary, modinfo);
  }
  return dir;
}

/** drbdadm_main.c: err("\n   found __DRBD_NODE__ in environment\n   PRETENDING that I am >>%s<<\n\n"). */
const CHATTER = /\n? {3}found __DRBD_NODE__ in environment\n {3}PRETENDING that I am >>[^\n]*<<\n\n?/g;

export function filterChatter(stderr: string): string {
  return stderr.replace(CHATTER, '');
}

export function drbdadm(args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const tools = dirname(process.argv[1] ?? '.');
  const childEnv: NodeJS.ProcessEnv = { ...env };
  if (!childEnv.__DRBD_NODE__ && childEnv.DRBD_EMULATOR_NODE) childEnv.__DRBD_NODE__ = childEnv.DRBD_EMULATOR_NODE;
  const given = configFile(args);
  const conf = given ?? env.DRBD_EMULATOR_CONF;
  if (conf) childEnv.DRBD_EMULATOR_CONF = resolve(conf);
  // Never the host's /etc/drbd.conf: without -c, the emulator's resource file.
  if (!given && env.DRBD_EMULATOR_CONF) args = ['-c', env.DRBD_EMULATOR_CONF, ...args];
  childEnv.PATH = [libexec(env), tools, env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'].join(':');
  const result = spawnSync(REAL_DRBDADM, args, { argv0: 'drbdadm', env: childEnv, stdio: ['inherit', 'inherit', 'pipe'], encoding: 'utf8' });
  if (result.error) {
    process.stderr.write(`drbdadm (emulator): cannot run ${REAL_DRBDADM}: ${result.error.message}\n`);
    return 20;
  }
  const stderr = filterChatter(result.stderr ?? '');
  if (stderr) process.stderr.write(stderr);
  if (result.signal) return 128 + (({ SIGTERM: 15, SIGKILL: 9, SIGINT: 2 }) as Record<string, number>)[result.signal]!;
  return result.status ?? 20;
}
