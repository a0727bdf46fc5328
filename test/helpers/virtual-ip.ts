/**
 * A virtual IP on loopback for tests without network namespaces: while "up" it listens on
 * `address` (another loopback address, e.g. 127.0.0.2) at each of the given ports and relays
 * every connection to the same port on 127.0.0.1, where the node holding the IP runs its
 * daemons. down() does what removing the address does to the connections through it: nothing
 * passes any more, in either direction, and nobody is told (no FIN, no RST); what the daemon had
 * already received stays with it. up() again (the IP on the next node) resets the connections
 * left hanging, as the new holder answers their next packet with an RST.
 */
import { createServer, Socket, type Server } from 'node:net';

const TARGET = '127.0.0.1';

interface Relay {
  client: Socket;
  upstream: Socket;
  /** False once the IP is gone: bytes are dropped, both ends left as they are. */
  passing: boolean;
}

export class VirtualIp {
  private servers: Server[] = [];
  private relays = new Set<Relay>();

  constructor(
    readonly address: string,
    readonly ports: readonly number[],
  ) {}

  get isUp(): boolean {
    return this.servers.length > 0;
  }

  /** Starts listening on every port (the IP arrives on a node); connections left by an earlier down() are reset. */
  async up(): Promise<void> {
    if (this.isUp) return;
    this.resetAll();
    for (const port of this.ports) {
      const server = createServer({ allowHalfOpen: true }, (client) => this.relay(client, port));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, this.address, () => {
          server.off('error', reject);
          resolve();
        });
      });
      this.servers.push(server);
    }
  }

  /** The IP goes away: no new connection, and nothing more passes on the existing ones. */
  down(): void {
    for (const server of this.servers.splice(0)) server.close();
    for (const relay of this.relays) relay.passing = false;
  }

  /** Ends everything (test cleanup). */
  close(): void {
    this.down();
    this.resetAll();
  }

  private resetAll(): void {
    for (const relay of this.relays) {
      relay.client.resetAndDestroy();
      relay.upstream.destroy();
    }
    this.relays.clear();
  }

  private relay(client: Socket, port: number): void {
    const upstream = new Socket({ allowHalfOpen: true });
    // As MooseFS's own sockets: small requests and answers go at once.
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const relay: Relay = { client, upstream, passing: true };
    this.relays.add(relay);
    const forget = () => {
      if (client.destroyed && upstream.destroyed) this.relays.delete(relay);
    };
    // Each direction forwards its bytes and its end (FIN) while the IP is there; an error (a reset,
    // a refused connection to a daemon not running) resets both ends.
    const pass = (from: Socket, to: Socket) => {
      from.on('data', (chunk) => {
        if (relay.passing) to.write(chunk);
      });
      from.on('end', () => {
        if (relay.passing) to.end();
      });
      from.on('error', () => {
        if (!relay.passing) return;
        client.resetAndDestroy();
        upstream.destroy();
      });
      from.on('close', forget);
    };
    pass(client, upstream);
    pass(upstream, client);
    upstream.connect(port, TARGET);
  }
}
