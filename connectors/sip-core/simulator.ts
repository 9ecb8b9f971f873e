import type { Logger } from '../../core/util/logger.ts';
import { newNonce, verifyAuthorization } from './digest.ts';
import { addressOfRecord, parseNameAddr, parseValueParams } from './header-values.ts';
import { SipHeaders, type SipRequest } from './message.ts';
import type { RespondFn } from './transaction.ts';
import type { Peer, Protocol } from './transport.ts';
import type { TlsOptions } from './transport-tcp.ts';
import { randomToken, resolveTarget, UserAgent } from './ua.ts';

/**
 * A small SIP presence server for tests and the demo, speaking the same wire format as Kamailio's
 * presence modules: PUBLISH (RFC 3903) stores event state per presentity, SUBSCRIBE (RFC 6665)
 * for `presence` and `dialog` answers 200 and NOTIFYs the current state, and every change is
 * NOTIFYed to the watchers. Test controls: terminate, forget subscriptions, restart CSeq counters.
 */
interface Pub {
  readonly aor: string;
  readonly event: string;
  body: string;
  expiresAt: number;
}

interface Sub {
  readonly callId: string;
  readonly aor: string;
  readonly event: string;
  readonly localTag: string;
  readonly remoteTag: string;
  readonly remoteUri: string;
  readonly contact: string;
  readonly protocol: Protocol;
  cseq: number;
  version: number;
  expiresAt: number;
}

export interface SimServerOptions {
  readonly log: Logger;
  readonly protocols?: readonly Protocol[];
  readonly auth?: { realm: string; users: Record<string, string> };
  readonly maxExpires?: number;
  /** Key and certificate for the TLS listener (when protocols include tls). */
  readonly tls?: TlsOptions;
  /** Fixed ports (default: free ones), so that a test can restart the server where it was. */
  readonly udpPort?: number;
  readonly tcpPort?: number;
}

export class SimPresenceServer {
  readonly pubs = new Map<string, Pub>();
  readonly subs = new Map<string, Sub>();
  readonly received: SipRequest[] = [];
  /** When each request arrived and whether it was answered 503 by throttleNext (throttling checks). */
  readonly requests: { at: number; method: string; throttled: boolean }[] = [];
  private readonly nonces = new Set<string>();
  private throttle = { left: 0, retryAfterS: 1 };
  private faults: { method: string; left: number; answer: number | 'drop' }[] = [];
  private constructor(
    readonly ua: UserAgent,
    private readonly o: SimServerOptions,
  ) {
    ua.onRequest((req, peer, respond) => this.handle(req, peer, respond));
  }

  static async start(o: SimServerOptions): Promise<SimPresenceServer> {
    const ua = await UserAgent.create({
      host: '127.0.0.1',
      protocols: o.protocols ?? ['udp', 'tcp'],
      log: o.log,
      userAgent: 'presence-hub-simulator',
      ...(o.tls !== undefined ? { tls: o.tls } : {}),
      ...(o.udpPort !== undefined ? { udpPort: o.udpPort } : {}),
      ...(o.tcpPort !== undefined ? { tcpPort: o.tcpPort } : {}),
    });
    return new SimPresenceServer(ua, o);
  }

  uri(p: Protocol = 'udp'): string {
    return `sip:${this.ua.hostPort(p)}${p === 'udp' ? '' : `;transport=${p}`}`;
  }

  private authorized(req: SipRequest, respond: RespondFn): boolean {
    const a = this.o.auth;
    if (a === undefined) return true;
    const ok = verifyAuthorization(req.headers.get('Authorization'), { method: req.method, realm: a.realm, nonces: this.nonces, passwords: new Map(Object.entries(a.users)) });
    if (ok) return true;
    const nonce = newNonce();
    this.nonces.add(nonce);
    respond(401, 'Unauthorized', { headers: [['WWW-Authenticate', `Digest realm="${a.realm}", nonce="${nonce}", qop="auth", algorithm=MD5`]], toTag: randomToken() });
    return false;
  }

  /** Test control: the next `count` SUBSCRIBE or PUBLISH requests are answered 503 with Retry-After (RFC 3261 section 21.5.4). */
  throttleNext(count: number, retryAfterS: number): void {
    this.throttle = { left: count, retryAfterS };
  }

