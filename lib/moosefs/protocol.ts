/**
 * The MooseFS master's own protocol, as far as the agents need it: a TCP connect to the
 * client port, and the CLTOMA_INFO request (what `mfscli -SIN` sends) for the program
 * version and the metadata version. Uses `net` only: a protocol-level monitor costs
 * well under a millisecond, where `mfscli` costs 100 ms of Python start-up.
 *
 * Packets: big-endian u32 command, u32 length, payload (MFSCommunication.h).
 */
import { Socket } from 'node:net';

export const CLTOMA_INFO = 510;
export const MATOCL_INFO = 511;

/** Resolves true when a TCP connection is accepted within `timeoutMs`. */
export function tcpAccepts(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(Math.max(1, timeoutMs), () => done(false));
    socket.once('error', () => done(false));
    socket.connect(port, host, () => done(true));
  });
}

/** Sends one request and reads the reply of the expected command; rejects on anything else. */
export function request(host: string, port: number, command: number, payload: Buffer, expect: number, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    let received = Buffer.alloc(0);
    const fail = (why: string) => {
      socket.destroy();
      reject(new Error(`${host}:${port}: ${why}`));
    };
    socket.setTimeout(Math.max(1, timeoutMs), () => fail(`no answer within ${timeoutMs} ms`));
    socket.once('error', (error) => fail(error.message));
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 8) return;
      const answer = received.readUInt32BE(0);
      const length = received.readUInt32BE(4);
      if (answer !== expect) return fail(`unexpected answer ${answer} (wanted ${expect})`);
      if (length > 1 << 20) return fail(`answer of ${length} bytes is not believable`);
      if (received.length < 8 + length) return;
      socket.destroy();
      resolve(received.subarray(8, 8 + length));
    });
    socket.once('close', () => fail('connection closed before a whole answer'));
    socket.connect(port, host, () => {
      const header = Buffer.alloc(8);
      header.writeUInt32BE(command, 0);
      header.writeUInt32BE(payload.length, 4);
      socket.write(Buffer.concat([header, payload]));
    });
  });
}

export interface MasterInfo {
  /** e.g. "3.0.117"; undefined when even the version could not be read. */
  programVersion: string | undefined;
  /** The master's current metadata version (undefined for masters older than 2.0, or an answer not decoded). */
  metadataVersion: bigint | undefined;
  memoryUsage: bigint | undefined;
  /**
   * Set when the answer's layout is unknown to this decoder (a newer release): the master
   * answered, which every caller must take as "a master serves", with its version unknown.
   */
  undecoded?: string;
}

/**
 * Where each MATOCL_INFO layout of 2.0 and later puts the block that ends in the metadata
 * version, by answer length (mfscli's cluster.py: 3.0 sends 121/129/137/149 bytes, 4.x
 * 173/181/193/205; 137, 149, 181, 193 carry 8 more bytes before it, 205 another 4).
 * The metadata version is the u64 at that offset + 113.
 */
const INFO_BLOCK_OFFSET: ReadonlyMap<number, number> = new Map([
  [121, 0], [129, 0], [137, 8], [149, 8],
  [173, 0], [181, 8], [193, 8], [205, 12],
]);

/** Decodes MATOCL_INFO. Never throws: an answer of unknown layout is a master that answers (see `undecoded`). */
export function decodeMasterInfo(data: Buffer): MasterInfo {
  const length = data.length;
  if (length === 52 || length === 60) return { programVersion: length === 52 ? '1.4.0' : '1.5.0', metadataVersion: undefined, memoryUsage: undefined };
  if (length < 4) return { programVersion: undefined, metadataVersion: undefined, memoryUsage: undefined, undecoded: `MATOCL_INFO of ${length} bytes is too short to hold a version` };
  const [major, minor, rawPatch] = [data.readUInt16BE(0), data.readUInt8(2), data.readUInt8(3)];
  // From 2.0 on the last byte is patch * 2 + (1 for the Pro edition), as mfscli's version_convert says.
  const programVersion = `${major}.${minor}.${major >= 2 ? rawPatch >> 1 : rawPatch}`;
  if (length === 68 || length === 76 || length === 101) {
    return { programVersion, metadataVersion: undefined, memoryUsage: length >= 76 ? data.readBigUInt64BE(4) : undefined };
  }
  const offset = INFO_BLOCK_OFFSET.get(length);
  if (offset === undefined) {
    return {
      programVersion,
      metadataVersion: undefined,
      memoryUsage: undefined,
      undecoded: `MATOCL_INFO of ${length} bytes from master ${programVersion} has a layout this agent does not know: its metadata version is unknown`,
    };
  }
  return { programVersion, metadataVersion: data.readBigUInt64BE(offset + 113), memoryUsage: data.readBigUInt64BE(4) };
}

/** Asks the master CLTOMA_INFO; rejects only when no whole answer comes (a master that answers always resolves). */
export async function queryMasterInfo(host: string, port: number, timeoutMs: number): Promise<MasterInfo> {
  return decodeMasterInfo(await request(host, port, CLTOMA_INFO, Buffer.alloc(0), MATOCL_INFO, timeoutMs));
}
