import { client, type XmlElement, type XmppEntity } from '@xmpp/client';
import { component } from '@xmpp/component';
import { backoffDelay, type BackoffOptions } from '../../core/connector/backoff.ts';
import { HubError, errorMessage } from '../../core/errors.ts';
import type { Logger } from '../../core/util/logger.ts';
import { guardEntity, type InputRefusal } from './xml-guard.ts';

/**
 * The only code that speaks XMPP: one xmpp.js connection, either the service account's client
 * stream (RFC 6120, SASL, resource binding, XEP-0198 stream management when the server offers it;
 * xmpp.js does the negotiation) or an external component's stream (XEP-0114 handshake).
 *
 * xmpp.js's own reconnect (a fixed 1 s delay, forever) is switched off: this link reconnects with
 * capped exponential backoff and jitter, stops retrying on a refused login, and cuts an attempt
 * that does not come online within `timeoutMs`. Inbound XML goes through the guard (xml-guard.ts).
 */
export type LinkKind = 'client' | 'component';

export interface LinkOptions {
  readonly kind: LinkKind;
  readonly service: string;
  readonly domain: string;
  /** client: the local part of the service account; component: unused. */
  readonly username?: string;
  /** client: the account password; component: the shared secret. */
  readonly password: string;
  readonly resource?: string;
  readonly timeoutMs: number;
  readonly maxStanzaBytes: number;
  readonly backoff: BackoffOptions;
  readonly log: Logger;
}

export interface LinkHandlers {
  /** Online: a fresh session (`resumed` false: the server forgot this session's presence) or a resumed one (XEP-0198). */
  online(resumed: boolean): void;
  /** The connection went down, or an attempt to bring it back failed. */
  down(err: HubError): void;
  /** The next reconnect attempt is due in `delayMs` (undefined: none will be made, the login was refused). */
  retrying(delayMs: number | undefined): void;
  stanza(el: XmlElement): void;
}

const NS_STREAMS = 'http://etherx.jabber.org/streams';
const NS_SM = 'urn:xmpp:sm:3';
const AUTH_CONDITIONS = new Set(['not-authorized', 'account-disabled', 'credentials-expired', 'invalid-mechanism', 'encryption-required']);

/** A failure of the connection as a HubError with its kind (transient, permanent). */
export function classify(kind: LinkKind, e: unknown): HubError {
  if (e instanceof HubError) return e;
  const condition = (e as { condition?: string }).condition;
  const name = (e as { name?: string }).name;
  const what = kind === 'client' ? 'the service account' : 'the component';
  if (condition !== undefined && AUTH_CONDITIONS.has(condition) && (name === 'SASLError' || kind === 'component')) {
    return new HubError('HUB_ERR_XMPP_AUTH', `the server refused ${what} (${condition}); check ${kind === 'client' ? 'jid and password' : 'component.domain and component.secret'}`, { kind: 'permanent' });
  }
  if (condition === 'host-unknown' || condition === 'improper-addressing') {
    return new HubError('HUB_ERR_XMPP_CONFIG', `the server does not serve this ${kind === 'client' ? 'domain' : 'component domain'} (${condition})`, { kind: 'permanent' });
  }
  if (condition === 'conflict') {
    return new HubError('HUB_ERR_XMPP_CONFLICT', `another connection holds ${what}'s address (${condition}); retried`, { kind: 'transient' });
  }
  const msg = condition !== undefined ? `stream error ${condition}` : errorMessage(e);
  return new HubError('HUB_ERR_XMPP_UNREACHABLE', `XMPP server unreachable or the stream failed: ${msg}`, { kind: 'transient' });
}

/** Redirects followed in a row without coming online before the attempt counts as failed (a loop between servers). */
export const MAX_REDIRECTS = 5;

/**
 * The service a see-other-host stream error names (RFC 6120 section 4.9.3.19: a domain name, an
 * IPv4 address or a bracketed IPv6 address, optionally `:port`), with the scheme of the current
 * service (so TLS stays as configured); undefined for anything else.
 */
export function redirectTarget(current: string, host: string | null | undefined): string | undefined {
  const h = host?.trim() ?? '';
  if (h.length === 0 || h.length > 300 || !/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?$/.test(h)) return undefined;
  const scheme = /^([a-z][a-z0-9+.-]*:)\/\//i.exec(current)?.[1] ?? 'xmpp:';
  return `${scheme}//${h}`;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    t = setTimeout(() => reject(new HubError('HUB_ERR_XMPP_TIMEOUT', `${what} took longer than ${ms} ms`, { kind: 'transient' })), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(t));
}

