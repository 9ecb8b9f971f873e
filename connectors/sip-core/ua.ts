import { randomBytes } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { HubError } from '../../core/errors.ts';
import type { Logger } from '../../core/util/logger.ts';
import { authorize, parseChallenge } from './digest.ts';
import { parseCSeq, parseNameAddr, parseSipUri } from './header-values.ts';
import { SipHeaders, type SipRequest, type SipResponse } from './message.ts';
import { DEFAULT_LIMITS, type ParseLimits } from './parser.ts';
import { DEFAULT_TIMERS, TransactionLayer, type RespondFn, type SipTimers } from './transaction.ts';
import { StreamTransport, type TlsOptions } from './transport-tcp.ts';
import { UdpTransport } from './transport-udp.ts';
import type { HostPort, Peer, Protocol, Transport, TransportEvents } from './transport.ts';

export interface Credentials {
  readonly username: string;
  readonly password: string;
  /** Only answer challenges of this realm, when set. */
  readonly realm?: string;
}

export interface UserAgentOptions {
  readonly host: string;
  readonly protocols: readonly Protocol[];
  readonly udpPort?: number;
  readonly tcpPort?: number;
  readonly tlsPort?: number;
  readonly tls?: TlsOptions;
  readonly timers?: SipTimers;
  readonly limits?: ParseLimits;
  readonly log: Logger;
  readonly userAgent?: string;
  /** The host written in Via and Contact when the bind address is not reachable as such (0.0.0.0, NAT). */
  readonly advertiseHost?: string;
}

export type RequestHandler = (req: SipRequest, peer: Peer, respond: RespondFn) => void;

export const randomToken = (bytes = 6): string => randomBytes(bytes).toString('hex');

/**
 * The user agent core: transports, transactions, Via/branch stamping, target resolution and
 * digest retries (RFC 3261 sections 8.1 and 22). Requests that nobody handles get 481/501.
 */
export class UserAgent {
  private handler: RequestHandler | undefined;
  private readonly closedHandlers: ((peer: Peer) => void)[] = [];
  private readonly tx: TransactionLayer;
  private constructor(
    private readonly transports: Map<Protocol, Transport>,
    private readonly opts: UserAgentOptions,
  ) {
    this.tx = new TransactionLayer({
      transports,
      timers: opts.timers ?? DEFAULT_TIMERS,
      onRequest: (req, peer, respond) => this.dispatch(req, peer, respond),
    });
  }

  static async create(opts: UserAgentOptions): Promise<UserAgent> {
    const transports = new Map<Protocol, Transport>();
    let ua: UserAgent | undefined;
    const events: TransportEvents = {
      message: (m, from) => ua?.tx.receive(m, from),
      // One clear line per refused message; the connector keeps running (docs/architecture.md invariant 6).
      refused: (reason, from) => opts.log.warn({ peer: `${from.protocol}:${from.host}:${from.port}`, reason }, 'SIP message refused'),
      closed: (peer) => {
        for (const h of ua?.closedHandlers ?? []) h(peer);
      },
    };
    const limits = opts.limits ?? DEFAULT_LIMITS;
    try {
      for (const p of opts.protocols) {
        if (p === 'udp') transports.set(p, await UdpTransport.listen({ host: opts.host, port: opts.udpPort ?? 0 }, events, limits));
        if (p === 'tcp') transports.set(p, await StreamTransport.listen({ host: opts.host, port: opts.tcpPort ?? 0 }, events, { limits }));
        if (p === 'tls') {
          if (opts.tls === undefined) throw new HubError('HUB_ERR_SIP_CONFIG', 'TLS transport requested without tls.key and tls.cert');
          transports.set(p, await StreamTransport.listen({ host: opts.host, port: opts.tlsPort ?? 0 }, events, { limits, tls: opts.tls }));
        }
      }
    } catch (e) {
      for (const t of transports.values()) await t.close();
      if (e instanceof HubError) throw e;
      throw new HubError('HUB_ERR_SIP_LISTEN', `cannot listen on ${opts.host}: ${e instanceof Error ? e.message : String(e)}`, { kind: 'transient', cause: e });
    }
    ua = new UserAgent(transports, opts);
    return ua;
  }

  onRequest(h: RequestHandler): void {
    this.handler = h;
  }

  /** Called when a TCP/TLS connection closes without the user agent closing it (the peer may have restarted). */
  onConnectionClosed(h: (peer: Peer) => void): void {
    this.closedHandlers.push(h);
  }

  local(p: Protocol): HostPort {
    const t = this.transports.get(p);
    if (t === undefined) throw new HubError('HUB_ERR_SIP_TRANSPORT', `no ${p.toUpperCase()} transport configured`);
    return t.local;
  }

