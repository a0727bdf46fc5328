/**
 * drbdsetup's output formats, transcribed from drbd-utils v9.22.0 (user/v9/drbdsetup.c:
 * resource_status, device_status, connection_status, peer_device_status, the *_json
 * functions and show_resource_list; user/v9/drbdsetup_events2.c: print_*_changes).
 */
import { promotionInfo, type ConnectionView, type PeerDeviceView, type ResourceView } from './model.js';
import type { KernelResource } from './state.js';

interface Printer {
  out: string;
  print(indent: number, text: string): void;
}

/** nowrap_printf: events2 lines are never wrapped. */
class NoWrap implements Printer {
  out = '';
  print(_indent: number, text: string): void {
    this.out += text;
  }
}

/** user/shared/wrap_printf.c: wraps at the terminal width (80 when not a tty). */
export class Wrapper implements Printer {
  private col = 0;
  out = '';
  constructor(private readonly columns: number) {}

  print(indent: number, text: string): void {
    let format = text;
    if (this.col + format.length > this.columns) {
      this.out += '\n';
      if (format.startsWith('\n')) format = format.slice(1);
      this.col = 0;
    }
    if (this.col === 0) {
      format = format.replace(/^ +/, '');
      this.col += indent;
      this.out += ' '.repeat(indent);
    }
    this.out += format;
    this.col += format.length;
    const newline = format.lastIndexOf('\n');
    if (newline !== -1 && newline === format.length - 1) this.col = 0;
  }
}

export interface StatusOptions {
  verbose: boolean;
  statistics: boolean;
  isTty: boolean;
  columns: number;
}

const yesNo = (value: boolean) => (value ? 'yes' : 'no');

function syncing(peerDevice: PeerDeviceView): boolean {
  return peerDevice.replication === 'SyncSource' || peerDevice.replication === 'SyncTarget';
}

/** Sectors-based sync details, as the kernel reports them while resyncing. */
function doneFraction(peerDevice: PeerDeviceView): number {
  return (peerDevice.done ?? 100) / 100;
}

function printPeerDeviceStatistics(w: Printer, indent: number, p: PeerDeviceView, verbose: number, statistics: boolean): void {
  const details = syncing(p);
  if (indent === 0) {
    if (details) w.print(indent, ` done:${(100 * doneFraction(p)).toFixed(2)}`);
    if (!statistics) return;
  }
  w.print(indent, ' received:0');
  w.print(indent, ' sent:0');
  if (verbose || p.outOfSync) w.print(indent, ` out-of-sync:${p.outOfSync}`);
  if (!verbose) return;
  w.print(indent, ' pending:0');
  w.print(indent, ' unacked:0');
  if (!details) return;
  w.print(indent, ' dbdt1:0.00');
  // No resync throughput is modelled (db1 = 0): drbdsetup prints printf("%.0f", NAN).
  w.print(indent, ' eta:nan');
}

function printDeviceStatistics(w: Printer, indent: number, sizeKiB: number, verbose: number, statistics: boolean): void {
  if (statistics) {
    if (verbose) w.print(indent, ` size:${sizeKiB}`);
    w.print(indent, ' read:0');
    w.print(indent, ' written:0');
    if (verbose) {
      w.print(indent, ' al-writes:0');
      w.print(indent, ' bm-writes:0');
      w.print(indent, ' upper-pending:0');
      w.print(indent, ' lower-pending:0');
      w.print(indent, ' al-suspended:no');
    }
  }
  if (verbose) w.print(indent, ' blocked:no');
}

function printConnectionStatistics(w: Printer, indent: number): void {
  w.print(indent, ' congested:no');
  w.print(indent, ' ap-in-flight:0');
  w.print(indent, ' rs-in-flight:0');
}

