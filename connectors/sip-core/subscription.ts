import type { Logger } from '../../core/util/logger.ts';
import { errorMessage } from '../../core/errors.ts';
import { parseCSeq, parseNameAddr, parseValueParams } from './header-values.ts';
import { SipHeaders, type SipRequest, type SipResponse } from './message.ts';
import type { RespondFn } from './transaction.ts';
import type { Peer, Protocol } from './transport.ts';
import { randomToken, resolveTarget, type Credentials, type UserAgent } from './ua.ts';

/** What a NOTIFY delivered (RFC 6665 section 4.1.3). */
export interface Notification {
  readonly body: Buffer;
  readonly contentType: string;
  readonly state: 'active' | 'pending' | 'terminated';
  readonly reason?: string;
  /** The notifier's CSeq went backwards: it restarted and lost its counters (accepted, not refused). */
  readonly restarted: boolean;
}

export interface SubscriptionOptions {
  readonly ua: UserAgent;
  readonly target: string;
  readonly from: string;
  readonly event: string;
  readonly accept: readonly string[];
  readonly expires: number;
  readonly protocol: Protocol;
  readonly proxy?: string;
  readonly credentials?: Credentials;
  readonly log: Logger;
  readonly backoff?: { baseMs: number; maxMs: number };
  /** Timer N (RFC 6665 section 4.1.2.4): the wait for the first NOTIFY after a 2xx. */
  readonly timerNMs?: number;
  readonly onNotify: (n: Notification) => void;
  /**
   * The subscription is gone (failed, terminated, timed out); it will be re-created, unless
   * `permanent`: the server refused the hub (401/407 after its credentials, 403) and retrying
   * cannot change that until the configuration does.
   */
  readonly onDown: (reason: string, permanent?: boolean, ended?: boolean) => void;
  readonly onUp?: () => void;
  /**
   * The notifier lost or dropped this subscription's state, so it may have restarted: a refresh
   * answered 481/408 or not answered, a terminated NOTIFY with a reason that invites a new
   * subscription (deactivated, probation, timeout, giveup), no NOTIFY within Timer N after a
   * (re)SUBSCRIBE, or its NOTIFY CSeq going back. The subscription re-creates itself either way.
   */
  readonly onLost?: (why: string) => void;
}

/** Terminated reasons after which the subscriber SHOULD NOT re-subscribe (RFC 6665 section 4.1.3). */
const FINAL_REASONS: ReadonlySet<string> = new Set(['rejected', 'noresource', 'invariant']);

interface DialogState {
  remoteTag?: string;
  remoteTarget: string;
  routeSet: string[];
  remoteSeq?: number;
}

/**
 * One subscriber dialog (RFC 6665 section 4.1, dialog rules of RFC 3261 section 12): initial
 * SUBSCRIBE, NOTIFY handling, refresh before expiry, unsubscribe, and re-creation with backoff
 * after any failure or termination (honouring retry-after).
 */
export class Subscription {
  callId = '';
  private localTag = '';
  private localSeq = 0;
  private dialog: DialogState | undefined;
  private timer: NodeJS.Timeout | undefined;
  private timerN: NodeJS.Timeout | undefined;
  private attempts = 0;
  /** NOTIFYs received: a NOTIFY that overtook the 2xx (section 4.1.2.4) must not leave Timer N running. */
  private notifies = 0;
  private stopped = false;
  private up = false;
  private expires: number;
  private readonly register: (s: Subscription) => void;

  constructor(
    private readonly o: SubscriptionOptions,
    registry: { add(s: Subscription): void; remove(s: Subscription): void },
  ) {
    this.expires = o.expires;
    this.register = (s) => registry.add(s);
    this.unregister = () => registry.remove(this);
  }
  private readonly unregister: () => void;

  get target(): string {
    return this.o.target;
  }
  get active(): boolean {
    return this.up;
  }

  start(): void {
    this.stopped = false;
    void this.subscribe(true);
  }

