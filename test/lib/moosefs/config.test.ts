import { describe, expect, it } from 'vitest';
import { Failure } from '../../../lib/runtime/errors.js';
import { masterConfigFrom, parseMfsConfig, readMasterConfig } from '../../../lib/moosefs/config.js';

function master(text: string) {
  return masterConfigFrom('/etc/mfs/mfsmaster.cfg', parseMfsConfig(text));
}

function refusal(text: string): Failure {
  try {
    master(text);
  } catch (error) {
    return error as Failure;
  }
  throw new Error('expected a refusal');
}

describe('mfsmaster.cfg', () => {
  it("applies the program's defaults where the file is silent", () => {
    const config = master('# only comments\n\n');
    expect(config).toMatchObject({
      dataPath: '/var/lib/mfs',
      workingUser: 'mfs',
      workingGroup: undefined,
      exportsFile: '/etc/mfs/mfsexports.cfg',
      clientListener: { host: '*', port: 9421 },
      chunkserverListener: { host: '*', port: 9420 },
      metaloggerListener: { host: '*', port: 9419 },
      changelogSaveMode: 0,
      backLogs: 50,
      secrets: [],
    });
  });

  it('reads settings, ignoring comments and odd lines; the last assignment wins', () => {
    const config = master(
      [
        'DATA_PATH = /srv/mfs # trailing comment',
        'WORKING_USER=mfsuser',
        'WORKING_GROUP = mfsgroup',
        'MATOCL_LISTEN_HOST = 10.0.0.5',
        'MATOCL_LISTEN_PORT = 9500',
        'MATOCL_LISTEN_PORT = 9521',
        'CHANGELOG_SAVE_MODE = 2',
        'this line means nothing',
        'AUTH_CODE = s3cret',
      ].join('\n'),
    );
    expect(config.dataPath).toBe('/srv/mfs');
    expect(config.workingUser).toBe('mfsuser');
    expect(config.workingGroup).toBe('mfsgroup');
    expect(config.clientListener).toEqual({ host: '10.0.0.5', port: 9521 });
    expect(config.changelogSaveMode).toBe(2);
    expect(config.secrets).toEqual(['s3cret']);
  });

  it.each([
    ['MATOCL_LISTEN_PORT = 70000', 'MATOCL_LISTEN_PORT = "70000" is not a TCP port'],
    ['MATOCS_LISTEN_PORT = abc', 'MATOCS_LISTEN_PORT = "abc" is not a TCP port'],
    ['MATOML_LISTEN_PORT = 0', 'MATOML_LISTEN_PORT = "0" is not a TCP port'],
    ['MATOCL_LISTEN_PORT = 9420', 'MATOCS_LISTEN_PORT and MATOCL_LISTEN_PORT are both 9420'],
    ['DATA_PATH = var/lib/mfs', 'DATA_PATH = "var/lib/mfs" must be an absolute path'],
    ['DATA_PATH = /var/lib/mfs $(reboot)', 'DATA_PATH = "/var/lib/mfs $(reboot)" may contain only'],
    ['WORKING_USER = mfs;rm', 'WORKING_USER = "mfs;rm" is not a user or group name'],
    ['CHANGELOG_SAVE_MODE = 3', 'CHANGELOG_SAVE_MODE = "3" is not an integer from 0 to 2'],
    ['MATOCL_LISTEN_HOST = a b', 'MATOCL_LISTEN_HOST = "a b" is not an address'],
  ])('refuses %s as misconfigured (OCF_ERR_CONFIGURED), naming the setting', (line, message) => {
    const error = refusal(line);
    expect(error.kind).toBe('misconfigured');
    expect(error.message).toContain(`/etc/mfs/mfsmaster.cfg: ${message}`);
  });

  it('reports an unreadable file as not installed on this node', () => {
    try {
      readMasterConfig('/nonexistent/mfsmaster.cfg');
      expect.unreachable();
    } catch (error) {
      expect((error as Failure).kind).toBe('not-installed');
      expect((error as Failure).message).toBe('configuration file /nonexistent/mfsmaster.cfg cannot be read (ENOENT)');
    }
  });
});
