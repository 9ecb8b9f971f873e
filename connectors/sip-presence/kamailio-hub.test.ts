/**
 * Issue 11 acceptance, SIP presence: against a real Kamailio 5.6 (presence, presence_xml), through
 * the hub (real ingest, aggregation, the reconciliation of core/publish):
 * - a state the presence server itself decided is not PUBLISHed back, while a state another
 *   source decided is;
 * - Kamailio killed (SIGKILL) and restarted on the same port: the hub's subscriptions and its
 *   own publications are back within 15 s, measured through a watcher's subscription (a second
 *   SIP user agent) and through the hub seeing what a phone publishes after the restart.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../core/util/clock.ts';
import { silentLogger } from '../../core/util/logger.ts';
import { auth, testHub, type TestHub } from '../../test/support/hub.ts';
import { sipConnectionSchema } from '../sip-core/config.ts';
import { buildPidf } from '../sip-core/pidf.ts';
import { SipSession } from '../sip-core/session.ts';
import { startKamailio, type KamailioPeer } from '../sip-core/testing/kamailio-peer.ts';
import { until } from '../../test/support/wait.ts';

const KEY = 'publisher-secret-0011';
const ALICE = 'sip:alice@example.com';
const BOB = 'sip:bob@example.com';

async function hub(kam: KamailioPeer, transport: 'udp' | 'tcp'): Promise<TestHub> {
  const server = transport === 'udp' ? kam.uri : `${kam.uri};transport=tcp`;
  return testHub({
    config: {
      people: [
        { id: 'alice', name: 'Alice', identities: [ALICE] },
        { id: 'bob', name: 'Bob', identities: [BOB] },
      ],
      auth: { keys: [{ name: 'pub', secret: '${PUB_KEY}', roles: ['publisher', 'admin'] }] },
      // Over UDP nothing tells the hub that Kamailio restarted: the periodic check (restartProbe) does.
      connectors: [{ id: 'kam', kind: 'sip-presence', server, transport, watchDirectory: true, retry: { base: '200ms', max: '1s' }, ...(transport === 'udp' ? { restartProbe: '3s' } : {}) }],
    },
    env: { PUB_KEY: KEY },
    clock: systemClock,
  });
}

/** A second watcher of the presentities, as a softphone's buddy list would be: every NOTIFY body it got. */
class Watcher {
  readonly bodies = new Map<string, string[]>();
  private constructor(private readonly s: SipSession) {}
  static async start(kam: KamailioPeer, aors: string[]): Promise<Watcher> {
    const s = await SipSession.open(sipConnectionSchema.parse({ server: kam.uri, from: 'sip:watcher@example.com', retry: { base: '200ms', max: '1s' } }), silentLogger());
    const w = new Watcher(s);
    for (const aor of aors) {
      w.bodies.set(aor, []);
      s.subscribe({ target: aor, event: 'presence', accept: ['application/pidf+xml'], onNotify: (n) => w.bodies.get(aor)!.push(n.body.toString('utf8')), onDown: () => undefined });
    }
    return w;
  }
  /** Whether the latest document of `aor` holds the hub's publication (its tuple ids are hub-t-<hash>) with `text`. */
  showsHub(aor: string, text: string): boolean {
    const last = this.bodies.get(aor)?.at(-1) ?? '';
    return last.includes('hub-t-') && last.includes(text);
  }
  async close(): Promise<void> {
    await this.s.close();
  }
}

const phoneBody = (aor: string, activity: string): string => buildPidf({ entity: aor, tupleId: 'phone-t1', personId: 'phone-p1', basic: 'open', activities: [activity] });

