/**
 * Issue 11 acceptance, freshness: a re-sent observation without sourceTime or sourceVersion is new
 * and stamped again; only the same `id` (or the same version or time) is a duplicate. Through the
 * HTTP API, the real ingest, the embedded pipeline and aggregate(), with the injected clock.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { MemoryBoundaries } from '../../core/pipeline/embedded/boundaries.ts';
import { ManualClock } from '../../core/util/clock.ts';
import { auth, TEAM_ENV, teamConfig, testHub, type TestHub } from '../support/hub.ts';

const T0 = Date.parse('2026-11-23T09:00:00Z');
const KEY = auth(TEAM_ENV.PUB_KEY);
const ADMIN = auth(TEAM_ENV.ADMIN_KEY);

let hubs: TestHub[] = [];
afterEach(async () => {
  for (const h of hubs) await h.close();
  hubs = [];
});

async function hub(clock: ManualClock): Promise<TestHub> {
  const t = await testHub({ config: teamConfig(), env: TEAM_ENV, clock });
  hubs.push(t);
  return t;
}

async function post(t: TestHub, body: Record<string, unknown>): Promise<void> {
  const res = await t.app.inject({ method: 'POST', url: '/v1/signals', headers: KEY, payload: body });
  expect(res.statusCode, res.body).toBe(202);
  await t.settle();
}

async function presence(t: TestHub, person = 'alice'): Promise<{ class: string; version: number; machineState?: string }> {
  const res = await t.app.inject({ method: 'GET', url: `/v1/presence/${person}`, headers: ADMIN });
  return res.json();
}

/** Moves the injected clock and lets the time boundaries due by then fire (machine ageing). */
async function advance(t: TestHub, clock: ManualClock, ms: number): Promise<void> {
  clock.advance(ms);
  await (t.hub.pipeline.boundaries as MemoryBoundaries).fire();
  await t.settle();
}

describe('freshness: a re-sent observation is new, a retry is not', () => {
  it('a machine heartbeat every 60 s without sourceTime keeps the person available for 30 minutes', async () => {
    const clock = new ManualClock(T0);
    const t = await hub(clock);
    const beat = { person: 'alice', source: 'agent', endpoint: 'laptop', category: 'machine', machineState: 'active' };
    await post(t, { person: 'alice', source: 'agent', endpoint: 'user', category: 'user', availability: 'available' });
    await post(t, beat);
    for (let minute = 1; minute <= 30; minute++) {
      await advance(t, clock, 60_000);
      await post(t, beat); // the same observation, every minute
      expect(await presence(t), `minute ${minute}`).toMatchObject({ class: 'available', machineState: 'active' });
    }
    // Without the heartbeats the same machine ages: inactive after 5 minutes, away after 15.
    await advance(t, clock, 5 * 60_000);
    expect((await presence(t)).class).toBe('inactive');
    await advance(t, clock, 10 * 60_000);
    expect((await presence(t)).class).toBe('away');
  });

  it('a user state re-asserted after a calendar state makes the person available', async () => {
    const clock = new ManualClock(T0);
    const t = await hub(clock);
    const available = { person: 'alice', source: 'client', endpoint: 'desk', category: 'user', availability: 'available' };
    await post(t, available);
    expect((await presence(t)).class).toBe('available');
    await advance(t, clock, 60_000);
    await post(t, { person: 'alice', source: 'calendar', endpoint: 'evt-1', category: 'calendar', availability: 'busy', activity: 'in-a-meeting', from: new Date(T0).toISOString(), until: new Date(T0 + 3_600_000).toISOString() });
    expect((await presence(t)).class).toBe('busy');
    await advance(t, clock, 60_000);
    await post(t, available); // the person sets Available again: the same signal as before
    expect((await presence(t)).class).toBe('available');
  });

  it('a retry carrying the same id changes nothing', async () => {
    const clock = new ManualClock(T0);
    const t = await hub(clock);
    const available = { person: 'alice', source: 'client', endpoint: 'desk', category: 'user', availability: 'available', id: 'req-0001' };
    await post(t, available);
    await advance(t, clock, 60_000);
    await post(t, { person: 'alice', source: 'calendar', endpoint: 'evt-1', category: 'calendar', availability: 'busy', activity: 'in-a-meeting', from: new Date(T0).toISOString(), until: new Date(T0 + 3_600_000).toISOString() });
    const busy = await presence(t);
    expect(busy.class).toBe('busy');
    await advance(t, clock, 60_000);
    await post(t, available); // the client's retry of its earlier request, not a new assertion
    expect(await presence(t)).toEqual(busy);
    const explain = (await t.app.inject({ method: 'GET', url: '/v1/presence/alice/explain', headers: ADMIN })).json() as { registers: { source: string; publishedAt: string; id?: string }[] };
    expect(explain.registers.find((r) => r.source === 'client')).toMatchObject({ id: 'req-0001', publishedAt: new Date(T0).toISOString() });
    // A new request (a new id) is a new assertion.
    await post(t, { ...available, id: 'req-0002' });
    expect((await presence(t)).class).toBe('available');
  });
});
