import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { DateTime, FixedOffsetZone, type Zone } from 'luxon';
import { resolveZone } from '../calendar-common/time-zone.ts';
import { attr, child, children, parseXml, text, type XmlNode } from '../sip-core/xml.ts';
import { availabilityResponse, fault, oofError, oofResponse, streamingFrame, subscribeError, subscribeResponse, unsubscribeResponse, workingHoursXml, type FreeBusyXml } from './sim-xml.ts';

/**
 * A loopback stand-in for Exchange Web Services (POST /EWS/Exchange.asmx, SOAP 1.1), built from
 * Microsoft's EWS reference, not from this connector's client: GetUserAvailability (at most
 * `maxMailboxes` per request, ErrorMailboxDataArrayTooBig beyond; per-mailbox
 * ErrorMailRecipientNotFound; times as wall time in the request's TimeZoneContext), GetUserOofSettings,
 * Subscribe (streaming, calendar folder) and GetStreamingEvents (a chunked answer of whole
 * `<Envelope>` frames, ConnectionStatus OK/Closed, ConnectionTimeout in minutes), Unsubscribe;
 * ErrorServerBusy as an HTTP 500 SOAP fault with BackOffMilliseconds; 401 for bad credentials;
 * ExchangeImpersonation checked (ErrorNonExistentMailbox, ErrorImpersonateUserDenied); app-only
 * tokens must impersonate (ErrorInvalidExchangeImpersonationHeaderData). A client-credentials token
 * endpoint issues JWT-shaped tokens.
 * Mailboxes live on mailbox servers (`placeMailbox`, default one server). A request reaches the
 * server its X-BackEndOverrideCookie names, else the server of its X-AnchorMailbox, else that of
 * the impersonated mailbox; a subscription lives on the server its Subscribe reached, and a
 * GetStreamingEvents that reaches another server does not find it (ErrorSubscriptionNotFound).
 * A Subscribe with X-PreferServerAffinity: true is answered with the X-BackEndOverrideCookie
 * (how-to-maintain-affinity-between-group-of-subscriptions-and-mailbox-server).
 */
export interface SimEvent {
  readonly start: number;
  readonly end: number;
  readonly busyType: 'Free' | 'Tentative' | 'Busy' | 'OOF' | 'WorkingElsewhere' | 'NoData';
  readonly subject?: string;
  readonly location?: string;
  readonly isPrivate?: boolean;
}
export type SimAnswer = { readonly http: 503; readonly retryAfter?: string } | { readonly http: 200; readonly code: string; readonly message: string; readonly values?: Record<string, string> };
export interface SimOof {
  readonly state: 'Disabled' | 'Enabled' | 'Scheduled';
  readonly start?: number;
  readonly end?: number;
}
interface Mailbox {
  events: SimEvent[];
  oof: SimOof;
  workingHours?: { bias: number; periods: { days: string; start: number; end: number }[] };
}
interface Stream {
  readonly res: ServerResponse;
  readonly ids: string[];
  readonly timer: NodeJS.Timeout;
}
export interface SimRequest {
  readonly at: number;
  readonly op: string;
  readonly mailboxes: readonly string[];
  readonly impersonated?: string;
  readonly status: number;
  /** The X-AnchorMailbox, X-PreferServerAffinity and affinity cookie the request carried. */
  readonly anchor?: string;
  readonly preferAffinity?: boolean;
  readonly cookie?: string;
}

const FAR = Date.UTC(2099, 0, 1);

