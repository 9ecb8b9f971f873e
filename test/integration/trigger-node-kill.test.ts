/**
 * docs/triggers.md "Delivery: at least once": the node evaluating a trigger (holding `hub:triggers`)
 * is SIGKILLed after the receiver got the firing's webhook and before the node could record the
 * delivery. The node that takes the lease over delivers the firing again from the outbox, with the
 * same firing id in the body and in the x-presence-hub-firing header, so the receiver drops the
 * repeat; the stored status then says one firing, one delivery.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { FIRING_HEADER } from '../../core/trigger/delivery.ts';
import { signWebhook, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../../core/watch/webhooks.ts';
import { auth, TEAM_ENV, teamConfig } from '../support/hub.ts';
import { spawnNode, triggerNodeConfig, TRIGGER_NODE_SECRET, type NodeProcess } from '../support/hub-process.ts';
import { redisHubNode, type RedisHubNode } from '../support/redis-hub.ts';
import { freshPrefix, redisUrl } from '../support/redis-url.ts';
import { until } from '../support/wait.ts';

describe('the evaluating node dies between the receiver and the record', () => {
  let a: NodeProcess | undefined;
  let b: RedisHubNode | undefined;
  let server: ReturnType<typeof createServer> | undefined;
  afterAll(async () => {
    await a?.kill('SIGKILL');
    await b?.close();
    await new Promise<void>((r) => (server === undefined ? r() : server.close(() => r())));
  });

  it('the next holder delivers the firing again with the same id, in the body and the header', async () => {
    // The receiver: the first delivery kills the node that sent it before it can hear the answer.
    const got: { body: string; headers: IncomingHttpHeaders }[] = [];
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        got.push({ body, headers: req.headers });
        if (got.length === 1 && a !== undefined) void a.kill('SIGKILL').then(() => res.writeHead(204).end());
        else res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const rx = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const prefix = freshPrefix('trigger-kill');

    a = await spawnNode({ redisUrl: redisUrl(), prefix, nodeId: 'trig-doomed', triggerUrl: rx });
    await a.waitFor((l) => l.triggers === 'trig-doomed', 'node A holding hub:triggers');
    b = await redisHubNode({ prefix, nodeId: 'trig-heir', config: teamConfig(triggerNodeConfig(rx)), env: { ...TEAM_ENV, CONF_SECRET: TRIGGER_NODE_SECRET } });

    // Three of five available: the condition becomes true, node A fires and delivers.
    const res = await b.app.inject({
      method: 'POST',
      url: '/v1/signals',
      headers: auth(TEAM_ENV.PUB_KEY),
      payload: ['p2', 'p4', 'p5'].map((person) => ({ person, source: 'teams', category: 'user', availability: 'available' })),
    });
    expect(res.statusCode).toBe(202);
    await until(() => got.length >= 2, 'the firing delivered again by node B', 20_000);
    expect(await b.pipeline.lease.holder!('hub:triggers')).toBe('trig-heir');

    const [first, again] = got as [(typeof got)[0], (typeof got)[0]];
    const id = JSON.parse(first.body).firing as string;
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(JSON.parse(first.body)).toMatchObject({ trigger: 'conference', people: ['p2', 'p4', 'p5'] });
    expect(JSON.parse(again.body)).toEqual(JSON.parse(first.body));
    for (const d of [first, again]) {
      expect(d.headers[FIRING_HEADER]).toBe(id);
      expect(d.headers[SIGNATURE_HEADER]).toBe(signWebhook(TRIGGER_NODE_SECRET, String(d.headers[TIMESTAMP_HEADER]), d.body));
    }
    const status = async () => (await b!.app.inject({ url: '/v1/triggers/conference', headers: auth(TEAM_ENV.ADMIN_KEY) })).json();
    await until(async () => (await status()).delivered === 1, 'the delivery recorded by node B');
    expect(await status()).toMatchObject({ met: true, fired: 1, delivered: 1 });
    // The outbox is empty: nothing more goes out.
    expect([...(await b.pipeline.connectorStore!('hub:triggers').entries('out:')).keys()]).toEqual([]);
    expect(got).toHaveLength(2);
  }, 45_000);
});
