import type { Logger } from '../../core/util/logger.ts';
import { HubError } from '../../core/errors.ts';
import type { TestResult } from '../../core/connector/contract.ts';
import { openUserAgent, type SipConnection } from './config.ts';
import { SipHeaders } from './message.ts';
import { Publication } from './publication.ts';
import { Subscription, SubscriptionSet, type Notification } from './subscription.ts';
import { randomToken, resolveTarget, type UserAgent } from './ua.ts';

/**
 * What a subscription going down (SipSession.subscribe's onDown) is reported as: ended by the
 * server (permanent: not re-subscribed until the connector restarts), refused (permanent:
 * credentials or the server's policy), or down for now (transient: re-subscribed). `what` names
 * the subscription ("subscription", "dialog subscription"), `watched` what the hub watches in the
 * refusal's hint ("it", "the line").
 */
export function subscriptionDownError(o: { what: string; target: string; watched: string }, reason: string, permanent?: boolean, ended?: boolean): HubError {
  if (ended === true) return new HubError('HUB_ERR_SIP_SUBSCRIPTION_ENDED', `the server ended the ${o.what} to ${o.target} (${reason}); not re-subscribed until the connector restarts`, { kind: 'permanent' });
  if (permanent === true) {
    return new HubError('HUB_ERR_SIP_AUTH', `the server refused the ${o.what} to ${o.target} (${reason}), not retried; check auth.username and auth.password, and that the server lets the hub watch ${o.watched}`, { kind: 'permanent' });
  }
  return new HubError('HUB_ERR_SIP_SUBSCRIPTION', `${o.what} to ${o.target} down: ${reason}`, { kind: 'transient' });
}

/**
 * What a SIP connector instance holds open: one user agent, its subscriptions (NOTIFYs routed by
 * Call-ID) and publications, all built from the shared connection settings.
 */
export class SipSession {
  readonly subs = new SubscriptionSet();
  private readonly all = new Set<Subscription>();
  private readonly pubs = new Set<Publication>();
  private readonly lostHandlers: ((why: string) => void)[] = [];
  private fallbackProbe: (() => void) | undefined;
  /** Until then, one lost subscription does not make every other one refresh again (one episode). */
  private episodeUntil = 0;
  private lostTimer: NodeJS.Timeout | undefined;
  private lostWhy: string[] = [];
  private closeTimer: NodeJS.Timeout | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(
    readonly ua: UserAgent,
    private readonly conn: SipConnection,
    private readonly log: Logger,
  ) {
    ua.onRequest((req, _peer, respond) => {
      if (req.method === 'NOTIFY') {
        if (!this.subs.route(req, respond)) respond(481, 'Subscription Does Not Exist');
        return;
      }
      respond(405, 'Method Not Allowed', { headers: [['Allow', 'NOTIFY']] });
    });
    // A closed TCP/TLS connection may be a server restart, or only an idle connection the server
    // closed: a check (one in-dialog refresh) tells them apart.
    ua.onConnectionClosed((peer) => {
      if (this.closed || this.closeTimer !== undefined) return;
      this.closeTimer = setTimeout(() => {
        this.closeTimer = undefined;
        this.check(`the ${peer.protocol.toUpperCase()} connection with ${peer.host}:${peer.port} closed`);
      }, 100);
      this.closeTimer.unref?.();
    });
    if (conn.restartProbe > 0) {
      this.probeTimer = setInterval(() => this.check('periodic check (restartProbe)'), conn.restartProbe);
      this.probeTimer.unref?.();
    }
  }

  /**
   * Called (at most once per 200 ms, with the reasons gathered) when the server lost or dropped
   * the hub's state: a subscription was lost (Subscription onLost), so the server probably
   * restarted. The session has already asked every other subscription to refresh; the owner
   * re-publishes (PublishHandle.resync).
   */
  onServerLost(h: (why: string) => void): void {
    this.lostHandlers.push(h);
  }

  /** What check() does when no subscription can be refreshed (a publisher-only instance refreshes a publication). */
  setFallbackProbe(fn: () => void): void {
    this.fallbackProbe = fn;
  }

  /** Reports that the server lost the hub's state (a publication refresh answered 412, ...). */
  serverLost(why: string): void {
    if (this.closed) return;
    const now = Date.now();
    if (now >= this.episodeUntil) {
      // The first sign of a restart: every other subscription refreshes now (each gets 481 and is
      // re-created) instead of at its next refresh, minutes away.
      this.episodeUntil = now + 5000;
      for (const s of this.all) if (s.established) s.refreshNow();
    }
    this.lostWhy.push(why);
    if (this.lostTimer !== undefined) return;
    this.lostTimer = setTimeout(() => {
      this.lostTimer = undefined;
      const reasons = [...new Set(this.lostWhy.splice(0))];
      this.log.info({ reasons: reasons.slice(0, 5) }, 'the SIP server lost the hub\'s state (restart?): re-subscribing and re-publishing');
      for (const h of this.lostHandlers) h(reasons.join('; '));
    }, 200);
    this.lostTimer.unref?.();
  }

  /** Checks whether the server still knows the hub: one in-dialog refresh (a 481 reports it lost), else the fallback probe. */
  check(why: string): void {
    if (this.closed) return;
    const sub = [...this.all].find((s) => s.established);
    this.log.debug({ why }, 'checking the SIP server still knows the hub');
    if (sub !== undefined) sub.refreshNow();
    else this.fallbackProbe?.();
  }

