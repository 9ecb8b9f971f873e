/**
 * GET /subscriptions page by page (subscription-list: Graph pages the list with @odata.nextLink):
 * every page is read, a next link is followed only to the configured Graph (the bearer token goes
 * nowhere else), and a loop or an endless list ends as a malformed answer.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../core/util/clock.ts';
import { appTokens } from '../msgraph-shared/app.ts';
import { createGraphClient } from '../msgraph-shared/graph-client.ts';
import { RequestPacer } from '../msgraph-shared/pacer.ts';
import { GraphSimulator } from '../msgraph-shared/simulator.ts';
import { SubscriptionClient } from './client.ts';
import { APP } from './test-support.ts';

const sim = new GraphSimulator();
/** Another host: what a next link pointing elsewhere would have the client call. */
const elsewhere: IncomingMessage[] = [];
const other = createServer((req, res) => {
  elsewhere.push(req);
  res.writeHead(200, { 'content-type': 'application/json' }).end('{"value":[]}');
});
let otherUrl = '';

beforeAll(async () => {
  sim.addApp(APP);
  await sim.start();
  await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
  otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await sim.stop();
  await new Promise((r) => other.close(r));
});

function client(): SubscriptionClient {
  const tokens = appTokens({ tenantId: sim.tenantId, clientId: APP.clientId, clientSecret: APP.clientSecret, graphBaseUrl: sim.url, tokenEndpoint: sim.tokenEndpoint() }, systemClock);
  return new SubscriptionClient(createGraphClient({ baseUrl: sim.url, tokens, pacer: new RequestPacer({ limit: 1000, windowMs: 10_000, clock: systemClock }), clock: systemClock }), sim.url);
}
const page = (value: unknown[], next?: string) => JSON.stringify({ '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#subscriptions', value, ...(next !== undefined ? { '@odata.nextLink': next } : {}) });
const sub = (id: string) => ({ id, resource: '/communications/presences/x', changeType: 'updated', notificationUrl: 'https://hub.corp.example/notify', expirationDateTime: '2026-12-01T12:00:00Z' });

describe('listing subscriptions', () => {
  it('reads every page, an empty one with a next link included', async () => {
    sim.malformNext('/subscriptions', page([sub('a')], `${sim.url}/v1.0/subscriptions?$skiptoken=p2`));
    sim.malformNext('/subscriptions', page([], `${sim.url}/v1.0/subscriptions?$skiptoken=p3`));
    sim.malformNext('/subscriptions', page([sub('b')]));
    expect((await client().list()).map((s) => s.id)).toEqual(['a', 'b']);
  });

  it('refuses a next link to another host and never calls it (the token would go there)', async () => {
    sim.malformNext('/subscriptions', page([sub('a')], `${otherUrl}/v1.0/subscriptions?$skiptoken=p2`));
    await expect(client().list()).rejects.toMatchObject({ code: 'HUB_ERR_GRAPH_MALFORMED', message: expect.stringContaining('outside') });
    expect(elsewhere).toEqual([]);
  });

  it('ends a next link back to a page already read, and a list longer than the bound, as malformed', async () => {
    sim.malformNext('/subscriptions', page([], `${sim.url}/v1.0/subscriptions`));
    await expect(client().list()).rejects.toMatchObject({ code: 'HUB_ERR_GRAPH_MALFORMED', message: expect.stringContaining('already read') });
    for (let i = 0; i < 3; i++) sim.malformNext('/subscriptions', page([], `${sim.url}/v1.0/subscriptions?$skiptoken=${i}`));
    await expect(client().list(3)).rejects.toMatchObject({ code: 'HUB_ERR_GRAPH_MALFORMED', message: expect.stringContaining('more than 3 pages') });
  });

  it('a 200 carrying a Graph error body fails as malformed and names the error code', async () => {
    sim.malformNext('/subscriptions', JSON.stringify({ error: { code: 'UnknownError', message: 'something went wrong' } }));
    await expect(client().list()).rejects.toMatchObject({ code: 'HUB_ERR_GRAPH_MALFORMED', message: expect.stringContaining('UnknownError') });
  });
});
