import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import { DEFAULT_LIMITS, parseDatagram, type ParseLimits } from './parser.ts';
import type { HostPort, Transport, TransportEvents } from './transport.ts';

/** UDP transport (RFC 3261 section 18.1.1 / 18.2.1): one datagram, one message. */
export class UdpTransport implements Transport {
  readonly protocol = 'udp' as const;
  readonly reliable = false;
  private constructor(
    private readonly socket: dgram.Socket,
    readonly local: HostPort,
  ) {}

  static async listen(bind: HostPort, events: TransportEvents, limits: ParseLimits = DEFAULT_LIMITS): Promise<UdpTransport> {
    const socket = dgram.createSocket({ type: isIPv6(bind.host) ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(bind.port, bind.host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.on('message', (buf, rinfo) => {
      const from = { protocol: 'udp' as const, host: rinfo.address, port: rinfo.port };
      // RFC 5626 section 4.4.1: a CRLF keep-alive carries no message.
      if (buf.length <= 4 && buf.toString('latin1').trim() === '') return;
      let msg;
      try {
        msg = parseDatagram(buf, limits);
      } catch (e) {
        events.refused(e instanceof Error ? e.message : String(e), from);
        return;
      }
      events.message(msg, from);
    });
    socket.on('error', (e) => events.refused(`socket error: ${e.message}`, { protocol: 'udp', host: bind.host, port: bind.port }));
    const addr = socket.address();
    return new UdpTransport(socket, { host: addr.address, port: addr.port });
  }

  send(data: Buffer, to: HostPort): Promise<void> {
    return new Promise((resolve, reject) => this.socket.send(data, to.port, to.host, (e) => (e ? reject(e) : resolve())));
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}
