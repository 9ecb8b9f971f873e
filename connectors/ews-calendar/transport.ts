import type { IXHRApi, IXHROptions, IXHRProgress } from 'ews-javascript-api';
import type { XhrApi } from '@ewsjs/xhr';
import { HubError } from '../../core/errors.ts';
import { parseRetryAfter } from '../../core/util/retry-after.ts';
import { child, parseXml, text, children, attr } from '../sip-core/xml.ts';

/**
 * The HTTP layer under ews-javascript-api (its IXHRApi port). Requests go through @ewsjs/xhr (the
 * library's own Node transport; NTLM through its NtlmProvider); this wrapper exists because of what
 * was seen running ews-javascript-api 0.15.3 against the simulator:
 * - a non-200 answer that is not a SOAP envelope makes the library throw inside a promise callback
 *   (an unhandled rejection), and it has no ErrorServerBusy handling at all. So every failure is
 *   classified here, from the status and the SOAP fault (ews-throttling-in-exchange: ErrorServerBusy
 *   with MessageXml BackOffMilliseconds), kept in `lastFailure` for the client, and the library is
 *   handed an answer it can digest (status 0, no body);
 * - ErrorServerBusy holds every request of the account until BackOffMilliseconds has passed (the
 *   shared `pace`), without counting as a failed attempt;
 * - its GetStreamingEvents reader takes one `<Envelope>` per network read, so two frames in one
 *   read surfaced the second only at the next read: the stream here is read with fetch and cut
 *   into whole frames, one callback each.
 */
export interface Pace {
  /** Epoch ms (real time) before which no request is sent. */
  until: number;
}

/**
 * Affinity of a group of streaming subscriptions with its mailbox server
 * (how-to-maintain-affinity-between-group-of-subscriptions-and-mailbox-server): the
 * X-BackEndOverrideCookie the first Subscribe answer set, sent with every later request of the group.
 */
export interface Affinity {
  cookie?: string | undefined;
}

const AFFINITY_COOKIE = 'X-BackEndOverrideCookie';

/** `X-BackEndOverrideCookie=value` out of Set-Cookie header(s), without its attributes. */
export function affinityCookie(setCookie: unknown): string | undefined {
  const all = Array.isArray(setCookie) ? setCookie : typeof setCookie === 'string' ? [setCookie] : [];
  for (const c of all) {
    const pair = String(c).split(';')[0]!.trim();
    if (pair.toLowerCase().startsWith(`${AFFINITY_COOKIE.toLowerCase()}=`) && pair.length <= 4096) return pair;
  }
  return undefined;
}

export interface FaultInfo {
  readonly code: string;
  readonly message: string;
  readonly backOffMs?: number;
}

/** The SOAP fault of an HTTP 500 answer (faultcode, detail/ResponseCode, MessageXml values). */
export function readFault(body: string): FaultInfo | undefined {
  try {
    const env = child(parseXml(body, 1_000_000), 'Envelope');
    const f = child(child(env, 'Body'), 'Fault');
    if (f === undefined) return undefined;
    const detail = child(f, 'detail');
    const code = text(child(detail, 'ResponseCode')) ?? (text(child(f, 'faultcode')) ?? '').replace(/^.*:/, '');
    const message = text(child(detail, 'Message')) ?? text(child(f, 'faultstring')) ?? code;
    const backOff = children(child(detail, 'MessageXml'), 'Value').find((v) => attr(v, 'Name') === 'BackOffMilliseconds');
    const ms = Number(text(backOff));
    return { code, message, ...(backOff !== undefined && Number.isFinite(ms) && ms >= 0 ? { backOffMs: ms } : {}) };
  } catch {
    return undefined;
  }
}

/** Codes that concern one mailbox (the directory report), not the connector (README "Errors"). */
export const MAILBOX_CODES = new Set(['ErrorNonExistentMailbox', 'ErrorImpersonateUserDenied', 'ErrorMailRecipientNotFound', 'ErrorAccessDenied', 'ErrorItemNotFound', 'ErrorMailboxMoveInProgress', 'ErrorMailboxStoreUnavailable']);
/** Configuration or permission problems no retry fixes. */
const PERMANENT_CODES = new Set(['ErrorInvalidExchangeImpersonationHeaderData', 'ErrorMailboxDataArrayTooBig', 'ErrorTimeIntervalTooBig', 'ErrorInvalidServerVersion', 'ErrorImpersonationDenied', 'ErrorInvalidLicense']);

