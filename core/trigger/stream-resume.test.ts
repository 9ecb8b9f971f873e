/**
 * docs/triggers.md "SSE": a stream that reconnects with Last-Event-ID gets the firings it missed
 * from the trigger's log, then the live ones, none twice. Here the firing is stored while this
 * node's fan-out of it is still reading the latest firings (held back by the store), and the stream
 * reconnects in between: the replay sends it, and the fan-out that comes after must not send it again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, TEAM_ENV, type TestHub } from '../../test/support/hub.ts';
import { fanOutGate, triggerHub } from '../../test/support/trigger-hub.ts';
import { until } from '../../test/support/wait.ts';
import type { Firing } from './model.ts';

describe('a stream resumed while the firing it replays is still being fanned out', () => {
  let t: TestHub;
  const fanOut = fanOutGate();
  beforeAll(async () => {
    t = await triggerHub({ triggers: { rules: [{ id: 'bob-on', people: ['bob'], hysteresis: '0ms', action: { type: 'sse' } }] }, wrap: fanOut.wrap });
  });
  afterAll(async () => {
    fanOut.release();
    await t?.close();
  });

  it('sends the firing once', async () => {
    fanOut.hold();
    const res = await t.app.inject({ method: 'POST', url: '/v1/signals', headers: auth(TEAM_ENV.PUB_KEY), payload: { person: 'bob', source: 'teams', category: 'user', availability: 'available' } });
    expect(res.statusCode).toBe(202);
    await t.settle();
    // The firing is stored and this node's fan-out of it waits on the store.
    await until(() => fanOut.held > 0, 'the fan-out reading the latest firings');
    const got: Firing[] = [];
    const gaps: unknown[] = [];
    const off = await t.hub.triggers.subscribe(new Set(['bob-on']), { firing: (f) => got.push(f), gap: (g) => gaps.push(g) }, { lastEventId: '0', withPresence: false });
    expect(got.map((f) => f.seq)).toEqual([1]);
    fanOut.release();
    // The fan-out has run once the latest firing it read is this node's seen one: a later firing shows it.
    const again = await t.app.inject({ method: 'POST', url: '/v1/signals', headers: auth(TEAM_ENV.PUB_KEY), payload: { person: 'bob', source: 'teams', category: 'user', availability: 'away' } });
    expect(again.statusCode).toBe(202);
    await t.settle();
    const back = await t.app.inject({ method: 'POST', url: '/v1/signals', headers: auth(TEAM_ENV.PUB_KEY), payload: { person: 'bob', source: 'teams', category: 'user', availability: 'available' } });
    expect(back.statusCode).toBe(202);
    await t.settle();
    await until(() => got.some((f) => f.seq === 2), 'the second firing streamed');
    off();
    expect(got.map((f) => f.seq)).toEqual([1, 2]);
    expect(gaps).toEqual([]);
  });
});
