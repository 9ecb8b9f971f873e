/**
 * A loopback stand-in for a Domino server, speaking both APIs' JSON as HCL documents them (fixtures/
 * holds the published examples it was checked against):
 * - DRAPI (Domino-rest-api docs/assets/downloads/openapi.basis.json, openapi.pim.json v1.0.2):
 *   `POST /api/v1/auth` -> `{bearer, claims, leeway, expSeconds, issueDate}` (401 for a wrong
 *   password); `GET /api/pim-v1/calendar/{calid}?mailboxid=&startdate=&enddate=` -> a JSON array of
 *   JSEvent entries starting on those days (inclusive), `[]` when none; an unknown or expired bearer
 *   401; a mailbox the account has no ACL access to 403 `{message, status}`; an unknown one 404; a
 *   mailbox homed on another server a 302 to that server.
 * - DAS (OpenNTF das-api-specs freebusy.yaml): `GET /api/freebusy/busytime?name=&since=&before=`
 *   with Basic -> `{start, end, busyTimes}` (busyTimes left out when there is none); since/before
 *   must be UTC without milliseconds (else 400 "Unparseable date"); an unknown name 400;
 *   `GET /api/freebusy/directories` -> `{directories: [{displayName, links}]}`.
 * - DAS calendar events (das-api-specs calendar.yaml; the DAS calendar service's EventCollectionResource):
 *   `GET /{mailFile}/api/calendar/events?since=&before=&count=&start=` with Basic -> `{timezones?, events}`
 *   paged (`count` 1-100, default 50; `Content-Range: items <first>-<last>`), an empty page 200 with no
 *   body; a database the account is not in the ACL of 401; an unknown database 404.
 * It has its own notion of time only through the entries it is given; tokens expire when told
 * (`expireTokens()`) or after `expSeconds` on the `clock` it is given.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../../core/util/clock.ts';
import { dasEventToBlock, dasZones, drapiEntryToBlock, type DasEvent, type DasTimeZone, type DrapiEntry } from './map.ts';

export interface SimPerson {
  /** JSEvent entries as DRAPI returns them (start local in timeZone, duration, privacy, ...). */
  entries: DrapiEntry[];
  /**
   * The DAS calendar events of the mail database as DAS returns them; absent: made from `entries`
   * (UTC start and end, summary, class, transparency and status as DAS writes them).
   */
  dasEvents?: DasEvent[];
  /** The `timezones` DAS sends with the events (VTIMEZONEs of the tzids they use). */
  dasTimezones?: DasTimeZone[];
  /** The mail database path (default `mail/<local part of the first mail address>.nsf`). */
  mailFile?: string;
  /** false: the account is not in the mail database's ACL (DRAPI 403). */
  readable?: boolean;
  /** The mail database is on another server: DRAPI answers 302 to this origin. */
  homeServer?: string;
}

export interface SimRequest {
  readonly at: number;
  readonly method: string;
  readonly path: string;
  readonly status: number;
}

const DAS_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

export class DominoSimulator {
  readonly requests: SimRequest[] = [];
  private readonly people = new Map<string, SimPerson>();
  private readonly mailFiles = new Map<string, SimPerson>();
  private readonly tokens = new Map<string, number>();
  private server: Server | undefined;
  private failing = 0;
  private port = 0;

  constructor(private readonly o: { username: string; password: string; expSeconds?: number; clock?: Clock }) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** A person by email address or Notes name (both are accepted as mailboxid / name). */
  addPerson(names: string[], p: SimPerson): void {
    for (const n of names) this.people.set(n.toLowerCase(), p);
    const local = names.find((n) => n.includes('@'))?.split('@')[0];
    const file = p.mailFile ?? (local !== undefined ? `mail/${local}.nsf` : undefined);
    if (file !== undefined) this.mailFiles.set(file.toLowerCase(), p);
  }

  setEntries(name: string, entries: DrapiEntry[]): void {
    const p = this.people.get(name.toLowerCase());
    if (p === undefined) throw new Error(`no person ${name}`);
    p.entries = entries;
  }

  /** Every bearer issued so far is forgotten (the server restarted with a new key). */
  expireTokens(): void {
    this.tokens.clear();
  }

  /** The next n requests are answered 503. */
  failNext(n: number): void {
    this.failing = n;
  }

