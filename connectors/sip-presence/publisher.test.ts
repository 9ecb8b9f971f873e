import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Presence } from '../../core/model/presence.ts';
import { memoryConnectorStore } from '../../core/pipeline/embedded/connector-store.ts';
import { silentLogger } from '../../core/util/logger.ts';
import { connectorHarness } from '../../test/support/connector-harness.ts';
import type { SipRequest } from '../sip-core/message.ts';
import { freePort } from '../sip-core/testing/kamailio-peer.ts';
import { sipPresenceConfigSchema } from './config.ts';
import { sipPresenceManifest } from './manifest.ts';
import { SimPresenceServer } from './simulator.ts';
import { until } from '../../test/support/wait.ts';

const log = silentLogger();
const people = ['alice', 'bob', 'carol', 'dave', 'erin'].map((id) => ({ id, name: id, identities: [`sip:${id}@example.com`] }));
let version = 0;
const presence = (person: string, cls: 'busy' | 'away' | 'available', extra: Partial<Presence> = {}): Presence => ({
  person,
  availability: cls === 'busy' ? 6500 : cls === 'away' ? 15500 : 3500,
  class: cls,
  activity: cls === 'busy' ? { token: 'in-a-meeting', text: 'Weekly sync' } : { token: cls, text: cls },
  decidedBy: 'calendar',
  since: Date.now(),
  version: ++version,
  ...extra,
});

/** The hub's publications the server holds for an AOR (its tuple ids start with hub-t-). */
/** Waits until the reconciliation has nothing pending (every write confirmed). */
const settled = async (h: { reconciler: { stats(): { pending: number } } | undefined }, ms = 5000): Promise<void> => {
  await until(() => h.reconciler !== undefined && h.reconciler.stats().pending === 0, ms);
};
const hubPubs = (s: SimPresenceServer, aor: string): { body: string }[] => [...s.pubs.values()].filter((p) => p.aor === aor && p.body.includes('hub-t-'));
const publishes = (s: SimPresenceServer, aor: string): SipRequest[] => s.received.filter((r) => r.method === 'PUBLISH' && r.uri === aor);

