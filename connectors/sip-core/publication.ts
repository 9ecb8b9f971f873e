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

  constructor(private readonly o: PublicationOptions) {}

  get currentEtag(): string | undefined {
    return this.etag;
  }

  /** Publishes (or modifies) the state. */
  async publish(body: string): Promise<void> {
    this.body = body;
    await this.send(body, this.o.expires, true);
  }

  /** Removes the published state (Expires: 0 with SIP-If-Match). */
  async remove(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.etag === undefined) return;
    try {
      await this.send(undefined, 0, false);
    } finally {
      this.etag = undefined;
    }
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
      return this.send(body ?? this.body, this.o.expires, false);
    }
    if (res.status === 423) {
      const min = Number(res.headers.get('Min-Expires'));
      if (retryOn412 && Number.isFinite(min) && min > expires && min <= 86_400) return this.send(body, min, false);
    }
    if (res.status < 200 || res.status >= 300) {
      const kind = res.status === 403 || res.status === 401 || res.status === 407 || res.status === 404 || res.status === 489 ? 'permanent' : 'transient';
      throw new HubError('HUB_ERR_SIP_PUBLISH', `PUBLISH for ${this.o.aor} answered ${res.status} ${res.reason}`, { kind, status: res.status });
    }
    if (expires === 0) return;
    const etag = res.headers.get('SIP-ETag');
    if (etag !== undefined) this.etag = etag;
    const granted = Number(res.headers.get('Expires') ?? expires);
    this.scheduleRefresh(Number.isFinite(granted) && granted > 0 ? granted : expires);
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
