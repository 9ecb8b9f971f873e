import type { XmlElement } from '@xmpp/client';
import { xml } from '@xmpp/component';
import type { ConnectorContext } from '../../core/connector/contract.ts';
import type { Container, Presence } from '../../core/model/presence.ts';
import { CONFIRMED, type PublishTarget, type WriteOutcome } from '../../core/publish/target.ts';
import { HubError, errorMessage } from '../../core/errors.ts';
import type { XmppLink } from './client.ts';
import type { XmppConfig } from './config.ts';
import { NS_IDLE, parseJid, toOutbound, type OutboundState, type PublishedStates } from './map.ts';
import type { Subscribers } from './subscribers.ts';


/** The resource of every published JID: presence comes from a full JID, as from any contact. */
export const PUBLISHED_RESOURCE = 'hub';

/**
 * The publish role: the component hosts a presence domain where each person of the directory is
 * `<id>@<component.domain>`. The hub's reconciliation drives it (core/publish, docs/publishing.md):
 * `plan()` maps the merged presence to XMPP presence per container (the core's viewFor decides what
 * each container sees), `write()` sends it to every subscriber of the person, each in the view of
 * its own container, `clear()` sends `unavailable`. The subscription handshake (RFC 6121 section 3)
 * and probes (section 4.3) are answered here; answers use the last planned state.
 *
 * The outcome of a write: the component stream has no acknowledgements, so a stanza written to the
 * socket is `confirmed`; a link that is down is `failed` (nothing sent); a send that throws midway
 * is `unknown`. A new component session (reconnect, server restart) resyncs every person.
 */
export class XmppPublisher implements PublishTarget<PublishedStates> {
  private readonly latest = new Map<string, PublishedStates>();

  constructor(
    private readonly deps: {
      ctx: ConnectorContext<XmppConfig>;
      link: () => XmppLink | undefined;
      subscribers: Subscribers;
    },
  ) {}

  private get domain(): string {
    return this.deps.ctx.config.component!.domain;
  }

  /** `<id>@<domain>` (or the xmpp: identity the directory gives the person in that domain). */
  jidOf(person: string): string {
    const p = this.deps.ctx.directory.person(person);
    for (const i of p?.identities ?? []) {
      const j = /^xmpp:/i.test(i) ? parseJid(i.slice(5)) : undefined;
      if (j?.local !== undefined && j.domain === this.domain) return j.bare;
    }
    return `${person.toLowerCase()}@${this.domain}`;
  }

  /** The person a JID of the presence domain stands for. */
  personOf(bare: string): string | undefined {
    const byIdentity = this.deps.ctx.directory.resolve(`xmpp:${bare}`);
    if (byIdentity !== undefined) return byIdentity;
    const local = parseJid(bare)?.local;
    if (local === undefined) return undefined;
    const p = this.deps.ctx.directory.person(local);
    return p !== undefined && this.jidOf(p.id) === bare ? p.id : undefined;
  }

  // --- the reconciliation's target ------------------------------------------------------------

  plan(p: Presence): PublishedStates {
    const d = toOutbound(p, 0);
    this.latest.set(p.person, d);
    return d;
  }

  /**
   * Everyone of the directory: each has a JID in the presence domain, and planning them all at the
   * start gives the subscription answers the current presence of anyone at once.
   */
  people(): Iterable<string> {
    return [...this.deps.ctx.directory.people()].map((p) => p.id);
  }

  async write(person: string, desired: PublishedStates): Promise<WriteOutcome> {
    this.latest.set(person, desired);
    return this.sendAll(person, desired);
  }

  async clear(person: string): Promise<WriteOutcome> {
    return this.sendAll(person, undefined);
  }

  private async sendAll(person: string, d: PublishedStates | undefined): Promise<WriteOutcome> {
    const link = this.deps.link();
    const subs = this.deps.subscribers.of(person);
    if (subs.length === 0) return CONFIRMED;
    if (link === undefined || !link.online) return { outcome: 'failed', error: new HubError('HUB_ERR_XMPP_OFFLINE', 'the component is not connected; sent when it is back', { kind: 'transient' }) };
    let sent = 0;
    try {
      for (const jid of subs) {
        await link.send(this.stanza(person, jid, d === undefined ? null : d[this.containerOf(jid, person)]));
        sent++;
      }
      this.deps.ctx.report.count('xmpp_presence_sent', sent);
      return CONFIRMED;
    } catch (error) {
      return sent === 0 ? { outcome: 'failed', error } : { outcome: 'unknown', error };
    }
  }

