import { Client, GraphClientError, GraphError, HTTPMessageHandler, type Context, type Middleware } from '@microsoft/microsoft-graph-client';
import type { Clock } from '../../core/util/clock.ts';
import { HubError, isHubError } from '../../core/errors.ts';
import type { TokenSource } from './auth.ts';
import { realSleep, type RequestPacer, type Sleep } from './pacer.ts';
import { parseRetryAfter } from '../../core/util/retry-after.ts';

/**
 * The statuses Graph asks to be retried after Retry-After (or a backoff without one): 429, and the
 * 503 and 504 the service answers when overloaded (throttling guidance; the SDK's own RetryHandler
 * retries the same three).
 */
const RETRY_STATUSES = new Set([429, 503, 504]);

export interface ThrottleEvents {
  /** A 429/503/504 was answered; every request of the app waits `retryAfterMs` (this one is sent again when retries are left). */
  onThrottled?(retryAfterMs: number): void;
}

/** The least wait a Retry-After stands for: `0` or a date already past would retry at once, in a tight loop against a throttling Graph. */
export const MIN_RETRY_AFTER_MS = 1000;
/** The longest: a gateway's "come back tomorrow" must not hold every request of the app (renewals, connection tests) for a day. */
export const MAX_RETRY_AFTER_MS = 15 * 60_000;

/** Graph's Retry-After (seconds or an HTTP date) in ms, within MIN/MAX_RETRY_AFTER_MS; undefined when absent or unreadable. */
export function boundedRetryAfter(header: string | null | undefined, now: number): number | undefined {
  const v = parseRetryAfter(header, now);
  return v === undefined ? undefined : Math.min(MAX_RETRY_AFTER_MS, Math.max(MIN_RETRY_AFTER_MS, v));
}

/** Retry-After (core/util/retry-after.ts), or `fallbackMs` when Graph sent none. */
export function retryAfterMs(header: string | null, now: number, fallbackMs: number): number {
  return boundedRetryAfter(header, now) ?? fallbackMs;
}

/**
 * One middleware in front of the SDK's HTTP handler: waits for the budget, adds the bearer token
 * (the SDK's own AuthenticationHandler only does so for graph.microsoft.com and https custom hosts,
 * while the base URL here is configured: national clouds, the simulator), renews the token once
 * on 401, and honours 429/503/504 Retry-After by pausing every request of the app (the pacer) and
 * sending the same request again, so a throttled poll cycle is delayed, never lost (Graph
 * throttling guidance: wait the Retry-After seconds, then retry).
 */
class HubGraphMiddleware implements Middleware {
  private next: Middleware | undefined;
  constructor(private readonly o: { tokens: TokenSource; pacer?: RequestPacer; clock: Clock; sleep: Sleep; maxRetries: number; maxWaitMs: number; timeoutMs: number; events: ThrottleEvents }) {}
  setNext(m: Middleware): void {
    this.next = m;
  }
  async execute(context: Context): Promise<void> {
    try {
      await this.attempts(context);
    } catch (e) {
      // The SDK turns an Error thrown here into a GraphError of status -1 ("unreachable"), losing
      // what a HubError said (a token endpoint refusing the credentials is permanent, a stopping
      // connector is no failure); a GraphClientError it passes on as is, so the HubError rides in it.
      if (isHubError(e)) {
        const carrier = new GraphClientError(e.message);
        carrier.customError = e;
        throw carrier;
      }
      throw e;
    }
  }

