import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DateTime } from 'luxon';
import { systemClock, type Clock } from '../../core/util/clock.ts';
import { resolveZone } from '../calendar-common/time-zone.ts';
import { SimDirectory } from './sim-directory.ts';
import { SimTokenIssuer } from './sim-jwks.ts';
import { SimPresenceStore } from './sim-presence.ts';
import { eventsResourceUser, MAX_EVENTS_LIFETIME, presenceResourceIds, SimSubscriptions } from './sim-subscriptions.ts';

/**
 * A loopback stand-in for Microsoft Graph and the Entra token endpoint, speaking the JSON shapes of
 * Microsoft's published examples (getPresencesByUserId, setPresence, getSchedule, subscriptions,
 * OAuth 2.0 token responses, users delta and group members in sim-directory.ts). Used by the tests
 * and the demo; never exposed beyond 127.0.0.1.
 */
export interface SimEvent {
  start: number;
  end: number;
  status: 'free' | 'tentative' | 'busy' | 'oof' | 'workingElsewhere';
  subject?: string;
  location?: string;
  isPrivate?: boolean;
}
/**
 * An upstream failure the simulator plays on Graph requests (not on the token endpoint), for the
 * fault-injection tests: `status` answers that HTTP status (5xx) with a Graph error body (and
 * Retry-After when given), `hang` accepts the request and never answers (the client's timeout must
 * fire), `drop` destroys the connection without an answer.
 */
export type GraphFault = { kind: 'status'; status: number; retryAfterSeconds?: number } | { kind: 'hang' } | { kind: 'drop' };
/**
 * How the simulator answers presence writes (setPresence, clearPresence, preferred presence) while
 * a write fault is on: `empty-json` applies the write and answers 200 with an empty body labelled
 * `content-type: application/json` (seen from Graph; a client parsing the body fails although the
 * write applied), `apply-then-hang` applies it and never answers (the client times out after the
 * write took effect), `status` answers that status with a Graph error body and applies nothing.
 */
export type GraphWriteFault = { kind: 'empty-json' } | { kind: 'apply-then-hang' } | { kind: 'status'; status: number };
/** A presence write the simulator received (setPresence, clearPresence, preferred presence). */
export interface SimPresenceWrite {
  at: number;
  user: string;
  action: string;
  availability?: string;
  activity?: string;
  status: number;
}
export interface SimApp {
  clientId: string;
  clientSecret: string;
}

const GRAPH_CHANGE_TRACKING_TENANT = '00000000-0000-0000-0000-00000000beef';
/** A dateTimeTimeZone: the wall time of `ms` in the Windows (or IANA) zone `timeZone`, seven fractional digits like Graph's. */
function wallTime(ms: number, timeZone: string): { dateTime: string; timeZone: string } {
  const zone = resolveZone({ name: timeZone });
  if (zone === undefined) throw new Error(`simulator: unknown time zone ${timeZone}`);
  return { dateTime: `${DateTime.fromMillis(ms, { zone }).toFormat("yyyy-MM-dd'T'HH:mm:ss.SSS")}0000`, timeZone };
}

