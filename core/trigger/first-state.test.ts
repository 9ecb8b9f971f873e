/**
 * docs/triggers.md "Delivery: at least once": a configured trigger with no stored state yet gets its
 * epoch (the base of its firing ids, model.ts firingId) from the first state stored, set-if-absent.
 * Here two nodes share the triggers' store and both read it before either has stored the trigger's
 * first state (two nodes evaluating at once during a lease handover): each then fires the same
 * transition, and both must carry the same firing id so the receiver drops the repeat.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectorStore } from '../connector/contract.ts';
import { embeddedPipeline } from '../pipeline/embedded/index.ts';
import { memoryConnectorStore } from '../pipeline/embedded/connector-store.ts';
import { systemClock } from '../util/clock.ts';
import { silentLogger } from '../util/logger.ts';
import { auth, TEAM_ENV, teamConfig, testHub, type TestHub } from '../../test/support/hub.ts';
import { until } from '../../test/support/wait.ts';
import { webhookReceiver, type WebhookReceiver } from '../../test/support/webhook-receiver.ts';

describe('two nodes adopting a configured trigger before either stored its first state', () => {
  let rx: WebhookReceiver;
  const hubs: TestHub[] = [];
  const shared = memoryConnectorStore();
  let loads = 0;
  let bothRead = (): void => undefined;
  const both = new Promise<void>((r) => (bothRead = r));
  /** The shared store, whose first two full reads (each node's load at activation) wait for each other. */
  const gated: ConnectorStore = {
    get: (keys) => shared.get(keys),
    set: (entries) => shared.set(entries),
    delete: (keys) => shared.delete(keys),
    entries: async (prefix) => {
      if (prefix === '' && loads < 2) {
        const got = await shared.entries(prefix);
        if (++loads === 2) bothRead();
        await both;
        return got;
      }
      return shared.entries(prefix);
    },
    setIfAbsent: (key, value) => shared.setIfAbsent!(key, value),
  };
  beforeAll(async () => {
    rx = await webhookReceiver();
    const node = async () => {
      const p = embeddedPipeline({ clock: systemClock, log: silentLogger() });
      return testHub({
        config: { ...teamConfig(), triggers: { rules: [{ id: 'bob-on', people: ['bob'], hysteresis: '0ms', action: { type: 'webhook', url: `${rx.url}/bob`, secret: '${BOB_HOOK_SECRET}' } }] } },
        env: { ...TEAM_ENV, BOB_HOOK_SECRET: 'bob-hook-secret-000001' },
        clock: systemClock,
        pipeline: { ...p, connectorStore: (id: string) => (id === 'hub:triggers' ? gated : p.connectorStore!(id)) },
      });
    };
    hubs.push(...(await Promise.all([node(), node()])));
  });
  afterAll(async () => {
    for (const h of hubs) await h.close();
    await rx?.close();
  });

  it('both fire the transition with one firing id', async () => {
    expect(loads).toBe(2);
    for (const h of hubs) {
      const res = await h.app.inject({ method: 'POST', url: '/v1/signals', headers: auth(TEAM_ENV.PUB_KEY), payload: { person: 'bob', source: 'teams', category: 'user', availability: 'available' } });
      expect(res.statusCode).toBe(202);
      await h.settle();
    }
    // Each node delivers the firing it recorded (at least once).
    const got = await until(() => ((rx.requests.get('bob') ?? []).length >= 2 ? rx.requests.get('bob') : undefined), 'both nodes delivered');
    const ids = new Set(got.map((r) => (JSON.parse(r.body) as { firing: string }).firing));
    expect(ids.size).toBe(1);
    expect(new Set(got.map((r) => r.headers['x-presence-hub-firing']))).toEqual(ids);
  });
});
