import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisPeer } from '../support/peers/redis.ts';
import { freshPrefix, redisUrl } from '../support/redis-url.ts';
import { redisHubNode } from '../support/redis-hub.ts';
import { auth, TEAM_ENV, teamConfig, type TestHub } from '../support/hub.ts';
import { sseClient } from '../support/sse.ts';
import { until } from '../support/wait.ts';

/** Two hub nodes on one Redis, in-process: the topology of compose.yaml. */
async function node(url: string, prefix: string, nodeId: string): Promise<TestHub & { base: string }> {
  const t = await redisHubNode({ url, prefix, nodeId, lockDurationMs: 5000, stalledIntervalMs: 2000, leaseTtlMs: 1500 });
  const base = await t.app.listen({ host: '127.0.0.1', port: 0 });
  return Object.assign(t, { base });
}

const ADMIN = auth(TEAM_ENV.ADMIN_KEY);
const json = async (url: string, init: RequestInit = {}) => {
  const res = await fetch(url, { ...init, headers: { ...ADMIN, 'content-type': 'application/json', ...(init.headers ?? {}) } });
  return { status: res.status, headers: res.headers, body: await res.json() };
};

describe('two hub nodes on one Redis', () => {
  let a: Awaited<ReturnType<typeof node>>;
  let b: Awaited<ReturnType<typeof node>>;
  beforeAll(async () => {
    const prefix = freshPrefix('nodes');
    a = await node(redisUrl(), prefix, 'node-a');
    b = await node(redisUrl(), prefix, 'node-b');
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  it('shows on node B, live, a signal posted to node A', async () => {
    const s = await sseClient(`${b.base}/v1/stream?people=carol`, ADMIN);
    try {
      // The current view first (the demo connector has set every laptop active).
      const first = await s.next();
      expect(first).toMatchObject({ person: 'carol' });
      const res = await json(`${a.base}/v1/signals`, { method: 'POST', body: JSON.stringify({ person: 'carol', source: 'api', category: 'user', availability: 'dnd' }) });
      expect(res.status).toBe(202);
      let ev = await s.next(5000);
      while (ev.class !== "dnd") ev = await s.next(5000);
      expect(ev.version).toBeGreaterThan(first.version);
      expect((await json(`${b.base}/v1/presence/carol`)).body).toMatchObject({ class: 'dnd' });
    } finally {
      s.close();
    }
  });

  it('runs the connector on exactly one node, and moves it when that node stops', async () => {
    const running = async () => [a, b].filter((n) => n.hub.supervisors.get('demo')?.health().state === 'running').map((n) => n.hub.nodeId);
    const deadline = Date.now() + 5000;
    while ((await running()).length !== 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const holders = await running();
    expect(holders).toHaveLength(1);
    const [first, second] = holders[0] === 'node-a' ? [a, b] : [b, a];
    const listed = (await json(`${second.base}/v1/connectors`)).body.connectors[0];
    expect(listed).toMatchObject({ id: 'demo', node: first.hub.nodeId });
    await first.close();
    const t0 = Date.now();
    while (second.hub.supervisors.get('demo')?.health().state !== 'running' && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 50));
    expect(second.hub.supervisors.get('demo')?.health().state).toBe('running');
    expect((await json(`${second.base}/v1/connectors`)).body.connectors[0].node).toBe(second.hub.nodeId);
  }, 20_000);
});

describe('Redis away', () => {
  let peer: RedisPeer;
  let n: Awaited<ReturnType<typeof node>>;
  beforeAll(async () => {
    peer = await startRedis();
    n = await node(peer.url, freshPrefix('away'), 'node-x');
  });
  afterAll(async () => {
    await n?.close();
    await peer?.stop();
  });

  it('answers 503 with Retry-After instead of accepting, and /readyz is false, until Redis is back', async () => {
    const signal = JSON.stringify({ person: 'bob', source: 'api', category: 'user', availability: 'busy' });
    expect((await json(`${n.base}/v1/signals`, { method: 'POST', body: signal })).status).toBe(202);
    await peer.kill();
    const deadline = Date.now() + 5000;
    while (n.hub.pipeline.ready() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const refused = await json(`${n.base}/v1/signals`, { method: 'POST', body: signal });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(refused.body.code).toBe('HUB_ERR_UNAVAILABLE');
    expect((await fetch(`${n.base}/readyz`, { headers: ADMIN })).status).toBe(503);
    expect((await fetch(`${n.base}/healthz`)).status).toBe(200);
    await peer.start();
    const back = Date.now() + 10_000;
    while (!n.hub.pipeline.ready() && Date.now() < back) await new Promise((r) => setTimeout(r, 100));
    expect((await fetch(`${n.base}/readyz`, { headers: ADMIN })).status).toBe(200);
    expect((await json(`${n.base}/v1/signals`, { method: 'POST', body: signal })).status).toBe(202);
  }, 30_000);
});

describe('a directory connector on one node, people on every node', () => {
  it('lets node B resolve identities that node A synced from the directory', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'ph-shared-dir-'));
    writeFileSync(join(dir, 'people.csv'), 'id,name,identities,teams\nzara,Zara Example,sip:zara@corp.example,support\n');
    const prefix = freshPrefix('shared-dir');
    const make = (nodeId: string) =>
      redisHubNode({ prefix, nodeId, config: teamConfig({ connectors: [{ id: 'people', kind: 'file-directory', path: join(dir, 'people.csv') }] }), leaseTtlMs: 1500 });
    const a = await make('dir-a');
    const b = await make('dir-b');
    try {
      const deadline = Date.now() + 8000;
      while (!(a.hub.directory.has('zara') && b.hub.directory.has('zara')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect([a.hub.directory.has('zara'), b.hub.directory.has('zara')]).toEqual([true, true]);
      for (const n of [a, b]) {
        const res = await n.app.inject({ method: 'POST', url: '/v1/signals', headers: auth(TEAM_ENV.PUB_KEY), payload: { identity: 'sip:zara@corp.example', source: 'sip', category: 'user', availability: 'dnd' } });
        expect(res.statusCode).toBe(202);
      }
      // A node that starts later knows the people before it serves.
      const c = await make('dir-c');
      try {
        expect(c.hub.directory.resolve('sip:zara@corp.example')).toBe('zara');
      } finally {
        await c.close();
      }
    } finally {
      await a.close();
      await b.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe('a publisher taken over by another node', () => {
  it('hears everyone\'s current presence once, so a change made while no node held it is written', async () => {
    const { startWebhookReceiver } = await import('../../connectors/directory-webhook/simulator.ts');
    const secret = 'directory-sync-secret-0001';
    const receiver = await startWebhookReceiver({ secret });
    const prefix = freshPrefix('republish');
    const make = (nodeId: string, withConnector = true) =>
      redisHubNode({
        prefix,
        nodeId,
        config: teamConfig({ connectors: withConnector ? [{ id: 'dirsync', kind: 'directory-webhook', url: receiver.url, secret: '${SYNC_SECRET}', interval: '100ms' }] : [] }),
        env: { ...TEAM_ENV, SYNC_SECRET: secret },
        leaseTtlMs: 1500,
      });
    const a = await make('pub-a');
    try {
      const deadline = Date.now() + 5000;
      while (a.hub.supervisors.get('dirsync')?.health().state !== 'running' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      // The only node stops; while none publishes, Dave becomes busy.
      await a.close();
      // A node without the connector accepts the signal meanwhile.
      const poster = await make('pub-poster', false);
      const res = await poster.app.inject({ method: 'POST', url: '/v1/signals', headers: auth(TEAM_ENV.PUB_KEY), payload: { person: 'dave', source: 'api', category: 'user', availability: 'busy' } });
      expect(res.statusCode).toBe(202);
      await until('dave is busy', async () => (await poster.hub.presence(['dave']))[0]!.class === 'busy', 5000);
      const before = receiver.received.length;
      // Node B takes the connector over and writes Dave's busy without a new change.
      const b = await make('pub-b');
      try {
        const t0 = Date.now();
        const sent = () => receiver.received.slice(before).flatMap((r) => r.body.changes).find((c) => c.person === 'dave');
        while (sent() === undefined && Date.now() - t0 < 8000) await new Promise((r) => setTimeout(r, 100));
        expect(sent()).toMatchObject({ person: 'dave', class: 'busy' });
      } finally {
        await b.close();
        await poster.close();
      }
    } finally {
      await receiver.close();
    }
  }, 40_000);
});

describe('webhooks across nodes', () => {
  it('are registered on one node, listed on every node, and delivered once by one node', async () => {
    const { createServer } = await import('node:http');
    const received: string[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push(body);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(receiver.address() as import('node:net').AddressInfo).port}/hook`;
    const prefix = freshPrefix('hooks');
    const make = async (nodeId: string) => {
      const t = await redisHubNode({ prefix, nodeId, config: teamConfig(), leaseTtlMs: 1500 });
      return Object.assign(t, { base: await t.app.listen({ host: '127.0.0.1', port: 0 }) });
    };
    const a = await make('hook-a');
    const b = await make('hook-b');
    try {
      const created = await json(`${a.base}/v1/webhooks`, { method: 'POST', body: JSON.stringify({ url, people: ['carol'], container: 'company' }) });
      expect(created.status).toBe(201);
      // Node B knows it too.
      expect((await json(`${b.base}/v1/webhooks/${created.body.id}`)).body).toMatchObject({ id: created.body.id, url });
      expect((await json(`${b.base}/v1/webhooks`)).body.webhooks.map((w: { id: string }) => w.id)).toEqual([created.body.id]);
      // A change posted to B reaches the receiver exactly once, whichever node delivers.
      await json(`${b.base}/v1/signals`, { method: 'POST', body: JSON.stringify({ person: 'carol', source: 'api', category: 'user', availability: 'dnd' }) });
      const deadline = Date.now() + 8000;
      while (!received.some((r) => r.includes('"dnd"')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      await new Promise((r) => setTimeout(r, 1000));
      expect(received.filter((r) => r.includes('"dnd"'))).toHaveLength(1);
      // The delivery state written by the deliverer is what every node answers.
      const statusB = (await json(`${b.base}/v1/webhooks/${created.body.id}`)).body;
      expect(statusB.delivered).toBeGreaterThanOrEqual(1);
      expect(statusB.lastDeliveredAt).toBeDefined();
      expect((await fetch(`${b.base}/v1/webhooks/${created.body.id}`, { method: 'DELETE', headers: ADMIN })).status).toBe(204);
      expect((await fetch(`${a.base}/v1/webhooks/${created.body.id}`, { headers: ADMIN })).status).toBe(404);
    } finally {
      await a.close();
      await b.close();
      receiver.close();
    }
  }, 30_000);
});