export class GraphSimulator {
  readonly presence: SimPresenceStore;
  readonly subscriptions: SimSubscriptions;
  /** Directory users with change tracking (/users/delta) and groups with members (sim-directory.ts). */
  readonly directory: SimDirectory;
  readonly calendars = new Map<string, SimEvent[]>();
  /** getSchedule workingHours per user id; default Monday-Friday 08:00-17:00 UTC. */
  readonly workingHours = new Map<string, unknown>();
  /** Signs the validationTokens of rich notifications; its public key is served at jwksUrl(). */
  readonly tokenIssuer = new SimTokenIssuer();
  /** Per user id; `timeZone`: the zone the scheduled times were set in (and are answered in). */
  readonly automaticReplies = new Map<string, { status: string; start?: number; end?: number; timeZone?: string }>();
  /**
   * The zone getSchedule answers in whatever Prefer asks (undefined: the Prefer outlook.timezone
   * zone, else UTC), as Microsoft's published getSchedule example answers in Pacific Standard Time.
   */
  scheduleTimeZone: string | undefined;
  /** Every Graph request: time, method, path (for budget assertions). */
  readonly requests: { at: number; method: string; path: string; status: number; delegated: boolean }[] = [];
  readonly tenantId = GRAPH_CHANGE_TRACKING_TENANT;
  private readonly apps = new Map<string, SimApp>();
  private readonly tokens = new Map<string, { clientId: string; delegatedUser?: string; expiresAt: number }>();
  /** Access token lifetime (Entra: about an hour; expires_in 3599); Graph answers 401 to an expired token. */
  tokenLifetimeSeconds = 3599;
  private readonly refreshTokens = new Map<string, { clientId: string; user: string }>();
  private readonly tokenRefusals: { status: number; error: string; aadsts: number; description: string; retryAfter?: string }[] = [];
  private throttleLeft = 0;
  private throttleRetryAfter = 1;
  private readonly malformed: { match: string; body: string }[] = [];
  private readonly failures: { method: string; path: string; status: number }[] = [];
  private readonly heldAnswers: { method: string; path: string; handled: () => void; gate: Promise<void> }[] = [];
  private fault: { fault: GraphFault; left: number } | undefined;
  private writeFault: { fault: GraphWriteFault; left: number; until: number } | undefined;
  /** Requests held open by a `hang` fault; answered never, closed only by stop(). */
  private readonly hung = new Set<ServerResponse>();
  /** Every presence write received, in order (duplicate write-back counting). */
  readonly presenceWrites: SimPresenceWrite[] = [];
  private server: Server | undefined;
  /** Reject app-session pairs outside the documented four (setPresence). */
  strictSessionPairs = true;
  /**
   * Subscriptions per page of GET /subscriptions. Graph pages this list (subscription-list: "when a
   * request returns multiple pages of data, the response includes an @odata.nextLink") without
   * documenting the page size; 100 is its usual server-side default (paging, GET /users).
   */
  subscriptionPageSize = 100;
  /** Budget of getPresencesByUserId per app (1,500 per 30 s, cloudcommunications-getpresencesbyuserid). */
  presenceBudget = { limit: 1500, windowMs: 30_000 };
  url = '';

  constructor(private readonly clock: Clock = systemClock) {
    this.presence = new SimPresenceStore(clock);
    this.subscriptions = new SimSubscriptions(clock, this.tokenIssuer);
    this.directory = new SimDirectory(clock);
  }

  addApp(app: SimApp): void {
    this.apps.set(app.clientId, app);
  }
  /** A refresh token for a delegated service account (what an admin's consent flow would yield). */
  issueRefreshToken(clientId: string, user: string): string {
    const t = `sim-rt-${randomUUID()}`;
    this.refreshTokens.set(t, { clientId, user });
    return t;
  }
  /** The next `count` Graph requests answer 429 with Retry-After. */
  throttle(count: number, retryAfterSeconds = 1): void {
    this.throttleLeft = count;
    this.throttleRetryAfter = retryAfterSeconds;
  }
  /** The next `count` Graph requests (default: all until clearFault) fail as `fault` says. */
  injectFault(fault: GraphFault, count = Number.POSITIVE_INFINITY): void {
    this.fault = { fault, left: count };
  }
  /**
   * Presence writes answer as `fault` says: the next `count` of them, or all of them for `forMs`
   * (by the simulator's clock), or all until clearWriteFault.
   */
  injectWriteFault(fault: GraphWriteFault, opts: { count?: number; forMs?: number } = {}): void {
    this.writeFault = { fault, left: opts.count ?? Number.POSITIVE_INFINITY, until: opts.forMs === undefined ? Number.POSITIVE_INFINITY : this.clock.now() + opts.forMs };
  }
  clearWriteFault(): void {
    this.writeFault = undefined;
  }
  private takeWriteFault(now: number): GraphWriteFault | undefined {
    const f = this.writeFault;
    if (f === undefined) return undefined;
    if (now >= f.until || f.left <= 0) {
      this.writeFault = undefined;
      return undefined;
    }
    f.left -= 1;
    return f.fault;
  }
  /**
   * The next Graph request of `method` to exactly `path` fails with `status` and a Graph error body
   * (a transient failure of one given request, e.g. the subscription listing), whatever comes before it.
   */
  failNext(method: string, path: string, status: number): void {
    this.failures.push({ method, path, status });
  }
  /**
   * The next Graph request of `method` to exactly `path` is handled as usual (a subscription is
   * created, renewed or deleted at once) but its answer is held back until `release()`: a request
   * still on the wire while the test does something else (a stop). `answered` resolves once the
   * request was handled and its answer is held.
   */
  holdNextAnswer(method: string, path: string): { answered: Promise<void>; release: () => void } {
    let handled!: () => void;
    let release!: () => void;
    const answered = new Promise<void>((r) => (handled = r));
    const gate = new Promise<void>((r) => (release = r));
    this.heldAnswers.push({ method, path, handled, gate });
    return { answered, release };
  }
  /** Graph requests are answered normally again (requests already hung stay hung). */
  clearFault(): void {
    this.fault = undefined;
  }
  /** The next request whose path contains `match` answers 200 with `body` verbatim. */
  malformNext(match: string, body: string): void {
    this.malformed.push({ match, body });
  }

