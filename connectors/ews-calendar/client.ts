import type * as ews from 'ews-javascript-api';
import type { Clock } from '../../core/util/clock.ts';
import { HubError, errorMessage, isHubError } from '../../core/errors.ts';
import type { BusyBlock } from '../calendar-common/blocks.ts';
import type { OofReading } from '../calendar-common/engine.ts';
import type { WorkingHours } from '../calendar-common/working-hours.ts';
import { ClientCredentialsProvider } from '../msgraph-shared/auth.ts';
import type { EwsCalendarConfig } from './config.ts';
import { dayWindow, eventToBlock, mergedToBlocks, oofOf, workingHoursOf, type EwsZoneTime } from './map.ts';
import { classifyCode, EwsTransport, type Affinity, type Pace } from './transport.ts';

/** One mailbox of a GetUserAvailability answer: its reading, or the error that concerns only it. */
export type AvailabilityResult =
  | { readonly mailbox: string; readonly ok: true; readonly blocks: BusyBlock[]; readonly workingHours: WorkingHours | null }
  | { readonly mailbox: string; readonly ok: false; readonly code: string; readonly message: string };

const ms = (d: ews.DateTime | undefined | null): number => (d == null ? Number.NaN : d.TotalMilliSeconds);

interface LegacyTime {
  Delta?: { TotalMinutes: number };
  TimeOfDay?: { TotalMinutes: number };
  DayOrder?: number;
  Month?: number;
  DayOfTheWeek?: number;
  Year?: number;
}
/**
 * The zone of WorkingHours as the library parsed it: its public TimeZone is never set (0.15.3 leaves
 * the conversion commented out), the parsed SerializableTimeZone is on `LegacyTimeZone`.
 */
function legacyZone(wh: ews.WorkingHours): { bias: number; standard?: EwsZoneTime; daylight?: EwsZoneTime } {
  const z = (wh as unknown as { LegacyTimeZone?: { bias?: { TotalMinutes: number }; standardTime?: LegacyTime; daylightTime?: LegacyTime } }).LegacyTimeZone;
  const time = (t: LegacyTime | undefined): EwsZoneTime | undefined =>
    t === undefined ? undefined : { bias: t.Delta?.TotalMinutes ?? 0, minutes: t.TimeOfDay?.TotalMinutes ?? 0, dayOrder: t.DayOrder ?? 0, month: t.Month ?? 0, dayOfWeek: t.DayOfTheWeek ?? 0, year: t.Year ?? 0 };
  const standard = time(z?.standardTime);
  const daylight = time(z?.daylightTime);
  return { bias: z?.bias?.TotalMinutes ?? 0, ...(standard !== undefined ? { standard } : {}), ...(daylight !== undefined ? { daylight } : {}) };
}

type Library = { ews: typeof import('ews-javascript-api'); XhrApi: typeof import('@ewsjs/xhr').XhrApi };
let loading: Promise<Library> | undefined;
/**
 * ews-javascript-api (with moment-timezone and xmldom) takes about 2 s to load: it is loaded when an
 * ews-calendar connector first speaks EWS, not at every start of the hub. The promise is only a
 * cache of that import, as the module cache itself is.
 */
export function library(): Promise<Library> {
  loading ??= Promise.all([import('ews-javascript-api'), import('@ewsjs/xhr')]).then(([lib, xhr]) => ({ ews: lib, XhrApi: xhr.XhrApi }));
  return loading;
}

/**
 * An error response message (HTTP 200, ResponseClass="Error") the library threw as a
 * ServiceResponseException, classified by its ResponseCode like a fault (transport.ts classifyCode);
 * undefined for anything else.
 */
async function responseError(e: unknown): Promise<HubError | undefined> {
  const r = (e as { Response?: unknown } | null)?.Response;
  return r == null ? undefined : serviceResponseError(r, (await library()).ews);
}

