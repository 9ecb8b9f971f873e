import { xml, type XmlElement } from '@xmpp/client';
import type { Connector, ConnectorContext, TestResult } from '../../core/connector/contract.ts';
import type { PublishHandle } from '../../core/publish/target.ts';
import { HubError, errorMessage } from '../../core/errors.ts';
import { XmppLink, type LinkHandlers, type LinkKind, type LinkOptions } from './client.ts';
import { PresenceCollector } from './collector.ts';
import { collectVia, type XmppConfig } from './config.ts';
import { PresenceRefused, readPresence, type PublishedStates } from './map.ts';
import { XmppPublisher } from './publisher.ts';
import { Subscribers } from './subscribers.ts';
import { WatchList } from './watch-list.ts';

/** How long the collected state is kept while the server is unreachable (then: nothing known). */
const HOLD_MS = 30_000;

/**
 * One xmpp connector instance: up to two connections (the service account's client stream for
 * collecting, the component stream for publishing and optionally collecting), the collector, the
 * watch list and the publisher. The loop guard lives in `route()`: nothing from the presence
 * domain (the hub's own published JIDs and the component itself) or from the service account is
 * ever read as a person's state.
 */
export class XmppConnector implements Connector {
  private client: XmppLink | undefined;
  private component: XmppLink | undefined;
  private running = false;
  private readonly via: 'client' | 'component' | undefined;
  private readonly collector: PresenceCollector;
  private readonly watch: WatchList | undefined;
  private readonly subscribers: Subscribers;
  private readonly publisher: XmppPublisher | undefined;
  private handle: PublishHandle<PublishedStates> | undefined;

  constructor(private readonly ctx: ConnectorContext<XmppConfig>) {
    const c = ctx.config;
    this.via = collectVia(c);
    this.collector = new PresenceCollector({ ctx, holdMs: HOLD_MS });
    this.subscribers = new Subscribers(ctx.state);
    if (this.via !== undefined) {
      this.watch = new WatchList({ ctx, via: this.via, link: () => (this.via === 'client' ? this.client : this.component), self: this.via === 'client' ? c.jid! : c.component!.domain });
    }
    if (c.component?.publish === true) this.publisher = new XmppPublisher({ ctx, link: () => this.component, subscribers: this.subscribers });
  }

  private options(kind: LinkKind, resource?: string): LinkOptions {
    const c = this.ctx.config;
    const common = { timeoutMs: c.timeout, maxStanzaBytes: c.maxStanzaBytes, backoff: { baseMs: c.reconnect.base, maxMs: c.reconnect.max }, log: this.ctx.log };
    if (kind === 'component') return { kind, service: c.component!.service, domain: c.component!.domain, password: c.component!.secret, ...common };
    const [username, domain] = c.jid!.split('@') as [string, string];
    return { kind, service: c.service!, domain, username, password: c.password!, resource: resource ?? c.resource, ...common };
  }

  private handlers(kind: LinkKind): LinkHandlers {
    const collects = this.via === kind;
    return {
      online: (resumed) => {
        this.ctx.log.info({ link: kind, resumed }, `XMPP ${kind} online`);
        if (this.reconnects.delete(kind)) this.reportRetry();
        if (this.allOnline()) this.ctx.report.ok();
        if (resumed) {
          if (collects) this.collector.sessionResumed();
          return;
        }
        if (collects) {
          this.collector.sessionStarted();
          void this.watch?.sessionStarted();
        }
        if (kind === 'component') void this.onComponentSession();
      },
      down: (err) => {
        this.ctx.report.error(err);
        if (collects) this.collector.connectionLost();
      },
      retrying: (delayMs) => {
        if (delayMs === undefined) this.reconnects.delete(kind);
        else this.reconnects.set(kind, this.ctx.clock.now() + delayMs);
        this.reportRetry();
      },
      stanza: (el) => this.route(kind, el),
    };
  }

  /** When each link that is down tries again: health shows the first (docs/connectors.md "Lifecycle, errors, health"). */
  private readonly reconnects = new Map<LinkKind, number>();
  private reportRetry(): void {
    const next = Math.min(...this.reconnects.values());
    this.ctx.report.retryAt(Number.isFinite(next) ? next : undefined);
  }

  /** The configured `reconnect`: a failed start is retried like a dropped link. */
  get backoff(): { baseMs: number; maxMs: number } {
    return { baseMs: this.ctx.config.reconnect.base, maxMs: this.ctx.config.reconnect.max };
  }

  private allOnline(): boolean {
    return (this.client === undefined || this.client.online) && (this.component === undefined || this.component.online);
  }

  /** A fresh component session (not the first): what was sent before may be lost; every subscriber is told again. */
  private async onComponentSession(): Promise<void> {
    this.handle?.resync('the XMPP component connected again');
  }