  private async attempts(context: Context): Promise<void> {
    let authRetried = false;
    for (let attempt = 0; ; attempt++) {
      let token = '';
      const prepare = async (): Promise<void> => {
        token = await this.o.tokens.getToken();
      };
      const issue = (): Promise<void> => {
        const headers = new Headers((context.options?.headers as HeadersInit | undefined) ?? {});
        headers.set('Authorization', `Bearer ${token}`);
        // Each attempt has its own deadline: an upstream that accepts the connection and never
        // answers would otherwise hold the poll cycle (and every later one) forever.
        context.options = { ...(context.options ?? {}), headers, signal: AbortSignal.timeout(this.o.timeoutMs) };
        return this.next!.execute(context);
      };
      // The token when the request is sent, after the pacer's wait (RequestPacer.send: a token
      // taken before a long Retry-After pause may have expired by then); the pacer's check and the
      // request going out stay one synchronous step, so a 429 answered meanwhile holds it back too.
      if (this.o.pacer !== undefined) await this.o.pacer.send(issue, prepare);
      else {
        await prepare();
        await issue();
      }
      const res = context.response;
      if (res === undefined) return;
      if (res.status === 401 && !authRetried) {
        authRetried = true;
        this.o.tokens.invalidate();
        continue;
      }
      if (RETRY_STATUSES.has(res.status)) {
        const now = this.o.clock.now();
        const wait = retryAfterMs(res.headers.get('retry-after'), now, 2 ** attempt * 1000);
        // The pause covers the whole app and every request, whether or not this one is sent
        // again: Graph's Retry-After is honoured in full, also on the last attempt and beyond
        // maxWaitMs (then this request fails as throttled and the next cycle reads again).
        this.o.pacer?.pause(now + wait);
        this.o.events.onThrottled?.(wait);
        if (attempt < this.o.maxRetries && wait <= this.o.maxWaitMs) {
          await res.body?.cancel().catch(() => undefined);
          // With a pacer the resend waits out the pause there (and a stop cancels that wait).
          if (this.o.pacer === undefined) await this.o.sleep(wait);
          continue;
        }
      }
      return;
    }
  }
}

export interface GraphClientOptions {
  /** e.g. https://graph.microsoft.com, https://graph.microsoft.us, or the simulator's URL. */
  baseUrl: string;
  version?: string;
  tokens: TokenSource;
  pacer?: RequestPacer;
  clock: Clock;
  sleep?: Sleep;
  maxRetries?: number;
  maxWaitMs?: number;
  /** Deadline of one HTTP attempt, answer body included (default 30 s). */
  timeoutMs?: number;
  events?: ThrottleEvents;
}

/** The @microsoft/microsoft-graph-client Client with the hub's middleware chain. */
export function createGraphClient(o: GraphClientOptions): Client {
  const mw = new HubGraphMiddleware({
    tokens: o.tokens,
    ...(o.pacer !== undefined ? { pacer: o.pacer } : {}),
    clock: o.clock,
    sleep: o.sleep ?? realSleep,
    maxRetries: o.maxRetries ?? 6,
    maxWaitMs: o.maxWaitMs ?? 120_000,
    timeoutMs: o.timeoutMs ?? 30_000,
    events: o.events ?? {},
  });
  mw.setNext(new HTTPMessageHandler());
  return Client.initWithMiddleware({ middleware: mw, baseUrl: o.baseUrl.replace(/\/+$/, '') + '/', defaultVersion: o.version ?? 'v1.0' });
}

/**
 * Translates what the SDK throws into HubErrors with stable codes: 401/403 permanent (bad
 * credentials, missing permission), 429 throttled, 5xx and network failures transient, a body
 * that is not JSON malformed. Messages name the call, never a token.
 */
export function toHubError(e: unknown, what: string): HubError {
  if (isHubError(e)) return e;
  if (e instanceof GraphClientError && isHubError(e.customError)) return e.customError;
  if (e instanceof GraphError) {
    // A 2xx the SDK could not read: the body was not JSON (a read; writes go through graphWrite).
    if (e.statusCode >= 200 && e.statusCode < 300) return new HubError('HUB_ERR_GRAPH_MALFORMED', `malformed Graph response for ${what}: not JSON`, { kind: 'transient', status: e.statusCode });
    return statusError(e.statusCode, what, e.code ?? undefined, e.message, e.headers?.get('retry-after'));
  }
  if (e instanceof SyntaxError) return new HubError('HUB_ERR_GRAPH_MALFORMED', `malformed Graph response for ${what}: not JSON`, { kind: 'transient' });
  const name = e instanceof Error ? e.name : 'error';
  return new HubError('HUB_ERR_GRAPH_UNREACHABLE', `Graph unreachable, ${what}: ${name}`, { kind: 'transient', cause: e });
}

/**
 * The HubError for a Graph answer that is not a 2xx (or no answer: status -1/0). A 429 that is
 * still there after the client's own retries keeps its Retry-After, so whoever retries later
 * (the publisher's reconciliation) waits as long as Graph asked.
 */
