import { xml } from '@xmpp/client';
import type { ConnectorContext } from '../../core/connector/contract.ts';
import { errorMessage } from '../../core/errors.ts';
import type { XmppLink } from './client.ts';
import type { XmppConfig } from './config.ts';
import { parseJid } from './map.ts';

const NS_ROSTER = 'jabber:iq:roster';

/**
 * Who the collector watches, and how the server is asked for their presence:
 * - via the service account (client): its roster (RFC 6121 section 2). At each fresh session the
 *   roster is read; a person of the directory with an xmpp: identity on no `to`/`both` item is
 *   asked for a subscription (section 3.1), and a subscription request from a person of the
 *   directory is approved (the service account's own presence says nothing). Then the initial
 *   presence (section 4.2, priority -1: never chosen for messages to the bare JID) makes the server
 *   send every contact's current presence.
 * - via the component: users have the component's domain as a contact (a mod_groups public group,
 *   or a subscription they approved). At each fresh session the component probes every person of
 *   the directory (section 4.3); the server answers with their presence, or `unavailable`.
 */
export class WatchList {
  constructor(
    private readonly deps: {
      ctx: ConnectorContext<XmppConfig>;
      via: 'client' | 'component';
      link: () => XmppLink | undefined;
      /** The JID the presence is watched as (service account bare JID, or the component domain). */
      self: string;
    },
  ) {}

  /** Bare JIDs of the directory's people (their xmpp: identities), excluding the hub's own domains. */
  watched(): Set<string> {
    const out = new Set<string>();
    const own = this.ownDomain();
    for (const p of this.deps.ctx.directory.people()) {
      for (const i of p.identities) {
        if (!/^xmpp:/i.test(i)) continue;
        const j = parseJid(i.slice(5));
        if (j?.local !== undefined && j.domain !== own) out.add(j.bare);
      }
    }
    return out;
  }

  private ownDomain(): string | undefined {
    return this.deps.ctx.config.component?.domain;
  }

  /** Whether this JID may subscribe to the hub's watcher (a person of the directory). */
  isPerson(bare: string): boolean {
    return this.deps.ctx.directory.resolve(`xmpp:${bare}`) !== undefined;
  }

  /** At each fresh session: subscriptions, then the requests that make the server report presence. */
  async sessionStarted(): Promise<void> {
    const link = this.deps.link();
    if (link === undefined) return;
    try {
      if (this.deps.via === 'client') await this.clientSession(link);
      else await this.componentSession(link);
    } catch (e) {
      this.deps.ctx.log.warn({ err: errorMessage(e) }, 'XMPP watch setup failed; retried at the next session');
      this.deps.ctx.report.error(e);
    }
  }

  private async clientSession(link: XmppLink): Promise<void> {
    const cfg = this.deps.ctx.config;
    if (cfg.collect.subscribe) {
      const roster = await link.request(xml('iq', { type: 'get' }, xml('query', { xmlns: NS_ROSTER })));
      const items = roster.getChild('query', NS_ROSTER)?.getChildren('item') ?? [];
      const covered = new Set<string>();
      for (const it of items) {
        const j = parseJid(it.attrs.jid);
        const sub = it.attrs.subscription;
        if (j !== undefined && (sub === 'to' || sub === 'both' || it.attrs.ask === 'subscribe')) covered.add(j.bare);
      }
      let asked = 0;
      for (const bare of this.watched()) {
        if (covered.has(bare)) continue;
        await link.send(xml('presence', { type: 'subscribe', to: bare }));
        asked++;
      }
      if (asked > 0) this.deps.ctx.log.info({ asked }, 'XMPP subscription requests sent to people not yet on the roster');
    }
    await link.send(xml('presence', {}, xml('priority', {}, '-1'), xml('status', {}, 'Presence Hub')));
  }

  private async componentSession(link: XmppLink): Promise<void> {
    const from = this.deps.self;
    await link.send(xml('presence', { from, to: this.deps.ctx.config.component!.domain }));
    for (const bare of this.watched()) await link.send(xml('presence', { type: 'probe', from, to: bare }));
  }

  /**
   * Subscription traffic addressed to the watcher itself (not to a person's published JID):
   * requests from people of the directory are approved (and, via the component, answered with a
   * request back, so their presence flows to it); strangers are refused. Probes are answered with
   * the watcher's own presence.
   */
  async handle(type: string, from: string): Promise<void> {
    const link = this.deps.link();
    if (link === undefined) return;
    const self = this.deps.via === 'component' ? { from: this.deps.self } : {};
    const j = parseJid(from);
    if (j === undefined) return;
    if (type === 'subscribe') {
      if (!this.isPerson(j.bare)) {
        await link.send(xml('presence', { ...self, type: 'unsubscribed', to: j.bare }));
        return;
      }
      await link.send(xml('presence', { ...self, type: 'subscribed', to: j.bare }));
      if (this.deps.via === 'component') await link.send(xml('presence', { ...self, type: 'subscribe', to: j.bare }));
    } else if (type === 'probe' && this.deps.via === 'component') {
      await link.send(xml('presence', { ...self, to: from }));
    }
  }
}