  /** Test control: the next `count` requests of `method` are answered `answer` (a final status), or never answered ('drop'). */
  faultNext(method: 'PUBLISH' | 'SUBSCRIBE', count: number, answer: number | 'drop'): void {
    this.faults.push({ method, left: count, answer });
  }

  private handle(req: SipRequest, peer: Peer, respond: RespondFn): void {
    this.received.push(req);
    const fault = this.faults.find((f) => f.method === req.method && f.left > 0);
    if (fault !== undefined) {
      fault.left--;
      this.requests.push({ at: Date.now(), method: req.method, throttled: false });
      if (fault.answer !== 'drop') respond(fault.answer, fault.answer >= 500 ? 'Server Internal Error' : 'Refused');
      return;
    }
    const throttled = this.throttle.left > 0 && (req.method === 'SUBSCRIBE' || req.method === 'PUBLISH');
    this.requests.push({ at: Date.now(), method: req.method, throttled });
    if (throttled) {
      this.throttle.left--;
      return respond(503, 'Service Unavailable', { headers: [['Retry-After', String(this.throttle.retryAfterS)]] });
    }
    if (req.method === 'PUBLISH') return this.onPublish(req, respond);
    if (req.method === 'SUBSCRIBE') return this.onSubscribe(req, peer, respond);
    respond(405, 'Method Not Allowed', { headers: [['Allow', 'PUBLISH, SUBSCRIBE']] });
  }

  private onPublish(req: SipRequest, respond: RespondFn): void {
    if (!this.authorized(req, respond)) return;
    const event = parseValueParams(req.headers.get('Event') ?? '').value;
    if (event !== 'presence' && event !== 'dialog') return respond(489, 'Bad Event', { headers: [['Allow-Events', 'presence, dialog']] });
    const aor = addressOfRecord(req.uri);
    const expires = Math.min(Number(req.headers.get('Expires') ?? 3600), this.o.maxExpires ?? 3600);
    const ifMatch = req.headers.get('SIP-If-Match');
    let pub: Pub | undefined;
    if (ifMatch !== undefined) {
      pub = this.pubs.get(ifMatch);
      if (pub === undefined || pub.aor !== aor) return respond(412, 'Conditional Request Failed');
      this.pubs.delete(ifMatch);
      if (expires === 0) {
        respond(200, 'OK', { headers: [['SIP-ETag', ifMatch], ['Expires', '0']] });
        return this.changed(aor, pub.event);
      }
      if (req.body.length > 0) pub.body = req.body.toString('utf8');
    } else {
      if (req.body.length === 0) return respond(400, 'Bad Request: initial PUBLISH without a body');
      pub = { aor, event, body: req.body.toString('utf8'), expiresAt: 0 };
    }
    pub.expiresAt = Date.now() + expires * 1000;
    const etag = randomToken(8);
    this.pubs.set(etag, pub);
    respond(200, 'OK', { headers: [['SIP-ETag', etag], ['Expires', String(expires)]], toTag: randomToken() });
    if (req.body.length > 0) this.changed(aor, pub.event);
  }

  /** The current document for a presentity: the publications' contents merged into one root. */
  document(aor: string, event: string): string | undefined {
    const now = Date.now();
    const bodies = [...this.pubs.values()].filter((p) => p.aor === aor && p.event === event && p.expiresAt > now).map((p) => p.body);
    if (bodies.length === 0) return undefined;
    if (bodies.length === 1 || event === 'dialog') return bodies[bodies.length - 1];
    const first = bodies[0]!;
    const open = /<presence\b[^>]*>/.exec(first);
    if (open === null) return first;
    const inner = bodies.map((b) => b.replace(/^[\s\S]*?<presence\b[^>]*>/, '').replace(/<\/presence>\s*$/, ''));
    return `${first.slice(0, open.index)}${open[0]}${inner.join('\n')}</presence>`;
  }

