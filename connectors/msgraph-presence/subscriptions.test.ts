import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encryptNotificationContent } from '../msgraph-shared/crypto.ts';
import { SimTokenIssuer } from '../msgraph-shared/sim-jwks.ts';
import { SubscriptionClient } from './client.ts';
import { MsGraphPresenceConnector } from './connector.ts';
import { APP, guid, setup, stopAfterEach } from './test-support.ts';
import { stopDuring, subscriptionWrites } from '../../test/support/graph-stop.ts';
import { until } from '../../test/support/wait.ts';
import { freePort } from '../../test/support/ports.ts';
import { OffsetClock } from '../../core/util/clock.ts';

const CLIENT_STATE = 'a-client-state-secret-0123456789';
const cert = readFileSync(new URL('../msgraph-shared/fixtures/test-only-cert.pem', import.meta.url), 'utf8');
const key = readFileSync(new URL('../msgraph-shared/fixtures/test-only-key.pem', import.meta.url), 'utf8');

const t = stopAfterEach();

async function start(n: number, extra: Record<string, unknown> = {}) {
  const port = await freePort();
  const base = await setup(0);
  await base.sim.stop();
  const clock = new OffsetClock();
  const { sim, h } = await t.setup(n, {
    poll: { enabled: false, interval: '1h' },
    subscriptions: { enabled: true, notificationUrl: `http://127.0.0.1:${port}/graph/notify`, listen: { port }, clientState: CLIENT_STATE, refreshTokens: 'placeholder', ...extra },
  }, clock);
  // The admin consented the service account; its refresh token goes into the configuration.
  const rt = sim.issueRefreshToken(APP.clientId, 'svc-presence@corp.example');
  (h.ctx.config.subscriptions as { refreshTokens: string }).refreshTokens = rt;
  // Validation tokens of rich notifications are signed by the simulator's key, served as its JWKS.
  (h.ctx.config.subscriptions as { validationTokens: { jwksUrl: string } }).validationTokens = { jwksUrl: sim.jwksUrl() };
  const c = t.connector(new MsGraphPresenceConnector(h.ctx));
  return { sim, h, c, port, clock };
}