export class XmppLink {
  private entity: XmppEntity | undefined;
  private stopping = false;
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  private permanent: HubError | undefined;
  /** The error of the current attempt (a refused login comes as an 'error' before the disconnect). */
  private lastError: unknown;
  private isOnline = false;
  /** The server offered XEP-0198 in its last stream features. */
  private smOffered = false;
  /** A see-other-host stream error named this service: the next connection goes there. */
  private redirect: string | undefined;
  /** Redirects followed since the link was last online. */
  private redirects = 0;

  constructor(
    private readonly o: LinkOptions,
    private readonly h: LinkHandlers,
  ) {}

  get online(): boolean {
    return this.isOnline && this.entity?.status === 'online';
  }

  /** Connects and resolves once online; rejects with a classified HubError (and leaves nothing open). */
  async start(): Promise<void> {
    this.stopping = false;
    this.permanent = undefined;
    this.redirects = 0;
    let service = this.o.service;
    for (;;) {
      const e = this.create(service);
      try {
        await withTimeout(e.start(), this.o.timeoutMs, `connecting to ${service}`);
        break;
      } catch (err) {
        // Redirected before coming online (a component's handshake fails on the stream error): the named server next.
        const to = this.redirect;
        this.redirect = undefined;
        if (to !== undefined && this.redirects < MAX_REDIRECTS) {
          this.redirects++;
          if (this.timer !== undefined) clearTimeout(this.timer);
          this.timer = undefined;
          this.lastError = undefined;
          this.o.log.info({ to }, 'XMPP server redirected the connection (see-other-host)');
          await this.discard(e);
          service = to;
          continue;
        }
        const hub = to !== undefined ? new HubError('HUB_ERR_XMPP_UNREACHABLE', `XMPP servers redirected the connection more than ${MAX_REDIRECTS} times (see-other-host); the last named ${to}`, { kind: 'transient' }) : classify(this.o.kind, this.lastError ?? err);
        await this.stop();
        throw hub;
      }
    }
    this.attempt = 0;
  }

  private create(service: string): XmppEntity {
    const o = this.o;
    const e: XmppEntity =
      o.kind === 'client'
        ? client({ service, domain: o.domain, username: o.username!, password: o.password, resource: o.resource!, timeout: o.timeoutMs })
        : component({ service, domain: o.domain, password: o.password });
    e.timeout = o.timeoutMs;
    e.reconnect.stop();
    // RFC 6120 section 4.9.3.19: the stream is closed and the connection made again to the server
    // named. xmpp.js's own redirect gives up when an error comes between (a component's handshake
    // always fails on the stream error), so the link follows it itself: the next connection goes there.
    e._onSeeOtherHost = async (err) => {
      this.redirect = redirectTarget(e.options.service, err.element?.getChildText('see-other-host', 'urn:ietf:params:xml:ns:xmpp-streams'));
    };
    guardEntity(e, o.maxStanzaBytes, (r: InputRefusal) => {
      o.log.warn({ condition: r.condition }, `XMPP input refused: ${r.reason}`);
      this.lastError = new HubError('HUB_ERR_XMPP_INPUT', r.reason, { kind: 'transient' });
    });
    if (o.kind === 'client') {
      // RFC 6121 section 2.1.6: a roster push (the server telling of a change to the roster) is
      // answered with a result; the roster is read again at each fresh session, and the presence
      // the change brings comes by itself. A push from anyone but the account itself is a spoof:
      // not taken (xmpp.js answers service-unavailable).
      e.iqCallee?.set('jabber:iq:roster', 'query', ({ stanza }) => {
        const from = stanza.attrs.from;
        return from === undefined || from.toLowerCase() === `${o.username ?? ''}@${o.domain}`.toLowerCase() ? true : undefined;
      });
    }
    e.on('error', (err: unknown) => {
      this.lastError = err;
      const c = classify(o.kind, err);
      if (c.kind === 'permanent') this.permanent = c;
    });
    e.on('nonza', (el: XmlElement) => {
      if (el.name === 'stream:features' || el.is('features', NS_STREAMS)) this.smOffered = el.getChild('sm', NS_SM) !== undefined;
    });
    e.on('online', () => void this.whenSettled(e));
    e.streamManagement?.on('resumed', () => {
      this.isOnline = true;
      this.attempt = 0;
      this.lastError = undefined;
      this.h.online(true);
    });
    e.on('disconnect', () => this.dropped());
    e.on('stanza', (el: XmlElement) => {
      try {
        this.h.stanza(el);
      } catch (err) {
        o.log.warn({ err: errorMessage(err) }, 'XMPP stanza handler failed');
      }
    });
    this.entity = e;
    return e;
  }

