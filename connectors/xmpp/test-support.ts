/**
 * For the xmpp tests: a real XMPP user (an xmpp.js client logged in to the test's Prosody) that sets
 * its presence, answers subscription requests and records the presence it receives.
 */
import { client, xml, type XmlElement, type XmppEntity } from '@xmpp/client';
import type { Prosody } from '../../test/support/peers/prosody.ts';
import { until } from '../../test/support/wait.ts';

export interface Received {
  readonly from: string;
  readonly type?: string;
  readonly show?: string;
  readonly status?: string;
  readonly at: number;
}

export interface XmppUser {
  readonly entity: XmppEntity;
  readonly received: Received[];
  presence(o?: { show?: string; status?: string; priority?: number; idleSince?: string }): Promise<void>;
  send(el: XmlElement): Promise<void>;
  /** The last presence received from a bare or full JID (prefix match on the bare JID). */
  last(fromBare: string): Received | undefined;
  /** Waits until `cond` holds for the last presence from `fromBare`. */
  waitFor(fromBare: string, cond: (r: Received | undefined) => boolean, ms?: number): Promise<Received | undefined>;
  /** Logs out (unavailable, then the stream closed). */
  stop(): Promise<void>;
  /** The connection cut without a word (the server notices the closed socket). */
  drop(): void;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Logs `name` in to the server; approves every subscription request when `approve` (default). */
export async function xmppUser(server: Prosody, name: string, password: string, o: { resource?: string; approve?: boolean } = {}): Promise<XmppUser> {
  const entity = client({ service: server.service, domain: server.domain, username: name, password, resource: o.resource ?? 'laptop', timeout: 5000 });
  entity.reconnect.stop();
  const received: Received[] = [];
  entity.on('error', () => undefined);
  entity.on('stanza', (el: XmlElement) => {
    if (!el.is('presence')) return;
    const from = el.attrs.from ?? '';
    if (el.attrs.type === 'subscribe' && o.approve !== false) void entity.send(xml('presence', { type: 'subscribed', to: from.split('/')[0] }));
    const r: { from: string; type?: string; show?: string; status?: string; at: number } = { from, at: Date.now() };
    if (el.attrs.type !== undefined) r.type = el.attrs.type;
    const show = el.getChildText('show');
    if (show !== null) r.show = show;
    const status = el.getChildText('status');
    if (status !== null) r.status = status;
    received.push(r);
  });
  let smOffered = false;
  entity.on('nonza', (el: XmlElement) => {
    if (el.name === 'stream:features') smOffered = el.getChild('sm', 'urn:xmpp:sm:3') !== undefined;
  });
  await entity.start();
  // As the hub's link does (client.ts whenSettled): nothing is sent before XEP-0198 is enabled.
  await until('stream management enabled', () => !smOffered || entity.streamManagement?.enabled === true, 5000);
  const last = (bare: string): Received | undefined => [...received].reverse().find((r) => r.from.split('/')[0] === bare && (r.type === undefined || r.type === 'unavailable'));
  return {
    entity,
    received,
    async presence(p = {}) {
      await entity.send(
        xml(
          'presence',
          {},
          p.show !== undefined ? xml('show', {}, p.show) : undefined,
          p.status !== undefined ? xml('status', {}, p.status) : undefined,
          p.priority !== undefined ? xml('priority', {}, String(p.priority)) : undefined,
          p.idleSince !== undefined ? xml('idle', { xmlns: 'urn:xmpp:idle:1', since: p.idleSince }) : undefined,
        ),
      );
    },
    send: (el) => entity.send(el),
    drop() {
      (entity as unknown as { socket?: { destroy(): void } | null }).socket?.destroy();
    },
    last,
    async waitFor(bare, cond, ms = 5000) {
      await until(`presence from ${bare}`, () => cond(last(bare)), ms);
      return last(bare);
    },
    async stop() {
      try {
        // RFC 6121 section 4.5.1: a client logging out says unavailable before it closes the stream.
        if (entity.status === 'online') await entity.send(xml('presence', { type: 'unavailable' }));
        await Promise.race([entity.stop(), sleep(2000)]);
      } catch {
        // already gone
      }
      (entity as unknown as { socket?: { destroy(): void } | null }).socket?.destroy();
    },
  };
}
