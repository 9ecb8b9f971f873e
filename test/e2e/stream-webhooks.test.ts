import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signWebhook, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../../core/watch/webhooks.ts';
import { systemClock } from '../../core/util/clock.ts';
import { auth, TEAM_ENV, teamConfig, testHub, type TestHub } from '../support/hub.ts';
import { sseClient } from '../support/sse.ts';

let t: TestHub;
let base: string;

beforeAll(async () => {
  t = await testHub({ config: teamConfig(), env: TEAM_ENV, clock: systemClock });
  base = await t.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => t.close());

async function post(body: unknown): Promise<number> {
  const res = await fetch(`${base}/v1/signals`, { method: 'POST', headers: { ...auth(TEAM_ENV.PUB_KEY), 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await res.arrayBuffer();
  return res.status;
}

describe('the SSE stream', () => {
  it('sends the current view first, then a meeting that starts and ends on time without a new signal', async () => {
    const s = await sseClient(`${base}/v1/stream?people=bob`, auth(TEAM_ENV.ADMIN_KEY));
    try {
      const first = await s.next();
      expect(first).toMatchObject({ person: 'bob', class: 'offline', version: 0 });
      const now = Date.now();
      expect(await post({ person: 'bob', source: 'exchange', endpoint: 'm1', category: 'calendar', availability: 'busy', activity: 'in-a-meeting', from: new Date(now + 700).toISOString(), until: new Date(now + 1500).toISOString() })).toBe(202);
      const start = await s.next(5000);
      expect(start).toMatchObject({ person: 'bob', class: 'busy', activity: { token: 'in-a-meeting' } });
      expect(Date.now()).toBeGreaterThanOrEqual(now + 700);
      const end = await s.next(5000);
      expect(end).toMatchObject({ person: 'bob', class: 'offline' });
      expect(Date.now()).toBeGreaterThanOrEqual(now + 1500);
      expect(end.version).toBeGreaterThan(start.version);
    } finally {
      s.close();
    }
  });

  it('tells a company watcher of class changes only, and a blocked watcher nothing', async () => {
    const dave = await sseClient(`${base}/v1/stream?people=alice`, auth(TEAM_ENV.DAVE_KEY));
    const mallory = await sseClient(`${base}/v1/stream?people=alice`, auth(TEAM_ENV.MALLORY_KEY));
    try {
      await dave.next();
      expect(await mallory.next()).toMatchObject({ class: 'offline' });
      await post({ person: 'alice', source: 'pbx', endpoint: 'l1', category: 'phone', availability: 'busy', activity: { token: 'on-the-phone', text: 'Call with ACME' } });
      expect(await dave.next()).toEqual(expect.objectContaining({ class: 'busy', activity: { token: 'busy', text: 'Busy' } }));
      // Same class, another activity: nothing new for Dave.
      await post({ person: 'alice', source: 'teams', endpoint: 'c', category: 'device', availability: 'busy', activity: 'presenting' });
      await post({ person: 'alice', source: 'pbx', endpoint: 'l1', category: 'phone', availability: 'available' });
      await post({ person: 'alice', source: 'teams', endpoint: 'c', category: 'device', availability: 'dnd' });
      expect(await dave.next()).toMatchObject({ class: 'dnd' });
      await expect(mallory.next(800)).rejects.toThrow(/timed out/);
      expect(dave.raw()).not.toMatch(/ACME|presenting|on-the-phone/);
    } finally {
      dave.close();
      mallory.close();
    }
  });

  it('refuses an unknown person', async () => {
    const res = await fetch(`${base}/v1/stream?people=nobody`, { headers: auth(TEAM_ENV.ADMIN_KEY) });
    expect(res.status).toBe(404);
    expect((await res.json()).detail).toBe('people: unknown person nobody');
  });
});

describe('webhooks', () => {
  it('delivers signed views, retries after a failure, and shows the state', async () => {
    const received: { body: string; sig: string; ts: string }[] = [];
    let failFirst = true;
    const receiver = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        if (failFirst) {
          failFirst = false;
          res.writeHead(503).end();
          return;
        }
        received.push({ body, sig: String(req.headers[SIGNATURE_HEADER]), ts: String(req.headers[TIMESTAMP_HEADER]) });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    try {
      const created = await fetch(`${base}/v1/webhooks`, {
        method: 'POST',
        headers: { ...auth(TEAM_ENV.ADMIN_KEY), 'content-type': 'application/json' },
        body: JSON.stringify({ url, people: ['carol'], container: 'company' }),
      });
      expect(created.status).toBe(201);
      const hook = await created.json();
      expect(hook.secret).toMatch(/.{20,}/);
      await post({ person: 'carol', source: 'cal', category: 'calendar', availability: 'busy', activity: { token: 'in-a-meeting', text: 'Secret project' } });
      const deadline = Date.now() + 10_000;
      while (!received.some((r) => r.body.includes('"busy"')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const delivery = received.find((r) => r.body.includes('"busy"'))!;
      expect(delivery).toBeDefined();
      expect(delivery.sig).toBe(signWebhook(hook.secret, delivery.ts, delivery.body));
      expect(delivery.body).not.toContain('Secret project');
      const status = await (await fetch(`${base}/v1/webhooks/${hook.id}`, { headers: auth(TEAM_ENV.ADMIN_KEY) })).json();
      expect(status).toMatchObject({ state: 'active', failures: 1 });
      expect(status.secret).toBeUndefined();
      expect((await fetch(`${base}/v1/webhooks/${hook.id}`, { method: 'DELETE', headers: auth(TEAM_ENV.ADMIN_KEY) })).status).toBe(204);
    } finally {
      receiver.close();
    }
  }, 20_000);

  it('disables a webhook after a bounded number of failures, with the reason', async () => {
    const created = await (
      await fetch(`${base}/v1/webhooks`, {
        method: 'POST',
        headers: { ...auth(TEAM_ENV.ADMIN_KEY), 'content-type': 'application/json' },
        body: JSON.stringify({ url: 'http://127.0.0.1:9/nothing-listens', people: ['dave'] }),
      })
    ).json();
    t.hub.webhooks['deps'].backoff = { baseMs: 10, maxMs: 20 };
    const deadline = Date.now() + 15_000;
    let status = created;
    while (status.state !== 'disabled' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      status = await (await fetch(`${base}/v1/webhooks/${created.id}`, { headers: auth(TEAM_ENV.ADMIN_KEY) })).json();
    }
    expect(status.state).toBe('disabled');
    expect(status.failures).toBe(t.loaded.config.webhooks.maxAttempts);
    expect(status.lastError).toBe('unreachable');
  }, 20_000);
});