/** A library ServiceResponse (a response message, or one FreeBusyResponse) with its error classified; undefined without one. */
function serviceResponseError(response: unknown, ews: Library['ews']): HubError | undefined {
  const r = response as { ErrorCode?: unknown; ErrorMessage?: unknown; ErrorDetails?: { get?: (k: string) => unknown; containsKey?: (k: string) => boolean } };
  if (typeof r.ErrorCode !== 'number' || r.ErrorCode === ews.ServiceError.NoError) return undefined;
  const code = ews.ServiceError[r.ErrorCode] ?? String(r.ErrorCode);
  const details = r.ErrorDetails;
  const backOff = details?.containsKey?.('BackOffMilliseconds') === true ? Number(details.get?.('BackOffMilliseconds')) : Number.NaN;
  return classifyCode(code, typeof r.ErrorMessage === 'string' ? r.ErrorMessage.slice(0, 300) : code, 200, Number.isFinite(backOff) && backOff >= 0 ? backOff : undefined);
}

/** What the library handed over, read: anything it left half-built (found by scripts/fuzz/ews.ts) is a malformed answer. */
function readable<T>(what: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (isHubError(e)) throw e;
    throw new HubError('HUB_ERR_EWS_MALFORMED', `${what}: an answer that cannot be read (${errorMessage(e)})`, { kind: 'transient' });
  }
}

/**
 * The only code that speaks EWS, through ews-javascript-api: GetUserAvailability, GetUserOofSettings,
 * Subscribe (streaming, calendar folder) and the StreamingSubscriptionConnection. Every call gets
 * its own ExchangeService (credentials, impersonation, X-AnchorMailbox) on the shared transport
 * pace, and throws a classified HubError (transport.ts), never the library's own. ErrorServerBusy
 * is waited out and the same request sent again, up to `maxBusyWaits` in a row, without counting
 * as a failure.
 */
export class EwsClient {
  readonly pace: Pace = { until: 0 };
  private readonly tokens: ClientCredentialsProvider | undefined;
  /** Affinity cookies of streaming groups, by anchor mailbox. */
  private readonly affinities = new Map<string, Affinity>();

  constructor(private readonly o: { config: EwsCalendarConfig; clock: Clock; onRequest?: () => void; onBusy?: (ms: number) => void }) {
    const a = o.config.auth;
    if (a.type === 'oauth') {
      this.tokens = new ClientCredentialsProvider({ tokenEndpoint: a.tokenEndpoint ?? `https://login.microsoftonline.com/${encodeURIComponent(a.tenantId)}/oauth2/v2.0/token`, clientId: a.clientId, clientSecret: a.clientSecret, scope: a.scope ?? `${new URL(o.config.url).origin}/.default`, clock: o.clock });
    }
  }

  /**
   * A fresh ExchangeService for one call: UTC, the configured version, credentials, impersonation.
   * `group`: the anchor mailbox of a group of streaming subscriptions: X-AnchorMailbox names it
   * (not the impersonated mailbox), X-PreferServerAffinity asks for affinity, and the group's
   * X-BackEndOverrideCookie goes along, so that every subscription of the group and its
   * GetStreamingEvents reach the same mailbox server (how-to-maintain-affinity-between-group-of-
   * subscriptions-and-mailbox-server; without it: ErrorSubscriptionNotFound).
   */
  private async service(impersonate: string | undefined, group?: string): Promise<{ svc: ews.ExchangeService; transport: EwsTransport }> {
    const c = this.o.config;
    const { ews, XhrApi } = await library();
    const svc = new ews.ExchangeService(ews.ExchangeVersion[c.version], ews.TimeZoneInfo.Utc);
    svc.Url = new ews.Uri(c.url);
    const inner = new XhrApi({ timeout: c.timeout, rejectUnauthorized: !c.allowUntrustedCertificate });
    const a = c.auth;
    if (a.type === 'oauth') {
      let token: string;
      try {
        token = await this.tokens!.getToken();
      } catch (e) {
        throw isHubError(e) && e.kind === 'permanent' ? new HubError('HUB_ERR_EWS_AUTH', `OAuth token refused: ${e.message}`, { kind: 'permanent' }) : new HubError('HUB_ERR_EWS_UNREACHABLE', `OAuth token endpoint: ${errorMessage(e)}`, { kind: 'transient' });
      }
      svc.Credentials = new ews.OAuthCredentials(token);
    } else if (a.type === 'ntlm') {
      inner.useNtlmAuthentication(`${a.domain}\\${a.username}`, a.password);
      svc.Credentials = new ews.WebCredentials(`${a.domain}\\${a.username}`, a.password);
    } else svc.Credentials = new ews.WebCredentials(a.username, a.password);
    if (impersonate !== undefined) svc.ImpersonatedUserId = new ews.ImpersonatedUserId(ews.ConnectingIdType.SmtpAddress, impersonate);
    const anchor = group ?? impersonate;
    if (anchor !== undefined) svc.HttpHeaders.Add('X-AnchorMailbox', anchor);
    let affinity: Affinity | undefined;
    if (group !== undefined) {
      svc.HttpHeaders.Add('X-PreferServerAffinity', 'true');
      affinity = this.affinities.get(group) ?? {};
      this.affinities.set(group, affinity);
    }
    const transport = new EwsTransport({ inner, pace: this.pace, timeoutMs: c.timeout, ...(affinity !== undefined ? { affinity } : {}), ...(this.o.onRequest !== undefined ? { onRequest: this.o.onRequest } : {}), ...(this.o.onBusy !== undefined ? { onBusy: this.o.onBusy } : {}) });
    svc.XHRApi = transport;
    return { svc, transport };
  }

