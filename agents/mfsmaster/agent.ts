/**
 * ocf:mfs:mfsmaster: the MooseFS metadata master as a Pacemaker resource. A declaration over
 * lib/: what the master does lives in lib/moosefs, what OCF requires in lib/ocf.
 */
import { defineAgent, type ActionContext } from '../../lib/ocf/agent.js';
import { OCF, OcfError } from '../../lib/ocf/exit-codes.js';
import { Failure } from '../../lib/runtime/errors.js';
import { param } from '../../lib/ocf/parameters.js';
import { readMasterConfig, type MasterConfig } from '../../lib/moosefs/config.js';
import { MasterProgram, TESTED_MOOSEFS_VERSIONS } from '../../lib/moosefs/master-program.js';
import {
  checkMaster,
  requireDurability,
  startMaster,
  stopMaster,
  stopMastersByConfigFile,
  validateMasterEnvironment,
} from '../../lib/moosefs/master-service.js';
import { PACKAGE_VERSION } from '../../lib/version.js';

const parameters = {
  config: param.path({
    shortdesc: 'mfsmaster.cfg',
    longdesc:
      'Path of the master configuration file. DATA_PATH, the listen ports, WORKING_USER and WORKING_GROUP are read from it ' +
      "(the program's defaults apply where it is silent), so they are configured in one place.",
    default: '/etc/mfs/mfsmaster.cfg',
    unique: true,
  }),
  binary: param.path({
    shortdesc: 'mfsmaster program',
    longdesc:
      `Path of the mfsmaster program. Tested with MooseFS ${TESTED_MOOSEFS_VERSIONS.join(' and ')}; validate-all and start say so when another ` +
      'version is installed, and use it.',
    default: '/usr/sbin/mfsmaster',
  }),
  durability: param.select({
    shortdesc: 'Required changelog durability',
    longdesc:
      'What a crash may cost, checked against CHANGELOG_SAVE_MODE in mfsmaster.cfg by validate-all and start, which refuse a ' +
      'configuration below it. none: any mode (with the default mode 0 the master acknowledges changes before its background ' +
      'writer saves them, and a crash loses every change acknowledged during a disk stall: hundreds per 300 ms were measured). ' +
      'process: mode 1 or 2, no acknowledged change lost when the master process crashes. power: mode 2 (fsync per change), ' +
      'nothing lost on power loss either, with a synchronous store such as DRBD protocol C. The default is process: a failover ' +
      'agent exists to survive crashes, and mode 1 costs little (a write per change, no fsync). When the mode is below the ' +
      'strictest level, start logs once what is at risk.',
    options: ['none', 'process', 'power'],
    default: 'process',
  }),
  allow_empty_init: param.boolean({
    shortdesc: 'Allow creating a new, empty file system',
    longdesc:
      'When DATA_PATH holds no metadata at all, start normally refuses: an empty master would tell the chunkservers to delete ' +
      'every chunk (typically because the metadata store did not mount). Set to true only to create a new file system; ' +
      'set it back to false afterwards.',
    default: false,
  }),
};

type Context = ActionContext<typeof parameters>;

function masterConfig(ctx: Context): MasterConfig {
  const config = readMasterConfig(ctx.params.config);
  ctx.log.addSecrets(config.secrets);
  return config;
}

export default defineAgent({
  name: 'mfsmaster',
  version: PACKAGE_VERSION,
  shortdesc: 'MooseFS metadata master',
  longdesc:
    'Manages the MooseFS metadata master (mfsmaster). Start recovers metadata after an unclean stop with the program\'s own ' +
    'recovery and refuses to create an empty file system unless allow_empty_init is set; stop lets the master write its ' +
    'metadata image and escalates to SIGKILL only at the end of the stop timeout. Monitor depth (OCF_CHECK_LEVEL): 0 checks ' +
    'the process holding the lock in DATA_PATH, 10 also that the client port accepts connections, 20 also that the master ' +
    'answers a protocol request.',
  parameters,
  async validate(ctx) {
    const program = await MasterProgram.detect(ctx.params.binary, ctx.params.config, ctx.deadline);
    if (program.untestedNote) ctx.log.warn(program.untestedNote);
    const config = masterConfig(ctx);
    await validateMasterEnvironment(config);
    requireDurability(config, ctx.params.durability);
  },
  actions: {
    start: {
      timeout: '120s',
      async run(ctx) {
        const program = await MasterProgram.detect(ctx.params.binary, ctx.params.config, ctx.deadline);
        await startMaster({
          program,
          config: masterConfig(ctx),
          allowEmptyInit: ctx.params.allow_empty_init,
          durability: ctx.params.durability,
          deadline: ctx.deadline,
          log: ctx.log,
        });
        return OCF.SUCCESS;
      },
    },
    stop: {
      timeout: '120s',
      async run(ctx) {
        let config: MasterConfig;
        try {
          config = masterConfig(ctx);
        } catch (error) {
          if (!(error instanceof Failure)) throw error;
          ctx.log.warn(error.message);
          await stopMastersByConfigFile(ctx.params.config, ctx.params.binary, ctx.deadline, ctx.log);
          return OCF.SUCCESS;
        }
        await stopMaster({ config, deadline: ctx.deadline, log: ctx.log });
        return OCF.SUCCESS;
      },
    },
    monitor: {
      timeout: '20s',
      advertise: [{ timeout: '20s', interval: '10s', depth: 0 }],
      async run(ctx) {
        const health = await checkMaster(masterConfig(ctx), ctx.checkLevel, ctx.deadline);
        if (!health) return OCF.NOT_RUNNING;
        // A master that answers in a form we cannot read still answers: never a failure.
        if (health.info?.undecoded) ctx.log.warnOnce(`mfsmaster (pid ${health.pid}) answers, but ${health.info.undecoded}`);
        else if (health.info) ctx.log.debug(`mfsmaster ${health.info.programVersion} (pid ${health.pid}) at metadata version ${health.info.metadataVersion}`);
        return OCF.SUCCESS;
      },
    },
    reload: {
      timeout: '30s',
      async run(ctx) {
        const config = masterConfig(ctx);
        const health = await checkMaster(config, 0, ctx.deadline);
        if (!health) throw new OcfError(OCF.NOT_RUNNING, 'mfsmaster is not running: nothing to reload');
        const program = await MasterProgram.detect(ctx.params.binary, ctx.params.config, ctx.deadline);
        const result = await program.reload(ctx.deadline);
        if (!result.ok) throw new OcfError(OCF.ERR_GENERIC, `reload failed: ${result.stderr || result.stdout}`);
        ctx.log.info('mfsmaster re-reads its configuration, exports and topology');
        return OCF.SUCCESS;
      },
    },
  },
});