describe.each(['tcp', 'udp'] as const)('sip-presence through the hub against Kamailio over %s', (transport) => {
  let kam: KamailioPeer;
  let t: TestHub;
  let phone: SipSession;
  let watcher: Watcher | undefined;
  beforeEach(async () => {
    kam = await startKamailio();
    t = await hub(kam, transport);
    phone = await SipSession.open(sipConnectionSchema.parse({ server: kam.uri, from: 'sip:phone@example.com' }), silentLogger());
    await until('the hub subscribed', () => t.hub.supervisors.get('kam')?.health().counts.notifies !== undefined, 10_000);
  });
  afterEach(async () => {
    await watcher?.close();
    watcher = undefined;
    await phone?.close();
    await t?.close();
    await kam?.stop();
  });
  afterAll(async () => {
    await kam?.stop();
  });

  it('does not PUBLISH back a state Kamailio itself decided; publishes one another source decided', async () => {
    // Alice's phone publishes on-the-phone to Kamailio: the hub watches it, and it decides her presence.
    await phone.publication({ aor: ALICE, event: 'presence', contentType: 'application/pidf+xml', expires: 600 }).publish(phoneBody(ALICE, 'on-the-phone'));
    await until('alice busy through the hub', async () => (await t.hub.presence(['alice']))[0]!.class === 'busy', 5000);
    expect((await t.hub.presence(['alice']))[0]!.decidedBy).toBe('kam');
    // Bob's calendar (another source) says he is in a meeting: the hub publishes that into Kamailio.
    const res = await t.app.inject({ method: 'POST', url: '/v1/signals', headers: auth(KEY), payload: { person: 'bob', source: 'calendar', category: 'calendar', availability: 'busy', activity: { token: 'in-a-meeting', text: 'Weekly sync' } } });
    expect(res.statusCode).toBe(202);
    watcher = await Watcher.start(kam, [ALICE, BOB]);
    await until("Bob's watcher sees the hub's publication", () => watcher!.showsHub(BOB, '<rpid:meeting/>'), 5000);
    // By now a publication for Alice would have been made too (same reconciliation, same batch): there is none.
    await new Promise((r) => setTimeout(r, 500));
    expect(watcher.bodies.get(ALICE)!.length).toBeGreaterThan(0);
    expect(watcher.bodies.get(ALICE)!.some((b) => b.includes('hub-t-'))).toBe(false);
    expect(watcher.bodies.get(ALICE)!.at(-1)).toContain('on-the-phone');
    const pub = t.hub.supervisors.get('kam')!.health().publishing!;
    expect(pub).toMatchObject({ failed: 0, pending: 0 });
  });

  it('Kamailio killed (SIGKILL) and restarted on the same port: subscriptions and the hub publications are back within 15 s', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/signals', headers: auth(KEY), payload: { person: 'bob', source: 'calendar', category: 'calendar', availability: 'busy', activity: { token: 'in-a-meeting', text: 'Weekly sync' } } });
    expect(res.statusCode).toBe(202);
    watcher = await Watcher.start(kam, [BOB]);
    await until("the watcher sees the hub's publication", () => watcher!.showsHub(BOB, '<rpid:meeting/>'), 5000);
    await watcher.close();
    await phone.close();

    const port = kam.port;
    await kam.kill();
    kam = await startKamailio({ port });
    const back = Date.now();
    // The new Kamailio knows no subscription and no publication. A new watcher sees the hub's
    // publication again, and what a phone publishes after the restart reaches the hub.
    watcher = await Watcher.start(kam, [BOB]);
    phone = await SipSession.open(sipConnectionSchema.parse({ server: kam.uri, from: 'sip:phone@example.com' }), silentLogger());
    await phone.publication({ aor: ALICE, event: 'presence', contentType: 'application/pidf+xml', expires: 600 }).publish(phoneBody(ALICE, 'vacation'));
    await until("the hub's publication is back", () => watcher!.showsHub(BOB, '<rpid:meeting/>'), 15_000 - (Date.now() - back));
    await until("the hub's subscription is back (alice away from her phone's publication)", async () => (await t.hub.presence(['alice']))[0]!.class === 'away', 15_000 - (Date.now() - back));
    const h = t.hub.supervisors.get('kam')!.health();
    expect(h.state).toBe('running');
    expect(h.refused).toEqual({});
  });
});