  private schedule(ms: number, fn: () => void): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.stopped) return;
    this.timer = setTimeout(fn, ms);
    this.timer.unref?.();
  }

  private backoffMs(retryAfterS?: number): number {
    if (retryAfterS !== undefined && Number.isFinite(retryAfterS)) return retryAfterS * 1000;
    const b = this.o.backoff ?? { baseMs: 1000, maxMs: 300_000 };
    const d = Math.min(b.maxMs, b.baseMs * 2 ** Math.min(this.attempts, 20));
    this.attempts++;
    return d / 2 + Math.random() * (d / 2);
  }

  private down(reason: string, retryMs: number, lost = false): void {
    const wasUp = this.up;
    this.up = false;
    this.dialog = undefined;
    if (this.timerN !== undefined) clearTimeout(this.timerN);
    this.unregister();
    if (!this.stopped) {
      this.o.log.info({ target: this.o.target, event: this.o.event, reason, retryInMs: Math.round(retryMs) }, 'SIP subscription down');
      this.o.onDown(reason);
      if (lost) this.o.onLost?.(reason);
      this.schedule(retryMs, () => void this.subscribe(true));
    } else if (wasUp) this.o.onDown(reason);
  }

  /** Ends the subscription for good (no re-creation): the server refused the hub itself, or ended it for good. */
  private fail(reason: string, ended = false): void {
    this.up = false;
    this.dialog = undefined;
    if (this.timerN !== undefined) clearTimeout(this.timerN);
    this.unregister();
    if (this.stopped) return;
    this.o.log.warn({ target: this.o.target, event: this.o.event, reason }, ended ? 'SIP subscription ended by the notifier, not re-subscribed' : 'SIP subscription refused, not retried');
    this.o.onDown(reason, true, ended);
  }

  private build(expires: number): SipRequest {
    const d = this.dialog;
    const h = new SipHeaders();
    h.add('From', `<${this.o.from}>;tag=${this.localTag}`);
    h.add('To', d?.remoteTag !== undefined ? `<${this.o.target}>;tag=${d.remoteTag}` : `<${this.o.target}>`);
    h.add('Call-ID', this.callId);
    h.add('CSeq', `${++this.localSeq} SUBSCRIBE`);
    for (const r of d?.routeSet ?? []) h.add('Route', r);
    h.add('Contact', this.o.ua.contact('hub', this.o.protocol));
    h.add('Event', this.o.event);
    h.add('Expires', String(expires));
    h.add('Accept', this.o.accept.join(', '));
    h.add('Allow-Events', this.o.event);
    return { kind: 'request', method: 'SUBSCRIBE', uri: d?.remoteTarget ?? this.o.target, headers: h, body: Buffer.alloc(0) };
  }

  private dest(req: SipRequest): Peer {
    const route = this.dialog?.routeSet ?? [];
    return resolveTarget(req.uri, { ...(this.o.proxy !== undefined && route.length === 0 ? { proxy: this.o.proxy } : {}), route, defaultProtocol: this.o.protocol });
  }

  private async subscribe(initial: boolean): Promise<void> {
    if (this.stopped) return;
    if (initial) {
      this.unregister();
      this.callId = `${randomToken(10)}@hub`;
      this.localTag = randomToken(6);
      this.localSeq = 0;
      this.dialog = undefined;
      this.register(this);
    }
    const req = this.build(this.expires);
    const notifiesBefore = this.notifies;
    let res: SipResponse;
    try {
      res = await this.o.ua.request(req, this.dest(req), this.o.credentials);
    } catch (e) {
      if (this.stopped) return;
      // A refresh nobody answers: the notifier is gone or restarted (its state may be lost).
      return this.down(`SUBSCRIBE failed: ${errorMessage(e)}`, initial ? this.backoffMs() : 0, !initial);
    }
    if (this.stopped) return;
    this.localSeq = Math.max(this.localSeq, parseCSeq(res.headers.get('CSeq') ?? '')?.seq ?? 0);
    if (res.status >= 200 && res.status < 300) {
      this.attempts = 0;
      if (initial || this.dialog === undefined) this.establish(res);
      // RFC 6665 section 4.1.2.1: the notifier may shorten, never lengthen, the duration.
      const granted = Number(res.headers.get('Expires') ?? this.expires);
      this.refreshIn(Number.isFinite(granted) && granted > 0 ? Math.min(granted, this.expires) : this.expires);
      // Timer N (section 4.1.2.4): a notifier sends a NOTIFY at once after accepting a SUBSCRIBE,
      // initial or refresh (section 4.2.1.2); none within 64*T1 means the subscription is gone.
      if (this.timerN !== undefined) clearTimeout(this.timerN);
      this.timerN = undefined;
      if (this.notifies === notifiesBefore) {
        this.timerN = setTimeout(() => this.down(`no NOTIFY within Timer N (${Math.round((this.o.timerNMs ?? 32_000) / 1000)} s) after the 2xx to a SUBSCRIBE (RFC 6665 section 4.1.2.4)`, this.backoffMs(), true), this.o.timerNMs ?? 32_000);
        this.timerN.unref?.();
      }
      return;
    }
    if (res.status === 423) {
      const min = Number(res.headers.get('Min-Expires'));
      if (Number.isFinite(min) && min > 0 && min <= 86_400) this.expires = min;
      return this.down('423 Interval Too Brief', 0);
    }
    if (refusesTheHub(res)) return this.fail(`SUBSCRIBE answered ${res.status} ${res.reason}`);
    const retryAfter = Number.parseInt(res.headers.get('Retry-After') ?? '', 10);
    // An in-dialog refresh answered 481/408 means the notifier lost the subscription: re-create now.
    const lost = !initial && (res.status === 481 || res.status === 408);
    this.down(`SUBSCRIBE answered ${res.status} ${res.reason}`, lost ? 0 : this.backoffMs(Number.isNaN(retryAfter) ? undefined : retryAfter), lost);
  }

  private establish(res: SipResponse): void {
    const to = parseNameAddr(res.headers.get('To') ?? '');
    const contact = parseNameAddr(res.headers.getAll('Contact')[0] ?? '');
    const rr = res.headers.getAll('Record-Route').reverse(); // UAC route set: reverse order (section 12.1.2)
    const remoteSeq = this.dialog?.remoteSeq;
    this.dialog = { remoteTarget: contact?.uri ?? this.o.target, routeSet: rr, ...(to?.params.tag !== undefined ? { remoteTag: to.params.tag } : {}), ...(remoteSeq !== undefined ? { remoteSeq } : {}) };
  }

  private refreshIn(expiresS: number): void {
    // Refresh well before expiry: at the later of half the duration and 30 s before the end.
    const ms = Math.max(expiresS * 500, (expiresS - 30) * 1000, 1000);
    this.schedule(ms, () => void this.subscribe(false));
  }

  /** An in-dialog NOTIFY routed here by Call-ID (RFC 6665 section 4.1.3). */
  handleNotify(req: SipRequest, respond: RespondFn): void {
    const from = parseNameAddr(req.headers.get('From') ?? '');
    const to = parseNameAddr(req.headers.get('To') ?? '');
    if (to?.params.tag !== this.localTag) return respond(481, 'Subscription Does Not Exist');
    const cseq = parseCSeq(req.headers.get('CSeq') ?? '')!;
    if (this.dialog === undefined || this.dialog.remoteTag === undefined) {
      // NOTIFY before the 2xx (section 4.1.2.4): it creates the dialog. As UAS the route set is in order.
      const contact = parseNameAddr(req.headers.getAll('Contact')[0] ?? '');
      this.dialog = { remoteTarget: contact?.uri ?? this.o.target, routeSet: req.headers.getAll('Record-Route'), ...(from?.params.tag !== undefined ? { remoteTag: from.params.tag } : {}) };
    } else if (from?.params.tag !== undefined && from.params.tag !== this.dialog.remoteTag) {
      return respond(481, 'Subscription Does Not Exist');
    }
    const restarted = this.dialog.remoteSeq !== undefined && cseq.seq <= this.dialog.remoteSeq;
    this.dialog.remoteSeq = cseq.seq;
    const ss = parseValueParams(req.headers.get('Subscription-State') ?? '');
    if (ss.value !== 'active' && ss.value !== 'pending' && ss.value !== 'terminated') {
      return respond(400, 'Bad Request: Subscription-State missing or invalid');
    }
    respond(200, 'OK', { headers: [['Contact', this.o.ua.contact('hub', this.o.protocol)]] });
    this.notifies++;
    if (this.timerN !== undefined) clearTimeout(this.timerN);
    this.timerN = undefined;
    if (restarted) {
      this.o.log.info({ target: this.o.target, cseq: cseq.seq }, 'notifier CSeq restarted (server restart); NOTIFY accepted');
      this.o.onLost?.('the notifier CSeq went back (a restart)');
    }
    // Reason values are tokens, and SIP compares tokens without regard to case (RFC 3261 section 7.3.1).
    const givenReason = ss.params.reason?.toLowerCase();
    const n: Notification = {
      body: req.body,
      contentType: req.headers.get('Content-Type') ?? '',
      state: ss.value,
      restarted,
      ...(givenReason !== undefined ? { reason: givenReason } : {}),
    };
    if (ss.value !== 'terminated') {
      if (!this.up) {
        this.up = true;
        this.o.onUp?.();
      }
      this.attempts = 0;
      const exp = Number(ss.params.expires);
      if (Number.isFinite(exp) && exp > 0 && exp < this.expires) this.refreshIn(exp);
      this.o.onNotify(n);
      return;
    }
    if (req.body.length > 0) this.o.onNotify(n);
    // Section 4.1.3: deactivated and timeout invite an immediate new subscription (retry-after has
    // no meaning for them); probation and giveup one after retry-after (else backoff); rejected,
    // noresource and invariant mean the subscriber SHOULD NOT re-subscribe. An unknown or missing
    // reason may re-subscribe (after retry-after).
    const retryAfter = Number.parseInt(ss.params['retry-after'] ?? '', 10);
    const reason = givenReason ?? 'unspecified';
    if (FINAL_REASONS.has(reason)) return this.fail(`terminated (${reason}): RFC 6665 section 4.1.3 says not to re-subscribe`, true);
    const immediate = reason === 'deactivated' || reason === 'timeout';
    this.down(`terminated (${reason})`, immediate ? 0 : !Number.isNaN(retryAfter) ? retryAfter * 1000 : this.backoffMs(), true);
  }

  /** Forces an in-dialog refresh now (e.g. a dialog-info version gap asks for a full state). */
  refreshNow(): void {
    if (this.dialog !== undefined && !this.stopped) this.schedule(0, () => void this.subscribe(false));
  }

  /** Whether an in-dialog refresh can be sent (the dialog is established). */
  get established(): boolean {
    return this.dialog?.remoteTag !== undefined && !this.stopped;
  }

  /** Unsubscribes (Expires: 0, section 4.1.2.3) without waiting more than `waitMs`. */
  async stop(waitMs = 2000): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.timerN !== undefined) clearTimeout(this.timerN);
    const d = this.dialog;
    if (d !== undefined && d.remoteTag !== undefined) {
      const req = this.build(0);
      let t: NodeJS.Timeout | undefined;
      await Promise.race([
        this.o.ua.request(req, this.dest(req), this.o.credentials).catch(() => undefined),
        new Promise((r) => {
          t = setTimeout(r, waitMs);
        }),
      ]);
      if (t !== undefined) clearTimeout(t);
    }
    this.up = false;
    this.dialog = undefined;
    this.unregister();
  }
}

