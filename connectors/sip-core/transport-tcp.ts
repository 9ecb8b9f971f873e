import net from 'node:net';
import tls from 'node:tls';
import { StreamFramer } from './framer.ts';
import { DEFAULT_LIMITS, type ParseLimits } from './parser.ts';
import { peerKey, type HostPort, type Transport, type TransportEvents } from './transport.ts';

export interface TlsOptions {
  readonly key: string | Buffer;
  readonly cert: string | Buffer;
  /** Trusted CAs for the peer's certificate; the system store when absent. */
  readonly ca?: string | Buffer;
  /** Verify the peer's certificate on outgoing connections (default true). */
  readonly rejectUnauthorized?: boolean;
  /** The server name to verify, when the host is an IP address. */
  readonly servername?: string;
}

/**
 * TCP and TLS transports (RFC 3261 section 18, TLS per section 26.2.1): a listening server plus a
 * pool of connections keyed by the remote address, so responses and in-dialog requests reuse the
 * connection a peer opened. A framing error closes that one connection only.
 */
export class StreamTransport implements Transport {
  readonly reliable = true;
  private readonly conns = new Map<string, net.Socket>();
  private readonly pending = new Map<string, Promise<net.Socket>>();
  private closing = false;
  private constructor(
    readonly protocol: 'tcp' | 'tls',
    private readonly server: net.Server,
    readonly local: HostPort,
    private readonly events: TransportEvents,
    private readonly limits: ParseLimits,
    private readonly tlsOpts: TlsOptions | undefined,
  ) {}

  static async listen(bind: HostPort, events: TransportEvents, opts: { tls?: TlsOptions; limits?: ParseLimits } = {}): Promise<StreamTransport> {
    const limits = opts.limits ?? DEFAULT_LIMITS;
    let self: StreamTransport | undefined;
    const onConn = (s: net.Socket): void => self?.adopt(s, { host: s.remoteAddress ?? '', port: s.remotePort ?? 0 });
    const server = opts.tls !== undefined ? tls.createServer({ key: opts.tls.key, cert: opts.tls.cert }, onConn) : net.createServer(onConn);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(bind.port, bind.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (e) => events.refused(`listener error: ${e.message}`, { protocol: opts.tls ? 'tls' : 'tcp', ...bind }));
    const addr = server.address() as net.AddressInfo;
    self = new StreamTransport(opts.tls ? 'tls' : 'tcp', server, { host: addr.address, port: addr.port }, events, limits, opts.tls);
    return self;
  }

  private adopt(s: net.Socket, remote: HostPort): void {
    const key = peerKey(remote);
    this.conns.set(key, s);
    const framer = new StreamFramer(this.limits);
    const from = { protocol: this.protocol, ...remote };
    s.setNoDelay(true);
    s.on('data', (chunk: Buffer) => {
      let msgs;
      try {
        msgs = framer.push(chunk);
      } catch (e) {
        this.events.refused(`${e instanceof Error ? e.message : String(e)}; connection closed`, from);
        s.destroy();
        return;
      }
      for (const m of msgs) this.events.message(m, from);
    });
    s.on('error', () => s.destroy());
    s.on('close', () => {
      if (this.conns.get(key) === s) this.conns.delete(key);
      if (!this.closing) this.events.closed?.(from);
    });
  }

  private connect(to: HostPort): Promise<net.Socket> {
    const key = peerKey(to);
    const existing = this.conns.get(key);
    if (existing !== undefined && !existing.destroyed) return Promise.resolve(existing);
    const inflight = this.pending.get(key);
    if (inflight !== undefined) return inflight;
    const p = new Promise<net.Socket>((resolve, reject) => {
      const t = this.tlsOpts;
      const s =
        t !== undefined
          ? tls.connect({ host: to.host, port: to.port, ca: t.ca, key: t.key, cert: t.cert, rejectUnauthorized: t.rejectUnauthorized ?? true, servername: t.servername ?? (net.isIP(to.host) ? undefined : to.host) })
          : net.connect({ host: to.host, port: to.port });
      const ready = t !== undefined ? 'secureConnect' : 'connect';
      s.once(ready, () => {
        s.off('error', reject);
        this.adopt(s, to);
        resolve(s);
      });
      s.once('error', reject);
    }).finally(() => this.pending.delete(key));
    this.pending.set(key, p);
    return p;
  }

  async send(data: Buffer, to: HostPort): Promise<void> {
    const s = await this.connect(to);
    await new Promise<void>((resolve, reject) => s.write(data, (e) => (e ? reject(e) : resolve())));
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const s of this.conns.values()) s.destroy();
    this.conns.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