describe('msgraph-presence change notifications', () => {
  it('passes the validationToken handshake, then fetches the presence a basic notification names', async () => {
    const { sim, h, c } = await start(5);
    await c.start();
    await c.firstCycle();
    expect(sim.subscriptions.subs.size).toBe(1);
    const sub = [...sim.subscriptions.subs.values()][0]!;
    expect(sub.ids).toHaveLength(5);
    expect(sub.clientState).toBe(CLIENT_STATE);
    expect(sim.subscriptions.deliveries.find((d) => d.kind === 'validation')).toMatchObject({ status: 200 });
    const before = h.signals.length;
    sim.presence.setClient(guid(2), { availability: 'DoNotDisturb', activity: 'Presenting' });
    await sim.tick();
    await h.waitForSignals(before + 1);
    expect(h.signals.at(-1)).toMatchObject({ person: 'user2', availability: 9500, activity: 'presenting' });
    const change = sim.subscriptions.deliveries.find((d) => d.kind === 'change')!;
    expect(change.status).toBe(202);
    expect(JSON.parse(change.body!).value[0].resourceData).toEqual({ '@odata.type': '#Microsoft.Graph.presence', '@odata.id': `users/${guid(2)}/presence`, id: guid(2) });
  });

  /** The service account's presence subscription of people 0..2 that a run which did not stop cleanly left behind. */
  const leaveSubscription = (sim: Awaited<ReturnType<typeof start>>['sim'], h: Awaited<ReturnType<typeof start>>['h']): void => {
    sim.subscriptions.subs.set('left-over', { id: 'left-over', kind: 'presence', resource: SubscriptionClient.resourceFor([guid(0), guid(1), guid(2)]), ids: [guid(0), guid(1), guid(2)], changeType: 'updated', notificationUrl: h.ctx.config.subscriptions!.notificationUrl, expirationDateTime: Date.now() + 50 * 60_000, includeResourceData: false, owner: 'svc-presence@corp.example', appId: APP.clientId, clientState: CLIENT_STATE });
  };

  it('a presence subscription left by a run that did not stop cleanly is deleted and made again, not polled for an hour', async () => {
    const { sim, h, c } = await start(3);
    // A crashed run (or the node that lost the lease) left the service account's subscription behind.
    leaveSubscription(sim, h);
    const errors = h.errors;
    await c.start();
    await c.firstCycle();
    expect([...sim.subscriptions.subs.keys()]).toHaveLength(1);
    expect(sim.subscriptions.subs.has('left-over')).toBe(false);
    expect(c.subscriptionShards()[0]).toMatchObject({ subscriptionId: [...sim.subscriptions.subs.keys()][0] });
    expect(errors).toEqual([]);
    const before = h.signals.length;
    sim.presence.setClient(guid(1), { availability: 'Busy', activity: 'InACall' });
    await sim.tick();
    await h.waitForSignals(before + 1);
    expect(h.signals.at(-1)).toMatchObject({ person: 'user1', activity: 'on-the-phone' });
  });

  it('finds the left-over presence subscription on a later page of the list (Graph pages GET /subscriptions) and deletes it', async () => {
    const { sim, h, c } = await start(3);
    sim.subscriptionPageSize = 2;
    // The account also holds three other subscriptions of this app (its calendar), listed first; the left-over presence one is on page 2.
    for (let i = 0; i < 3; i++) {
      sim.subscriptions.subs.set(`cal-${i}`, { id: `cal-${i}`, kind: 'events', resource: '/users/svc-presence@corp.example/events', ids: [], changeType: 'created', notificationUrl: 'https://calendar.corp.example/notify', expirationDateTime: Date.now() + 50 * 60_000, includeResourceData: false, owner: 'svc-presence@corp.example', appId: APP.clientId });
    }
    leaveSubscription(sim, h);
    const errors = h.errors;
    await c.start();
    await c.firstCycle();
    expect(sim.requests.filter((r) => r.method === 'GET' && r.path === '/subscriptions').map((r) => r.status)).toEqual([200, 200]);
    expect(sim.subscriptions.subs.has('left-over')).toBe(false);
    expect([...sim.subscriptions.subs.keys()].filter((k) => !k.startsWith('cal-'))).toEqual([c.subscriptionShards()[0]!.subscriptionId]);
    // Only this connector's presence subscriptions are deleted; the others of the app stay.
    expect([...sim.subscriptions.subs.keys()].filter((k) => k.startsWith('cal-'))).toHaveLength(3);
    expect(errors).toEqual([]);
  });

  it('a listing of left-over subscriptions that failed is tried again before the next create', async () => {
    const { sim, c, clock } = await start(3);
    sim.failNext('GET', '/subscriptions', 500);
    await c.start();
    await c.firstCycle();
    const lists = () => sim.requests.filter((r) => r.method === 'GET' && r.path === '/subscriptions').map((r) => r.status);
    expect(lists()).toEqual([500]);
    const first = c.subscriptionShards()[0]!;
    expect(sim.subscriptions.subs.has(first.subscriptionId!)).toBe(true);
    // The subscription lapses: the maintenance that recreates it clears left-overs first, now that it can read them.
    clock.advance(first.expiresAt! - clock.now());
    await c.maintain();
    expect(lists()).toEqual([500, 200]);
    expect(c.subscriptionShards()[0]!.subscriptionId).not.toBe(first.subscriptionId);
    // Once done, a later create does not list again.
    clock.advance(c.subscriptionShards()[0]!.expiresAt! - clock.now());
    await c.maintain();
    expect(lists()).toEqual([500, 200]);
  });

  it('renews ahead of expiry and answers reauthorizationRequired', async () => {
    const { sim, c, clock } = await start(3, { lifecycleNotificationUrl: undefined });
    await c.start();
    await c.firstCycle();
    const sub = [...sim.subscriptions.subs.values()][0]!;
    const exp = sub.expirationDateTime;
    expect(exp - Date.now()).toBeGreaterThan(44 * 60_000);
    // Renewal is due 10 min (+ up to 2 min jitter) before expiry.
    const shard = c.subscriptionShards()[0]!;
    expect(shard).toMatchObject({ subscriptionId: sub.id, expiresAt: exp });
    expect(exp - shard.renewAt!).toBeGreaterThanOrEqual(10 * 60_000);
    expect(exp - shard.renewAt!).toBeLessThanOrEqual(12 * 60_000);
    await c.maintain();
    expect(sim.requests.filter((r) => r.method === 'PATCH')).toHaveLength(0);
    clock.advance(shard.renewAt! - clock.now());
    await c.maintain();
    expect(sim.requests.filter((r) => r.method === 'PATCH' && r.path === `/subscriptions/${sub.id}`)).toHaveLength(1);
    expect(await sim.subscriptions.lifecycle(sub.id, 'reauthorizationRequired', sim.tenantId)).toBe(202);
    await until(() => sim.requests.filter((r) => r.method === 'PATCH').length === 2);
  });

  it('a basic notification without resourceData is read by its resource, in each form Microsoft publishes', async () => {
    const { sim, h, c, port } = await start(4);
    await c.start();
    await c.firstCycle();
    const sub = [...sim.subscriptions.subs.values()][0]!;
    const forms = [`communications/presences/${guid(1)}`, `communications/presences('${guid(2)}')`, `communications/presences?$filter=id+in+(%27${guid(3)}%27)`];
    for (const [i, resource] of forms.entries()) {
      sim.presence.setClient(guid(i + 1), { availability: 'Busy', activity: 'InACall' });
      const before = h.signals.length;
      const res = await fetch(`http://127.0.0.1:${port}/graph/notify`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ value: [{ subscriptionId: sub.id, clientState: CLIENT_STATE, changeType: 'updated', tenantId: sim.tenantId, resource, subscriptionExpirationDateTime: new Date(sub.expirationDateTime).toISOString() }] }),
      });
      expect(res.status).toBe(202);
      await h.waitForSignals(before + 1);
      expect(h.signals.at(-1)).toMatchObject({ person: `user${i + 1}`, availability: 6500, activity: 'on-the-phone' });
    }
  });

  it('refuses a notification whose clientState does not match', async () => {
    const { sim, h, c, port } = await start(2);
    await c.start();
    await c.firstCycle();
    const before = h.signals.length;
    const sub = [...sim.subscriptions.subs.values()][0]!;
    const res = await fetch(`http://127.0.0.1:${port}/graph/notify`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ value: [{ subscriptionId: sub.id, clientState: 'forged-state', changeType: 'updated', resource: `communications/presences('${guid(0)}')`, resourceData: { id: guid(0) } }] }),
    });
    expect(res.status).toBe(403);
    await new Promise((r) => setTimeout(r, 100));
    expect(h.signals.length).toBe(before);
    expect(sim.requests.filter((r) => r.path === '/communications/getPresencesByUserId').length).toBe(1);
  });

  it('decrypts a rich notification (RSA-OAEP key, AES-CBC data, HMAC-SHA256 signature) without fetching', async () => {
    const { sim, h, c } = await start(3, { encryptionCertificate: cert, encryptionPrivateKey: key });
    await c.start();
    await c.firstCycle();
    const polls = sim.requests.filter((r) => r.path === '/communications/getPresencesByUserId').length;
    const before = h.signals.length;
    sim.presence.setClient(guid(1), { availability: 'Busy', activity: 'InACall' });
    await sim.tick();
    await h.waitForSignals(before + 1);
    expect(h.signals.at(-1)).toMatchObject({ person: 'user1', availability: 6500, activity: 'on-the-phone' });
    expect(sim.requests.filter((r) => r.path === '/communications/getPresencesByUserId').length).toBe(polls);
    const body = JSON.parse(sim.subscriptions.deliveries.find((d) => d.kind === 'change')!.body!);
    expect(body.value[0].encryptedContent).toMatchObject({ data: expect.any(String), dataKey: expect.any(String), dataSignature: expect.any(String) });
  });

  it('refuses a rich notification whose validation token is forged, even though it decrypts', async () => {
    const { sim, h, c, port } = await start(2, { encryptionCertificate: cert, encryptionPrivateKey: key });
    const errors = h.errors;
    await c.start();
    await c.firstCycle();
    const before = h.signals.length;
    const sub = [...sim.subscriptions.subs.values()][0]!;
    const forger = new SimTokenIssuer('other');
    (forger as { kid: string }).kid = sim.tokenIssuer.kid;
    const item = (token: string) => ({
      value: [{ subscriptionId: sub.id, clientState: CLIENT_STATE, changeType: 'updated', tenantId: sim.tenantId, resource: `communications/presences('${guid(0)}')`, resourceData: { id: guid(0) }, encryptedContent: encryptNotificationContent({ id: guid(0), availability: 'DoNotDisturb', activity: 'Presenting', sequenceNumber: '9'.repeat(20) }, cert, 'presence-hub') }],
      validationTokens: [token],
    });
    const post = (body: unknown) => fetch(`http://127.0.0.1:${port}/graph/notify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    // Microsoft asks for 202 whatever the outcome, so a forger learns nothing from the answer.
    expect((await post(item(await forger.sign({ appId: APP.clientId, tenantId: sim.tenantId, now: Date.now() })))).status).toBe(202);
    await until(() => errors.length > 0);
    expect(errors[0]).toMatchObject({ code: 'HUB_ERR_GRAPH_VALIDATION_TOKEN' });
    expect(h.signals.length).toBe(before);
    // The same item with a token the simulator's key signed goes through.
    expect((await post(item(await sim.tokenIssuer.sign({ appId: APP.clientId, tenantId: sim.tenantId, now: Date.now() })))).status).toBe(202);
    await h.waitForSignals(before + 1);
    expect(h.signals.at(-1)).toMatchObject({ person: 'user0', availability: 9500, activity: 'presenting' });
  });

  const writes = subscriptionWrites;
  /** Two shards of two people, one service account each, both subscribed. */
  async function twoShards() {
    const s = await start(4, { shardSize: 2 });
    const tokens = ['svc-presence@corp.example', 'svc-presence-2@corp.example'].map((u) => s.sim.issueRefreshToken(APP.clientId, u));
    (s.h.ctx.config.subscriptions as { refreshTokens: string }).refreshTokens = tokens.join(' ');
    await s.c.start();
    await s.c.firstCycle();
    expect(s.sim.subscriptions.subs.size).toBe(2);
    return s;
  }

  it('a stop waits for the subscription a subscriptionRemoved lifecycle event is recreating, and deletes it', async () => {
    const { sim, c } = await start(3);
    await c.start();
    await c.firstCycle();
    const mine = c.subscriptionShards()[0]!.subscriptionId!;
    const held = sim.holdNextAnswer('POST', '/subscriptions');
    expect(await sim.subscriptions.lifecycle(mine, 'subscriptionRemoved', sim.tenantId)).toBe(202);
    // Graph made the new subscription; its answer is still on the way when the stop begins.
    await held.answered;
    const sent = sim.requests.length;
    await stopDuring(c, held);
    expect([...sim.subscriptions.subs.keys()]).toEqual([]);
    expect(writes(sim, sent)).toEqual([]);
  });

  it('a stop waits for the maintenance under way, which sends nothing after the request in flight', async () => {
    const { sim, c, clock } = await twoShards();
    const [first, second] = c.subscriptionShards();
    clock.advance(Math.max(first!.renewAt!, second!.renewAt!) - clock.now());
    const held = sim.holdNextAnswer('PATCH', `/subscriptions/${first!.subscriptionId}`);
    const pass = c.maintain();
    await held.answered;
    const sent = sim.requests.length;
    await stopDuring(c, held);
    await pass;
    // The renewal in flight was answered before the stop deleted both; nothing was sent for the second shard
    // (neither its renewal nor, as its subscription was deleted by then, a new one).
    expect(writes(sim).filter((r) => r.method === 'PATCH').map((r) => r.path)).toEqual([`/subscriptions/${first!.subscriptionId}`]);
    expect(writes(sim, sent)).toEqual([]);
    expect([...sim.subscriptions.subs.keys()]).toEqual([]);
  });

  it('a subscription pass the stop did not wait for sends nothing once the stop began, also after the stop let its clean-up through', async () => {
    const { sim, c, clock } = await twoShards();
    const [first, second] = c.subscriptionShards();
    clock.advance(Math.max(first!.renewAt!, second!.renewAt!) - clock.now());
    // The manager's own pass, not the connector's maintain() (which the stop waits for).
    const subs = c.subscriptionManager!;
    const held = sim.holdNextAnswer('PATCH', `/subscriptions/${first!.subscriptionId}`);
    const pass = subs.maintain();
    await held.answered;
    const sent = sim.requests.length;
    await c.stop(); // deletes both subscriptions; the renewal is still unanswered
    expect(sim.subscriptions.subs.size).toBe(0);
    held.release();
    await pass;
    // Nothing for the second shard: neither its renewal nor (its subscription deleted by the stop) a new one.
    expect(writes(sim, sent)).toEqual([]);
    expect(sim.subscriptions.subs.size).toBe(0);
  });

  it('a maintenance called while one is under way joins it: each due subscription is renewed once', async () => {
    const { sim, c, clock } = await twoShards();
    const [first, second] = c.subscriptionShards();
    clock.advance(Math.max(first!.renewAt!, second!.renewAt!) - clock.now());
    const held = sim.holdNextAnswer('PATCH', `/subscriptions/${first!.subscriptionId}`);
    const pass = c.maintain();
    await held.answered;
    const again = c.maintain();
    held.release();
    await Promise.all([pass, again]);
    expect(writes(sim).filter((r) => r.method === 'PATCH').map((r) => r.path)).toEqual([`/subscriptions/${first!.subscriptionId}`, `/subscriptions/${second!.subscriptionId}`]);
    expect(sim.subscriptions.subs.size).toBe(2);
  });

  it('a stalled subscription falls back to polling and heals', async () => {
    const { sim, h, c } = await start(3, { stallAfter: '1ms' });
    await c.start();
    await c.firstCycle();
    const firstId = [...sim.subscriptions.subs.keys()][0]!;
    sim.subscriptions.paused = true;
    sim.presence.setClient(guid(0), { availability: 'Away', activity: 'Away' });
    await sim.tick();
    await new Promise((r) => setTimeout(r, 20));
    await c.runCycle(false); // the sweep sees the change no notification announced
    expect(h.signals.at(-1)).toMatchObject({ person: 'user0', availability: 15500 });
    sim.subscriptions.paused = false;
    await c.maintain();
    expect(sim.subscriptions.subs.has(firstId)).toBe(false);
    expect(sim.subscriptions.subs.size).toBe(1);
  });
});