/** Back-off when Exchange asks for one without saying how long (ErrorServerBusy without BackOffMilliseconds, HTTP 503). */
const DEFAULT_BACKOFF_MS = 30_000;
/** EWSMaxConcurrency exceeded: the next request fits once one of ours has been answered. */
const CONNECTION_COUNT_BACKOFF_MS = 5_000;

/**
 * The HubError for an EWS error code, whether it came in a SOAP fault (HTTP 500) or in a response
 * message with ResponseClass="Error" (HTTP 200): ews-throttling-in-exchange tables 3 and 4 name
 * ErrorServerBusy (with BackOffMilliseconds), ErrorExceededConnectionCount, and an HTTP 200
 * ErrorInternalServerError with an inner ErrorServerBusy as "delay sending additional requests".
 */
export function classifyCode(code: string, message: string, status: number, backOffMs?: number): HubError {
  const innerBusy = code === 'ErrorInternalServerError' && /ErrorServerBusy/.test(message);
  if (code === 'ErrorServerBusy' || innerBusy) return new HubError('HUB_ERR_EWS_BUSY', `EWS is throttling (${code === 'ErrorServerBusy' ? code : `${code}, inner ErrorServerBusy`}): back off ${backOffMs ?? 'unknown'} ms`, { kind: 'throttled', retryAfterMs: backOffMs ?? DEFAULT_BACKOFF_MS, status });
  if (code === 'ErrorExceededConnectionCount') return new HubError('HUB_ERR_EWS_BUSY', `EWS is throttling (${code}: more concurrent requests than EWSMaxConcurrency allows)`, { kind: 'throttled', retryAfterMs: backOffMs ?? CONNECTION_COUNT_BACKOFF_MS, status });
  if (MAILBOX_CODES.has(code)) return new HubError('HUB_ERR_EWS_MAILBOX', `${code}: ${message}`, { kind: 'permanent', status });
  if (PERMANENT_CODES.has(code)) return new HubError('HUB_ERR_EWS_REFUSED', `${code}: ${message}`, { kind: 'permanent', status });
  return new HubError('HUB_ERR_EWS_FAULT', `${code}: ${message}`, { kind: 'transient', status });
}

export function classify(status: number | undefined, body: string, cause: unknown, retryAfter?: string | null): HubError {
  if (status === 401 || status === 403) return new HubError('HUB_ERR_EWS_AUTH', `EWS refused the credentials (HTTP ${status}): check auth.username/password or the app's consent and role`, { kind: 'permanent', status });
  if (status === 500) {
    const f = readFault(body);
    if (f !== undefined) return classifyCode(f.code, f.message, status, f.backOffMs);
    return new HubError('HUB_ERR_EWS_FAULT', 'EWS answered HTTP 500 without a SOAP fault', { kind: 'transient', status });
  }
  // ews-throttling-in-exchange table 4: "EWS requests are queuing with IIS. The client should delay sending additional requests."
  if (status === 503) return new HubError('HUB_ERR_EWS_BUSY', 'EWS is throttling (HTTP 503: requests queuing)', { kind: 'throttled', retryAfterMs: parseRetryAfter(retryAfter, Date.now()) ?? DEFAULT_BACKOFF_MS, status });
  if (status === undefined || status === 0) return new HubError('HUB_ERR_EWS_UNREACHABLE', `EWS unreachable: ${(cause as { code?: string; message?: string })?.code ?? (cause as Error)?.message ?? 'no answer'}`, { kind: 'transient' });
  return new HubError('HUB_ERR_EWS_UNREACHABLE', `EWS answered HTTP ${status}`, { kind: 'transient', status });
}

/** What the library is handed for a failure: no status it would parse, nothing that makes it throw. */
function digestible(e: HubError): XMLHttpRequest {
  return { status: 0, message: e.message, responseText: '', headers: {}, getResponseHeader: () => null, getAllResponseHeaders: () => '' } as unknown as XMLHttpRequest;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref?.());

export class EwsTransport implements IXHRApi {
  /** The classified failure of the last request; the client throws it instead of the library's error. */
  lastFailure: HubError | undefined;
  private abort: AbortController | undefined;
  readonly apiName = 'presence-hub';

