/**
 * The only code that speaks to Domino (README "What it reads"):
 * - DRAPI: `POST /api/v1/auth {username, password}` answers `{bearer, expSeconds, ...}`; the bearer
 *   is renewed `tokenRefreshMargin` before it expires (injected clock) and, should the server forget
 *   it first (restart, new signing key), once on a 401, the request then sent again: no gap.
 *   `GET /api/pim-v1/calendar/default?mailboxid=&startdate=&enddate=` reads one person's calendar.
 * - DAS: `GET /api/freebusy/busytime?name=&since=&before=` with HTTP Basic, or (`das.read: events`)
 *   `GET /{mailFile}/api/calendar/events?since=&before=&count=&start=` page by page.
 * Per-person answers (DRAPI 403/404, DAS 400 "not found", a 302 to
 * the person's home server) are `HUB_ERR_DOMINO_PERSON`; the server down, 5xx or a timeout are
 * `HUB_ERR_DOMINO_UNREACHABLE`; the account refused is `HUB_ERR_DOMINO_AUTH`.
 */
import type { Clock } from '../../core/util/clock.ts';
import { HubError } from '../../core/errors.ts';
import type { BusyBlock } from '../calendar-common/blocks.ts';
import type { DominoCalendarConfig } from './config.ts';
import { dasBusyTimesToBlocks, dasDate, dasEventToBlock, dasMailFile, dasRangeEnd, dasZones, drapiDate, drapiEntryToBlock, type DasEvent, type DrapiEntry } from './map.ts';

export interface PersonReading {
  readonly blocks: BusyBlock[];
  /** Entries skipped as unreadable (counted, the rest used). */
  readonly unreadable: number;
}

const DAY = 86_400_000;

/**
 * What Domino says of a refusal, for the error text: DRAPI's ErrorMessage and DAS's errorResponse
 * both carry `message` (e.g. "Invalid credentials or account locked", "Name not found"). Bounded
 * and on one line; '' when the body has none.
 */
async function serverSays(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const m = (JSON.parse(text.slice(0, 65_536)) as { message?: unknown } | null)?.message;
    if (typeof m === 'string' && m.trim() !== '') return `: Domino says "${m.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim().slice(0, 200)}"`;
  } catch {
    // not JSON: nothing to add
  }
  return '';
}
/** Pages of DAS events read per person and poll at most (100 pages of up to 100 events). */
const MAX_DAS_PAGES = 100;

export class DominoClient {
  private token: { bearer: string; expiresAt: number } | undefined;
  private authing: Promise<string> | undefined;

  constructor(private readonly o: { config: DominoCalendarConfig; clock: Clock; onRequest?: () => void; onReauth?: () => void }) {}

  /** Checks the account: DRAPI signs in; DAS asks the free/busy directories (Basic). */
  async probe(): Promise<void> {
    if (this.o.config.api === 'drapi') {
      this.token = undefined;
      await this.bearer();
      return;
    }
    // Every DAS resource is behind Basic (freebusy.yaml `security: basic`): the answer tells the account's fate.
    const res = await this.request('/api/freebusy/directories', { headers: { authorization: this.basic() } }, 'the free/busy directories');
    if (res.status === 401 || res.status === 403) throw new HubError('HUB_ERR_DOMINO_AUTH', `Domino Access Services refused the account (HTTP ${res.status})${await serverSays(res)}`, { status: res.status });
    if (res.status !== 200) {
      const says = await serverSays(res);
      throw new HubError(res.status >= 500 || res.status === 429 ? 'HUB_ERR_DOMINO_UNREACHABLE' : 'HUB_ERR_DOMINO_MALFORMED', `Domino Access Services answered HTTP ${res.status} for the free/busy directories${says}`, { status: res.status });
    }
    await res.arrayBuffer().catch(() => undefined);
  }

  invalidateToken(): void {
    this.token = undefined;
  }

  /**
   * The busy blocks of one person in [start, end). `who` is an email address or a Notes name;
   * `identity` (`mailto:` / `domino:`) finds the mail database for the DAS events reader.
   */
  async read(who: string, start: number, end: number, identity = who.includes('@') ? `mailto:${who}` : `domino:${who}`): Promise<PersonReading> {
    if (this.o.config.api === 'drapi') return this.readDrapi(who, start, end);
    return this.o.config.das.read === 'events' ? this.readDasEvents(who, identity, start, end) : this.readDas(who, start, end);
  }