  /**
   * One library call with ErrorServerBusy waited out (the transport holds the next request until
   * BackOffMilliseconds). With OAuth, a 401 is answered once with a fresh token: Exchange Online
   * refuses a token that expired or was revoked before the cache renewed it (WWW-Authenticate
   * error="invalid_token"); only a second 401 is the credentials' fault.
   */
  private async call<T>(impersonate: string | undefined, what: string, fn: (svc: ews.ExchangeService) => Promise<T>, group?: string): Promise<T> {
    let renewed = false;
    for (let waits = 0; ; waits++) {
      const { svc, transport } = await this.service(impersonate, group);
      try {
        return await fn(svc);
      } catch (e) {
        const failure = transport.lastFailure ?? (await responseError(e)) ?? (isHubError(e) ? e : new HubError('HUB_ERR_EWS_MALFORMED', `${what}: ${errorMessage(e)}`, { kind: 'transient' }));
        if (failure.kind === 'throttled' && transport.lastFailure === undefined) {
          // Throttled in a response message (HTTP 200): the transport saw a success, so the hold is set here.
          this.pace.until = Math.max(this.pace.until, Date.now() + (failure.retryAfterMs ?? 0));
          this.o.onBusy?.(failure.retryAfterMs ?? 0);
        }
        if (failure.kind === 'throttled' && waits < this.o.config.maxBusyWaits) continue;
        if (failure.status === 401 && this.tokens !== undefined && !renewed) {
          renewed = true;
          this.tokens.invalidate();
          continue;
        }
        throw failure;
      }
    }
  }

  /** Who to impersonate for a call about `mailbox`: the mailbox itself with impersonation (and always with app-only OAuth). */
  private actAs(mailbox: string): string | undefined {
    return this.o.config.impersonation || this.o.config.auth.type === 'oauth' ? mailbox : undefined;
  }

  /** GetUserAvailability for up to batchSize mailboxes over [start, end); per-mailbox errors come back as results. */
  async availability(mailboxes: readonly string[], start: number, end: number, anchor = mailboxes[0]!): Promise<AvailabilityResult[]> {
    const c = this.o.config;
    const { ews } = await library();
    const w = dayWindow(start, end);
    const options = new ews.AvailabilityOptions();
    options.RequestedFreeBusyView = c.view === 'Detailed' ? ews.FreeBusyViewType.Detailed : ews.FreeBusyViewType.FreeBusyMerged;
    options.MergedFreeBusyInterval = c.mergedInterval;
    const results = await this.call(this.actAs(anchor), 'GetUserAvailability', async (svc) => {
      const r = await svc.GetUserAvailability(
        mailboxes.map((m) => new ews.AttendeeInfo(m)),
        new ews.TimeWindow(new ews.DateTime(w.start), new ews.DateTime(w.end)),
        ews.AvailabilityData.FreeBusy,
        options,
      );
      // A FreeBusyResponse that says the server is busy is about the request, not that mailbox: back off and ask again.
      for (const a of r?.AttendeesAvailability?.Responses ?? []) {
        const busy = serviceResponseError(a, ews);
        if (busy?.kind === 'throttled') throw busy;
      }
      return r;
    });
    return readable('GetUserAvailability', () => this.readAvailability(ews, results, mailboxes, w.start));
  }