  private onSubscribe(req: SipRequest, peer: Peer, respond: RespondFn): void {
    if (!this.authorized(req, respond)) return;
    const event = parseValueParams(req.headers.get('Event') ?? '').value;
    if (event !== 'presence' && event !== 'dialog') return respond(489, 'Bad Event', { headers: [['Allow-Events', 'presence, dialog']] });
    const expires = Math.min(Number(req.headers.get('Expires') ?? 3600), this.o.maxExpires ?? 3600);
    const to = parseNameAddr(req.headers.get('To') ?? '');
    const from = parseNameAddr(req.headers.get('From') ?? '');
    const callId = req.headers.get('Call-ID') ?? '';
    let sub = this.subs.get(callId);
    if (to?.params.tag !== undefined && (sub === undefined || sub.localTag !== to.params.tag)) return respond(481, 'Subscription Does Not Exist');
    if (sub === undefined) {
      const contact = parseNameAddr(req.headers.getAll('Contact')[0] ?? '');
      sub = { callId, aor: addressOfRecord(req.uri), event, localTag: randomToken(), remoteTag: from?.params.tag ?? '', remoteUri: from?.uri ?? '', contact: contact?.uri ?? '', protocol: peer.protocol, cseq: 0, version: 0, expiresAt: 0 };
      this.subs.set(callId, sub);
    }
    sub.expiresAt = Date.now() + expires * 1000;
    respond(200, 'OK', { toTag: sub.localTag, headers: [['Expires', String(expires)], ['Contact', `<${this.uri(peer.protocol)}>`]] });
    if (expires === 0) {
      this.subs.delete(callId);
      void this.notify(sub, 'terminated;reason=timeout');
      return;
    }
    void this.notify(sub, `active;expires=${expires}`);
  }

  private changed(aor: string, event: string): void {
    for (const s of this.subs.values()) if (s.aor === aor && s.event === event) void this.notify(s, `active;expires=${Math.max(1, Math.round((s.expiresAt - Date.now()) / 1000))}`);
  }

  async notify(s: Sub, state: string): Promise<number | undefined> {
    const h = new SipHeaders();
    h.add('From', `<${s.aor}>;tag=${s.localTag}`);
    h.add('To', `<${s.remoteUri}>;tag=${s.remoteTag}`);
    h.add('Call-ID', s.callId);
    h.add('CSeq', `${++s.cseq} NOTIFY`);
    h.add('Contact', `<${this.uri(s.protocol)}>`);
    h.add('Event', s.event);
    h.add('Subscription-State', state);
    let body = this.document(s.aor, s.event) ?? '';
    if (s.event === 'dialog') {
      // RFC 4235 section 4.1: version counts per subscription, from 0.
      body = body === '' ? `<?xml version="1.0"?>\n<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="${s.version}" state="full" entity="${s.aor}"/>` : body.replace(/version="\d+"/, `version="${s.version}"`);
      s.version++;
    }
    if (body !== '') h.add('Content-Type', s.event === 'dialog' ? 'application/dialog-info+xml' : 'application/pidf+xml');
    const req: SipRequest = { kind: 'request', method: 'NOTIFY', uri: s.contact, headers: h, body: Buffer.from(body) };
    try {
      const res = await this.ua.request(req, resolveTarget(s.contact, { defaultProtocol: s.protocol }));
      if (res.status === 481) this.subs.delete(s.callId);
      return res.status;
    } catch {
      return undefined;
    }
  }

  /** Test control: ends every subscription to `aor` with a terminated NOTIFY. */
  async terminate(aor: string, reason: string, retryAfter?: number): Promise<void> {
    for (const s of [...this.subs.values()]) {
      if (s.aor !== aor) continue;
      this.subs.delete(s.callId);
      await this.notify(s, `terminated;reason=${reason}${retryAfter !== undefined ? `;retry-after=${retryAfter}` : ''}`);
    }
  }

  /** Test control: a restart that kept the subscriptions but lost the NOTIFY counters. */
  restartCounters(): void {
    for (const s of this.subs.values()) {
      s.cseq = 0;
      s.version = 0;
    }
  }

  /** Test control: the next dialog NOTIFY of each subscription to `aor` skips `n` versions (as if NOTIFYs were lost). */
  skipVersions(aor: string, n: number): void {
    for (const s of this.subs.values()) if (s.aor === aor && s.event === 'dialog') s.version += n;
  }

  /** Test control: publish state directly, as a phone or the PBX would. */
  setState(aor: string, event: 'presence' | 'dialog', body: string | undefined): void {
    this.pubs.delete(`direct-${event}-${aor}`);
    if (body !== undefined) this.pubs.set(`direct-${event}-${aor}`, { aor, event, body, expiresAt: Date.now() + 3_600_000 });
    this.changed(aor, event);
  }

  subscribersOf(aor: string, event: string): number {
    return [...this.subs.values()].filter((s) => s.aor === aor && s.event === event).length;
  }

  async close(): Promise<void> {
    await this.ua.close();
  }
}
