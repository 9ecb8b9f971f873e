import { HubError } from '../../core/errors.ts';
import type { Logger } from '../../core/util/logger.ts';
import { SipHeaders, type SipRequest, type SipResponse } from './message.ts';
import type { Protocol } from './transport.ts';
import { randomToken, resolveTarget, type Credentials, type UserAgent } from './ua.ts';

export interface PublicationOptions {
  readonly ua: UserAgent;
  /** The presentity (Request-URI and To). */
  readonly aor: string;
  readonly from: string;
  readonly event: string;
  readonly contentType: string;
  readonly expires: number;
  readonly protocol: Protocol;
  readonly proxy?: string;
  readonly credentials?: Credentials;
  readonly log: Logger;
  /** Called when a refresh failed for good, so the owner can publish afresh later. */
  readonly onLost?: (reason: string) => void;
  /**
   * Refresh before expiry by itself (default true). An owner that schedules refreshes itself (the
   * hub's reconciliation, core/publish) sets false and calls refresh().
   */
  readonly autoRefresh?: boolean;
  /** An entity tag a previous run got for this publication (kept in durable state): modify and remove use it. */
  readonly etag?: string;
}

/**
 * One event state publication (RFC 3903 section 4): initial PUBLISH with a body, then refresh
 * (SIP-If-Match, no body) before expiry, modify (SIP-If-Match with a body) and remove (Expires: 0).
 * A 412 means the ETag is unknown to the compositor: the state is published afresh (section 4.4).
 */
export class Publication {
  private etag: string | undefined;
  private body: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly callId = `${randomToken(10)}@hub`;
  private readonly tag = randomToken(6);
  private seq = 0;
  private closed = false;
  private granted: number | undefined;
  /** How often a 412 made this publication publish afresh (the server had lost it). */
  republished = 0;

  constructor(private readonly o: PublicationOptions) {
    this.etag = o.etag;
  }

  get currentEtag(): string | undefined {
    return this.etag;
  }

  /** The lifetime (s) the server granted the last time it accepted this publication. */
  get grantedExpires(): number | undefined {
    return this.granted;
  }

  /**
   * Refreshes the publication (section 4.3: SIP-If-Match, no body). A 412 means the server no
   * longer knows the entity tag (it restarted, or the state expired): the last body is published
   * afresh (section 4.4), or, with no body known, the error is thrown to the owner.
   */
  async refresh(): Promise<void> {
    if (this.etag === undefined) {
      if (this.body === undefined) throw new HubError('HUB_ERR_SIP_PUBLISH', `nothing published for ${this.o.aor} to refresh`, { kind: 'transient' });
      return this.publish(this.body);
    }
    await this.send(undefined, this.o.expires, this.body !== undefined);
  }

  /** Publishes (or modifies) the state. */
  async publish(body: string): Promise<void> {
    this.body = body;
    await this.send(body, this.o.expires, true);
  }

  /**
   * Removes the published state (section 4.5: Expires: 0 with SIP-If-Match). A 412 means the
   * server holds no state under that tag: nothing is left to remove, which is what was asked.
   */
  async remove(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.etag === undefined) return;
    try {
      await this.send(undefined, 0, false);
    } catch (e) {
      if (!(e instanceof HubError && e.status === 412)) throw e;
    }
    this.etag = undefined;
    this.body = undefined;
  }

  /** Publishes again after a remove() (the object is reusable: a fresh publication). */
  reopen(): void {
    this.closed = false;
  }

  private request(body: string | undefined, expires: number, ifMatch: string | undefined): SipRequest {
    const h = new SipHeaders();
    h.add('From', `<${this.o.from}>;tag=${this.tag}`);
    h.add('To', `<${this.o.aor}>`);
    h.add('Call-ID', this.callId);
    h.add('CSeq', `${++this.seq} PUBLISH`);
    h.add('Event', this.o.event);
    h.add('Expires', String(expires));
    if (ifMatch !== undefined) h.add('SIP-If-Match', ifMatch);
    if (body !== undefined) h.add('Content-Type', this.o.contentType);
    return { kind: 'request', method: 'PUBLISH', uri: this.o.aor, headers: h, body: Buffer.from(body ?? '', 'utf8') };
  }

  private async send(body: string | undefined, expires: number, retryOn412: boolean): Promise<void> {
    const req = this.request(body, expires, this.etag);
    const to = resolveTarget(req.uri, { ...(this.o.proxy !== undefined ? { proxy: this.o.proxy } : {}), defaultProtocol: this.o.protocol });
    const res: SipResponse = await this.o.ua.request(req, to, this.o.credentials);
    const cseq = Number.parseInt(res.headers.get('CSeq') ?? '', 10);
    if (Number.isFinite(cseq)) this.seq = Math.max(this.seq, cseq);
    if (res.status === 412 && retryOn412 && this.etag !== undefined) {
      // Section 4.4: the ETag is unknown (the server restarted or the state expired): publish afresh.
      this.o.log.info({ aor: this.o.aor }, 'PUBLISH answered 412; publishing afresh');
      this.etag = undefined;
      this.republished++;
      return this.send(body ?? this.body, this.o.expires, false);
    }
    if (res.status === 423) {
      const min = Number(res.headers.get('Min-Expires'));
      if (retryOn412 && Number.isFinite(min) && min > expires && min <= 86_400) return this.send(body, min, false);
    }
    if (res.status < 200 || res.status >= 300) {
      const kind = res.status === 403 || res.status === 401 || res.status === 407 || res.status === 404 || res.status === 489 ? 'permanent' : 'transient';
      const retryAfter = Number.parseInt(res.headers.get('Retry-After') ?? '', 10);
      throw new HubError('HUB_ERR_SIP_PUBLISH', `PUBLISH for ${this.o.aor} answered ${res.status} ${res.reason}`, { kind, status: res.status, ...(Number.isFinite(retryAfter) && retryAfter >= 0 ? { retryAfterMs: retryAfter * 1000 } : {}) });
    }
    if (expires === 0) return;
    const etag = res.headers.get('SIP-ETag');
    if (etag !== undefined) this.etag = etag;
    const granted = Number(res.headers.get('Expires') ?? expires);
    this.granted = Number.isFinite(granted) && granted > 0 ? granted : expires;
    if (this.o.autoRefresh !== false) this.scheduleRefresh(this.granted);
  }

  private scheduleRefresh(expiresS: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.closed) return;
    const ms = Math.max(expiresS * 500, (expiresS - 30) * 1000, 1000);
    this.timer = setTimeout(() => {
      // A refresh carries no body (section 4.3); on 412 the full state is sent again.
      this.send(undefined, this.o.expires, true).catch((e: unknown) => {
        this.etag = undefined;
        this.o.onLost?.(e instanceof Error ? e.message : String(e));
      });
    }, ms);
    this.timer.unref?.();
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
  }
}
