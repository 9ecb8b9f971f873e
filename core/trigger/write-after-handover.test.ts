/**
 * docs/triggers.md "Delivery: at least once": once a node stops evaluating (lost the lease), it
 * writes nothing more of the triggers' state, not even the first attempt of a write queued before
 * the stop, nor the first attempt after a wait of the record of a delivery: landing after the
 * handover, such a write would roll back what the next holder stored since (its `fired` count, so
 * a new transition would get a firing id already used; its delivery count). Nor does a delivery
 * that fails once the node stopped record the failure.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectorStore } from '../connector/contract.ts';
import { embeddedPipeline } from '../pipeline/embedded/index.ts';
import { systemClock } from '../util/clock.ts';
import { createLogger } from '../util/logger.ts';
import { auth, TEAM_ENV, teamConfig, testHub, type TestHub } from '../../test/support/hub.ts';
import { storeWith } from '../../test/support/trigger-hub.ts';
import { until } from '../../test/support/wait.ts';
import { webhookReceiver, type WebhookReceiver } from '../../test/support/webhook-receiver.ts';

/** The hub's triggers store, watched: `refuse` decides per call, `stopped` marks the writes made after the stop. */
function watched(inner: ConnectorStore, w: { refuse: (keys: readonly string[]) => boolean; stopped: boolean; afterStop: string[] }): ConnectorStore {
  const call = async <T>(keys: readonly string[], f: () => Promise<T>): Promise<T> => {
    if (w.stopped) w.afterStop.push(...keys);
    if (w.refuse(keys)) throw new Error('connection lost (injected)');
    return f();
  };
  return storeWith(inner, {
    set: (entries) => call(entries.map(([k]) => k), () => inner.set(entries)),
    delete: (keys) => call(keys, () => inner.delete(keys)),
  });
}

function logLines(): { lines: string[]; log: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  const log = createLogger({
    level: 'info',
    destination: new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()).msg as string);
        done();
      },
    }),
  });
  return { lines, log };
}

