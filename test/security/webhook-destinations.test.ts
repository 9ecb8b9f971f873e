import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { redisPipeline, type RedisPipeline } from '../../core/pipeline/redis/index.ts';
import { ManualClock, systemClock } from '../../core/util/clock.ts';
import { silentLogger } from '../../core/util/logger.ts';
import { freshPrefix, redisUrl } from '../support/redis-url.ts';
import { auth, TEAM_ENV, teamConfig, testHub, type TestHub } from '../support/hub.ts';
import { until } from '../support/wait.ts';

/**
 * Issue 13, finding 8: the webhook destination policy (core/watch/destination-policy.ts) through
 * POST /v1/webhooks and real deliveries, all on loopback. Link-local and metadata addresses are
 * refused always; loopback and private ones unless webhooks.allowPrivateTargets lists them; the
 * check runs after DNS resolution and again at every delivery; lastError says only "unreachable"
 * or "answered N".
 */
const ADMIN = auth(TEAM_ENV.ADMIN_KEY);
let open: TestHub[] = [];
afterEach(async () => {
  for (const t of open) await t.close();
  open = [];
});
async function hub(allowPrivateTargets: string[], extra: { pipeline?: RedisPipeline; nodeId?: string } = {}): Promise<TestHub> {
  const t = await testHub({
    config: teamConfig({ server: { rateLimit: 0 }, webhooks: { allowPrivateTargets, maxAttempts: 50 } }),
    env: TEAM_ENV,
    clock: extra.pipeline !== undefined ? systemClock : new ManualClock(Date.parse('2026-11-23T09:00:00Z')),
    ...(extra.pipeline !== undefined ? { pipeline: extra.pipeline, lease: extra.pipeline.lease, leaseTtlMs: 1000 } : {}),
    ...(extra.nodeId !== undefined ? { nodeId: extra.nodeId } : {}),
  });
  open.push(t);
  return t;
}
const create = (t: TestHub, url: string) => t.app.inject({ method: 'POST', url: '/v1/webhooks', headers: ADMIN, payload: { url, people: ['alice'] } });

let receiver: Server;
let port: number;
const received: string[] = [];
let answer = 204;
beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      received.push(body);
      res.writeHead(answer).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  port = (receiver.address() as AddressInfo).port;
});
afterAll(async () => new Promise((r) => receiver.close(r)));

describe('refused at creation', () => {
  const always = [
    'http://169.254.169.254/latest/meta-data/',
    'http://[fd00:ec2::254]/latest/meta-data/',
    'http://metadata.google.internal/computeMetadata/v1/',
    'http://100.100.100.200/latest/meta-data/',
    'http://[fe80::1]/',
    'http://0.0.0.0:8080/',
    'http://[::]/',
    'http://224.0.0.1/',
    'http://255.255.255.255/',
    // Numeric spellings of 169.254.169.254.
    'http://2852039166/',
    'http://0xa9.0xfe.0xa9.0xfe/',
    'http://[::ffff:169.254.169.254]/',
  ];
  it.each(always)('%s, even with every private range allowed', async (url) => {
    const t = await hub(['0.0.0.0/0', '::/0', 'metadata.google.internal']);
    const res = await create(t, url);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'HUB_ERR_WEBHOOK_DESTINATION' });
    expect(res.json().detail).toMatch(/^url: destination refused: /);
    expect((await t.app.inject({ url: '/v1/webhooks', headers: ADMIN })).json().webhooks).toEqual([]);
  });

  const privateUrls = ['http://127.0.0.1:9/', 'http://2130706433:9/', 'http://0x7f.1:9/', 'http://127.1:9/', 'http://[::ffff:127.0.0.1]:9/', 'http://[::1]:9/', 'http://10.0.0.5/', 'http://192.168.1.10/', 'http://172.16.0.1/', 'http://100.64.0.1/', 'http://[fd12::1]/'];
  it.each(privateUrls)('%s without allowPrivateTargets', async (url) => {
    const t = await hub([]);
    const res = await create(t, url);
    expect(res.statusCode).toBe(400);
    expect(res.json().detail).toMatch(/address; list it in webhooks\.allowPrivateTargets to allow it$/);
  });

  it('checks the addresses a name resolves to: localhost is loopback', async () => {
    const t = await hub([]);
    const res = await create(t, `http://localhost:${port}/hook`);
    expect(res.statusCode).toBe(400);
    expect(res.json().detail).toMatch(/127\.0\.0\.1 is a loopback address/);
    const unknown = await create(t, 'http://no-such-host.invalid/hook');
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().detail).toBe('url: no-such-host.invalid does not resolve');
  });
});