  static async open(conn: SipConnection, log: Logger): Promise<SipSession> {
    return new SipSession(await openUserAgent(conn, log), conn, log);
  }

  private get proxy(): { proxy?: string } {
    return this.conn.server !== undefined ? { proxy: this.conn.server } : {};
  }

  subscribe(o: { target: string; event: string; accept: string[]; onNotify: (n: Notification) => void; onDown: (reason: string, permanent?: boolean, ended?: boolean) => void; onUp?: () => void }): Subscription {
    const s = new Subscription(
      {
        ua: this.ua,
        from: this.conn.from,
        expires: Math.max(1, Math.round(this.conn.expires / 1000)),
        protocol: this.conn.transport,
        log: this.log,
        backoff: { baseMs: this.conn.retry.base, maxMs: this.conn.retry.max },
        timerNMs: 64 * this.conn.t1,
        ...this.proxy,
        ...(this.conn.auth !== undefined ? { credentials: this.conn.auth } : {}),
        ...o,
        onLost: (why) => this.serverLost(`${o.event} subscription to ${o.target}: ${why}`),
      },
      this.subs,
    );
    this.all.add(s);
    s.start();
    return s;
  }

  /**
   * A publication on this session's user agent. `removeOnClose: false` leaves it in the server when
   * the session closes (an owner that reconciles its publications from durable state).
   */
  publication(o: { aor: string; event: string; contentType: string; expires: number; onLost?: (reason: string) => void; autoRefresh?: boolean; etag?: string; removeOnClose?: boolean }): Publication {
    const { removeOnClose, ...rest } = o;
    const p = new Publication({
      ua: this.ua,
      from: this.conn.from,
      protocol: this.conn.transport,
      log: this.log,
      ...this.proxy,
      ...(this.conn.auth !== undefined ? { credentials: this.conn.auth } : {}),
      ...rest,
    });
    if (removeOnClose !== false) this.pubs.add(p);
    return p;
  }

  /**
   * testConnection() of a SIP connector: probes through the running session, or through a
   * short-lived one on a free local port when the connector is not running.
   */
  static async test(conn: SipConnection, log: Logger, running: SipSession | undefined): Promise<TestResult> {
    if (running !== undefined) return running.probe();
    let s: SipSession | undefined;
    try {
      s = await SipSession.open({ ...conn, listen: { ...conn.listen, port: 0 } }, log);
      return await s.probe();
    } catch (e) {
      return { ok: false, kind: 'transient', code: e instanceof HubError ? e.code : 'HUB_ERR_SIP_TRANSPORT', message: e instanceof Error ? e.message : String(e) };
    } finally {
      await s?.close();
    }
  }

  /**
   * Reachability and credentials check: a fetch (SUBSCRIBE with Expires: 0, RFC 6665 section 4.4.3)
   * of the hub's own address of record, which servers challenge like any subscription but which
   * leaves no state behind. 401/407/403 after our credentials is a permanent failure.
   */
  async probe(): Promise<TestResult> {
    if (this.conn.server === undefined) return { ok: true, message: 'no server configured: requests go to each presentity host' };
    const h = new SipHeaders([
      ['From', `<${this.conn.from}>;tag=${randomToken()}`],
      ['To', `<${this.conn.from}>`],
      ['Call-ID', `${randomToken(10)}@hub`],
      ['CSeq', '1 SUBSCRIBE'],
      ['Contact', this.ua.contact('hub', this.conn.transport)],
      ['Event', 'presence'],
      ['Expires', '0'],
    ]);
    try {
      const res = await this.ua.request({ kind: 'request', method: 'SUBSCRIBE', uri: this.conn.from, headers: h, body: Buffer.alloc(0) }, resolveTarget(this.conn.from, { proxy: this.conn.server, defaultProtocol: this.conn.transport }), this.conn.auth);
      if (res.status === 401 || res.status === 407 || res.status === 403) return { ok: false, kind: 'permanent', code: 'HUB_ERR_SIP_AUTH', message: `the server refused the hub (${res.status} ${res.reason}); check auth.username and auth.password` };
      return { ok: true, message: `the server answered a presence fetch with ${res.status} ${res.reason}` };
    } catch (e) {
      return { ok: false, kind: 'transient', code: e instanceof HubError ? e.code : 'HUB_ERR_SIP_TIMEOUT', message: e instanceof Error ? e.message : String(e) };
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of [this.lostTimer, this.closeTimer]) if (t !== undefined) clearTimeout(t);
    if (this.probeTimer !== undefined) clearInterval(this.probeTimer);
    const errors: unknown[] = [];
    await Promise.all([...this.all].map((s) => s.stop(1000).catch((e: unknown) => errors.push(e))));
    await Promise.all([...this.pubs].map((p) => Promise.race([p.remove(), new Promise((r) => setTimeout(r, 1000).unref())]).catch((e: unknown) => errors.push(e))));
    for (const p of this.pubs) p.close();
    this.all.clear();
    this.pubs.clear();
    await this.ua.close();
    if (errors.length > 0) this.log.warn({ errors: errors.length }, 'some SIP unsubscriptions or removals failed while closing');
  }
}
