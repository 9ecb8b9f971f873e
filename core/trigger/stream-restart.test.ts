/**
 * docs/triggers.md "SSE": a stream holds back firings at or below the number it already has, until
 * the trigger's count starts again. Here two nodes share the triggers' store; node B runs a changed
 * condition of `bob-on` (a rolling configuration change), which starts its count again. Node A's
 * stream got firings 1 and 2 of the old count; firing 1 of the new count must still reach it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embeddedPipeline } from '../pipeline/embedded/index.ts';
import { memoryConnectorStore } from '../pipeline/embedded/connector-store.ts';
import { systemClock } from '../util/clock.ts';
import { silentLogger } from '../util/logger.ts';
import { auth, TEAM_ENV, teamConfig, testHub, type TestHub } from '../../test/support/hub.ts';
import { until } from '../../test/support/wait.ts';
import type { Firing } from './model.ts';

describe('a stream whose trigger starts counting again on another node', () => {
  const shared = memoryConnectorStore();
  let a: TestHub;
  let b: TestHub | undefined;
  const node = (rules: unknown[]) => {
    const p = embeddedPipeline({ clock: systemClock, log: silentLogger() });
    return testHub({
      config: { ...teamConfig(), triggers: { rules } } as Parameters<typeof testHub>[0]['config'],
      env: TEAM_ENV,
      clock: systemClock,
      pipeline: { ...p, connectorStore: (id: string) => (id === 'hub:triggers' ? shared : p.connectorStore!(id)) },
    });
  };
  beforeAll(async () => {
    a = await node([
      { id: 'bob-on', people: ['bob'], hysteresis: '0ms', action: { type: 'sse' } },
      { id: 'carol-on', people: ['carol'], hysteresis: '0ms', action: { type: 'sse' } },
    ]);
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });
  const signal = async (h: TestHub, person: string, availability: string) => {
    const res = await h.app.inject({ method: 'POST', url: '/v1/signals', headers: auth(TEAM_ENV.PUB_KEY), payload: { person, source: 'teams', category: 'user', availability } });
    expect(res.statusCode).toBe(202);
    await h.settle();
  };

  it('sends the new count\'s firing 1 after the old count\'s 2', async () => {
    const got: Firing[] = [];
    const off = await a.hub.triggers.subscribe(new Set(['bob-on']), { firing: (f) => got.push(f), gap: () => undefined });
    await signal(a, 'bob', 'available');
    await signal(a, 'bob', 'away');
    await signal(a, 'bob', 'available');
    await until(() => got.length === 2, 'firings 1 and 2 streamed');
    // Node B, with bob-on's condition changed (busy counts too), adopts it: the count starts again.
    b = await node([{ id: 'bob-on', people: ['bob'], classes: ['available', 'busy'], hysteresis: '0ms', action: { type: 'sse' } }]);
    await until(async () => (await shared.get(['log:bob-on'])).get('log:bob-on') === '[]', 'the count started again on node B');
    await signal(b, 'bob', 'busy');
    await until(async () => (await shared.get(['last:bob-on'])).get('last:bob-on')?.includes('"seq":1'), 'node B fired firing 1 of the new count');
    // Node A hears of it at its next fan-out (its own notice: a firing of carol-on).
    await signal(a, 'carol', 'available');
    await until(() => got.length === 3, 'the new count\'s firing streamed on node A');
    off();
    expect(got.map((f) => f.seq)).toEqual([1, 2, 1]);
  });
});