/** `drbdsetup status [RES] [--verbose] [--statistics]` text for one resource. */
export function statusText(views: ResourceView[], options: StatusOptions): string {
  const w = new Wrapper(options.columns);
  const v = options.verbose ? 1 : 0;
  for (const r of views) {
    w.print(0, r.name);
    if (v) w.print(4, ` node-id:${r.nodeId}`);
    w.print(4, ` role:${r.role}`);
    if (v) w.print(4, ' suspended:no');
    if (v || r.forceIoFailures) w.print(4, ` force-io-failures:${yesNo(r.forceIoFailures)}`);
    if (options.statistics && v) {
      w.print(4, '\n');
      w.print(4, ' write-ordering:flush');
    }
    w.print(0, '\n');
    const single = r.devices.length === 1;
    for (const d of r.devices) {
      let indent = 2;
      if (v || !(single && d.volume === 0)) {
        w.print(indent, `volume:${d.volume}`);
        indent = 6;
        if (v) w.print(indent, ` minor:${d.minor}`);
      }
      w.print(indent, ` disk:${d.disk}`);
      if (d.disk === 'Diskless' && (v || !options.isTty)) w.print(indent, ` client:${yesNo(d.client)}`);
      if (v) w.print(indent, ` backing_dev:${d.backingDev}`);
      if (v || !d.quorum) w.print(indent, ` quorum:${yesNo(d.quorum)}`);
      indent = 6;
      if (options.statistics) w.print(indent, '\n');
      printDeviceStatistics(w, indent, d.sizeKiB, v, options.statistics);
      w.print(indent, '\n');
    }
    for (const c of r.connections) connectionStatus(w, c, single, options, v);
    w.print(0, '\n');
  }
  return w.out;
}

function connectionStatus(w: Wrapper, c: ConnectionView, single: boolean, options: StatusOptions, v: number): void {
  w.print(2, c.name);
  if (v) w.print(6, ` node-id:${c.peerNodeId}`);
  if (v || c.state !== 'Connected') w.print(6, ` connection:${c.state}`);
  if (v || c.state === 'Connected') w.print(6, ` role:${c.role}`);
  if (v) printConnectionStatistics(w, 6);
  w.print(0, '\n');
  if (!(v || options.statistics || c.state === 'Connected')) return;
  for (const p of c.peerDevices) {
    let indent = 4;
    if (v || !(single && p.volume === 0)) {
      w.print(indent, `volume:${p.volume}`);
      indent = 8;
    }
    if (v || (p.replication !== 'Off' && p.replication !== 'Established')) {
      w.print(indent, ` replication:${p.replication}`);
      indent = 8;
    }
    if (v || options.statistics || p.replication !== 'Off' || p.peerDisk !== 'DUnknown') {
      w.print(indent, ` peer-disk:${p.peerDisk}`);
      if (p.peerDisk === 'Diskless' && (v || !options.isTty)) w.print(indent, ` peer-client:${yesNo(p.peerClient)}`);
      indent = 8;
      if (syncing(p)) w.print(indent, ` done:${(100 * doneFraction(p)).toFixed(2)}`);
      if (v) w.print(indent, ' resync-suspended:no');
      if (options.statistics) {
        w.print(indent, '\n');
        printPeerDeviceStatistics(w, indent, p, v, options.statistics);
      }
    }
    w.print(0, '\n');
  }
}

/** `drbdsetup status --json`, byte for byte the printf layout of drbdsetup 9.22. */
export function statusJson(views: ResourceView[]): string {
  let out = '[\n';
  views.forEach((r, index) => {
    if (index) out += ',\n';
    out +=
      '{\n' +
      `  "name": "${r.name}",\n` +
      `  "node-id": ${r.nodeId},\n` +
      `  "role": "${r.role}",\n` +
      '  "suspended": false,\n' +
      '  "suspended-user": false,\n' +
      '  "suspended-no-data": false,\n' +
      '  "suspended-fencing": false,\n' +
      '  "suspended-quorum": false,\n' +
      `  "force-io-failures": ${r.forceIoFailures},\n` +
      '  "write-ordering": "flush",\n' +
      '  "devices": [\n';
    out += r.devices
      .map(
        (d) =>
          '    {\n' +
          `      "volume": ${d.volume},\n` +
          `      "minor": ${d.minor},\n` +
          `      "disk-state": "${d.disk}",\n` +
          `      "client": ${d.client},\n` +
          `      "quorum": ${d.quorum},\n` +
          `      "size": ${d.sizeKiB},\n` +
          '      "read": 0,\n' +
          '      "written": 0,\n' +
          '      "al-writes": 0,\n' +
          '      "bm-writes": 0,\n' +
          '      "upper-pending": 0,\n' +
          '      "lower-pending": 0\n' +
          '    }',
      )
      .join(',\n');
    out += ' ],\n  "connections": [\n';
    out += r.connections
      .map((c) => {
        let text =
          '    {\n' +
          `      "peer-node-id": ${c.peerNodeId},\n` +
          `      "name": "${c.name}",\n` +
          `      "connection-state": "${c.state}", \n` +
          '      "congested": false,\n' +
          `      "peer-role": "${c.role}",\n` +
          '      "ap-in-flight": 0,\n' +
          '      "rs-in-flight": 0,\n' +
          '      "peer_devices": [\n';
        text += c.peerDevices.map((p) => peerDeviceJson(p)).join(',\n');
        return `${text} ]\n    }`;
      })
      .join(',\n');
    out += ' ]\n}\n';
  });
  return `${out}]\n\n`;
}

