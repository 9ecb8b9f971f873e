/**
 * A loopback TCP forwarder tests put between a connector and its simulator to play an upstream
 * outage: `down()` stops listening and cuts every open connection (the client sees a reset, then
 * ECONNREFUSED), `up()` listens again on the same port. Used where the simulator itself cannot be
 * restarted on a fixed port (the Graph simulator, the webhook receiver).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  private constructor(private readonly target: { host: string; port: number }) {}

  static async start(target: { host?: string; port: number }): Promise<TcpProxy> {
    const p = new TcpProxy({ host: target.host ?? '127.0.0.1', port: target.port });
    await p.listen(0);
    return p;
  }

  /** The target URL with its origin replaced by the proxy's (`http://127.0.0.1:<proxy port>/...`). */
  rewrite(url: string): string {
    const u = new URL(url);
    u.host = `127.0.0.1:${this.port}`;
    return u.toString().replace(/\/$/, url.endsWith('/') ? '/' : '');
  }

  get isUp(): boolean {
    return this.server !== undefined;
  }

  private track(s: Socket): void {
    this.sockets.add(s);
    s.once('close', () => this.sockets.delete(s));
  }

  private async listen(port: number): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect({ host: this.target.host, port: this.target.port });
      this.track(client);
      this.track(upstream);
      const cut = (): void => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', cut);
      upstream.on('error', cut);
      client.on('close', cut);
      upstream.on('close', cut);
      client.on('data', (chunk: Buffer) => {
        if (!upstream.write(chunk)) client.pause();
        const armed = this.cutAfterMarker;
        if (armed !== undefined && chunk.includes(armed.marker)) {
          this.cutAfterMarker = undefined;
          // Once the bytes are handed to the upstream's socket: it gets the request, the client never its answer.
          upstream.write(Buffer.alloc(0), () => {
            cut();
            armed.done();
          });
        }
      });
      upstream.on('drain', () => client.resume());
      client.on('end', () => upstream.end());
      upstream.pipe(client);
    });
    // The port was just released by down(); another process could take it in between (rare).
    for (let attempt = 0; ; attempt++) {
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(port, '127.0.0.1', () => {
            server.off('error', reject);
            resolve();
          });
        });
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 20) throw e;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const addr = server.address();
    this.port = typeof addr === 'object' && addr !== null ? addr.port : port;
    this.server = server;
  }

  private cutAfterMarker: { marker: Buffer; done: () => void } | undefined;

  /**
   * The next time a client sends bytes containing `marker`, they are forwarded and then that
   * client's connection is cut (a request that reached the upstream, whose answer never comes
   * back: the client cannot know whether it was applied). Resolves when it was cut.
   */
  cutAfter(marker: string): Promise<void> {
    return new Promise((done) => {
      this.cutAfterMarker = { marker: Buffer.from(marker), done };
    });
  }

  /** The upstream goes away: no new connections, open ones cut. */
  async down(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s === undefined) return;
    const closed = new Promise<void>((r) => s.close(() => r()));
    for (const sock of this.sockets) sock.destroy();
    this.sockets.clear();
    await closed;
  }

  /** The upstream is back on the same port. */
  async up(): Promise<void> {
    if (this.server !== undefined) return;
    await this.listen(this.port);
  }

  async close(): Promise<void> {
    await this.down();
  }
}