  /** Recomputes every aggregate (timeouts, expiry) and notifies subscribers of what changed. */
  async tick(): Promise<void> {
    const ids = this.presence.changed();
    if (ids.length === 0) return;
    const snaps = ids.map((id) => this.presence.snapshot(this.presence.users.get(id)!));
    await this.subscriptions.deliverPresence(snaps, this.tenantId);
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }
  /** The simulator's JWKS (Microsoft's: https://login.microsoftonline.com/common/discovery/v2.0/keys). */
  jwksUrl(): string {
    return `${this.url}/common/discovery/v2.0/keys`;
  }
  /** Replaces a user's calendar and notifies event subscriptions of what was created and deleted. */
  async setCalendar(userId: string, events: SimEvent[]): Promise<void> {
    const key = (e: SimEvent): string => createHash('sha256').update(JSON.stringify(e)).digest('base64url').slice(0, 24);
    const before = new Set((this.calendars.get(userId) ?? []).map(key));
    const after = new Set(events.map(key));
    this.calendars.set(userId, events);
    const changes = [...[...after].filter((k) => !before.has(k)).map((eventId) => ({ eventId, changeType: 'created' as const })), ...[...before].filter((k) => !after.has(k)).map((eventId) => ({ eventId, changeType: 'deleted' as const }))];
    await this.subscriptions.deliverEvents(userId, changes, this.tenantId);
  }
  tokenEndpoint(): string {
    return `${this.url}/${this.tenantId}/oauth2/v2.0/token`;
  }
  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s === undefined) return;
    for (const r of this.hung) r.destroy();
    this.hung.clear();
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://sim');
    const send = (status: number, body?: unknown, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    const graphError = (status: number, code: string, message: string): void => send(status, { error: { code, message, innerError: { 'request-id': randomUUID(), date: new Date(this.clock.now()).toISOString() } } });
    try {
      if (req.method === 'POST' && url.pathname.endsWith('/oauth2/v2.0/token')) return this.token(new URLSearchParams(raw), send);
      if (req.method === 'GET' && url.pathname === '/common/discovery/v2.0/keys') return send(200, this.tokenIssuer.jwks());
      if (!url.pathname.startsWith('/v1.0/')) return graphError(404, 'BadRequest', 'unknown version');
      const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
      const caller = auth === null ? undefined : this.tokens.get(auth[1]!);
      const path = url.pathname.slice('/v1.0'.length);
      const rec = { at: this.clock.now(), method: req.method ?? 'GET', path, status: 0, delegated: caller?.delegatedUser !== undefined };
      this.requests.push(rec);
      const held = this.heldAnswers.findIndex((x) => x.method === rec.method && x.path === path);
      const hold = held >= 0 ? this.heldAnswers.splice(held, 1)[0] : undefined;
      const reply = (status: number, body?: unknown, headers?: Record<string, string>): void => {
        rec.status = status;
        if (hold === undefined) return send(status, body, headers);
        hold.handled();
        void hold.gate.then(() => {
          if (!res.destroyed) send(status, body, headers);
        });
      };
      if (caller === undefined) return ((rec.status = 401), graphError(401, 'InvalidAuthenticationToken', 'Access token is empty or invalid.'));
      if (caller.expiresAt <= this.clock.now()) return ((rec.status = 401), graphError(401, 'InvalidAuthenticationToken', 'Lifetime validation failed, the token is expired.'));
      const f = this.fault;
      if (f !== undefined && f.left > 0) {
        if (--f.left <= 0) this.fault = undefined;
        if (f.fault.kind === 'hang') {
          rec.status = -1;
          this.hung.add(res);
          return;
        }
        if (f.fault.kind === 'drop') {
          rec.status = -2;
          return void req.socket.destroy();
        }
        const { status, retryAfterSeconds } = f.fault;
        return reply(status, { error: { code: status === 503 ? 'ServiceUnavailable' : 'InternalServerError', message: 'simulated upstream failure' } }, retryAfterSeconds !== undefined ? { 'Retry-After': String(retryAfterSeconds) } : {});
      }
      const failing = this.failures.findIndex((x) => x.method === rec.method && x.path === path);
      if (failing >= 0) {
        const { status } = this.failures.splice(failing, 1)[0]!;
        return reply(status, { error: { code: status === 503 ? 'ServiceUnavailable' : 'InternalServerError', message: 'simulated upstream failure' } });
      }
      if (this.throttleLeft > 0) {
        this.throttleLeft--;
        return reply(429, { error: { code: 'TooManyRequests', message: 'Too many requests' } }, { 'Retry-After': String(this.throttleRetryAfter) });
      }
      const bad = this.malformed.findIndex((m) => path.includes(m.match));
      if (bad >= 0) {
        const body = this.malformed.splice(bad, 1)[0]!.body;
        rec.status = 200;
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(body);
      }
      if (req.method === 'GET') {
        const dir = path === '/users/delta' || path === '/users/microsoft.graph.delta' ? this.directory.delta(url.searchParams, this.url, typeof req.headers.prefer === 'string' ? req.headers.prefer : undefined) : this.directory.group(path, url.searchParams, this.url);
        if (dir !== undefined) return reply(dir.status, dir.body, dir.headers);
      }
      const body: any = raw === '' ? undefined : JSON.parse(raw);
      const wire = {
        hold: () => {
          rec.status = -1;
          this.hung.add(res);
        },
        emptyJson: () => {
          rec.status = 200;
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end();
        },
      };
      return await this.graph(req.method ?? 'GET', path, body, caller, reply, wire, typeof req.headers.prefer === 'string' ? req.headers.prefer : undefined, url.searchParams);
    } catch {
      if (!res.headersSent) graphError(400, 'BadRequest', 'Unable to read JSON request payload.');
    }
  }

  /** The next `count` token requests are refused as the token endpoint does (e.g. 400 interaction_required, AADSTS50076). */
  refuseTokens(r: { status: number; error: string; aadsts: number; description: string; retryAfter?: string }, count = 1): void {
    this.tokenRefusals.push(...Array.from({ length: count }, () => r));
  }

  /** An error of the token endpoint in its documented shape (fixtures/token-error.response.json). */
  private tokenError(send: (s: number, b?: unknown, h?: Record<string, string>) => void, status: number, error: string, aadsts: number, description: string, headers: Record<string, string> = {}): void {
    const at = new Date(this.clock.now()).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
    const trace = randomUUID();
    const correlation = randomUUID();
    send(status, { error, error_description: `AADSTS${aadsts}: ${description}\r\nTrace ID: ${trace}\r\nCorrelation ID: ${correlation}\r\nTimestamp: ${at}`, error_codes: [aadsts], timestamp: at, trace_id: trace, correlation_id: correlation }, headers);
  }

  private token(form: URLSearchParams, send: (s: number, b?: unknown, h?: Record<string, string>) => void): void {
    const clientId = form.get('client_id') ?? '';
    const app = this.apps.get(clientId);
    const grant = form.get('grant_type');
    const refusal = this.tokenRefusals.shift();
    if (refusal !== undefined) return this.tokenError(send, refusal.status, refusal.error, refusal.aadsts, refusal.description, refusal.retryAfter !== undefined ? { 'Retry-After': refusal.retryAfter } : {});
    if (app === undefined) return this.tokenError(send, 400, 'unauthorized_client', 700016, `Application with identifier '${clientId}' was not found in the directory.`);
    if (grant === 'client_credentials') {
      if (form.get('client_secret') !== app.clientSecret) return this.tokenError(send, 401, 'invalid_client', 7000215, 'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.');
      const t = `sim-at-${randomUUID()}`;
      this.tokens.set(t, { clientId, expiresAt: this.clock.now() + this.tokenLifetimeSeconds * 1000 });
      return send(200, { token_type: 'Bearer', expires_in: this.tokenLifetimeSeconds, ext_expires_in: this.tokenLifetimeSeconds, access_token: t });
    }
    if (grant === 'refresh_token') {
      const rt = this.refreshTokens.get(form.get('refresh_token') ?? '');
      if (rt === undefined || rt.clientId !== clientId) return this.tokenError(send, 400, 'invalid_grant', 70000, 'The provided grant has expired or was revoked.');
      this.refreshTokens.delete(form.get('refresh_token')!);
      const t = `sim-at-${randomUUID()}`;
      this.tokens.set(t, { clientId, delegatedUser: rt.user, expiresAt: this.clock.now() + this.tokenLifetimeSeconds * 1000 });
      return send(200, { token_type: 'Bearer', scope: form.get('scope') ?? '', expires_in: this.tokenLifetimeSeconds, access_token: t, refresh_token: this.issueRefreshToken(clientId, rt.user) });
    }
    return this.tokenError(send, 400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.');
  }

  private async graph(
    method: string,
    path: string,
    body: any,
    caller: { clientId: string; delegatedUser?: string },
    reply: (s: number, b?: unknown, h?: Record<string, string>) => void,
    wire: { hold: () => void; emptyJson: () => void },
    prefer?: string,
    query: URLSearchParams = new URLSearchParams(),
  ): Promise<void> {
    const err = (s: number, code: string, message: string): void => reply(s, { error: { code, message } });
    const now = this.clock.now();
    let m: RegExpExecArray | null;
    if (method === 'POST' && path === '/communications/getPresencesByUserId') {
      const recent = this.requests.filter((r) => r.path === path && r.at > now - this.presenceBudget.windowMs && r.status !== 429).length;
      if (recent > this.presenceBudget.limit) return reply(429, { error: { code: 'TooManyRequests', message: 'budget exceeded' } }, { 'Retry-After': '5' });
      const ids: unknown = body?.ids;
      if (!Array.isArray(ids) || ids.length === 0) return err(400, 'BadRequest', 'ids is required');
      if (ids.length > 650) return err(400, 'BadRequest', 'Maximum of 650 user IDs are supported per request.');
      const value = ids.map((id) => {
        const u = this.presence.users.get(String(id));
        return u === undefined ? { id: String(id), availability: 'PresenceUnknown', activity: 'PresenceUnknown' } : this.presence.snapshot(u);
      });
      return reply(200, { value });
    }
    if ((m = /^\/(?:users\/([^/]+)\/presence|communications\/presences\/([^/]+))$/.exec(path)) !== null && method === 'GET') {
      const u = this.presence.users.get(decodeURIComponent(m[1] ?? m[2]!));
      return u === undefined ? err(404, 'NotFound', 'user not found') : reply(200, { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#communications/presences/$entity', ...this.presence.snapshot(u), outOfOfficeSettings: { message: null, isOutOfOffice: u.oof } });
    }
    if ((m = /^\/users\/([^/]+)\/presence\/(setPresence|clearPresence|setUserPreferredPresence|clearUserPreferredPresence)$/.exec(path)) !== null && method === 'POST') {
      const u = this.presence.find(decodeURIComponent(m[1]!));
      if (u === undefined) return err(404, 'NotFound', 'user not found');
      const action = m[2]!;
      const wf = this.takeWriteFault(now);
      if (wf?.kind === 'status') return reply(wf.status, { error: { code: wf.status >= 500 ? 'InternalServerError' : 'BadRequest', message: 'simulated write failure' } });
      if (action === 'setPresence' || action === 'clearPresence') {
        if (body?.sessionId !== caller.clientId) return err(400, 'BadRequest', 'sessionId must be the application id');
        if (action === 'clearPresence') {
          if (!u.sessions.delete(caller.clientId)) return err(404, 'NotFound', 'presence session not found');
        } else {
          const pair = `${body.availability}/${body.activity}`;
          const allowed = ['Available/Available', 'Busy/InACall', 'Busy/InAConferenceCall', 'Away/Away'];
          if (!this.strictSessionPairs) allowed.push('DoNotDisturb/Presenting', 'DoNotDisturb/DoNotDisturb', 'Busy/Busy');
          if (!allowed.includes(pair)) return err(400, 'BadRequest', `unsupported availability/activity ${pair}`);
          const dur = /^PT(?:(\d+)H)?(?:(\d+)M)?$/.exec(String(body.expirationDuration ?? 'PT5M'));
          const ms = dur === null ? NaN : (Number(dur[1] ?? 0) * 60 + Number(dur[2] ?? 0)) * 60_000;
          if (!(ms >= 5 * 60_000 && ms <= 240 * 60_000)) return err(400, 'BadRequest', 'expirationDuration must be PT5M..PT4H');
          u.sessions.set(caller.clientId, { availability: body.availability, activity: body.activity, setAt: now, expiresAt: now + ms, fades: true });
        }
      } else if (action === 'setUserPreferredPresence') {
        const dur = /^PT(?:(\d+)H)?(?:(\d+)M)?$/.exec(String(body?.expirationDuration ?? 'PT24H'));
        const ms = dur === null ? 86_400_000 : (Number(dur[1] ?? 0) * 60 + Number(dur[2] ?? 0)) * 60_000;
        u.preferred = { availability: String(body?.availability), activity: String(body?.activity), expiresAt: now + ms };
      } else u.preferred = undefined;
      this.presenceWrites.push({ at: now, user: u.id, action, ...(typeof body?.availability === 'string' ? { availability: body.availability, activity: String(body.activity) } : {}), status: 200 });
      void this.tick();
      if (wf?.kind === 'apply-then-hang') return wire.hold();
      if (wf?.kind === 'empty-json') return wire.emptyJson();
      return reply(200);
    }
    if ((m = /^\/users\/([^/]+)\/calendar\/getSchedule$/.exec(path)) !== null && method === 'POST') return this.schedule(body, reply, err, prefer);
    if ((m = /^\/users\/([^/]+)\/mailboxSettings\/automaticRepliesSetting$/.exec(path)) !== null && method === 'GET') {
      const u = this.presence.find(decodeURIComponent(m[1]!));
      if (u === undefined) return err(404, 'ErrorItemNotFound', 'mailbox not found');
      const a = this.automaticReplies.get(u.id) ?? { status: 'disabled' };
      const dt = (ms: number | undefined) => (ms === undefined ? undefined : wallTime(ms, a.timeZone ?? 'UTC'));
      return reply(200, { '@odata.context': `https://graph.microsoft.com/v1.0/$metadata#users('${u.id}')/mailboxSettings/automaticRepliesSetting`, status: a.status, externalAudience: 'all', scheduledStartDateTime: dt(a.start), scheduledEndDateTime: dt(a.end), internalReplyMessage: '', externalReplyMessage: '' });
    }
    if (path === '/subscriptions' && method === 'POST') return this.subscribe(body, caller, reply, err);
    // subscription-list: with a delegated token, the subscriptions this app made for the signed-in user; app-only, the app's.
    // Paged server-side (the list answers @odata.nextLink when there is more; it takes no $top), `subscriptionPageSize` a page.
    if (path === '/subscriptions' && method === 'GET') {
      const mine = [...this.subscriptions.subs.values()].filter((s) => s.appId === caller.clientId && s.owner === (caller.delegatedUser ?? caller.clientId) && s.expirationDateTime > now);
      const skip = query.has('$skiptoken') ? Number(Buffer.from(query.get('$skiptoken')!, 'base64url').toString('utf8')) : 0;
      if (!Number.isInteger(skip) || skip < 0) return err(400, 'BadRequest', 'Invalid $skiptoken.');
      const page = mine.slice(skip, skip + this.subscriptionPageSize);
      const more = skip + this.subscriptionPageSize < mine.length;
      return reply(200, {
        '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#subscriptions',
        ...(more ? { '@odata.nextLink': `${this.url}/v1.0/subscriptions?$skiptoken=${Buffer.from(String(skip + this.subscriptionPageSize)).toString('base64url')}` } : {}),
        value: page.map((s) => this.subJson(s)),
      });
    }
    if ((m = /^\/subscriptions\/([^/]+)(\/reauthorize)?$/.exec(path)) !== null) {
      const sub = this.subscriptions.subs.get(m[1]!);
      if (sub === undefined) return err(404, 'ResourceNotFound', 'subscription not found');
      if (method === 'DELETE') return this.subscriptions.subs.delete(sub.id), reply(204);
      if (method === 'POST' && m[2] !== undefined) return reply(200);
      if (method === 'PATCH') {
        const exp = this.subscriptions.lifetime(Date.parse(String(body?.expirationDateTime)), sub.kind === 'events' ? MAX_EVENTS_LIFETIME : undefined);
        if (exp === 'too-long' || Number.isNaN(exp)) return err(400, 'InvalidRequest', 'expirationDateTime out of range');
        sub.expirationDateTime = exp;
        return reply(200, this.subJson(sub));
      }
    }
    return err(404, 'BadRequest', `Resource not found for the segment '${path.split('/')[1] ?? ''}'.`);
  }

  private subJson(s: { id: string; resource: string; changeType: string; notificationUrl: string; expirationDateTime: number; clientState?: string; lifecycleNotificationUrl?: string }): unknown {
    return { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#subscriptions/$entity', id: s.id, resource: s.resource, changeType: s.changeType, notificationUrl: s.notificationUrl, lifecycleNotificationUrl: s.lifecycleNotificationUrl ?? null, expirationDateTime: new Date(s.expirationDateTime).toISOString(), clientState: s.clientState ?? null, latestSupportedTlsVersion: 'v1_2' };
  }

  private async subscribe(body: any, caller: { clientId: string; delegatedUser?: string }, reply: (s: number, b?: unknown) => void, err: (s: number, c: string, m: string) => void): Promise<void> {
    const eventsUser = eventsResourceUser(String(body?.resource ?? ''));
    if (eventsUser !== undefined) return this.subscribeEvents(eventsUser, body, caller, reply, err);
    const ids = presenceResourceIds(String(body?.resource ?? ''));
    if (ids === undefined) return err(400, 'InvalidRequest', 'unsupported resource');
    if (ids.length > 650) return err(400, 'InvalidRequest', 'at most 650 ids per presence subscription');
    // Presence subscriptions: delegated Presence.Read.All only (changenotifications-for-presence).
    if (caller.delegatedUser === undefined) return err(403, 'ExtensionError', 'Operation: Create; Exception: [Status Code: Forbidden; Reason: application permissions are not supported]');
    if (typeof body.clientState === 'string' && body.clientState.length > 128) return err(400, 'InvalidRequest', 'clientState too long');
    if (body.includeResourceData === true && typeof body.encryptionCertificate !== 'string') return err(400, 'InvalidRequest', 'encryptionCertificate is required with includeResourceData');
    const exp = this.subscriptions.lifetime(Date.parse(String(body.expirationDateTime)));
    if (exp === 'too-long' || Number.isNaN(exp)) return err(400, 'InvalidRequest', 'Subscription expiration can only be 60 minutes in the future.');
    for (const s of this.subscriptions.subs.values()) {
      if (s.kind !== 'events' && s.owner === caller.delegatedUser && s.appId === caller.clientId && s.expirationDateTime > this.clock.now()) return err(409, 'Conflict', 'A user can create one presence subscription per application.');
    }
    const id = randomUUID();
    if (!(await this.subscriptions.validate(String(body.notificationUrl), id))) return err(400, 'ValidationError', 'Subscription validation request failed. Response must exactly match validationToken query parameter.');
    if (typeof body.lifecycleNotificationUrl === 'string' && !(await this.subscriptions.validate(body.lifecycleNotificationUrl, id))) return err(400, 'ValidationError', 'Subscription validation request failed for lifecycleNotificationUrl.');
    const sub = { id, kind: 'presence' as const, resource: String(body.resource), ids, changeType: String(body.changeType ?? 'updated'), notificationUrl: String(body.notificationUrl), expirationDateTime: exp, includeResourceData: body.includeResourceData === true, owner: caller.delegatedUser, appId: caller.clientId, ...(typeof body.lifecycleNotificationUrl === 'string' ? { lifecycleNotificationUrl: body.lifecycleNotificationUrl } : {}), ...(typeof body.clientState === 'string' ? { clientState: body.clientState } : {}), ...(typeof body.encryptionCertificate === 'string' ? { encryptionCertificate: body.encryptionCertificate } : {}), ...(typeof body.encryptionCertificateId === 'string' ? { encryptionCertificateId: body.encryptionCertificateId } : {}) };
    this.subscriptions.subs.set(id, sub);
    return reply(201, this.subJson(sub));
  }

  /** Outlook events: application permissions (Calendars.Read) are fine; basic notifications only here. */
  private async subscribeEvents(user: string, body: any, caller: { clientId: string; delegatedUser?: string }, reply: (s: number, b?: unknown) => void, err: (s: number, c: string, m: string) => void): Promise<void> {
    const u = this.presence.find(user);
    if (u === undefined) return err(404, 'ResourceNotFound', 'mailbox not found');
    if (typeof body.clientState === 'string' && body.clientState.length > 128) return err(400, 'InvalidRequest', 'clientState too long');
    if (body.includeResourceData === true) return err(400, 'InvalidRequest', 'includeResourceData is not simulated for events');
    const exp = this.subscriptions.lifetime(Date.parse(String(body.expirationDateTime)), MAX_EVENTS_LIFETIME);
    if (exp === 'too-long' || Number.isNaN(exp)) return err(400, 'InvalidRequest', 'Subscription expiration can only be 10080 minutes in the future.');
    const id = randomUUID();
    if (!(await this.subscriptions.validate(String(body.notificationUrl), id))) return err(400, 'ValidationError', 'Subscription validation request failed. Response must exactly match validationToken query parameter.');
    if (typeof body.lifecycleNotificationUrl === 'string' && !(await this.subscriptions.validate(body.lifecycleNotificationUrl, id))) return err(400, 'ValidationError', 'Subscription validation request failed for lifecycleNotificationUrl.');
    const sub = { id, kind: 'events' as const, resource: String(body.resource), ids: [u.id], changeType: String(body.changeType ?? 'created,updated,deleted'), notificationUrl: String(body.notificationUrl), expirationDateTime: exp, includeResourceData: false, owner: caller.delegatedUser ?? caller.clientId, appId: caller.clientId, ...(typeof body.lifecycleNotificationUrl === 'string' ? { lifecycleNotificationUrl: body.lifecycleNotificationUrl } : {}), ...(typeof body.clientState === 'string' ? { clientState: body.clientState } : {}) };
    this.subscriptions.subs.set(id, sub);
    return reply(201, this.subJson(sub));
  }

  private schedule(body: any, reply: (s: number, b?: unknown) => void, err: (s: number, c: string, m: string) => void, prefer?: string): void {
    const answerZone = this.scheduleTimeZone ?? /outlook\.timezone="([^"]+)"/i.exec(prefer ?? '')?.[1] ?? 'UTC';
    const schedules: unknown = body?.schedules;
    if (!Array.isArray(schedules)) return err(400, 'ErrorInvalidRequest', 'schedules is required');
    if (schedules.length > 100) return err(400, 'ErrorMailboxDataArrayTooBig', `The data array has exceeded the allowed size = 100`);
    const utc = (d: any): number => Date.parse(String(d?.dateTime ?? '').replace(/Z?$/, 'Z'));
    const start = utc(body.startTime);
    const end = utc(body.endTime);
    const interval = Number(body.availabilityViewInterval ?? 30) * 60_000;
    if (!(end > start)) return err(400, 'ErrorInvalidTimeInterval', 'endTime must be after startTime');
    if (end - start > 62 * 86_400_000) return err(400, 'ErrorTimeIntervalTooBig', 'The time interval exceeds the allowed limit = 62 days');
    const digit = { free: 0, tentative: 1, busy: 2, oof: 3, workingElsewhere: 4 } as const;
    const value = schedules.map((addr) => {
      const u = this.presence.find(String(addr));
      if (u === undefined) return { scheduleId: String(addr), availabilityView: '', scheduleItems: [], error: { message: 'The specified recipient does not exist.', responseCode: 'ErrorMailRecipientNotFound' } };
      const events = (this.calendars.get(u.id) ?? []).filter((e) => e.end > start && e.start < end);
      let view = '';
      for (let t = start; t < end; t += interval) view += String(Math.max(0, ...events.filter((e) => e.end > t && e.start < t + interval).map((e) => digit[e.status])));
      const dt = (ms: number) => wallTime(ms, answerZone);
      return {
        scheduleId: String(addr),
        availabilityView: view,
        scheduleItems: events.map((e) => (e.isPrivate ? { isPrivate: true, status: e.status, start: dt(e.start), end: dt(e.end) } : { isPrivate: false, status: e.status, subject: e.subject, location: e.location, start: dt(e.start), end: dt(e.end) })),
        workingHours: this.workingHours.get(u.id) ?? { daysOfWeek: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'], startTime: '08:00:00.0000000', endTime: '17:00:00.0000000', timeZone: { name: 'UTC' } },
      };
    });
    return reply(200, { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#Collection(microsoft.graph.scheduleInformation)', value });
  }
}