  async start(): Promise<void> {
    if (this.running) throw new HubError('HUB_ERR_CONNECTOR_RUNNING', `xmpp ${this.ctx.id} is already running`);
    this.running = true;
    const c = this.ctx.config;
    try {
      await this.subscribers.load();
      if (c.component !== undefined) {
        this.component = new XmppLink(this.options('component'), this.handlers('component'));
        await this.component.start();
      }
      if (this.via === 'client') {
        this.client = new XmppLink(this.options('client'), this.handlers('client'));
        await this.client.start();
      }
      if (this.publisher !== undefined) {
        if (this.ctx.publishing === undefined) throw new HubError('HUB_ERR_CONFIG', `${this.ctx.id}: publish needs the hub's reconciliation (ConnectorContext.publishing)`, { kind: 'permanent' });
        // Reconciles at once: every subscriber hears the current presence (docs/publishing.md).
        this.handle = await this.ctx.publishing.attach(this.publisher);
      }
    } catch (e) {
      await this.stop();
      throw e;
    }
    this.ctx.log.info({ collect: this.via ?? 'off', publish: this.publisher !== undefined ? c.component!.domain : 'off', subscribers: this.subscribers.count() }, 'xmpp started');
  }

  /** Every inbound stanza: presence only (xmpp.js answers pings and unknown IQs itself). */
  private route(kind: LinkKind, el: XmlElement): void {
    if (!el.is('presence')) return;
    let p;
    try {
      p = readPresence(el, this.ctx.clock.now());
    } catch (e) {
      if (!(e instanceof PresenceRefused)) throw e;
      this.ctx.report.count('xmpp_presence_refused');
      this.ctx.log.warn({ link: kind, from: el.attrs.from?.slice(0, 80) }, `XMPP presence refused: ${e.message}`);
      return;
    }
    const own = this.ctx.config.component?.domain;
    // Loop guard: the presence domain is the hub's own voice (published JIDs, the component).
    if (p.from.domain === own || (this.ctx.config.jid !== undefined && p.from.bare === this.ctx.config.jid)) {
      if (p.kind === 'available' || p.kind === 'unavailable') this.ctx.report.count('xmpp_own_presence_dropped');
      return;
    }
    if (kind === 'component' && p.to?.local !== undefined && p.to.domain === own) {
      if (this.publisher !== undefined) void this.publisher.handle(p.kind === 'available' ? undefined : p.kind, el.attrs.from!, p.to.bare);
      return;
    }
    if (p.kind === 'error') {
      this.ctx.report.count('xmpp_presence_errors');
      this.ctx.log.info({ from: p.from.bare, condition: p.condition }, 'XMPP presence error from the server');
      return;
    }
    if (this.via !== kind) {
      // The component's own contact entry (a mod_groups group) while collecting via the client: only probes are answered.
      if (p.kind === 'probe' && this.component?.online === true) void this.component.send(xml('presence', { from: own!, to: el.attrs.from! })).catch(() => undefined);
      return;
    }
    switch (p.kind) {
      case 'available':
        this.collector.available(p.from.bare, p.from.resource, p.presence);
        return;
      case 'unavailable':
        this.collector.unavailable(p.from.bare, p.from.resource);
        return;
      case 'subscribe':
      case 'probe':
        void this.watch?.handle(p.kind, el.attrs.from!).catch((e: unknown) => this.ctx.log.warn({ err: errorMessage(e) }, 'XMPP subscription answer failed'));
        return;
      default:
        return;
    }
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    const handle = this.handle;
    this.handle = undefined;
    const steps: (() => Promise<unknown>)[] = [
      () => handle?.detach() ?? Promise.resolve(),
      () => this.publisher?.goodbye() ?? Promise.resolve(),
      () => this.collector.close(),
      () => this.client?.stop() ?? Promise.resolve(),
      () => this.component?.stop() ?? Promise.resolve(),
    ];
    for (const s of steps) await s().catch((e: unknown) => this.ctx.log.warn({ err: errorMessage(e) }, 'xmpp stop step failed'));
    this.client = undefined;
    this.component = undefined;
  }

  /**
   * Logs in with each configured connection and leaves. A component already connected by this
   * instance is reported from its running link (a second connection would be refused: conflict).
   */
  async testConnection(): Promise<TestResult> {
    const kinds: LinkKind[] = [];
    if (this.ctx.config.component !== undefined) kinds.push('component');
    if (this.via === 'client') kinds.push('client');
    for (const kind of kinds) {
      const running = kind === 'component' ? this.component : this.client;
      if (running?.online === true) continue;
      const link = new XmppLink(this.options(kind, `${this.ctx.config.resource}-test`), { online: () => undefined, down: () => undefined, retrying: () => undefined, stanza: () => undefined });
      try {
        await link.start();
      } catch (e) {
        const err = e instanceof HubError ? e : new HubError('HUB_ERR_XMPP_UNREACHABLE', errorMessage(e), { kind: 'transient' });
        return { ok: false, kind: err.kind, code: err.code, message: `${kind}: ${err.message}` };
      } finally {
        await link.stop();
      }
    }
    return { ok: true, message: `logged in (${kinds.join(' and ')})` };
  }
}