export function statusError(s: number, what: string, code?: string, message = '', retryAfter?: string | null): HubError {
  const detail = `${what}: HTTP ${s}${code ? ` ${code}` : ''}`;
  if (s === 401) return new HubError('HUB_ERR_GRAPH_AUTH', `Graph refused the credentials, ${detail}`, { kind: 'permanent', status: s });
  if (s === 403) return new HubError('HUB_ERR_GRAPH_FORBIDDEN', `Graph refused the permission, ${detail}`, { kind: 'permanent', status: s });
  if (s === 429) {
    const wait = boundedRetryAfter(retryAfter, Date.now());
    return new HubError('HUB_ERR_GRAPH_THROTTLED', `Graph throttled ${detail}`, { kind: 'throttled', status: s, ...(wait !== undefined ? { retryAfterMs: wait } : {}) });
  }
  if (s === 404) return new HubError('HUB_ERR_GRAPH_NOT_FOUND', `Graph ${detail}`, { kind: 'permanent', status: s });
  if (s === -1 || s === 0 || s >= 500) return new HubError('HUB_ERR_GRAPH_UNREACHABLE', `Graph unreachable, ${what}: ${s <= 0 ? message.slice(0, 120) : `HTTP ${s}`}`, { kind: 'transient', status: s });
  return new HubError('HUB_ERR_GRAPH_REQUEST', `Graph refused ${detail}`, { kind: 'permanent', status: s });
}

/**
 * Runs one Graph write (setPresence, clearPresence, ...) for its status alone: any 2xx is success,
 * whatever the body or content type (Graph documents `200 OK` without a body for these, and has
 * been seen answering an empty body labelled application/json, which the SDK's JSON parsing
 * would take for a failure). `call` must ask for ResponseType.RAW.
 */
export async function graphWrite(what: string, call: () => Promise<Response>): Promise<void> {
  let res: Response;
  try {
    res = await call();
  } catch (e) {
    throw toHubError(e, what);
  }
  if (res.ok) {
    await res.body?.cancel().catch(() => undefined);
    return;
  }
  let code: string | undefined;
  try {
    const body = (await res.json()) as { error?: { code?: unknown } };
    if (typeof body?.error?.code === 'string') code = body.error.code.slice(0, 64);
  } catch {
    // An error without a Graph error body: the status says enough.
  }
  throw statusError(res.status, what, code, '', res.headers.get('retry-after'));
}

/** Runs one Graph call, translating failures. */
export async function graphCall<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw toHubError(e, what);
  }
}

/**
 * The path (after the version) of a link Graph handed back (`@odata.nextLink`, `@odata.deltaLink`),
 * to request it through the client. Only a link to the configured Graph origin and version is
 * followed: the client adds the bearer token to whatever it requests, so a link to another host
 * (or not a URL at all) is refused as a malformed answer and never requested.
 */
export function graphLinkPath(link: string, graphBaseUrl: string, what: string, version = 'v1.0'): string {
  let u: URL;
  try {
    u = new URL(link);
  } catch {
    throw new HubError('HUB_ERR_GRAPH_MALFORMED', `malformed Graph response for ${what}: a next/delta link that is not a URL`, { kind: 'transient' });
  }
  const origin = new URL(graphBaseUrl).origin;
  const prefix = `/${version}/`;
  if (u.origin !== origin || !u.pathname.startsWith(prefix)) {
    throw new HubError('HUB_ERR_GRAPH_MALFORMED', `malformed Graph response for ${what}: a next/delta link outside ${origin}${prefix}`, { kind: 'transient' });
  }
  return u.pathname.slice(prefix.length - 1) + u.search;
}

/**
 * Every page of a Graph collection: `first`, then each `@odata.nextLink` (Graph pages collections
 * server-side; paging), at most `maxPages` pages, each link checked by graphLinkPath. A link seen
 * before (a loop) or more pages than the bound fail as malformed rather than looping forever.
 */
export async function allPages<T>(o: { first: string; read: (path: string) => Promise<{ value: T[]; next?: string | undefined }>; graphBaseUrl: string; what: string; maxPages: number }): Promise<T[]> {
  const out: T[] = [];
  const seen = new Set<string>();
  let path: string | undefined = o.first;
  for (let pages = 0; path !== undefined; pages++) {
    if (pages >= o.maxPages) throw new HubError('HUB_ERR_GRAPH_MALFORMED', `malformed Graph response for ${o.what}: more than ${o.maxPages} pages`, { kind: 'transient' });
    seen.add(path);
    const page = await o.read(path);
    out.push(...page.value);
    path = page.next === undefined ? undefined : graphLinkPath(page.next, o.graphBaseUrl, o.what);
    if (path !== undefined && seen.has(path)) throw new HubError('HUB_ERR_GRAPH_MALFORMED', `malformed Graph response for ${o.what}: a next link back to a page already read`, { kind: 'transient' });
  }
  return out;
}