export class EwsSimulator {
  readonly requests: SimRequest[] = [];
  readonly tenantId = 'sim-tenant';
  private readonly mailboxes = new Map<string, Mailbox>();
  /** subscription id -> mailbox address. */
  private readonly subscriptions = new Map<string, string>();
  /** subscription id -> the mailbox server it lives on. */
  private readonly subscriptionServer = new Map<string, string>();
  /** mailbox address -> its mailbox server (absent: MBX01). */
  private readonly servers = new Map<string, string>();
  /** Headers of the request being handled (recorded with it). */
  private routing: { server: string; anchor?: string; preferAffinity?: boolean; cookie?: string } = { server: 'MBX01' };
  private readonly streams = new Set<Stream>();
  private readonly tokens = new Set<string>();
  private readonly denied = new Set<string>();
  private busy: { ms: number; left: number } | undefined;
  private readonly answers: { op: string; answer: SimAnswer }[] = [];
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private port = 0;

  constructor(
    readonly o: {
      basic?: { username: string; password: string };
      oauth?: { clientId: string; clientSecret: string };
      maxMailboxes?: number;
      /** FreeBusy details for events: 'limited' (subject and location; none for private items) or 'none'. */
      details?: 'limited' | 'none';
      /** How long a streaming "minute" lasts here (tests shorten ConnectionTimeout). */
      minuteMs?: number;
    } = {},
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/EWS/Exchange.asmx`;
  }
  get tokenEndpoint(): string {
    return `http://127.0.0.1:${this.port}/${this.tenantId}/oauth2/v2.0/token`;
  }

  addMailbox(address: string, m: { events?: SimEvent[]; oof?: SimOof; workingHours?: Mailbox['workingHours'] } = {}): void {
    this.mailboxes.set(address.toLowerCase(), { events: m.events ?? [], oof: m.oof ?? { state: 'Disabled' }, ...(m.workingHours !== undefined ? { workingHours: m.workingHours } : {}) });
  }
  /** Replaces a mailbox's calendar; streaming subscribers of it get a ModifiedEvent. */
  setEvents(address: string, events: SimEvent[]): void {
    const mbx = this.mailbox(address);
    mbx.events = events;
    this.notify(address.toLowerCase(), 'ModifiedEvent');
  }
  setOof(address: string, oof: SimOof): void {
    this.mailbox(address).oof = oof;
  }
  /** The mailbox lives on `server` (a database on another mailbox server). */
  placeMailbox(address: string, server: string): void {
    this.servers.set(address.toLowerCase(), server);
  }
  private serverOf(address: string | undefined): string {
    return (address === undefined ? undefined : this.servers.get(address.toLowerCase())) ?? 'MBX01';
  }
  /** Every access token issued so far is refused from now on (expired early, revoked): 401 with WWW-Authenticate error="invalid_token". */
  invalidateTokens(): void {
    this.tokens.clear();
  }
  /** The service account may not impersonate this mailbox. */
  denyImpersonation(address: string): void {
    this.denied.add(address.toLowerCase());
  }
  /**
   * The next request of `op` (`Subscribe`, `GetUserOofSettingsRequest`, or any operation for a 503)
   * is answered as ews-throttling-in-exchange table 4 describes: HTTP 503 (IIS queuing, optional
   * Retry-After), or HTTP 200 with a ResponseClass="Error" response message (Subscribe,
   * GetUserOofSettings, and every FreeBusyResponse of GetUserAvailability), e.g. ErrorServerBusy
   * with BackOffMilliseconds.
   */
  answerNext(op: string, answer: SimAnswer): void {
    this.answers.push({ op, answer });
  }
  /** The next `count` requests are answered ErrorServerBusy with BackOffMilliseconds = ms. */
  throttleNext(ms: number, count = 1): void {
    this.busy = { ms, left: count };
  }
  /** The server forgets every subscription (a mailbox server failover): open streams get ErrorSubscriptionNotFound and end. */
  expireSubscriptions(): void {
    for (const s of [...this.streams]) this.endStream(s, streamingFrame({ error: { code: 'ErrorSubscriptionNotFound', message: 'The specified subscription was not found.', subscriptionIds: s.ids } }));
    this.subscriptions.clear();
  }
  /** Open streaming connections and the subscriptions on each. */
  openStreams(): string[][] {
    return [...this.streams].map((s) => [...s.ids]);
  }
  subscribedMailboxes(): string[] {
    return [...this.subscriptions.values()];
  }