  /**
   * DAS calendar events of the person's mail database, page by page: `count` events from index
   * `start`; the server names the items sent in `Content-Range: items <first>-<last>` and answers a
   * page with nothing in it as 200 without a body. A page shorter than `count` is the last.
   * 401/403 (the account is not in the database's ACL: DAS answers 401), 404 (no such database)
   * and a redirect to another server are the person's problem, not the server's.
   */
  private async readDasEvents(who: string, identity: string, start: number, end: number): Promise<PersonReading> {
    const das = this.o.config.das;
    const file = dasMailFile(identity, das);
    if (file === undefined) throw new HubError('HUB_ERR_DOMINO_PERSON', `${who}: no mail database known (das.mailFiles has no entry and the pattern needs a mail address)`);
    const path = `/${file.split('/').map(encodeURIComponent).join('/')}/api/calendar/events`;
    const blocks: BusyBlock[] = [];
    let unreadable = 0;
    let from = 0;
    for (let page = 0; ; page++) {
      if (page >= MAX_DAS_PAGES) throw new HubError('HUB_ERR_DOMINO_MALFORMED', `calendar of ${who}: more than ${MAX_DAS_PAGES * das.pageSize} events in the window`);
      const q = new URLSearchParams({ since: dasDate(start), before: dasDate(end), count: String(das.pageSize), start: String(from) });
      const res = await this.request(`${path}?${q}`, { headers: { authorization: this.basic() } }, who);
      if (res.status === 401 || res.status === 403) throw new HubError('HUB_ERR_DOMINO_PERSON', `${who}: the account cannot read ${file} (HTTP ${res.status}: not in its ACL)${await serverSays(res)}`, { status: res.status });
      await this.personErrors(res, who, [404]);
      const text = await res.text();
      if (text.trim() === '') break; // an empty page: 200, no body, no content type
      let body: { events?: unknown; timezones?: unknown };
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        throw new HubError('HUB_ERR_DOMINO_MALFORMED', `events of ${who} are not JSON`);
      }
      const events = body?.events ?? [];
      if (!Array.isArray(events)) throw new HubError('HUB_ERR_DOMINO_MALFORMED', `events of ${who}: "events" is not an array`);
      const zones = dasZones(body.timezones);
      for (const e of events as DasEvent[]) {
        const b = typeof e === 'object' && e !== null ? dasEventToBlock(e, zones, this.o.config.defaultTimeZone) : 'event is not an object';
        if (typeof b === 'string') unreadable++;
        else blocks.push(b);
      }
      if (events.length < das.pageSize) break;
      const last = dasRangeEnd(res.headers.get('content-range'));
      from = last !== undefined && last >= from ? last + 1 : from + events.length;
    }
    return { blocks, unreadable };
  }

  private async readDrapi(who: string, start: number, end: number): Promise<PersonReading> {
    // startdate is the day entries start on: a day earlier catches what began yesterday and runs on.
    const q = new URLSearchParams({ mailboxid: who, startdate: drapiDate(start - DAY), enddate: drapiDate(end) });
    const path = `/api/pim-v1/calendar/default?${q}`;
    const used = await this.bearer();
    let res = await this.request(path, { headers: { authorization: `Bearer ${used}` } }, who);
    if (res.status === 401) {
      // The server no longer knows the token (expired early, restarted): sign in again, ask once
      // more. Reads in flight with the same token share that one sign-in.
      if (this.token?.bearer === used) {
        this.token = undefined;
        this.o.onReauth?.();
      }
      res = await this.request(path, { headers: { authorization: `Bearer ${await this.bearer()}` } }, who);
      if (res.status === 401) throw new HubError('HUB_ERR_DOMINO_AUTH', `Domino REST API refused a fresh bearer token (HTTP 401)${await serverSays(res)}`, { status: 401 });
    }
    await this.personErrors(res, who, [403, 404]);
    const body = await this.json(res, who);
    if (!Array.isArray(body)) throw new HubError('HUB_ERR_DOMINO_MALFORMED', `calendar of ${who}: the answer is not an array of entries`);
    const blocks: BusyBlock[] = [];
    let unreadable = 0;
    for (const e of body as DrapiEntry[]) {
      const b = typeof e === 'object' && e !== null ? drapiEntryToBlock(e, this.o.config.defaultTimeZone) : 'entry is not an object';
      if (typeof b === 'string') unreadable++;
      else blocks.push(b);
    }
    return { blocks, unreadable };
  }

  private async readDas(who: string, start: number, end: number): Promise<PersonReading> {
    const q = new URLSearchParams({ name: who, since: dasDate(start), before: dasDate(end) });
    const res = await this.request(`/api/freebusy/busytime?${q}`, { headers: { authorization: this.basic() } }, who);
    if (res.status === 401) throw new HubError('HUB_ERR_DOMINO_AUTH', `Domino Access Services refused the account (HTTP 401)${await serverSays(res)}`, { status: 401 });
    // DAS answers 400 for a name it cannot find (freebusy.yaml).
    await this.personErrors(res, who, [400, 403, 404]);
    const blocks = dasBusyTimesToBlocks(await this.json(res, who));
    if (typeof blocks === 'string') throw new HubError('HUB_ERR_DOMINO_MALFORMED', `free/busy of ${who}: ${blocks}`);
    return { blocks, unreadable: 0 };
  }

  private async personErrors(res: Response, who: string, codes: number[]): Promise<void> {
    if (res.status === 200) return;
    if (res.status >= 300 && res.status < 400) {
      await res.arrayBuffer().catch(() => undefined);
      const where = res.headers.get('location') ?? '';
      let host = 'another server';
      try {
        host = new URL(where, this.o.config.url).host;
      } catch {
        /* keep the generic words */
      }
      throw new HubError('HUB_ERR_DOMINO_PERSON', `the mail database of ${who} is on ${host} (HTTP ${res.status} redirect): configure a connector for that server`, { status: res.status });
    }
    const says = await serverSays(res);
    if (codes.includes(res.status)) throw new HubError('HUB_ERR_DOMINO_PERSON', `${who}: ${res.status === 403 ? 'the account has no ACL access to the mail database' : 'not found'} (HTTP ${res.status})${says}`, { status: res.status });
    if (res.status >= 500 || res.status === 429) throw new HubError('HUB_ERR_DOMINO_UNREACHABLE', `Domino answered HTTP ${res.status}${says}`, { status: res.status });
    throw new HubError('HUB_ERR_DOMINO_MALFORMED', `Domino answered HTTP ${res.status} for ${who}${says}`, { status: res.status });
  }

  /** An empty 200 (DAS sends no body and no content type when there is nothing) is an empty list. */
  private async json(res: Response, who: string): Promise<unknown> {
    const text = await res.text();
    if (text.trim() === '') return this.o.config.api === 'drapi' ? [] : {};
    try {
      return JSON.parse(text);
    } catch {
      throw new HubError('HUB_ERR_DOMINO_MALFORMED', `answer for ${who} is not JSON`);
    }
  }

  private basic(): string {
    const c = this.o.config;
    return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
  }

  private async bearer(): Promise<string> {
    const now = this.o.clock.now();
    if (this.token !== undefined && now < this.token.expiresAt - this.o.config.tokenRefreshMargin) return this.token.bearer;
    // One sign-in at a time: concurrent reads wait for it.
    this.authing ??= this.signIn().finally(() => (this.authing = undefined));
    return this.authing;
  }

  private async signIn(): Promise<string> {
    const c = this.o.config;
    const at = this.o.clock.now();
    const res = await this.request('/api/v1/auth', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: c.username, password: c.password }) }, 'sign-in');
    if (res.status === 401 || res.status === 403) throw new HubError('HUB_ERR_DOMINO_AUTH', `Domino REST API refused the credentials of ${c.username} (HTTP ${res.status})${await serverSays(res)}`, { status: res.status });
    if (res.status !== 200) throw new HubError('HUB_ERR_DOMINO_UNREACHABLE', `Domino REST API sign-in answered HTTP ${res.status}${await serverSays(res)}`, { status: res.status });
    const body = (await this.json(res, 'sign-in')) as { bearer?: unknown; expSeconds?: unknown };
    if (typeof body?.bearer !== 'string' || body.bearer === '') throw new HubError('HUB_ERR_DOMINO_MALFORMED', 'sign-in answer has no bearer');
    // expSeconds is the token's lifetime (the built-in IdP's default is 3600).
    const life = typeof body.expSeconds === 'number' && body.expSeconds > 0 ? body.expSeconds : 3600;
    this.token = { bearer: body.bearer, expiresAt: at + life * 1000 };
    return body.bearer;
  }

  private async request(path: string, init: RequestInit, what: string): Promise<Response> {
    this.o.onRequest?.();
    try {
      return await fetch(new URL(path, this.o.config.url), { ...init, redirect: 'manual', signal: AbortSignal.timeout(this.o.config.timeout) });
    } catch (e) {
      throw new HubError('HUB_ERR_DOMINO_UNREACHABLE', `Domino did not answer (${what}): ${(e as Error).name === 'TimeoutError' ? 'timed out' : ((e as { cause?: { code?: string } }).cause?.code ?? 'connection failed')}`, { cause: e });
    }
  }
}