function peerDeviceJson(p: PeerDeviceView): string {
  const details = syncing(p);
  const inSync = p.sizeKiB === 0 ? 0 : 100 * (1 - p.outOfSync / p.sizeKiB);
  let text =
    '        {\n' +
    `          "volume": ${p.volume},\n` +
    `          "replication-state": "${p.replication}",\n` +
    `          "peer-disk-state": "${p.peerDisk}",\n` +
    `          "peer-client": ${p.peerClient},\n` +
    '          "resync-suspended": "no",\n' +
    '          "received": 0,\n' +
    '          "sent": 0,\n' +
    `          "out-of-sync": ${p.outOfSync},\n` +
    '          "pending": 0,\n' +
    '          "unacked": 0,\n' +
    `          "has-sync-details": ${details},\n` +
    '          "has-online-verify-details": false,\n' +
    `          "percent-in-sync": ${inSync.toFixed(2)}${details ? ',' : ''}\n`;
  if (details) {
    const total = p.sizeKiB * 2;
    text +=
      `          "rs-total": ${total},\n` +
      '          "rs-dt-start-ms": 0,\n' +
      '          "rs-paused-ms": 0,\n' +
      '          "rs-dt0-ms": 0,\n' +
      '          "rs-db0-sectors": 0,\n' +
      '          "rs-dt1-ms": 0,\n' +
      '          "rs-db1-sectors": 0,\n' +
      '          "rs-failed": 0,\n' +
      '          "rs-same-csum": 0,\n' +
      '          "want": 0.00,\n' +
      '          "db0/dt0 [MiB/s]": 0.00,\n' +
      '          "db1/dt1 [MiB/s]": 0.00,\n' +
      '          "estimated-seconds-to-finish": 987654321,\n' +
      '          "db/dt [MiB/s]": 0.00,\n' +
      `          "percent-resync-done": ${(100 * doneFraction(p)).toFixed(2)}\n`;
  }
  return `${text}        }`;
}

/** `drbdsetup events2 --now [--statistics] [RES]` lines (the initial "exists" dump). */
export function events2Now(views: ResourceView[], statistics: boolean): string {
  const lines: string[] = [];
  const v = statistics ? 1 : 0;
  for (const r of views) {
    const promotion = promotionInfo(r);
    let line = `exists resource name:${r.name} role:${r.role} suspended:no force-io-failures:${yesNo(r.forceIoFailures)}`;
    if (statistics) line += ' write-ordering:flush';
    line += ` may_promote:${yesNo(promotion.mayPromote)} promotion_score:${promotion.score}`;
    lines.push(line);
    for (const c of r.connections) {
      let text = `exists connection name:${r.name} peer-node-id:${c.peerNodeId} conn-name:${c.name} connection:${c.state} role:${c.role}`;
      if (statistics) text += ' congested:no ap-in-flight:0 rs-in-flight:0';
      lines.push(text);
    }
    for (const d of r.devices) {
      let text = `exists device name:${r.name} volume:${d.volume} minor:${d.minor} backing_dev:${d.backingDev} disk:${d.disk} client:${yesNo(d.client)} quorum:${yesNo(d.quorum)}`;
      if (statistics) {
        const w = new NoWrap();
        printDeviceStatistics(w, 0, d.sizeKiB, v, statistics);
        text += w.out;
      }
      lines.push(text);
    }
    for (const c of r.connections) {
      for (const p of c.peerDevices) {
        let text = `exists peer-device name:${r.name} peer-node-id:${c.peerNodeId} conn-name:${c.name} volume:${p.volume} replication:${p.replication} peer-disk:${p.peerDisk} peer-client:${yesNo(p.peerClient)} resync-suspended:no`;
        const w = new NoWrap();
        printPeerDeviceStatistics(w, 0, p, v, statistics);
        text += w.out;
        lines.push(text);
      }
      for (const path of c.paths) {
        lines.push(`exists path name:${r.name} peer-node-id:${c.peerNodeId} conn-name:${c.name} local:${path.local} peer:${path.peer} established:${yesNo(c.state === 'Connected')}`);
      }
    }
  }
  lines.push('exists -');
  return `${lines.join('\n')}\n`;
}