  get protocols(): Protocol[] {
    return [...this.transports.keys()];
  }

  hostPort(p: Protocol): string {
    const l = this.local(p);
    const host = this.opts.advertiseHost ?? l.host;
    return `${isIPv6(host) ? `[${host}]` : host}:${l.port}`;
  }

  /** Our Contact for a protocol (RFC 3261 section 8.1.1.8). */
  contact(user: string, p: Protocol): string {
    const scheme = p === 'tls' ? 'sips' : 'sip';
    return `<${scheme}:${user}@${this.hostPort(p)}${p === 'udp' ? '' : `;transport=${p}`}>`;
  }

  private dispatch(req: SipRequest, peer: Peer, respond: RespondFn): void {
    if (req.method === 'INVITE') return respond(501, 'Not Implemented');
    if (this.handler === undefined) return respond(481, 'Call/Transaction Does Not Exist');
    try {
      this.handler(req, peer, respond);
    } catch (e) {
      this.opts.log.warn({ err: e instanceof Error ? e.message : String(e), method: req.method }, 'SIP request handler failed');
      respond(500, 'Server Internal Error');
    }
  }

  /**
   * Sends a request (non-INVITE) to `to` and resolves with the final response. A 401/407 is answered
   * once with credentials (new branch, CSeq + 1, section 22.2); the response's CSeq tells the caller
   * which sequence number was used.
   */
  async request(req: SipRequest, to: Peer, credentials?: Credentials): Promise<SipResponse> {
    let current = req;
    for (let attempt = 0; ; attempt++) {
      const sent = this.stamp(current, to.protocol);
      const res = await this.tx.send(sent, to);
      if ((res.status !== 401 && res.status !== 407) || credentials === undefined || attempt >= 1) return res;
      const header = res.status === 401 ? 'WWW-Authenticate' : 'Proxy-Authenticate';
      const challenge = res.headers.entries
        .filter(([n]) => n === header)
        .map(([, v]) => parseChallenge(v))
        .find((c) => c !== undefined && (credentials.realm === undefined || c.realm === credentials.realm));
      if (challenge === undefined) return res;
      const auth = authorize(challenge, credentials, req.method, req.uri);
      if (auth === undefined) return res;
      const h = current.headers.clone();
      h.delete('Via');
      const cseq = parseCSeq(h.get('CSeq')!)!;
      h.set('CSeq', `${cseq.seq + 1} ${cseq.method}`);
      h.set(res.status === 401 ? 'Authorization' : 'Proxy-Authorization', auth);
      current = { ...current, headers: h };
    }
  }

  /** Adds our Via with a fresh RFC 3261 branch (section 8.1.1.7), Max-Forwards and User-Agent. */
  private stamp(req: SipRequest, p: Protocol): SipRequest {
    const h = req.headers.clone();
    h.delete('Via');
    h.prepend('Via', `SIP/2.0/${p.toUpperCase()} ${this.hostPort(p)};branch=z9hG4bK${randomToken(8)};rport`);
    if (!h.has('Max-Forwards')) h.set('Max-Forwards', '70');
    if (!h.has('User-Agent')) h.set('User-Agent', this.opts.userAgent ?? 'presence-hub');
    return { ...req, headers: h };
  }

  async close(): Promise<void> {
    this.tx.close();
    for (const t of this.transports.values()) {
      try {
        await t.close();
      } catch {
        // keep closing the others
      }
    }
  }
}

/**
 * Where to send a request (RFC 3263 without DNS SRV/NAPTR: host, port and transport from the URI):
 * the outbound proxy if any, else the first Route, else the Request-URI.
 */
export function resolveTarget(uri: string, opts: { proxy?: string; route?: readonly string[]; defaultProtocol: Protocol }): Peer {
  const first = opts.proxy ?? (opts.route?.[0] !== undefined ? parseNameAddr(opts.route[0])?.uri : undefined) ?? uri;
  const u = parseSipUri(first);
  if (u === undefined) throw new HubError('HUB_ERR_SIP_CONFIG', `cannot route to ${JSON.stringify(first)}: not a sip: or sips: URI`);
  const tp = u.params.transport?.toLowerCase();
  const protocol: Protocol = u.scheme === 'sips' ? 'tls' : tp === 'tcp' ? 'tcp' : tp === 'tls' ? 'tls' : tp === 'udp' ? 'udp' : opts.defaultProtocol;
  const host = u.host.startsWith('[') ? u.host.slice(1, -1) : u.host;
  return { protocol, host, port: u.port ?? (protocol === 'tls' ? 5061 : 5060) };
}

export function newHeaders(entries: [string, string][]): SipHeaders {
  return new SipHeaders(entries);
}