  /** Listens on 127.0.0.1:`port` (0: a free port, see `url`). */
  async start(port = 0): Promise<void> {
    this.port = port;
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    for (const s of [...this.streams]) this.endStream(s);
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server !== undefined) await new Promise<void>((r) => server.close(() => r()));
  }

  private mailbox(address: string): Mailbox {
    const m = this.mailboxes.get(address.toLowerCase());
    if (m === undefined) throw new Error(`simulator: no mailbox ${address}`);
    return m;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    this.routing = { server: 'MBX01' };
    const path = (req.url ?? '').split('?')[0]!;
    if (req.method === 'POST' && path === `/${this.tenantId}/oauth2/v2.0/token`) return this.token(body, res);
    if (req.method !== 'POST' || path.toLowerCase() !== '/ews/exchange.asmx') return void res.writeHead(404).end();
    const auth = req.headers.authorization ?? '';
    const basicOk = this.o.basic !== undefined && auth === `Basic ${Buffer.from(`${this.o.basic.username}:${this.o.basic.password}`).toString('base64')}`;
    const bearer = auth.startsWith('Bearer ') && this.tokens.has(auth.slice(7));
    let doc: XmlNode;
    try {
      doc = parseXml(body, 4_000_000);
    } catch {
      return this.reply(res, 400, 'Unknown', [], undefined, '');
    }
    const env = child(doc, 'Envelope');
    const header = child(env, 'Header');
    const op = Object.keys(child(env, 'Body') ?? {}).find((k) => !k.startsWith('@_') && !k.startsWith('#')) ?? 'Unknown';
    const reqNode = child(child(env, 'Body'), op);
    const impersonated = text(child(child(child(header, 'ExchangeImpersonation'), 'ConnectingSID'), 'SmtpAddress'))?.toLowerCase();
    const h = (n: string): string | undefined => {
      const v = req.headers[n];
      return Array.isArray(v) ? v[0] : v;
    };
    const cookie = /(?:^|;\s*)X-BackEndOverrideCookie=([^;]+)/i.exec(h('cookie') ?? '')?.[1];
    const anchor = h('x-anchormailbox')?.toLowerCase();
    const preferAffinity = h('x-preferserveraffinity')?.toLowerCase() === 'true';
    this.routing = {
      server: cookie?.split('~')[0] ?? this.serverOf(anchor ?? impersonated),
      ...(anchor !== undefined ? { anchor } : {}),
      ...(preferAffinity ? { preferAffinity } : {}),
      ...(cookie !== undefined ? { cookie } : {}),
    };
    if (!basicOk && !bearer) {
      res.setHeader('www-authenticate', this.o.oauth !== undefined ? 'Bearer error="invalid_token"' : 'Basic realm="mail.corp.example"');
      return this.reply(res, 401, op, [], impersonated, '');
    }
    const planned = this.answers.findIndex((a) => a.op === op);
    if (planned >= 0) {
      const { answer } = this.answers.splice(planned, 1)[0]!;
      if (answer.http === 503) {
        this.requests.push({ at: Date.now(), op: `${op} (503)`, mailboxes: [], ...(impersonated !== undefined ? { impersonated } : {}), status: 503, ...this.headersSeen() });
        return void res.writeHead(503, answer.retryAfter !== undefined ? { 'retry-after': answer.retryAfter } : {}).end();
      }
      const each = () => ({ error: { code: answer.code, message: answer.message, values: answer.values } });
      const asked = children(child(reqNode, 'MailboxDataArray'), 'MailboxData');
      const xml = op === 'Subscribe' ? subscribeError(answer.code, answer.message, answer.values) : op === 'GetUserAvailabilityRequest' ? availabilityResponse(asked.map(each)) : oofError(answer.code, answer.message, answer.values);
      return this.reply(res, 200, `${op} (${answer.code})`, [], impersonated, xml);
    }
    if (this.busy !== undefined && this.busy.left > 0) {
      this.busy.left--;
      const ms = this.busy.ms;
      if (this.busy.left === 0) this.busy = undefined;
      return this.reply(res, 500, op, [], impersonated, fault('ErrorServerBusy', 'The server cannot service this request right now. Try again later.', { BackOffMilliseconds: String(ms) }), true);
    }
    if (bearer && impersonated === undefined) return this.reply(res, 500, op, [], impersonated, fault('ErrorInvalidExchangeImpersonationHeaderData', 'ExchangeImpersonation SOAP header must be present for this type of OAuth token.'));
    if (impersonated !== undefined) {
      if (!this.mailboxes.has(impersonated)) return this.reply(res, 500, op, [], impersonated, fault('ErrorNonExistentMailbox', `The SMTP address has no mailbox associated with it.`));
      if (this.denied.has(impersonated)) return this.reply(res, 500, op, [], impersonated, fault('ErrorImpersonateUserDenied', 'The account does not have permission to impersonate the requested user.'));
    }
    const zone = requestZone(header);
    switch (op) {
      case 'GetUserAvailabilityRequest':
        return this.availability(reqNode, zone, res, impersonated);
      case 'GetUserOofSettingsRequest': {
        const address = text(child(child(reqNode, 'Mailbox'), 'Address'))?.toLowerCase() ?? '';
        const m = this.mailboxes.get(address);
        if (m === undefined) return this.reply(res, 500, op, [address], impersonated, fault('ErrorNonExistentMailbox', 'The SMTP address has no mailbox associated with it.'));
        const utc = (ms: number | undefined) => DateTime.fromMillis(ms ?? FAR, { zone: 'utc' }).toFormat("yyyy-MM-dd'T'HH:mm:ss'Z'");
        return this.reply(res, 200, op, [address], impersonated, oofResponse({ state: m.oof.state, start: utc(m.oof.start ?? Date.UTC(2026, 0, 1)), end: utc(m.oof.end) }));
      }
      case 'Subscribe': {
        const folder = attr(child(child(child(reqNode, 'StreamingSubscriptionRequest'), 'FolderIds'), 'DistinguishedFolderId'), 'Id');
        if (impersonated === undefined || folder !== 'calendar') return this.reply(res, 500, op, [], impersonated, fault('ErrorInvalidRequest', 'The request is invalid.'));
        const id = randomUUID();
        this.subscriptions.set(id, impersonated);
        this.subscriptionServer.set(id, this.routing.server);
        if (this.routing.preferAffinity === true) res.setHeader('set-cookie', `X-BackEndOverrideCookie=${this.routing.server}~${Buffer.from(this.routing.anchor ?? impersonated).toString('hex')}; path=/; secure; HttpOnly`);
        return this.reply(res, 200, op, [impersonated], impersonated, subscribeResponse(id));
      }
      case 'Unsubscribe':
        this.subscriptions.delete(text(child(reqNode, 'SubscriptionId')) ?? '');
        return this.reply(res, 200, op, [], impersonated, unsubscribeResponse());
      case 'GetStreamingEvents':
        return this.stream(reqNode, res, impersonated);
      default:
        return this.reply(res, 500, op, [], impersonated, fault('ErrorInvalidRequest', `The request is invalid: ${op}.`));
    }
  }

  private availability(reqNode: XmlNode | undefined, zone: Zone, res: ServerResponse, impersonated: string | undefined): void {
    const op = 'GetUserAvailabilityRequest';
    const addresses = children(child(reqNode, 'MailboxDataArray'), 'MailboxData').map((d) => text(child(child(d, 'Email'), 'Address'))?.toLowerCase() ?? '');
    if (addresses.length > (this.o.maxMailboxes ?? 100)) return this.reply(res, 500, op, addresses, impersonated, fault('ErrorMailboxDataArrayTooBig', `The MailboxData array exceeds the maximum of ${this.o.maxMailboxes ?? 100} entries.`));
    const opts = child(reqNode, 'FreeBusyViewOptions');
    const win = child(opts, 'TimeWindow');
    const from = DateTime.fromISO(text(child(win, 'StartTime')) ?? '', { zone }).toMillis();
    const until = DateTime.fromISO(text(child(win, 'EndTime')) ?? '', { zone }).toMillis();
    if (!Number.isFinite(from) || !Number.isFinite(until) || until <= from) return this.reply(res, 500, op, addresses, impersonated, fault('ErrorInvalidTimeInterval', 'EndTime must be greater than StartTime.'));
    if (until - from > 42 * 86_400_000) return this.reply(res, 500, op, addresses, impersonated, fault('ErrorTimeIntervalTooBig', 'The time interval exceeds 42 days.'));
    const view = text(child(opts, 'RequestedView')) ?? 'Detailed';
    const interval = Number(text(child(opts, 'MergedFreeBusyIntervalInMinutes')) ?? '30');
    const local = (ms: number) => DateTime.fromMillis(ms, { zone }).toFormat("yyyy-MM-dd'T'HH:mm:ss");
    const items: FreeBusyXml[] = addresses.map((a) => {
      const m = this.mailboxes.get(a);
      if (m === undefined) return { error: { code: 'ErrorMailRecipientNotFound', message: 'Unable to resolve e-mail address <>SMTP:' + a + ' to an Active Directory object.' } };
      const events = m.events.filter((e) => e.end > from && e.start < until && e.busyType !== 'Free');
      const merged = view.includes('Merged') ? mergedString(events, from, until, interval) : undefined;
      return {
        view: view.includes('Merged') ? 'FreeBusyMerged' : 'Detailed',
        merged,
        events: events.map((e, i) => ({
          start: local(e.start),
          end: local(e.end),
          busyType: e.busyType,
          details: this.o.details === 'none' ? undefined : { id: `AAMkAD${i}`, subject: e.isPrivate === true ? undefined : e.subject, location: e.isPrivate === true ? undefined : e.location, isPrivate: e.isPrivate === true },
        })),
        workingHours: m.workingHours !== undefined ? workingHoursXml(m.workingHours) : undefined,
      };
    });
    return this.reply(res, 200, op, addresses, impersonated, availabilityResponse(items));
  }

  private stream(reqNode: XmlNode | undefined, res: ServerResponse, impersonated: string | undefined): void {
    const ids = children(child(reqNode, 'SubscriptionIds'), 'SubscriptionId').map((n) => text(n) ?? '');
    const minutes = Math.min(30, Math.max(1, Number(text(child(reqNode, 'ConnectionTimeout')) ?? '30')));
    this.requests.push({ at: Date.now(), op: 'GetStreamingEvents', mailboxes: ids.map((i) => this.subscriptions.get(i) ?? '?'), ...(impersonated !== undefined ? { impersonated } : {}), status: 200, ...this.headersSeen() });
    res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8', 'transfer-encoding': 'chunked' });
    // A subscription on another mailbox server is not found here (no affinity).
    const unknown = ids.filter((i) => !this.subscriptions.has(i) || this.subscriptionServer.get(i) !== this.routing.server);
    if (unknown.length > 0) {
      res.end(streamingFrame({ error: { code: 'ErrorSubscriptionNotFound', message: 'The specified subscription was not found.', subscriptionIds: unknown } }));
      return;
    }
    // A newer connection for a subscription ends the older one (ErrorNewEventStreamConnectionOpened).
    for (const s of [...this.streams]) if (s.ids.some((i) => ids.includes(i))) this.endStream(s, streamingFrame({ error: { code: 'ErrorNewEventStreamConnectionOpened', message: 'A newer connection was opened for this subscription.', subscriptionIds: s.ids.filter((i) => ids.includes(i)) } }));
    const timer = setTimeout(() => this.endStream(stream, streamingFrame({ status: 'Closed' })), minutes * (this.o.minuteMs ?? 60_000));
    timer.unref?.();
    const stream: Stream = { res, ids, timer };
    this.streams.add(stream);
    res.on('close', () => {
      clearTimeout(timer);
      this.streams.delete(stream);
    });
    res.write(streamingFrame({ status: 'OK' }));
  }

  private notify(address: string, kind: 'CreatedEvent' | 'ModifiedEvent' | 'DeletedEvent'): void {
    const timeStamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    for (const s of this.streams) {
      const notifications = s.ids.filter((i) => this.subscriptions.get(i) === address).map((subscriptionId) => ({ subscriptionId, kind, itemId: `AAMkAD${randomUUID().slice(0, 8)}`, timeStamp }));
      if (notifications.length > 0) s.res.write(streamingFrame({ notifications }));
    }
  }

  private endStream(s: Stream, last?: string): void {
    clearTimeout(s.timer);
    this.streams.delete(s);
    if (last !== undefined) s.res.end(last);
    else s.res.destroy();
  }

  private headersSeen(): Pick<SimRequest, 'anchor' | 'preferAffinity' | 'cookie'> {
    const { anchor, preferAffinity, cookie } = this.routing;
    return { ...(anchor !== undefined ? { anchor } : {}), ...(preferAffinity !== undefined ? { preferAffinity } : {}), ...(cookie !== undefined ? { cookie } : {}) };
  }

  private token(body: string, res: ServerResponse): void {
    const f = new URLSearchParams(body);
    const ok = this.o.oauth !== undefined && f.get('grant_type') === 'client_credentials' && f.get('client_id') === this.o.oauth.clientId && f.get('client_secret') === this.o.oauth.clientSecret;
    this.requests.push({ at: Date.now(), op: 'token', mailboxes: [], status: ok ? 200 : 401 });
    res.setHeader('content-type', 'application/json');
    if (!ok) return void res.writeHead(401).end(JSON.stringify({ error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.' }));
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const token = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({ aud: 'https://outlook.office365.com', roles: ['full_access_as_app'], jti: randomUUID() })}.${Buffer.from(randomUUID()).toString('base64url')}`;
    this.tokens.add(token);
    res.writeHead(200).end(JSON.stringify({ token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: token }));
  }

  private reply(res: ServerResponse, status: number, op: string, mailboxes: readonly string[], impersonated: string | undefined, body: string, throttled = false): void {
    this.requests.push({ at: Date.now(), op: throttled ? `${op} (ErrorServerBusy)` : op, mailboxes, ...(impersonated !== undefined ? { impersonated } : {}), status, ...this.headersSeen() });
    res.writeHead(status, { 'content-type': 'text/xml; charset=utf-8' }).end(body);
  }
}

/** The zone of the request: TimeZoneContext (Exchange 2010 and later); UTC when absent or unknown. */
function requestZone(header: XmlNode | undefined): Zone {
  const id = attr(child(child(header, 'TimeZoneContext'), 'TimeZoneDefinition'), 'Id');
  return (id !== undefined ? resolveZone({ name: id }) : undefined) ?? FixedOffsetZone.utcInstance;
}

/** MergedFreeBusy: one digit per interval from the window start (0 free, 1 tentative, 2 busy, 3 OOF, 4 working elsewhere), the strongest event wins. */
function mergedString(events: readonly SimEvent[], from: number, until: number, minutes: number): string {
  const rank: Record<string, number> = { Free: 0, Tentative: 1, Busy: 2, OOF: 3, WorkingElsewhere: 4, NoData: 5 };
  const order = [0, 4, 1, 2, 3];
  let out = '';
  for (let t = from; t < until; t += minutes * 60_000) {
    let best = 0;
    for (const e of events) if (e.start < t + minutes * 60_000 && e.end > t && order.indexOf(rank[e.busyType] ?? 0) > order.indexOf(best)) best = rank[e.busyType] ?? 0;
    out += String(best);
  }
  return out;
}