/** Options whose values drbdsetup show double-quotes (fields with needs_double_quoting). */
const QUOTED = new Set(['_name', 'shared-secret', 'cram-hmac-alg', 'integrity-alg', 'verify-alg', 'csums-alg', 'transport', 'cpu-mask']);

function options(name: string, values: Record<string, string>, indent: string): string {
  const entries = Object.entries(values);
  if (!entries.length) return '';
  const body = entries.map(([key, value]) => `${indent}    ${key.padEnd(16)}\t${QUOTED.has(key) ? JSON.stringify(value) : value};\n`).join('');
  return `${indent}${name} {\n${body}${indent}}\n`;
}

function addressForShow(address: string): string {
  // ipv4:10.0.0.1:7789 -> "ipv4 10.0.0.1:7789"
  const colon = address.indexOf(':');
  return colon === -1 ? address : `${address.slice(0, colon)} ${address.slice(colon + 1)}`;
}

/** `drbdsetup show RES`: the running configuration, which `drbdadm adjust` parses. */
export function showText(name: string, kernel: KernelResource, standalone: (peerNodeId: number) => boolean): string {
  let out = `resource "${name}" {\n`;
  out += options('options', kernel.options, '    ');
  out += '    _this_host {\n';
  out += `        node-id\t\t\t${kernel.nodeId};\n`;
  for (const d of Object.values(kernel.devices).sort((x, y) => x.volume - y.volume)) {
    out += `        volume ${d.volume} {\n`;
    out += `            device\t\t\tminor ${d.minor};\n`;
    if (d.attached && d.backingDev) {
      out += `            disk\t\t\t"${d.backingDev}";\n`;
      const meta =
        d.metaIdx === undefined || d.metaIdx === 'internal' ? 'internal' : d.metaIdx === 'flexible' ? JSON.stringify(d.metaDev) : `${JSON.stringify(d.metaDev)} [ ${d.metaIdx} ]`;
      out += `            meta-disk\t\t\t${meta};\n`;
    } else if (d.client) {
      out += '            disk\t\t\tnone;\n';
    }
    if (d.attached) out += options('disk', d.diskOptions, '            ');
    out += '        }\n';
  }
  out += '    }\n';
  for (const peer of Object.values(kernel.peers).sort((x, y) => x.nodeId - y.nodeId)) {
    out += '    connection {\n';
    out += `        _peer_node_id ${peer.nodeId};\n`;
    for (const path of peer.paths) {
      out += `        path {\n            _this_host ${addressForShow(path.local)};\n            _remote_host ${addressForShow(path.peer)};\n        }\n`;
    }
    if (standalone(peer.nodeId)) out += '        _is_standalone;\n';
    out += options('net', { _name: peer.name, ...peer.netOptions }, '        ');
    for (const [volume, values] of Object.entries(peer.peerDeviceOptions)) {
      if (!Object.keys(values).length) continue;
      out += `        volume ${volume} {\n${options('disk', values, '            ')}        }\n`;
    }
    out += '    }\n';
  }
  return `${out}}\n\n`;
}
