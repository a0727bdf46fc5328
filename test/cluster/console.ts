/**
 * Commands inside a real-kernel (UML) lab node, whose processes no nsenter can reach: each
 * node's init serves commands on its lab address (TCP 7000, only on the lab's bridge), and the
 * lab's switch, which lives in the bridge's network namespace, relays them from a Unix socket
 * in the lab directory (a file: reachable from the host's namespace). One JSON line each way
 * per connection; the command runs as an argument array, never through a shell.
 */
import { createConnection, createServer, type Server } from 'node:net';
import { rmSync } from 'node:fs';
import { run, type RunOptions, type RunResult } from '../../lib/process/run.js';
import { NODES, nodeIp, type NodeName } from './lab.js';

export const COMMAND_PORT = 7000;

interface CommandRequest {
  node?: NodeName;
  file: string;
  args: string[];
  env?: Record<string, string | undefined>;
  input?: string;
  timeoutMs: number;
}

const MAX_REQUEST = 1 << 20;

/** Reads one newline-terminated JSON value from a socket, then calls `handle` with it. */
function oneLine(socket: import('node:net').Socket, handle: (line: string) => void): void {
  let buffer = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    if (buffer.length > MAX_REQUEST) return socket.destroy();
    buffer += chunk;
    const end = buffer.indexOf('\n');
    if (end < 0) return;
    socket.removeAllListeners('data');
    handle(buffer.slice(0, end));
  });
  socket.on('error', () => socket.destroy());
}

/** In a UML node (its init): runs each request and answers with its outcome. */
export function serveCommands(address: string): Server {
  const server = createServer((socket) => {
    oneLine(socket, (line) => {
      void (async () => {
        let result: RunResult;
        try {
          const request = JSON.parse(line) as CommandRequest;
          result = await run(request.file, request.args, { env: request.env, input: request.input, timeoutMs: request.timeoutMs, all: false });
        } catch (error) {
          result = { command: line.slice(0, 200), exitCode: undefined, stdout: '', stderr: String(error), notFound: false, timedOut: false, signal: undefined, ok: false };
        }
        socket.end(`${JSON.stringify(result)}\n`);
      })();
    });
  });
  server.listen(COMMAND_PORT, address);
  return server;
}

/** In the switch's namespace: relays each request from the Unix socket to the node it names. */
export function relayCommands(socketPath: string): Server {
  rmSync(socketPath, { force: true });
  const server = createServer((client) => {
    oneLine(client, (line) => {
      let node: NodeName | undefined;
      try {
        node = (JSON.parse(line) as CommandRequest).node;
      } catch {
        /* answered below */
      }
      if (!node || !NODES.includes(node)) return client.end(`${JSON.stringify({ relayError: `bad request: ${line.slice(0, 100)}` })}\n`);
      const upstream = createConnection(COMMAND_PORT, nodeIp(node));
      upstream.on('connect', () => upstream.write(`${line}\n`));
      upstream.pipe(client);
      upstream.on('error', (error) => client.end(`${JSON.stringify({ relayError: `${node}: ${error.message}` })}\n`));
      client.on('close', () => upstream.destroy());
    });
  });
  server.listen(socketPath);
  return server;
}

/** From the host: runs a command in a UML node through the switch's relay, as lib/process/run would. */
export function consoleExec(socketPath: string, node: NodeName, file: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const request: CommandRequest = { node, file, args: [...args], env: options.env, input: options.input, timeoutMs };
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath);
    let reply = '';
    // The node runs the command within timeoutMs; the connection waits a little longer for the answer.
    socket.setTimeout(timeoutMs + 15_000, () => {
      socket.destroy();
      reject(new Error(`${node}: no answer to ${file} within ${timeoutMs + 15_000} ms`));
    });
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on('data', (chunk: string) => (reply += chunk));
    socket.on('error', (error) => reject(new Error(`${node}: ${error.message}`)));
    socket.on('close', () => {
      try {
        const parsed = JSON.parse(reply) as RunResult | { relayError: string };
        if ('relayError' in parsed) reject(new Error(parsed.relayError));
        else resolve(parsed);
      } catch {
        reject(new Error(`${node}: no whole answer to ${file} (${reply.length} bytes)`));
      }
    });
  });
}
