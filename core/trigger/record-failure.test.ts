/**
 * docs/triggers.md "Delivery: at least once": the store refuses the write that records a firing (a
 * Redis blip at that instant). The write is tried again, so the firing is still recorded, delivered
 * and counted, instead of living only in the evaluating node's memory. And the store refuses the
 * record of a delivery the receiver accepted: that is no failed delivery, nothing is sent again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectorStore } from '../connector/contract.ts';
import { embeddedPipeline } from '../pipeline/embedded/index.ts';
import { systemClock } from '../util/clock.ts';
import { silentLogger } from '../util/logger.ts';
import { auth, TEAM_ENV, teamConfig, testHub, type TestHub } from '../../test/support/hub.ts';
import { storeWith } from '../../test/support/trigger-hub.ts';
import { until } from '../../test/support/wait.ts';
import { webhookReceiver, type WebhookReceiver } from '../../test/support/webhook-receiver.ts';

/** The store with its writes refused while `refusing` says so for them. */
function refusing(inner: ConnectorStore, refuse: (entries: readonly (readonly [string, string])[]) => boolean, refuseDelete: (keys: readonly string[]) => boolean = () => false): ConnectorStore {
  return storeWith(inner, {
    set: async (entries) => {
      if (refuse(entries)) throw new Error('connection lost (injected)');
      return inner.set(entries);
    },
    delete: async (keys) => {
      if (refuseDelete(keys)) throw new Error('connection lost (injected)');
      return inner.delete(keys);
    },
  });
}

describe('a firing whose record the store refuses once', () => {
  let rx: WebhookReceiver;
  let t: TestHub;
  let refused = 0;
  let refusedDeletes = 0;
  beforeAll(async () => {
    rx = await webhookReceiver();
    const p = embeddedPipeline({ clock: systemClock, log: silentLogger() });
    const pipeline = {
      ...p,
      connectorStore: (id: string) =>
        id === 'hub:triggers'
          ? refusing(
              p.connectorStore!(id),
              (entries) => entries.some(([k]) => k.startsWith('out:')) && refused++ === 0,
              (keys) => keys.some((k) => k.startsWith('out:bob-after:')) && refusedDeletes++ === 0,
            )
          : p.connectorStore!(id),
    };
    const cfg = teamConfig();
    t = await testHub({
      config: {
        ...cfg,
        triggers: {
          rules: [
            { id: 'bob-on', people: ['bob'], action: { type: 'webhook', url: `${rx.url}/bob`, secret: '${BOB_HOOK_SECRET}' } },
            { id: 'bob-after', people: ['bob'], classes: ['away'], action: { type: 'webhook', url: `${rx.url}/after`, secret: '${BOB_HOOK_SECRET}' } },
          ],
        },
      },
      env: { ...TEAM_ENV, BOB_HOOK_SECRET: 'bob-hook-secret-000001' },
      clock: systemClock,
      pipeline,
    });
  });
  afterAll(async () => {
    await t?.close();
    await rx?.close();
  });

  it('is recorded on the next attempt, then delivered once and counted', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/signals', headers: auth(TEAM_ENV.PUB_KEY), payload: { person: 'bob', source: 'teams', category: 'user', availability: 'available' } });
    expect(res.statusCode).toBe(202);
    await t.settle();
    await until(() => (rx.requests.get('bob') ?? []).length === 1, 'the firing delivered');
    expect(refused).toBeGreaterThanOrEqual(2);
    const status = async () => (await t.app.inject({ url: '/v1/triggers/bob-on', headers: auth(TEAM_ENV.ADMIN_KEY) })).json();
    await until(async () => (await status()).delivered === 1, 'the delivery recorded');
    expect(await status()).toMatchObject({ met: true, fired: 1, delivered: 1 });
    expect(JSON.parse(rx.requests.get('bob')![0]!.body)).toMatchObject({ trigger: 'bob-on', people: ['bob'] });
  });

  it('a delivery the receiver accepted but the store did not record is not counted failed nor sent again', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/signals', headers: auth(TEAM_ENV.PUB_KEY), payload: { person: 'bob', source: 'teams', category: 'user', availability: 'away' } });
    expect(res.statusCode).toBe(202);
    await t.settle();
    const status = async () => (await t.app.inject({ url: '/v1/triggers/bob-after', headers: auth(TEAM_ENV.ADMIN_KEY) })).json();
    await until(async () => (await status()).delivered === 1, 'the delivery recorded');
    expect(refusedDeletes).toBeGreaterThanOrEqual(2);
    expect(await status()).toMatchObject({ fired: 1, delivered: 1, failures: 0 });
    expect(await status()).not.toHaveProperty('lastError');
    expect([...(await t.hub.pipeline.connectorStore!('hub:triggers').entries('out:')).keys()]).toEqual([]);
    expect(rx.requests.get('after') ?? []).toHaveLength(1);
  });
});
