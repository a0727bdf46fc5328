/**
 * What the emulated kernel needs from the resource file, read through the real drbdadm's
 * parser (`drbdadm -c FILE dump-xml RES`, which needs no kernel module): the device path each
 * node publishes for a minor. The real kernel only knows minors; the emulator publishes the
 * configured name (which drbdadm insists starts with /dev/drbd).
 */
import { spawnSync } from 'node:child_process';

export const REAL_DRBDADM = process.env.DRBD_EMULATOR_REAL_DRBDADM ?? '/usr/sbin/drbdadm';

export interface HostVolume {
  volume: number;
  minor: number;
  device: string;
  disk: string;
}

/** The volumes of `resource` on `node` per the resource file, or undefined if it cannot say. */
export function hostVolumes(configFile: string | undefined, resource: string, node: string): HostVolume[] | undefined {
  if (!configFile) return undefined;
  const result = spawnSync(REAL_DRBDADM, ['-c', configFile, 'dump-xml', resource], {
    encoding: 'utf8',
    timeout: 10_000,
    env: { ...process.env, __DRBD_NODE__: node, PATH: process.env.PATH },
  });
  if (result.status !== 0 || !result.stdout) return undefined;
  return parseHostVolumes(result.stdout, node);
}

function unescapeXml(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

/** Volumes of one host in `drbdadm dump-xml` output. */
export function parseHostVolumes(xml: string, node: string): HostVolume[] {
  const volumes: HostVolume[] = [];
  const hostPattern = /<host name="([^"]*)">([\s\S]*?)<\/host>/g;
  for (const host of xml.matchAll(hostPattern)) {
    if (unescapeXml(host[1] ?? '') !== node) continue;
    for (const volume of (host[2] ?? '').matchAll(/<volume vnr="(\d+)">([\s\S]*?)<\/volume>/g)) {
      const body = volume[2] ?? '';
      const device = /<device minor="(\d+)">([^<]*)<\/device>/.exec(body);
      const disk = /<disk>([^<]*)<\/disk>/.exec(body);
      if (!device) continue;
      volumes.push({ volume: Number(volume[1]), minor: Number(device[1]), device: unescapeXml(device[2] ?? ''), disk: unescapeXml(disk?.[1] ?? 'none') });
    }
    break;
  }
  return volumes;
}