  /**
   * xmpp.js announces `online` before its XEP-0198 `<enable/>` is answered, and counts a stanza that
   * arrives in the same read as `<enabled/>` before it resets its counter to zero: its later acks
   * are then short, and Prosody closes the session ("client acknowledged less stanzas"). So no
   * stanza of ours goes out (none of the server's answers can follow `<enabled/>` in one read) until
   * stream management is enabled, or the server did not offer it.
   */
  private async whenSettled(e: XmppEntity): Promise<void> {
    const end = Date.now() + this.o.timeoutMs;
    while (this.smOffered && e.streamManagement?.enabled !== true && Date.now() < end && e.status === 'online') await new Promise((r) => setTimeout(r, 10));
    if (e !== this.entity || e.status !== 'online') return;
    this.isOnline = true;
    this.attempt = 0;
    this.redirects = 0;
    this.lastError = undefined;
    this.h.online(false);
  }

  /** The socket closed: report once per attempt and try again later, unless stopping or refused for good. */
  private dropped(): void {
    const wasOnline = this.isOnline;
    this.isOnline = false;
    if (this.stopping || this.entity === undefined) return;
    if (this.redirect !== undefined && this.permanent === undefined && this.redirects < MAX_REDIRECTS) {
      // Not a failure: the server sent the link elsewhere; it connects there at once.
      this.lastError = undefined;
      this.o.log.info({ to: this.redirect }, 'XMPP server redirected the connection (see-other-host)');
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.reconnect();
      }, 0);
      this.timer.unref?.();
      return;
    }
    if (this.redirect !== undefined) this.lastError = new Error(`redirected more than ${MAX_REDIRECTS} times (see-other-host); the last named ${this.redirect}`);
    this.redirect = undefined;
    const err = this.permanent ?? classify(this.o.kind, this.lastError ?? new Error(wasOnline ? 'connection closed' : 'reconnect failed'));
    this.lastError = undefined;
    this.h.down(err);
    if (this.permanent !== undefined) {
      this.o.log.warn({ code: this.permanent.code }, 'XMPP login refused: not retried until the connector restarts');
      this.h.retrying(undefined);
      return;
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.timer !== undefined || this.stopping) return;
    this.attempt++;
    const delay = backoffDelay(this.attempt, this.o.backoff);
    this.h.retrying(delay);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.reconnect();
    }, delay);
    this.timer.unref?.();
  }

  private async reconnect(): Promise<void> {
    const e = this.entity;
    if (e === undefined || this.stopping || e.status !== 'disconnect') return;
    // The server a see-other-host named, for this connection only; the configured one otherwise.
    if (this.redirect !== undefined) this.redirects++;
    e.options.service = this.redirect ?? this.o.service;
    this.redirect = undefined;
    try {
      await withTimeout(e.reconnect.reconnect(), this.o.timeoutMs, `reconnecting to ${String(e.options.service)}`);
    } catch (err) {
      this.lastError ??= err;
      // Still connecting (a server that does not answer): cut it; the disconnect schedules the next try.
      if (e.status !== 'disconnect' && e.status !== 'online') (e as unknown as { socket?: { destroy(): void } }).socket?.destroy();
    }
  }

  async send(el: XmlElement): Promise<void> {
    const e = this.entity;
    if (e === undefined || !this.online) throw new HubError('HUB_ERR_XMPP_OFFLINE', `not connected to ${this.o.service}`, { kind: 'transient' });
    await e.send(el);
  }

  /** An IQ round trip (RFC 6120 section 8.2.3), within the timeout. */
  async request(el: XmlElement): Promise<XmlElement> {
    const e = this.entity;
    if (e === undefined || !this.online) throw new HubError('HUB_ERR_XMPP_OFFLINE', `not connected to ${this.o.service}`, { kind: 'transient' });
    return e.iqCaller.request(el, this.o.timeoutMs);
  }

  /** Closes the stream (the server then sends `unavailable` for the client's presence); harmless twice. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.isOnline = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const e = this.entity;
    this.entity = undefined;
    if (e === undefined) return;
    await this.discard(e);
  }

  /** Closes one connection for good: its stream (in time, else cut), its socket, its listeners. */
  private async discard(e: XmppEntity): Promise<void> {
    if (this.entity === e) this.entity = undefined;
    try {
      if (e.status !== 'offline') await withTimeout(e.stop(), Math.min(this.o.timeoutMs, 3000), 'closing the XMPP stream');
    } catch {
      // A stream that does not close in time is cut.
    } finally {
      (e as unknown as { socket?: { destroy(): void } | null }).socket?.destroy();
      e.removeAllListeners();
      e.on('error', () => undefined);
    }
  }
}
