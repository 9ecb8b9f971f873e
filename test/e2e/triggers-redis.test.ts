import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signWebhook, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../../core/watch/webhooks.ts';
import { auth, TEAM_ENV, teamConfig } from '../support/hub.ts';
import { freshPrefix } from '../support/redis-url.ts';
import { redisHubNode, type RedisHubNode } from '../support/redis-hub.ts';
import { webhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { until } from '../support/wait.ts';

/**
 * Seed 001's quorum trigger on two hub nodes sharing one Redis: one node evaluates (the
 * `hub:triggers` lease), the state is in Redis, so each transition is delivered exactly once, also
 * when the evaluating node stops and the other takes the lease over.
 */
const CONF_SECRET = 'conference-secret-0001';
const P = ['p1', 'p2', 'p3', 'p4', 'p5'];
const HYSTERESIS_MS = 1000;

type Node = RedisHubNode & { base: string; lease: RedisHubNode['pipeline']['lease'] };

async function node(prefix: string, nodeId: string, rx: { url: string }): Promise<Node> {
  const cfg = teamConfig();
  const t = await redisHubNode({
    prefix,
    nodeId,
    config: {
      ...cfg,
      people: [...(cfg.people ?? []), ...P.map((id) => ({ id, teams: ['conf'] }))],
      triggers: { rules: [{ id: 'conference', people: P, atLeast: 3, hysteresis: `${HYSTERESIS_MS}ms`, action: { type: 'webhook', url: `${rx.url}/conference`, secret: '${CONF_SECRET}' } }] },
    },
    env: { ...TEAM_ENV, CONF_SECRET },
    lockDurationMs: 5000,
    stalledIntervalMs: 2000,
    leaseTtlMs: 1500,
  });
  const base = await t.app.listen({ host: '127.0.0.1', port: 0 });
  return Object.assign(t, { base, lease: t.pipeline.lease });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const get = async (n: Node, path: string) => (await fetch(`${n.base}${path}`, { headers: auth(TEAM_ENV.ADMIN_KEY) })).json();
/** Posts a user state to node `n` and waits until node `seen` shows it. */
async function set(n: Node, person: string, availability: string, seen: Node = n): Promise<void> {
  const res = await fetch(`${n.base}/v1/signals`, {
    method: 'POST',
    headers: { ...auth(TEAM_ENV.PUB_KEY), 'content-type': 'application/json' },
    body: JSON.stringify({ person, source: 'teams', category: 'user', availability }),
  });
  expect(res.status).toBe(202);
  await until(async () => (await get(seen, `/v1/presence/${person}`)).class === availability);
}

describe('a quorum trigger on two nodes', () => {
  let rx: WebhookReceiver;
  let a: Node;
  let b: Node;
  beforeAll(async () => {
    rx = await webhookReceiver();
    const prefix = freshPrefix('triggers');
    a = await node(prefix, 'trig-a', rx);
    b = await node(prefix, 'trig-b', rx);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await rx?.close();
  });

  it('delivers each transition exactly once, also across a lease handover', async () => {
    const deliveries = () => rx.requests.get('conference') ?? [];
    await until(async () => (await a.lease.holder!('hub:triggers')) !== undefined);
    const holderId = await a.lease.holder!('hub:triggers');
    const [holder, other] = holderId === 'trig-a' ? [a, b] : [b, a];

    await set(a, 'p2', 'available', holder);
    await set(b, 'p4', 'available', holder);
    expect(await get(other, '/v1/triggers/conference')).toMatchObject({ met: false, fired: 0 });
    await set(other, 'p5', 'available', holder);
    await until(() => deliveries().length === 1);
    const d = deliveries()[0]!;
    expect(d.headers[SIGNATURE_HEADER]).toBe(signWebhook(CONF_SECRET, String(d.headers[TIMESTAMP_HEADER]), d.body));
    expect(JSON.parse(d.body)).toMatchObject({ trigger: 'conference', people: ['p2', 'p4', 'p5'] });
    // Both nodes heard every change; the state every node answers with is the shared one.
    await until(async () => (await get(other, '/v1/triggers/conference')).delivered === 1);
    expect(await get(other, '/v1/triggers/conference')).toMatchObject({ met: true, fired: 1 });

    // The evaluating node stops; the other takes the lease over with the stored state.
    await holder.close();
    await until(async () => (await other.lease.holder!('hub:triggers')) === other.hub.nodeId);
    // Still met: taking over fires nothing.
    await sleep(300);
    expect(deliveries()).toHaveLength(1);
    await set(other, 'p4', 'away');
    await until(async () => (await get(other, '/v1/triggers/conference')).met === false);
    await sleep(HYSTERESIS_MS + 200);
    await set(other, 'p4', 'available');
    await until(() => deliveries().length === 2);
    expect(await get(other, '/v1/triggers/conference')).toMatchObject({ met: true, fired: 2 });
    await sleep(300);
    expect(deliveries()).toHaveLength(2);
    expect(new Set(deliveries().map((x) => JSON.parse(x.body).firing)).size).toBe(2);
  }, 40_000);
});

describe('a firing whose delivery failed on the node that stopped', () => {
  it('is delivered by the node that takes the lease over, once, with the same firing id', async () => {
    let down = true;
    const attempts: { status: number; firing: string }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const status = down ? 503 : 204;
        attempts.push({ status, firing: JSON.parse(body).firing });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const prefix = freshPrefix('triggers-outbox');
    const c = await node(prefix, 'out-c', { url });
    const d = await node(prefix, 'out-d', { url });
    try {
      await until(async () => (await c.lease.holder!('hub:triggers')) !== undefined);
      const [holder, other] = (await c.lease.holder!('hub:triggers')) === 'out-c' ? [c, d] : [d, c];
      for (const p of ['p2', 'p4', 'p5']) await set(holder, p, 'available');
      await until(() => attempts.length >= 1);
      expect(attempts[0]!.status).toBe(503);
      await holder.close();
      down = false;
      await until(() => attempts.some((a) => a.status === 204), 10_000);
      const ok = attempts.filter((a) => a.status === 204);
      expect(ok).toHaveLength(1);
      expect(ok[0]!.firing).toBe(attempts[0]!.firing);
      await until(async () => (await get(other, '/v1/triggers/conference')).delivered >= 1);
      expect(await get(other, '/v1/triggers/conference')).toMatchObject({ met: true, fired: 1, delivered: 1 });
      await sleep(500);
      expect(attempts.filter((a) => a.status === 204)).toHaveLength(1);
    } finally {
      await c.close();
      await d.close();
      await new Promise<void>((r) => server.close(() => r()));
    }
  }, 40_000);
});
