import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../core/util/clock.ts';
import { PresenceClient } from './client.ts';
import { ClientCredentialsProvider } from '../msgraph-shared/auth.ts';
import { createGraphClient } from '../msgraph-shared/graph-client.ts';
import { GraphSimulator } from '../msgraph-shared/simulator.ts';

const APP = { clientId: '22553876-f5ab-4529-bffb-cfe50aa89f87', clientSecret: 'sim-secret-value' };
const USER = '00000000-0000-4000-8000-000000000001';
let sim: GraphSimulator;
beforeAll(async () => {
  sim = new GraphSimulator();
  sim.addApp(APP);
  await sim.start();
  sim.presence.addUser({ id: USER, upn: 'user1@corp.example', client: { availability: 'Available', activity: 'Available' } });
});
afterAll(async () => {
  await sim.stop();
});

/** The presence client on the hub's Graph client, with `maxRetries` resends of a throttled request. */
const client = (maxRetries: number) => {
  const tokens = new ClientCredentialsProvider({ tokenEndpoint: sim.tokenEndpoint(), clientId: APP.clientId, clientSecret: APP.clientSecret, scope: 'https://graph.microsoft.com/.default', clock: systemClock });
  const waits: number[] = [];
  const graph = createGraphClient({ baseUrl: sim.url, tokens, clock: systemClock, maxRetries, sleep: async (ms) => void waits.push(ms), events: {} });
  return { presence: new PresenceClient(graph), waits };
};

describe('the Graph client retries what Graph asks to be retried (429, 503, 504)', () => {
  it('a 504 Gateway Timeout with Retry-After is waited out and the request sent again', async () => {
    const { presence, waits } = client(6);
    sim.injectFault({ kind: 'status', status: 504, retryAfterSeconds: 3 }, 2);
    const got = await presence.getPresences([USER]);
    expect(got).toMatchObject([{ id: USER, availability: 'Available' }]);
    expect(waits).toEqual([3000, 3000]);
    expect(sim.requests.filter((r) => r.status === 504)).toHaveLength(2);
  });

  it('a 429 still there after the retries fails the write with the Retry-After Graph gave', async () => {
    const { presence } = client(0);
    sim.throttle(1, 30);
    await expect(presence.setPresence(USER, APP.clientId, { availability: 'Busy', activity: 'InACall' }, 3_600_000)).rejects.toMatchObject({ code: 'HUB_ERR_GRAPH_THROTTLED', kind: 'throttled', retryAfterMs: 30_000 });
  });
});