  private readAvailability(ews: Library['ews'], results: ews.GetUserAvailabilityResults, mailboxes: readonly string[], windowStart: number): AvailabilityResult[] {
    const c = this.o.config;
    const list = results?.AttendeesAvailability?.Responses ?? [];
    if (list.length !== mailboxes.length) throw new HubError('HUB_ERR_EWS_MALFORMED', `GetUserAvailability: ${list.length} FreeBusyResponse elements for ${mailboxes.length} mailboxes`, { kind: 'transient' });
    return list.map((a, i): AvailabilityResult => {
      const mailbox = mailboxes[i]!;
      if (a.Result === ews.ServiceResult.Error) return { mailbox, ok: false, code: ews.ServiceError[a.ErrorCode] ?? String(a.ErrorCode), message: a.ErrorMessage ?? '' };
      const blocks =
        a.ViewType === ews.FreeBusyViewType.FreeBusyMerged || a.ViewType === ews.FreeBusyViewType.MergedOnly
          ? mergedToBlocks(a.MergedFreeBusyStatus ?? [], windowStart, c.mergedInterval)
          : (a.CalendarEvents ?? []).flatMap((e) => eventToBlock({ start: ms(e.StartTime), end: ms(e.EndTime), status: e.FreeBusyStatus, subject: e.Details?.Subject, isPrivate: e.Details?.IsPrivate }) ?? []);
      const wh = a.WorkingHours;
      const workingHours = wh == null ? null : workingHoursOf({ days: wh.DaysOfTheWeek ?? [], startMinutes: wh.StartTime?.TotalMinutes ?? Number.NaN, endMinutes: wh.EndTime?.TotalMinutes ?? Number.NaN, zone: legacyZone(wh) });
      return { mailbox, ok: true, blocks, workingHours };
    });
  }

  /** GetUserOofSettings of one mailbox (impersonating it). */
  async oof(mailbox: string): Promise<OofReading> {
    const { ews } = await library();
    const s = await this.call(this.actAs(mailbox), 'GetUserOofSettings', (svc) => svc.GetUserOofSettings(mailbox));
    return readable('GetUserOofSettings', () => oofOf({ state: ews.OofState[s.State] ?? 'Disabled', start: ms(s.Duration?.StartTime), end: ms(s.Duration?.EndTime) }));
  }

  /** A streaming subscription on the mailbox's calendar folder (created, modified, deleted items), in the group anchored at `anchor`. */
  async subscribe(mailbox: string, anchor: string): Promise<ews.StreamingSubscription> {
    const { ews } = await library();
    return this.call(mailbox, 'Subscribe', (svc) => svc.SubscribeToStreamingNotifications([new ews.FolderId(ews.WellKnownFolderName.Calendar)], ews.EventType.Created, ews.EventType.Modified, ews.EventType.Deleted), anchor);
  }

  /** The group anchored at `anchor` subscribes anew: its old affinity cookie (maybe of a server that failed over) is dropped. */
  resetAffinity(anchor: string): void {
    this.affinities.delete(anchor);
  }

  /** A StreamingSubscriptionConnection (lifetime 1-30 minutes) on a service anchored at the group's anchor mailbox, with the group's affinity. */
  async connection(anchor: string, lifetimeMinutes: number): Promise<{ conn: ews.StreamingSubscriptionConnection; transport: EwsTransport }> {
    const { svc, transport } = await this.service(anchor, anchor);
    const { ews } = await library();
    return { conn: new ews.StreamingSubscriptionConnection(svc, lifetimeMinutes), transport };
  }

  /** Checks the credentials and the endpoint: GetUserAvailability for one mailbox (or an empty request). */
  async probe(mailbox: string | undefined): Promise<void> {
    const now = this.o.clock.now();
    // A fault about the mailbox itself (gone, not to be impersonated) still proves the endpoint and the credentials.
    const mailboxOnly = (e: unknown): void => {
      if (!(isHubError(e) && e.code === 'HUB_ERR_EWS_MAILBOX')) throw e;
    };
    if (mailbox !== undefined) await this.availability([mailbox], now, now + 3_600_000).catch(mailboxOnly);
    else await this.call(undefined, 'GetUserOofSettings', (svc) => svc.GetUserOofSettings('probe@invalid.example')).catch(mailboxOnly);
  }

  invalidateToken(): void {
    this.tokens?.invalidate();
  }
}