describe('sip-presence publisher on the hub reconciliation (simulator)', () => {
  let server: SimPresenceServer;
  beforeAll(async () => {
    server = await SimPresenceServer.start({ log });
  });
  afterAll(async () => {
    await server.close();
  });

  it('publishes, modifies with SIP-If-Match, sends nothing for an unchanged state, and removes (Expires: 0 + SIP-If-Match) a state the presence server itself decided', async () => {
    const config = sipPresenceConfigSchema.parse({ server: server.uri(), t1: '50ms' });
    const h = connectorHarness({ id: 'sp', config, people, log });
    const sup = h.supervisor(sipPresenceManifest);
    await sup.start();
    try {
      // Nobody has a state yet (offline, decided by nothing): the hub has nothing to publish.
      expect(server.received.filter((r) => r.method === 'PUBLISH')).toHaveLength(0);

      await h.publish([presence('bob', 'busy')]);
      await settled(h);
      expect(hubPubs(server, 'sip:bob@example.com').map((p) => p.body)).toEqual([expect.stringContaining('<rpid:meeting/>')]);
      const first = publishes(server, 'sip:bob@example.com');
      expect(first).toHaveLength(1);
      expect(first[0]!.headers.get('SIP-If-Match')).toBeUndefined();

      await h.publish([presence('bob', 'busy')]); // a new version of the same state: nothing sent
      await settled(h);
      expect(publishes(server, 'sip:bob@example.com')).toHaveLength(1);

      await h.publish([presence('bob', 'away')]);
      await settled(h);
      const modify = publishes(server, 'sip:bob@example.com')[1]!;
      expect(modify.headers.get('SIP-If-Match')).toEqual(expect.any(String));
      expect(modify.body.toString()).toContain('<rpid:away/>');
      expect(hubPubs(server, 'sip:bob@example.com').map((p) => p.body)).toEqual([expect.stringContaining('<rpid:away/>')]);

      // The presence server decided Bob's presence (his phone published there): the hub does not
      // write it back, and removes its own publication.
      await h.publish([presence('bob', 'away', { decidedBy: 'sp' })]);
      await settled(h);
      const remove = publishes(server, 'sip:bob@example.com')[2]!;
      expect(remove.headers.get('Expires')).toBe('0');
      expect(remove.headers.get('SIP-If-Match')).toEqual(expect.any(String));
      expect(remove.body.length).toBe(0);
      expect(hubPubs(server, 'sip:bob@example.com')).toEqual([]);
      await h.publish([presence('bob', 'busy', { decidedBy: 'sp' })]); // still its own: nothing sent
      await settled(h);
      expect(publishes(server, 'sip:bob@example.com')).toHaveLength(3);
      expect(h.reconciler!.stats()).toMatchObject({ failed: 0, unknownOutcomes: 0, pending: 0 });
    } finally {
      await sup.stop();
    }
  });

  it('a refusal (403) is failed, a 500 or no answer is unknown (possibly applied); both are retried until the server confirms', async () => {
    const config = sipPresenceConfigSchema.parse({ server: server.uri(), t1: '50ms' });
    const h = connectorHarness({ id: 'sq', config, people, log });
    const sup = h.supervisor(sipPresenceManifest);
    await sup.start();
    try {
      await settled(h); // the start-up reconcile (nothing to clear: no entity tags known)
      server.faultNext('PUBLISH', 1, 403);
      await h.publish([presence('carol', 'busy')]);
      await until(() => h.reconciler!.stats().failed === 1);
      expect(h.reconciler!.stats()).toMatchObject({ failed: 1, pending: 1 });
      expect(sup.health()).toMatchObject({ lastError: { code: 'HUB_ERR_SIP_PUBLISH' } });
      await until(() => hubPubs(server, 'sip:carol@example.com').length === 1, 5000);
      await until(() => h.reconciler!.stats().pending === 0);

      server.faultNext('PUBLISH', 1, 500);
      await h.publish([presence('carol', 'away')]);
      await until(() => h.reconciler!.stats().unknownOutcomes === 1);
      expect(h.reconciler!.stats()).toMatchObject({ unknownOutcomes: 1, pending: 1 });
      // Possibly applied: the loop guard counts the unknown state as the hub's.
      expect(h.reconciler!.mayShow('carol')).toContainEqual(expect.objectContaining({ activities: ['away'] }));
      await until(() => h.reconciler!.stats().pending === 0, 5000);
      expect(hubPubs(server, 'sip:carol@example.com').map((p) => p.body)).toEqual([expect.stringContaining('<rpid:away/>')]);
      expect(h.reconciler!.mayShow('carol')).toEqual([expect.objectContaining({ activities: ['away'] })]);

      // No answer at all (Timer F, 64*T1 = 3.2 s here): unknown, retried.
      server.faultNext('PUBLISH', 1, 'drop');
      const before = h.reconciler!.stats().unknownOutcomes;
      await h.publish([presence('carol', 'busy')]);
      await until(() => h.reconciler!.stats().unknownOutcomes === before + 1, 5000);
      await until(() => h.reconciler!.stats().pending === 0, 5000);
      expect(hubPubs(server, 'sip:carol@example.com').map((p) => p.body)).toEqual([expect.stringContaining('<rpid:meeting/>')]);
      expect(sup.health().state).toBe('running');
    } finally {
      await sup.stop();
    }
  });

  it('after a hub restart the saved entity tag modifies or removes what the previous run published (no second publication)', async () => {
    const state = memoryConnectorStore();
    const config = sipPresenceConfigSchema.parse({ server: server.uri(), t1: '50ms' });
    const run1 = connectorHarness({ id: 'sr', config, people, log, state });
    const sup1 = run1.supervisor(sipPresenceManifest);
    await sup1.start();
    await run1.publish([presence('dave', 'busy'), presence('erin', 'busy')]);
    await settled(run1);
    await sup1.stop();
    expect(hubPubs(server, 'sip:dave@example.com')).toHaveLength(1);

    // The second run: Dave is away now, Erin's presence is back to nothing (offline, no decider).
    const run2 = connectorHarness({ id: 'sr', config, people, log, state });
    await run2.publish([presence('dave', 'away')]); // the hub's store before the connector starts
    const sup2 = run2.supervisor(sipPresenceManifest);
    await sup2.start();
    try {
      await until(() => run2.reconciler!.stats().pending === 0);
      const modify = publishes(server, 'sip:dave@example.com').at(-1)!;
      expect(modify.headers.get('SIP-If-Match')).toEqual(expect.any(String));
      expect(hubPubs(server, 'sip:dave@example.com').map((p) => p.body)).toEqual([expect.stringContaining('<rpid:away/>')]);
      const clear = publishes(server, 'sip:erin@example.com').at(-1)!;
      expect(clear.headers.get('Expires')).toBe('0');
      expect(hubPubs(server, 'sip:erin@example.com')).toEqual([]);
    } finally {
      await sup2.stop();
    }
  });
});

