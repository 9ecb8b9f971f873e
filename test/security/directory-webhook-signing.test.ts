import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../core/util/clock.ts';
import { auth, TEAM_ENV, teamConfig, testHub, type TestHub } from '../support/hub.ts';

/**
 * Issue 13, finding 9: the directory-webhook connector signs `timestamp + "." + body` and sends the
 * timestamp, as the hub's webhooks do, so that a receiver can refuse replays. Checked by a plain
 * receiver with its own HMAC (not the connector's code), after a signal through the public API.
 */
const SECRET = 'directory-sync-secret-0123456789';
let t: TestHub;
let server: Server;
const got: { headers: IncomingHttpHeaders; body: string; at: number }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      got.push({ headers: req.headers, body, at: Date.now() });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sync`;
  t = await testHub({
    config: teamConfig({ connectors: [{ id: 'dirsync', kind: 'directory-webhook', url, secret: '${SYNC_SECRET}', interval: '100ms' }] }),
    env: { ...TEAM_ENV, SYNC_SECRET: SECRET },
    clock: systemClock,
  });
});
afterAll(async () => {
  await t.close();
  await new Promise((r) => server.close(r));
});

describe('directory-webhook signatures', () => {
  it('cover the timestamp and the body, and the timestamp is now', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/signals', headers: auth(TEAM_ENV.PUB_KEY), payload: { person: 'carol', source: 'api', category: 'user', availability: 'dnd' } });
    expect(res.statusCode).toBe(202);
    await t.settle();
    const deadline = Date.now() + 10_000;
    while (!got.some((g) => g.body.includes('"carol"')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const d = got.find((g) => g.body.includes('"carol"'))!;
    expect(d).toBeDefined();
    const ts = d.headers['x-hub-timestamp'];
    expect(ts).toMatch(/^\d{10}$/);
    expect(Math.abs(Number(ts) - d.at / 1000)).toBeLessThan(5);
    const want = `sha256=${createHmac('sha256', SECRET).update(`${ts}.${d.body}`).digest('hex')}`;
    expect(d.headers['x-hub-signature-256']).toBe(want);
    // The body alone no longer verifies: a captured body cannot be re-sent under a new time.
    expect(d.headers['x-hub-signature-256']).not.toBe(`sha256=${createHmac('sha256', SECRET).update(d.body).digest('hex')}`);
  });
});