  /** The subscriber's container: the core decides from the directory; a stranger per `strangers`. */
  containerOf(subscriber: string, person: string): Container {
    const watcher = this.deps.ctx.directory.resolve(`xmpp:${subscriber}`);
    if (watcher === undefined) return this.deps.ctx.config.component!.strangers === 'approve' ? 'company' : 'public';
    return this.deps.ctx.directory.containerFor?.(watcher, person) ?? 'public';
  }

  private stanza(person: string, to: string, s: OutboundState | null): XmlElement {
    const from = `${this.jidOf(person)}/${PUBLISHED_RESOURCE}`;
    if (s === null) return xml('presence', { from, to, type: 'unavailable' });
    return xml(
      'presence',
      { from, to },
      s.show !== undefined ? xml('show', {}, s.show) : undefined,
      s.status !== undefined ? xml('status', {}, s.status) : undefined,
      s.idle !== undefined ? xml('idle', { xmlns: NS_IDLE, since: s.idle }) : undefined,
    );
  }

  // --- subscriptions and probes (RFC 6121 sections 3 and 4.3) ---------------------------------

  /** Whether a subscriber is let in: a person of the directory always (a blocked one sees offline), a stranger per `strangers`. */
  private admits(subscriber: string): boolean {
    if (this.deps.ctx.directory.resolve(`xmpp:${subscriber}`) !== undefined) return true;
    return this.deps.ctx.config.component!.strangers !== 'deny';
  }

  /** Presence addressed to a person's JID in the presence domain. */
  async handle(type: string | undefined, fromRaw: string, toBare: string): Promise<void> {
    const link = this.deps.link();
    const from = parseJid(fromRaw);
    if (link === undefined || from === undefined) return;
    const person = this.personOf(toBare);
    const reply = (attrs: Record<string, string>): Promise<void> => link.send(xml('presence', { from: toBare, to: from.bare, ...attrs }));
    try {
      if (person === undefined) {
        // No such person: the same answer as for a refused subscription (RFC 6121 section 3.1.3).
        if (type === 'subscribe' || type === 'probe') await reply({ type: 'unsubscribed' });
        return;
      }
      switch (type) {
        case 'subscribe':
          if (!this.admits(from.bare)) {
            this.deps.ctx.report.count('xmpp_subscriptions_refused');
            await reply({ type: 'unsubscribed' });
            return;
          }
          await this.deps.subscribers.add(person, from.bare);
          await reply({ type: 'subscribed' });
          await this.answer(link, person, from.bare);
          return;
        case 'probe':
          if (!this.admits(from.bare)) {
            await reply({ type: 'unsubscribed' });
            return;
          }
          // A probe proves the prober's roster holds the subscription: remembered again if it was lost.
          await this.deps.subscribers.add(person, from.bare);
          await this.answer(link, person, fromRaw);
          return;
        case 'unsubscribe':
          await this.deps.subscribers.remove(person, from.bare);
          await reply({ type: 'unavailable' });
          return;
        default:
          // Directed presence, subscribed/unsubscribed answers: nothing to do for a published JID.
          return;
      }
    } catch (e) {
      this.deps.ctx.log.warn({ err: errorMessage(e) }, 'XMPP subscription handling failed');
    }
  }

  private async answer(link: XmppLink, person: string, to: string): Promise<void> {
    const d = this.latest.get(person);
    const bare = parseJid(to)?.bare ?? to;
    await link.send(this.stanza(person, to, d === undefined ? null : d[this.containerOf(bare, person)]));
  }

  /** Unavailable from every published JID to its subscribers (RFC 6121 section 4.5.2), before the component leaves. */
  async goodbye(): Promise<void> {
    const link = this.deps.link();
    if (link === undefined || !link.online) return;
    for (const person of this.deps.subscribers.people()) {
      for (const jid of this.deps.subscribers.of(person)) await link.send(this.stanza(person, jid, null)).catch(() => undefined);
    }
  }
}