describe('sip-presence publisher refreshes (RFC 3903 section 4.3) and a lost publication (412)', () => {
  it('refreshes with SIP-If-Match and no body before the granted Expires ends; a 412 publishes afresh and reconciles', async () => {
    const server = await SimPresenceServer.start({ log, maxExpires: 2 });
    const config = sipPresenceConfigSchema.parse({ server: server.uri(), t1: '50ms', restartProbe: 0 });
    const h = connectorHarness({ id: 'sf', config, people, log });
    const sup = h.supervisor(sipPresenceManifest);
    await sup.start();
    try {
      await h.publish([presence('alice', 'busy')]);
      await settled(h);
      expect(publishes(server, 'sip:alice@example.com')).toHaveLength(1);
      // Granted 2 s: refreshed after 1 s, conditionally and without a body.
      await until(() => publishes(server, 'sip:alice@example.com').length === 2, 4000);
      const refresh = publishes(server, 'sip:alice@example.com')[1]!;
      expect(refresh.headers.get('SIP-If-Match')).toEqual(expect.any(String));
      expect(refresh.body.length).toBe(0);
      expect(hubPubs(server, 'sip:alice@example.com')).toHaveLength(1);

      // The server forgets every publication (a restart keeping the port): the next refresh gets
      // 412, the state is published afresh with its body, and the publisher reconciles everyone.
      const reconciles = h.reconciler!.stats().reconciles;
      server.pubs.clear();
      await until(() => hubPubs(server, 'sip:alice@example.com').length === 1, 4000);
      expect(publishes(server, 'sip:alice@example.com').at(-1)!.body.toString()).toContain('<rpid:meeting/>');
      await until(() => h.reconciler!.stats().reconciles > reconciles, 2000);
    } finally {
      await sup.stop();
      await server.close();
    }
  });
});

describe.each(['tcp', 'udp'] as const)('sip-presence notices a presence-server restart (simulator, %s)', (transport) => {
  it('re-subscribes and re-publishes within 10 s of the server coming back on the same port', async () => {
    const port = await freePort();
    let server = await SimPresenceServer.start({ log, udpPort: port, tcpPort: port });
    const uri = transport === 'udp' ? server.uri() : server.uri('tcp');
    // Over UDP nothing tells the hub; the periodic check (restartProbe) does. Over TCP the closed connection does.
    const config = sipPresenceConfigSchema.parse({ server: uri, transport, presentities: ['sip:alice@example.com'], retry: { base: '200ms', max: '1s' }, t1: '50ms', restartProbe: transport === 'udp' ? '2s' : 0 });
    const h = connectorHarness({ id: 'rs', config, people, log });
    const sup = h.supervisor(sipPresenceManifest);
    await sup.start();
    try {
      await until(() => server.subscribersOf('sip:alice@example.com', 'presence') === 1);
      await h.publish([presence('bob', 'busy')]);
      await settled(h);
      expect(hubPubs(server, 'sip:bob@example.com')).toHaveLength(1);

      await server.close();
      server = await SimPresenceServer.start({ log, udpPort: port, tcpPort: port });
      // Back within the bound the README documents (10 s).
      await until(() => server.subscribersOf('sip:alice@example.com', 'presence') === 1 && hubPubs(server, 'sip:bob@example.com').length === 1, 10_000);
      expect(hubPubs(server, 'sip:bob@example.com')[0]!.body).toContain('<rpid:meeting/>');
    } finally {
      await sup.stop();
      await server.close();
    }
  });
});