describe('allowed by allowPrivateTargets', () => {
  it('by address, CIDR or name; delivers; lastError is "answered N" or "unreachable", nothing more', async () => {
    for (const allow of [['127.0.0.1'], ['127.0.0.0/8'], ['localhost']]) {
      const t = await hub(allow);
      const host = allow[0] === 'localhost' ? 'localhost' : '127.0.0.1';
      const res = await create(t, `http://${host}:${port}/hook`);
      expect(res.statusCode, allow[0]).toBe(201);
      await t.hub.webhooks.delete(res.json().id);
    }
    const t = await hub(['127.0.0.0/8']);
    received.length = 0;
    answer = 503;
    t.hub.webhooks['deps'].backoff = { baseMs: 10, maxMs: 20 };
    const failing = (await create(t, `http://127.0.0.1:${port}/hook`)).json();
    await until('a failed delivery', async () => (await t.app.inject({ url: `/v1/webhooks/${failing.id}`, headers: ADMIN })).json().lastError !== undefined);
    expect((await t.app.inject({ url: `/v1/webhooks/${failing.id}`, headers: ADMIN })).json().lastError).toBe('answered 503');
    answer = 204;
    await until('a delivery', async () => (await t.app.inject({ url: `/v1/webhooks/${failing.id}`, headers: ADMIN })).json().state === 'active');
    expect(received.length).toBeGreaterThanOrEqual(2);
    const dead = (await create(t, 'http://127.0.0.1:9/nothing-listens')).json();
    await until('an unreachable delivery', async () => (await t.app.inject({ url: `/v1/webhooks/${dead.id}`, headers: ADMIN })).json().lastError !== undefined);
    expect((await t.app.inject({ url: `/v1/webhooks/${dead.id}`, headers: ADMIN })).json().lastError).toBe('unreachable');
  });

  it('refuses a bad allowPrivateTargets entry at load, naming it', async () => {
    await expect(hub(['10.0.0.0/99'])).rejects.toThrow(/webhooks\.allowPrivateTargets\[0\]: not a CIDR: 10\.0\.0\.0\/99/);
  });
});

describe('checked at every delivery (Redis: the node that delivers applies its own policy)', () => {
  it('a webhook registered under a policy that allowed it is not delivered by a node whose policy refuses it', async () => {
    const prefix = freshPrefix('dest');
    const pa = await redisPipeline({ url: redisUrl(), prefix, log: silentLogger(), nodeId: 'a' });
    const a = await hub(['127.0.0.1'], { pipeline: pa, nodeId: 'a' });
    received.length = 0;
    const created = await create(a, `http://127.0.0.1:${port}/hook`);
    expect(created.statusCode).toBe(201);
    await until('the first delivery from node a', () => received.length >= 1);
    await a.close();
    open = open.filter((t) => t !== a);
    received.length = 0;
    const pb = await redisPipeline({ url: redisUrl(), prefix, log: silentLogger(), nodeId: 'b' });
    const b = await hub([], { pipeline: pb, nodeId: 'b' });
    await until('node b to try', async () => (await b.app.inject({ url: `/v1/webhooks/${created.json().id}`, headers: ADMIN })).json().lastError !== undefined, 15_000);
    expect((await b.app.inject({ url: `/v1/webhooks/${created.json().id}`, headers: ADMIN })).json().lastError).toBe('unreachable');
    expect(received).toEqual([]);
  }, 30_000);
});
