/**
 * The emulated `drbdmeta`: the meta-data on a node's backing disk (this node's disk state and
 * data generation), kept in the shared state under the node's name and the disk's path.
 *   drbdmeta MINOR v09 DISK internal COMMAND [args]        (as drbdadm calls it)
 */
import { writeSync } from 'node:fs';
import { findMinor } from './model.js';
import { nodeName, nodeState, stateDir, withState } from './state.js';

export function drbdmeta(args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const out = (text: string) => void writeSync(1, text);
  const err = (text: string) => void writeSync(2, text);
  const words = args.filter((arg) => !arg.startsWith('-'));
  const [minorText, format, disk, metaDev] = words;
  if (!minorText || format !== 'v09' || !disk || !metaDev) {
    err('USAGE: drbdmeta [--force] {device} {v06|v07|v08|v09} {meta_data_dev} {internal|flex-external|index} {command} {args...}\n(emulated drbdmeta)\n');
    return 20;
  }
  const command = metaDev === 'internal' ? words[4] : words[5];
  const node = nodeName(env);
  const minor = Number(minorText);
  return withState(stateDir(env), (state) => {
    const meta = nodeState(state, node).meta;
    const configured = findMinor(state, node, minor)?.device.attached === true;
    const refuseIfAttached = () => {
      if (!configured) return false;
      err(`Device '${minorText}' is configured!\n`);
      return true;
    };
    switch (command) {
      case 'create-md':
        if (refuseIfAttached()) return 20;
        meta[disk] = { disk: 'Inconsistent', gen: 0, history: [] };
        out('initializing activity log\ninitializing bitmap (4 KB) to all zero\nWriting meta data...\nNew drbd meta data block successfully created.\n');
        return 0;
      case 'wipe-md':
        if (refuseIfAttached()) return 20;
        delete meta[disk];
        out('Wiping meta data...\nDRBD meta data block successfully wiped out.\n');
        return 0;
      case 'outdate': {
        if (refuseIfAttached()) return 20;
        const found = meta[disk];
        if (!found) {
          err('No valid meta data found\n');
          return 255;
        }
        if (found.disk === 'Inconsistent') return 5;
        found.disk = 'Outdated';
        return 0;
      }
      case 'apply-al':
      case 'check-resize':
        if (command === 'apply-al' && !meta[disk]) {
          err('No valid meta data found\n');
          return 255;
        }
        return 0;
      case 'dstate':
        out(`${meta[disk]?.disk ?? 'Diskless'}\n`);
        return 0;
      case 'get-gi':
      case 'show-gi': {
        const found = meta[disk];
        if (!found) {
          err('No valid meta data found\n');
          return 255;
        }
        const hex = (n: number) => n.toString(16).toUpperCase().padStart(16, '0');
        out(`${hex(found.gen)}:0000000000000000:${hex(found.history[0] ?? 0)}:${hex(found.history[1] ?? 0)}:1:1:${found.disk === 'UpToDate' ? 1 : 0}:0:0:0:0:0:0:0:0:0\n`);
        return 0;
      }
      default:
        return 0;
    }
  });
}
