/**
 * The Graph client's Retry-After handling against the simulator over real HTTP, observed from the
 * client's side (test/support/fetch-log.ts): a request issued after a 429 reached the client
 * waits the Retry-After in full, whoever issues it and whether or not the throttled request is
 * sent again. Requests already on the wire when the 429 arrives are beyond any client's control.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../core/util/clock.ts';
import { FetchLog, type FetchRecord } from '../../test/support/fetch-log.ts';
import { appTokens } from './app.ts';
import { boundedRetryAfter, createGraphClient, graphCall, MAX_RETRY_AFTER_MS, MIN_RETRY_AFTER_MS, statusError } from './graph-client.ts';
import { RequestPacer } from './pacer.ts';
import { GraphSimulator } from './simulator.ts';

const APP = { clientId: 'graph-client-app', clientSecret: 'graph-client-secret' };
const sim = new GraphSimulator();
let log: FetchLog;

beforeAll(async () => {
  sim.addApp(APP);
  sim.directory.addUser({ id: 'a1', userPrincipalName: 'a@corp.example', displayName: 'A' });
  await sim.start();
  log = new FetchLog(sim.url);
});
afterAll(async () => {
  log.stop();
  await sim.stop();
});
afterEach(() => sim.throttle(0));

function client(o: { maxRetries?: number; maxWaitMs?: number } = {}) {
  const tokens = appTokens({ tenantId: sim.tenantId, clientId: APP.clientId, clientSecret: APP.clientSecret, graphBaseUrl: sim.url, tokenEndpoint: sim.tokenEndpoint() }, systemClock);
  const pacer = new RequestPacer({ limit: 1000, windowMs: 10_000, clock: systemClock });
  return createGraphClient({ baseUrl: sim.url, tokens, pacer, clock: systemClock, ...o });
}

const read = (g: ReturnType<typeof client>) => graphCall('users delta', () => g.api('/users/delta').get());

/** The Graph requests since `from`, the first 429 among them, and those issued after that 429 reached the client. */
function afterThrottle(from: number): { throttled: FetchRecord; after: FetchRecord[] } {
  const r = log.records.slice(from).filter((x) => x.path.startsWith('/v1.0/'));
  const throttled = r.find((x) => x.status === 429);
  expect(throttled, 'a request answered 429').toBeDefined();
  return { throttled: throttled!, after: r.filter((x) => x.order.issued > throttled!.order.answered!) };
}

function expectHeldBack(from: number, retryAfterMs: number): void {
  const { throttled, after } = afterThrottle(from);
  expect(after.length).toBeGreaterThan(0);
  for (const x of after) expect(x.issuedAt - throttled.answeredAt!).toBeGreaterThanOrEqual(retryAfterMs);
}

describe('Graph client and Retry-After', () => {
  it('resends a throttled request after Retry-After, and concurrent requests issued after the 429 wait too', async () => {
    const g = client();
    await read(g); // token cached
    const from = log.records.length;
    sim.throttle(1, 1);
    const first = read(g);
    // The others are issued while the first may be on the wire or already answered 429.
    const rest = Array.from({ length: 4 }, async (_, i) => {
      await new Promise((r) => setTimeout(r, 20 * (i + 1)));
      return read(g);
    });
    await Promise.all([first, ...rest]);
    expectHeldBack(from, 1000);
  });

  it.each([
    ['a 429 on the last attempt', { maxRetries: 0 }],
    ['a Retry-After beyond maxWaitMs', { maxWaitMs: 100 }],
  ] as const)('%s fails the request as throttled and still holds back every later request for its Retry-After in full', async (_, o) => {
    const g = client(o);
    await read(g);
    const from = log.records.length;
    sim.throttle(1, 1);
    await expect(read(g)).rejects.toMatchObject({ code: 'HUB_ERR_GRAPH_THROTTLED' });
    await read(g);
    expectHeldBack(from, 1000);
  });
});

describe('Retry-After bounds', () => {
  const now = Date.parse('2026-12-01T10:00:00Z');
  it.each([
    ['0', MIN_RETRY_AFTER_MS],
    ['0.2', MIN_RETRY_AFTER_MS],
    ['Tue, 01 Dec 2026 09:59:00 GMT', MIN_RETRY_AFTER_MS],
    ['7', 7000],
    ['Tue, 01 Dec 2026 10:00:30 GMT', 30_000],
    ['86400', MAX_RETRY_AFTER_MS],
    ['Wed, 02 Dec 2026 10:00:00 GMT', MAX_RETRY_AFTER_MS],
  ])('Retry-After %s waits %d ms: no tight loop on 0 or a past date, no day-long silence', (header, ms) => {
    expect(boundedRetryAfter(header, now)).toBe(ms);
  });
  it('an absent or unreadable Retry-After stays absent (the caller backs off its own way)', () => {
    expect(boundedRetryAfter(null, now)).toBeUndefined();
    expect(boundedRetryAfter('soon', now)).toBeUndefined();
    expect(statusError(429, 'poll', undefined, '', '0').retryAfterMs).toBe(MIN_RETRY_AFTER_MS);
    expect(statusError(429, 'poll', undefined, '', undefined).retryAfterMs).toBeUndefined();
  });
});
