import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { freePort } from './processes.js';

/**
 * A TCP proxy on 127.0.0.1:<port> → target, to cut a process off from a service and let it back:
 * `stop()` closes the listener and destroys every open connection (clients see a reset and then
 * refused connects), `start()` listens again on the same port.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  private constructor(
    readonly port: number,
    readonly targetHost: string,
    readonly targetPort: number,
  ) {}

  /** A running proxy to the host and port of `target` (a URL such as postgres://… or amqp://…). */
  static async forUrl(target: string): Promise<TcpProxy> {
    const { hostname, port, protocol } = new URL(target);
    const defaultPort = protocol.startsWith('amqp') ? 5672 : protocol.startsWith('redis') ? 6379 : 5432;
    return TcpProxy.to(hostname, port ? Number(port) : defaultPort);
  }

  static async to(host: string, port: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(await freePort(), host, port);
    await proxy.start();
    return proxy;
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  /** `url` with its host and port replaced by the proxy's. */
  proxied(url: string): string {
    const parsed = new URL(url);
    parsed.hostname = '127.0.0.1';
    parsed.port = String(this.port);
    return parsed.toString();
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer((client) => this.connect(client));
    // The port was ours a moment ago; right after stop() the OS may still hold it briefly.
    for (let attempt = 0; ; attempt++) {
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(this.port, '127.0.0.1', () => {
            server.off('error', reject);
            resolve();
          });
        });
        break;
      } catch (error) {
        if (attempt >= 50 || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await closed;
  }

  private connect(client: Socket): void {
    const upstream = createConnection({ host: this.targetHost, port: this.targetPort });
    this.sockets.add(client);
    this.sockets.add(upstream);
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    upstream.on('close', close);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