describe('a state write queued behind a refused one when the node stops evaluating', () => {
  let t: TestHub;
  let refusing = true;
  let refused = 0;
  const w = { refuse: (keys: readonly string[]) => keys.includes('last:bob-on') && refusing && ++refused > 0, stopped: false, afterStop: [] as string[] };
  const { lines, log } = logLines();
  beforeAll(async () => {
    const p = embeddedPipeline({ clock: systemClock, log });
    t = await testHub({
      config: { ...teamConfig(), triggers: { rules: [{ id: 'bob-on', people: ['bob'], hysteresis: '0ms', action: { type: 'sse' } }] } },
      env: TEAM_ENV,
      clock: systemClock,
      log,
      pipeline: { ...p, connectorStore: (id: string) => (id === 'hub:triggers' ? watched(p.connectorStore!(id), w) : p.connectorStore!(id)) },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('is not made: neither it nor the refused firing lands after the stop', async () => {
    const signal = (availability: string) => t.app.inject({ method: 'POST', url: '/v1/signals', headers: auth(TEAM_ENV.PUB_KEY), payload: { person: 'bob', source: 'teams', category: 'user', availability } });
    expect((await signal('available')).statusCode).toBe(202);
    await t.settle();
    await until(() => refused >= 1, 'the firing record refused');
    // The condition turns false: its state write waits behind the refused firing record.
    expect((await signal('away')).statusCode).toBe(202);
    await t.settle();
    t.hub.triggers.deactivate();
    w.stopped = true;
    refusing = false;
    // Both writes given up (logged), or one of them made after the stop, which must not be.
    await until(() => lines.filter((l) => l === 'trigger state not stored').length >= 2 || w.afterStop.some((k) => k === 'state:bob-on'), 'both writes given up');
    // The firing record was waiting to be tried again at the stop (no attempt under way): nothing is written after it.
    expect(w.afterStop).toEqual([]);
  });
});

describe('the record of an accepted delivery whose retry wait ends after the node stopped evaluating', () => {
  let rx: WebhookReceiver;
  let t: TestHub;
  let refusing = true;
  let refused = 0;
  const w = { refuse: (keys: readonly string[]) => keys.some((k) => k.startsWith('out:bob-on:')) && !keys.includes('last:bob-on') && refusing && ++refused > 0, stopped: false, afterStop: [] as string[] };
  const { lines, log } = logLines();
  beforeAll(async () => {
    rx = await webhookReceiver();
    const p = embeddedPipeline({ clock: systemClock, log });
    t = await testHub({
      config: { ...teamConfig(), triggers: { rules: [{ id: 'bob-on', people: ['bob'], hysteresis: '0ms', action: { type: 'webhook', url: `${rx.url}/bob`, secret: '${BOB_HOOK_SECRET}' } }] } },
      env: { ...TEAM_ENV, BOB_HOOK_SECRET: 'bob-hook-secret-000001' },
      clock: systemClock,
      log,
      pipeline: { ...p, connectorStore: (id: string) => (id === 'hub:triggers' ? watched(p.connectorStore!(id), w) : p.connectorStore!(id)) },
    });
  });
  afterAll(async () => {
    await t?.close();
    await rx?.close();
  });

  it('is not tried again: the removal and the status are left to the next holder', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/signals', headers: auth(TEAM_ENV.PUB_KEY), payload: { person: 'bob', source: 'teams', category: 'user', availability: 'available' } });
    expect(res.statusCode).toBe(202);
    await t.settle();
    await until(() => (rx.requests.get('bob') ?? []).length === 1, 'the firing delivered');
    await until(() => refused >= 1, 'the removal from the outbox refused');
    t.hub.triggers.deactivate();
    w.stopped = true;
    refusing = false;
    // Given up (logged), or written after the stop, which must not be.
    await until(() => lines.some((l) => l.endsWith('not recorded; left to the next holder')) || w.afterStop.length > 0, 'the record given up');
    expect(w.afterStop).toEqual([]);
    // The firing stays in the outbox for the next holder.
    expect([...(await t.hub.pipeline.connectorStore!('hub:triggers').entries('out:bob-on:')).keys()]).toHaveLength(1);
  });
});

describe('a delivery that fails after the node stopped evaluating', () => {
  let t: TestHub;
  let server: Server;
  /** Answers each request 500, once the test lets it. */
  let answer = (): void => undefined;
  let requests = 0;
  const w = { refuse: () => false, stopped: false, afterStop: [] as string[] };
  const { lines, log } = logLines();
  beforeAll(async () => {
    server = createServer((req, res) => {
      requests++;
      req.resume();
      answer = () => res.writeHead(500).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/bob`;
    const p = embeddedPipeline({ clock: systemClock, log });
    t = await testHub({
      config: { ...teamConfig(), triggers: { rules: [{ id: 'bob-on', people: ['bob'], hysteresis: '0ms', action: { type: 'webhook', url, secret: '${BOB_HOOK_SECRET}' } }] } },
      env: { ...TEAM_ENV, BOB_HOOK_SECRET: 'bob-hook-secret-000001' },
      clock: systemClock,
      log,
      pipeline: { ...p, connectorStore: (id: string) => (id === 'hub:triggers' ? watched(p.connectorStore!(id), w) : p.connectorStore!(id)) },
    });
  });
  afterAll(async () => {
    await t?.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('records no failure: the status is the next holder\'s', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/signals', headers: auth(TEAM_ENV.PUB_KEY), payload: { person: 'bob', source: 'teams', category: 'user', availability: 'available' } });
    expect(res.statusCode).toBe(202);
    await t.settle();
    await until(() => requests === 1, 'the delivery under way');
    t.hub.triggers.deactivate();
    w.stopped = true;
    answer();
    // Given up (logged), or a failure recorded after the stop, which must not be.
    await until(() => lines.some((l) => l.includes('failed after this node stopped evaluating')) || w.afterStop.length > 0, 'the answer handled');
    expect(w.afterStop).toEqual([]);
  });
});
