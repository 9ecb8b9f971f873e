/**
 * docs/triggers.md "SSE": a stream never gets a firing at or below the number it already has. Here
 * the client got firing 1 from another node and reconnects to this one with Last-Event-ID 1 while
 * this node's fan-out of that firing lags (held back by the store): when the fan-out catches up it
 * must not send firing 1 again; firing 2 still comes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, TEAM_ENV, type TestHub } from '../../test/support/hub.ts';
import { fanOutGate, triggerHub } from '../../test/support/trigger-hub.ts';
import { until } from '../../test/support/wait.ts';
import type { Firing } from './model.ts';

describe('a stream resumed with the Last-Event-ID of a firing this node has not fanned out yet', () => {
  let t: TestHub;
  const fanOut = fanOutGate();
  beforeAll(async () => {
    t = await triggerHub({ triggers: { rules: [{ id: 'bob-on', people: ['bob'], hysteresis: '0ms', action: { type: 'sse' } }] }, wrap: fanOut.wrap });
  });
  afterAll(async () => {
    fanOut.release();
    await t?.close();
  });

  const signal = async (availability: string) => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/signals', headers: auth(TEAM_ENV.PUB_KEY), payload: { person: 'bob', source: 'teams', category: 'user', availability } });
    expect(res.statusCode).toBe(202);
    await t.settle();
  };

  it('does not send it again, and sends the next one', async () => {
    fanOut.hold();
    await signal('available');
    await until(() => fanOut.held > 0, 'the fan-out of firing 1 reading the latest firings');
    const got: Firing[] = [];
    const gaps: unknown[] = [];
    const off = await t.hub.triggers.subscribe(new Set(['bob-on']), { firing: (f) => got.push(f), gap: (g) => gaps.push(g) }, { lastEventId: '1', withPresence: false });
    expect(got).toEqual([]);
    fanOut.release();
    await signal('away');
    await signal('available');
    await until(() => got.some((f) => f.seq === 2), 'the second firing streamed');
    off();
    expect(got.map((f) => f.seq)).toEqual([2]);
    expect(gaps).toEqual([]);
  });

  it('a Last-Event-ID above the count (the count started again) holds back nothing past the count', async () => {
    const got: Firing[] = [];
    const gaps: { after: number | null; fired?: number }[] = [];
    const off = await t.hub.triggers.subscribe(new Set(['bob-on']), { firing: (f) => got.push(f), gap: (g) => gaps.push(g) }, { lastEventId: '9', withPresence: false });
    expect(gaps).toMatchObject([{ after: 9, fired: 2 }]);
    await signal('away');
    await signal('available');
    await until(() => got.some((f) => f.seq === 3), 'the third firing streamed');
    off();
    expect(got.map((f) => f.seq)).toEqual([3]);
  });
});