  constructor(private readonly o: { inner: XhrApi; pace: Pace; timeoutMs: number; affinity?: Affinity; onRequest?: () => void; onBusy?: (ms: number) => void }) {}

  /** The group's affinity cookie on the request (added to what the server already set for it, if anything). */
  private withAffinity(options: IXHROptions): IXHROptions {
    const cookie = this.o.affinity?.cookie;
    if (cookie === undefined) return options;
    const headers: Record<string, string> = { ...((options.headers ?? {}) as Record<string, string>) };
    const name = Object.keys(headers).find((k) => k.toLowerCase() === 'cookie');
    const kept = name === undefined ? [] : headers[name]!.split(/;\s*/).filter((c) => c !== '' && !c.toLowerCase().startsWith(`${AFFINITY_COOKIE.toLowerCase()}=`));
    if (name !== undefined) delete headers[name];
    return { ...options, headers: { ...headers, Cookie: [...kept, cookie].join('; ') } };
  }

  private keepAffinity(headers: unknown): void {
    if (this.o.affinity === undefined || headers == null) return;
    const h = headers as Record<string, unknown> & { get?: (n: string) => string | null; getSetCookie?: () => string[] };
    const set = typeof h.getSetCookie === 'function' ? h.getSetCookie() : h['set-cookie'];
    const cookie = affinityCookie(set);
    if (cookie !== undefined) this.o.affinity.cookie = cookie;
  }

  private async waitPace(): Promise<void> {
    for (let wait = this.o.pace.until - Date.now(); wait > 0; wait = this.o.pace.until - Date.now()) await sleep(wait);
  }

  private fail(status: number | undefined, body: string, cause: unknown, retryAfter?: string | null): HubError {
    const e = classify(status, body, cause, retryAfter);
    if (e.kind === 'throttled') {
      this.o.pace.until = Math.max(this.o.pace.until, Date.now() + (e.retryAfterMs ?? 0));
      this.o.onBusy?.(e.retryAfterMs ?? 0);
    }
    this.lastFailure = e;
    return e;
  }

  async xhr(options: IXHROptions): Promise<XMLHttpRequest> {
    await this.waitPace();
    this.lastFailure = undefined;
    this.o.onRequest?.();
    try {
      const r = await this.o.inner.xhr(this.withAffinity(options));
      this.keepAffinity((r as unknown as { headers?: unknown }).headers);
      return r;
    } catch (e) {
      const r = e as { status?: number; responseText?: string; headers?: Record<string, unknown> };
      const ra = r.headers?.['retry-after'];
      throw digestible(this.fail(r.status, typeof r.responseText === 'string' ? r.responseText : '', e, typeof ra === 'string' ? ra : undefined));
    }
  }

  async xhrStream(options: IXHROptions, progress: (p: IXHRProgress) => void): Promise<XMLHttpRequest> {
    await this.waitPace();
    this.lastFailure = undefined;
    this.o.onRequest?.();
    const abort = new AbortController();
    this.abort = abort;
    let res: Response;
    try {
      const o = this.withAffinity(options);
      res = await fetch(o.url, { method: o.type ?? 'POST', headers: o.headers as Record<string, string>, body: o.data as string, signal: AbortSignal.any([abort.signal, AbortSignal.timeout(this.o.timeoutMs)]) });
    } catch (e) {
      throw digestible(this.fail(undefined, '', e));
    }
    if (res.status !== 200) throw digestible(this.fail(res.status, await res.text().catch(() => ''), undefined, res.headers.get('retry-after')));
    // The answer lives up to ConnectionTimeout minutes: only the connect is bounded by the timeout above.
    let buffer = '';
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        for (let end = buffer.indexOf('</Envelope>'); end >= 0; end = buffer.indexOf('</Envelope>')) {
          const frame = buffer.slice(0, end + '</Envelope>'.length);
          buffer = buffer.slice(frame.length);
          progress({ type: 'data', data: frame });
        }
      }
      progress({ type: 'end' });
    } catch (e) {
      if (abort.signal.aborted) progress({ type: 'end' });
      else progress({ type: 'error', error: this.fail(undefined, '', e) });
    }
    return digestible(new HubError('HUB_ERR_EWS_STREAM_END', 'stream ended', { kind: 'transient' }));
  }

  disconnect(): void {
    this.abort?.abort();
    this.abort = undefined;
  }
}
