/**
 * docs/triggers.md "SSE": a stream that reconnects with Last-Event-ID gets the firings it missed
 * from the trigger's log, then the live ones, none twice. Here the firing is stored while this
 * node's fan-out of it is still reading the latest firings (held back by the store), and the stream
 * reconnects in between: the replay sends it, and the fan-out that comes after must not send it again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectorStore } from '../connector/contract.ts';
import { embeddedPipeline } from '../pipeline/embedded/index.ts';
import { systemClock } from '../util/clock.ts';
import { silentLogger } from '../util/logger.ts';
import { auth, TEAM_ENV, teamConfig, testHub, type TestHub } from '../../test/support/hub.ts';
import { until } from '../../test/support/wait.ts';
import type { Firing } from './model.ts';

describe('a stream resumed while the firing it replays is still being fanned out', () => {
  let t: TestHub;
  /** While set, reads of the latest firings (the fan-out) wait for it. */
  let hold: Promise<void> | undefined;
  let release = (): void => undefined;
  let held = 0;
  beforeAll(async () => {
    const p = embeddedPipeline({ clock: systemClock, log: silentLogger() });
    const gated = (inner: ConnectorStore): ConnectorStore => ({
      get: (keys) => inner.get(keys),
      set: (entries) => inner.set(entries),
      delete: (keys) => inner.delete(keys),
      entries: async (prefix) => {
        if (prefix === 'last:' && hold !== undefined) {
          held++;
          await hold;
        }
        return inner.entries(prefix);
      },
    });
    t = await testHub({
      config: { ...teamConfig(), triggers: { rules: [{ id: 'bob-on', people: ['bob'], hysteresis: '0ms', action: { type: 'sse' } }] } },
      env: TEAM_ENV,
      clock: systemClock,
      pipeline: { ...p, connectorStore: (id: string) => (id === 'hub:triggers' ? gated(p.connectorStore!(id)) : p.connectorStore!(id)) },
    });
  });
  afterAll(async () => {
    release();
    await t?.close();
  });

  it('sends the firing once', async () => {
    hold = new Promise<void>((r) => (release = r));
    const res = await t.app.inject({ method: 'POST', url: '/v1/signals', headers: auth(TEAM_ENV.PUB_KEY), payload: { person: 'bob', source: 'teams', category: 'user', availability: 'available' } });
    expect(res.statusCode).toBe(202);
    await t.settle();
    // The firing is stored and this node's fan-out of it waits on the store.
    await until(() => held > 0, 'the fan-out reading the latest firings');
    const got: Firing[] = [];
    const gaps: unknown[] = [];
    const off = await t.hub.triggers.subscribe(new Set(['bob-on']), { firing: (f) => got.push(f), gap: (g) => gaps.push(g) }, { lastEventId: '0', withPresence: false });
    expect(got.map((f) => f.seq)).toEqual([1]);
    hold = undefined;
    release();
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