  async start(port = 0): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(port, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server === undefined ? r() : this.server.close(() => r())));
    this.server = undefined;
  }

  private now(): number {
    return this.o.clock?.now() ?? Date.now();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const u = new URL(req.url ?? '/', 'http://sim');
    const send = (status: number, body?: unknown, headers: Record<string, string> = {}): void => {
      this.requests.push({ at: Date.now(), method: req.method ?? '', path: u.pathname, status });
      if (body === undefined) {
        res.writeHead(status, headers).end();
        return;
      }
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
    };
    if (this.failing > 0) {
      this.failing--;
      return send(503, { message: 'Service Unavailable', status: 503 });
    }
    if (req.method === 'POST' && u.pathname === '/api/v1/auth') return this.auth(Buffer.concat(chunks).toString('utf8'), send);
    if (req.method === 'GET' && u.pathname.startsWith('/api/pim-v1/calendar/')) return this.calendar(req, u, send);
    if (req.method === 'GET' && u.pathname.startsWith('/api/freebusy/')) return this.freebusy(req, u, send);
    const events = /^\/(.+\.nsf)\/api\/calendar\/events$/i.exec(u.pathname);
    if (req.method === 'GET' && events !== null) return this.events(req, decodeURIComponent(events[1]!), u, send);
    send(404, { message: `no route ${u.pathname}`, status: 404 });
  }

  private auth(raw: string, send: (s: number, b?: unknown) => void): void {
    let body: { username?: unknown; password?: unknown } = {};
    try {
      body = JSON.parse(raw) as typeof body;
    } catch {
      return send(400, { message: 'Invalid JSON', status: 400 });
    }
    if (body.username !== this.o.username || body.password !== this.o.password) return send(401, { message: 'Invalid credentials', status: 401 });
    const bearer = `${randomUUID()}.${randomUUID()}`;
    const exp = this.o.expSeconds ?? 3600;
    const issued = Math.floor(this.now() / 1000);
    this.tokens.set(bearer, (issued + exp) * 1000);
    send(200, { bearer, claims: { sub: `CN=${this.o.username}/O=Corp`, scope: 'MAIL $DATA', iss: 'Domino', aud: 'Domino' }, leeway: 5, expSeconds: exp, issueDate: new Date(issued * 1000).toISOString() });
  }

  private calendar(req: IncomingMessage, u: URL, send: (s: number, b?: unknown, h?: Record<string, string>) => void): void {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const exp = token === undefined ? undefined : this.tokens.get(token);
    if (exp === undefined || this.now() >= exp) return send(401, { message: 'The system doesn\'t recognize you, please try with new credentials', status: 401 });
    const calid = u.pathname.slice('/api/pim-v1/calendar/'.length);
    const who = (u.searchParams.get('mailboxid') ?? this.o.username).toLowerCase();
    const p = this.people.get(who);
    if (p === undefined || calid !== 'default') return send(404, { message: `Mailbox ${who} not found`, status: 404 });
    if (p.homeServer !== undefined) return send(302, undefined, { location: `${p.homeServer}${u.pathname}${u.search}` });
    if (p.readable === false) return send(403, { message: 'You are not authorized to access this mailbox', status: 403 });
    const from = u.searchParams.get('startdate') ?? '0000-01-01';
    const to = u.searchParams.get('enddate') ?? '9999-12-31';
    const day = (e: DrapiEntry): string => (typeof e.start === 'string' ? e.start.slice(0, 10) : '');
    send(200, p.entries.filter((e) => day(e) >= from && day(e) <= to));
  }

  /**
   * DAS calendar events of one mail database (the DAS calendar service, EventCollectionResource):
   * Basic auth; `count` 1 to 100 (default 50) and `start` >= 0, else 400; events overlapping
   * [since, before) from index `start`, `Content-Range: items <first>-<last>`; a page with no event
   * is 200 with no body and no content type. The account not in the ACL: 401 (DAS does not say 403).
   */
  private events(req: IncomingMessage, file: string, u: URL, send: (s: number, b?: unknown, h?: Record<string, string>) => void): void {
    const bad = (message: string): void => send(400, { code: 400, text: 'Bad Request', message, type: 'text' });
    const basic = `Basic ${Buffer.from(`${this.o.username}:${this.o.password}`).toString('base64')}`;
    if (req.headers.authorization !== basic) return send(401, { code: 401, text: 'Unauthorized', message: 'Authorization required', type: 'text' });
    const p = this.mailFiles.get(file.toLowerCase());
    if (p === undefined) return send(404, { code: 404, text: 'Not Found', message: `Cannot open database ${file}`, type: 'text' });
    if (p.homeServer !== undefined) return send(302, undefined, { location: `${p.homeServer}${u.pathname}${u.search}` });
    if (p.readable === false) return send(401, { code: 401, text: 'Unauthorized', message: `You are not authorized to access ${file}`, type: 'text' });
    const since = u.searchParams.get('since');
    const before = u.searchParams.get('before');
    for (const d of [since, before]) if (d !== null && !DAS_DATE.test(d)) return bad(`Unparseable date: "${d}"`);
    const count = Number(u.searchParams.get('count') ?? 50);
    const first = Number(u.searchParams.get('start') ?? 0);
    if (!Number.isInteger(first) || first < 0) return bad(`Invalid start parameter: ${first}.  It must be greater than or equal to 0.`);
    if (!Number.isInteger(count) || count < 1 || count > 100) return bad(`Invalid count parameter: ${count}.  It must be greater than 0 and less than 101.`);
    const from = since === null ? this.now() : Date.parse(since);
    const to = before === null ? from + 365 * 86_400_000 : Date.parse(before);
    const zones = dasZones(p.dasTimezones);
    const all = (p.dasEvents ?? p.entries.flatMap((e, i) => fromEntry(e, i)))
      .map((e) => ({ e, b: dasEventToBlock(e, zones, 'UTC') }))
      .filter((x): x is { e: DasEvent; b: Exclude<typeof x.b, string> } => typeof x.b !== 'string' && x.b.until > from && x.b.from < to)
      .sort((a, b) => a.b.from - b.b.from);
    const page = all.slice(first, first + count).map((x) => x.e);
    if (page.length === 0) return send(200);
    const body: Record<string, unknown> = { ...(p.dasTimezones !== undefined ? { timezones: p.dasTimezones } : {}), events: page };
    send(200, body, { 'content-range': `items ${first}-${first + page.length - 1}` });
  }

  private freebusy(req: IncomingMessage, u: URL, send: (s: number, b?: unknown) => void): void {
    const basic = `Basic ${Buffer.from(`${this.o.username}:${this.o.password}`).toString('base64')}`;
    if (req.headers.authorization !== basic) return send(401, { code: 401, text: 'Unauthorized', message: 'Authorization required', type: 'text' });
    if (u.pathname === '/api/freebusy/directories') return send(200, { directories: [{ displayName: 'names.nsf', links: [{ rel: 'sites', href: '/api/freebusy/sites/names.nsf' }] }] });
    if (u.pathname !== '/api/freebusy/busytime') return send(404, { code: 404, text: 'Not Found', message: 'Not found', type: 'text' });
    const since = u.searchParams.get('since');
    const before = u.searchParams.get('before');
    for (const d of [since, before]) if (d !== null && !DAS_DATE.test(d)) return send(400, { code: 400, text: 'Bad Request', message: `Unparseable date: "${d}"`, type: 'text' });
    const name = (u.searchParams.get('name') ?? '').toLowerCase();
    const p = this.people.get(name);
    if (p === undefined) return send(400, { code: 400, text: 'Bad Request', message: `Cannot find a directory entry for ${name}`, type: 'text' });
    const start = since === null ? this.now() - 30 * 60_000 : Date.parse(since);
    const end = before === null ? start + 30 * 86_400_000 : Date.parse(before);
    const t = (ms: number) => ({ date: new Date(ms).toISOString().slice(0, 10), time: new Date(ms).toISOString().slice(11, 19), utc: true });
    // Free/busy is busy time only: free, cancelled entries are not in it; private ones are (no details here at all).
    const busy = p.entries.map((e) => drapiEntryToBlock(e, 'UTC')).filter((b) => typeof b !== 'string' && b.status === 'busy' && b.until > start && b.from < end) as { from: number; until: number }[];
    busy.sort((a, b) => a.from - b.from);
    const body: Record<string, unknown> = { start: t(start), end: t(end) };
    if (busy.length > 0) body.busyTimes = busy.map((b) => ({ start: t(b.from), end: t(b.until) }));
    send(200, body);
  }
}

/** A DRAPI entry as DAS writes the same calendar entry: UTC start and end, CLASS, TRANSP, STATUS. */
function fromEntry(e: DrapiEntry, i: number): DasEvent[] {
  const b = drapiEntryToBlock(e, 'UTC');
  if (typeof b === 'string') return [];
  const t = (ms: number) => ({ date: new Date(ms).toISOString().slice(0, 10), time: new Date(ms).toISOString().slice(11, 19), utc: true });
  return [
    {
      id: `SIM${String(i).padStart(28, '0')}-Lotus_Notes_Generated`,
      ...(typeof e.title === 'string' ? { summary: e.title } : {}),
      start: t(b.from),
      end: t(b.until),
      class: e.privacy === 'private' || e.privacy === 'secret' ? 'private' : 'public',
      transparency: e.freeBusyStatus === 'free' ? 'transparent' : 'opaque',
      ...(typeof e.status === 'string' ? { status: e.status } : {}),
    },
  ];
}
