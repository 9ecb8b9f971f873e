import { describe, expect, it } from 'vitest';
import { MsGraphPresenceConnector } from './connector.ts';
import { msgraphPresenceManifest } from './manifest.ts';
import { guid, miniHub, stopAfterEach } from './test-support.ts';
import { until } from '../../test/support/wait.ts';
import { connectionTest } from '../../core/connector/test-connection.ts';

const t = stopAfterEach();

describe('msgraph-presence polling against the simulator through the Graph client', () => {
  it('polls 2 000 users in batches of at most 650 inside the budget and emits device signals', async () => {
    const { sim, h, c } = await t.started(2000, { poll: { interval: '1h' } });
    const polls = sim.requests.filter((r) => r.path === '/communications/getPresencesByUserId');
    expect(polls).toHaveLength(4);
    expect(polls.every((r) => r.status === 200)).toBe(true);
    expect(h.signals).toHaveLength(2000);
    expect(h.signals[0]).toMatchObject({ identity: `entra:${guid(0)}`, person: 'user0', source: 'teams', endpoint: 'teams', category: 'device', availability: 3500 });
    // A second cycle with nothing changed emits nothing.
    await c.runCycle(false);
    expect(h.signals).toHaveLength(2000);
    sim.presence.setClient(guid(7), { availability: 'Busy', activity: 'InACall' });
    await c.runCycle(false);
    expect(h.signals.at(-1)).toMatchObject({ person: 'user7', availability: 6500, activity: 'on-the-phone' });
  });

  it('keeps inside the budget the simulator enforces (no 429 for a paced cycle)', async () => {
    // The client paces at half the budget the simulator enforces: on a loaded machine requests can
    // arrive bunched, and the margin keeps that from looking like a pacing failure. Twelve requests
    // sent without pacing would not pass the simulator's limit of six per half second. (A half-second
    // window: the pacing is the same at any window, and the cycle takes 1.5 s instead of 3.)
    const { sim, h } = await t.setup(120, { poll: { interval: '1h', batchSize: 10, budget: { requests: 6, window: '500ms', share: 0.5 } } });
    sim.presenceBudget = { limit: 6, windowMs: 500 };
    const c = t.connector(new MsGraphPresenceConnector(h.ctx));
    await c.start();
    await c.firstCycle();
    const polls = sim.requests.filter((r) => r.path === '/communications/getPresencesByUserId');
    expect(polls).toHaveLength(12);
    expect(polls.filter((r) => r.status === 429)).toHaveLength(0);
    expect(h.signals).toHaveLength(120);
  });

  it('survives a 429 storm without losing the cycle (Retry-After honoured)', async () => {
    const { sim, h } = await t.setup(1300, { poll: { interval: '1h' } });
    sim.throttle(4, 1);
    const sup = h.supervisor(msgraphPresenceManifest);
    await sup.start();
    await until(() => h.signals.length === 1300, 15_000);
    const polls = sim.requests.filter((r) => r.path === '/communications/getPresencesByUserId');
    expect(polls.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(1);
    expect(sup.health().counts.throttled).toBeGreaterThanOrEqual(1);
    // After a 429 nobody sent before Retry-After had passed.
    const first429 = polls.find((r) => r.status === 429)!;
    const after = polls.filter((r) => r.at > first429.at && r.status === 200);
    expect(after.every((r) => r.at - first429.at >= 900)).toBe(true);
    await sup.stop();
  });

  it('PresenceUnknown (or values the map cannot read) withdraws what Teams said before instead of leaving it', async () => {
    const { sim, h, c } = await t.started(1, { poll: { interval: '1h' } });
    const hub = miniHub('user0');
    const cycle = async (): Promise<ReturnType<typeof hub.judge>> => {
      const n = h.signals.length;
      await c.runCycle(false);
      for (const s of h.signals.slice(n)) hub.put(s);
      return hub.judge();
    };
    sim.presence.setClient(guid(0), { availability: 'Busy', activity: 'InACall' });
    expect(await cycle()).toMatchObject({ class: 'busy', activity: { token: 'on-the-phone' } });
    // The presence resource documents PresenceUnknown for both fields: Teams knows nothing now.
    sim.presence.setClient(guid(0), { availability: 'PresenceUnknown', activity: 'PresenceUnknown' });
    expect(await cycle()).toMatchObject({ class: 'offline' });
    expect(h.signals.at(-1)).toMatchObject({ until: h.signals.at(-1)!.sourceTime });
    sim.presence.setClient(guid(0), { availability: 'Busy', activity: 'InACall' });
    expect(await cycle()).toMatchObject({ class: 'busy' });
    sim.presence.setClient(guid(0), { availability: 'Sleeping', activity: 'Dreaming' });
    expect(await cycle()).toMatchObject({ class: 'offline' });
  });

  it('drops out-of-order readings by sequenceNumber', async () => {
    const { sim, h, c } = await t.started(1, { poll: { interval: '1h' } });
    // Graph answers two polls with readings out of order: the later poll carries an older sequenceNumber.
    const reading = (availability: string, activity: string, seq: number) => JSON.stringify({ value: [{ id: guid(0), availability, activity, sequenceNumber: String(seq).padStart(20, '0') }] });
    sim.malformNext('getPresencesByUserId', reading('Busy', 'InACall', 9));
    await c.runCycle(false);
    expect(h.signals.at(-1)).toMatchObject({ availability: 6500, activity: 'on-the-phone' });
    const emitted = h.signals.length;
    sim.malformNext('getPresencesByUserId', reading('Away', 'Away', 5));
    await c.runCycle(false);
    expect(h.signals).toHaveLength(emitted);
    expect(h.signals.at(-1)).toMatchObject({ availability: 6500, activity: 'on-the-phone' });
  });

  it('refuses a malformed Graph response with a clear health error and keeps running', async () => {
    const { sim, h } = await t.setup(3, { poll: { interval: '1h' } });
    sim.malformNext('getPresencesByUserId', JSON.stringify({ value: [{ id: guid(0), availability: 42 }] }));
    const c = new MsGraphPresenceConnector(h.ctx);
    const sup = h.supervisor(msgraphPresenceManifest, c);
    await sup.start();
    await until(() => sup.health().lastError !== undefined);
    expect(sup.health().lastError).toMatchObject({ code: 'HUB_ERR_GRAPH_MALFORMED', message: expect.stringContaining('value.0.availability') });
    expect(h.signals).toHaveLength(0);
    expect(['running', 'degraded']).toContain(sup.health().state);
    sim.malformNext('getPresencesByUserId', '{"value": [not json');
    await c.runCycle(false);
    expect(sup.health().lastError?.code).toBe('HUB_ERR_GRAPH_MALFORMED');
    await c.runCycle(false);
    expect(h.signals).toHaveLength(3);
    await sup.stop();
  });

  it('testConnection tells bad credentials (permanent) from an unreachable endpoint (transient)', async () => {
    const { sim, h, config } = await t.setup(1);
    const good = await connectionTest(new MsGraphPresenceConnector(h.ctx));
    expect(good.ok).toBe(true);
    const bad = await connectionTest(new MsGraphPresenceConnector({ ...h.ctx, config: { ...config, clientSecret: 'wrong' } }));
    expect(bad).toMatchObject({ ok: false, kind: 'permanent', code: 'HUB_ERR_GRAPH_AUTH' });
    const down = await connectionTest(new MsGraphPresenceConnector({ ...h.ctx, config: { ...config, tokenEndpoint: 'http://127.0.0.1:9/token' } }));
    expect(down).toMatchObject({ ok: false, kind: 'transient', code: 'HUB_ERR_GRAPH_UNREACHABLE' });
  });
});