/** Routes in-dialog NOTIFYs to their subscription by Call-ID. */
export class SubscriptionSet {
  private readonly byCallId = new Map<string, Subscription>();
  add(s: Subscription): void {
    this.byCallId.set(s.callId, s);
  }
  remove(s: Subscription): void {
    if (this.byCallId.get(s.callId) === s) this.byCallId.delete(s.callId);
  }
  get size(): number {
    return this.byCallId.size;
  }
  /** Handles a NOTIFY; returns false when it belongs to no subscription here. */
  route(req: SipRequest, respond: RespondFn): boolean {
    const s = this.byCallId.get(req.headers.get('Call-ID') ?? '');
    if (s === undefined) return false;
    s.handleNotify(req, respond);
    return true;
  }
}

/**
 * A final 403, or a 401/407 the user agent already answered with the configured credentials (it
 * answers a challenge once, RFC 3261 section 22.2) that is not a stale-nonce challenge (RFC 7616
 * section 3.3): wrong credentials or a hub the server does not let watch. Retrying does not help.
 */
function refusesTheHub(res: SipResponse): boolean {
  if (res.status === 403) return true;
  if (res.status !== 401 && res.status !== 407) return false;
  const challenges = res.headers.getAll(res.status === 401 ? 'WWW-Authenticate' : 'Proxy-Authenticate');
  return !challenges.some((c) => /\bstale\s*=\s*"?true"?/i.test(c));
}
