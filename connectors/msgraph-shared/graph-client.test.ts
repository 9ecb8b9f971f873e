/**
 * The Graph client's Retry-After handling against the simulator over real HTTP, observed from the
 * client's side (test/support/fetch-log.ts): a request issued after a 429 reached the client
 * waits the Retry-After in full, whoever issues it and whether or not the throttled request is
 * sent again. Requests already on the wire when the 429 arrives are beyond any client's control.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../../core/util/clock.ts';
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

describe('the bearer token and the pacer', () => {
  it('is fetched when the request is sent, after the pause: a request that waited out a long Retry-After goes out with a fresh token, not one that expired meanwhile (no 401)', async () => {
    // Its own simulator on a manual clock: the pacer's sleep moves the clock, so a 15-minute pause takes no time.
    const clock = new ManualClock(Date.now());
    const s = new GraphSimulator(clock);
    s.addApp(APP);
    s.presence.addUser({ id: 'u1', upn: 'u1@corp.example', client: { availability: 'Available', activity: 'Available' } });
    await s.start();
    try {
      const sleep = async (ms: number): Promise<void> => void clock.advance(ms);
      const tokens = appTokens({ tenantId: s.tenantId, clientId: APP.clientId, clientSecret: APP.clientSecret, graphBaseUrl: s.url, tokenEndpoint: s.tokenEndpoint() }, clock);
      const pacer = new RequestPacer({ limit: 1000, windowMs: 10_000, clock, sleep });
      const g = createGraphClient({ baseUrl: s.url, tokens, pacer, clock, sleep, maxRetries: 0 });
      const presences = () => graphCall('getPresencesByUserId', () => g.api('/communications/getPresencesByUserId').post({ ids: ['u1'] }));
      await presences(); // token fetched, valid for 3599 s and renewed 5 min before it expires
      clock.advance(53 * 60_000); // still the cached token's time
      s.throttle(1, 900); // Graph asks the app to pause 15 min (the longest pause honoured)
      await expect(presences()).rejects.toMatchObject({ code: 'HUB_ERR_GRAPH_THROTTLED' });
      // Issued during the pause: it waits 15 min, by then the token taken at its issue would have expired.
      await presences();
      expect(s.requests.filter((r) => r.status === 401)).toEqual([]);
      expect(s.requests.at(-1)).toMatchObject({ path: '/communications/getPresencesByUserId', status: 200 });
    } finally {
      await s.stop();
    }
  });
});

describe('errors raised before the request is sent', () => {
  it('a token endpoint refusing the credentials mid-run fails the Graph call as HUB_ERR_GRAPH_AUTH (permanent), not as Graph unreachable', async () => {
    const tokens = appTokens({ tenantId: sim.tenantId, clientId: APP.clientId, clientSecret: APP.clientSecret, graphBaseUrl: sim.url, tokenEndpoint: sim.tokenEndpoint() }, systemClock);
    const g = createGraphClient({ baseUrl: sim.url, tokens, pacer: new RequestPacer({ limit: 1000, windowMs: 10_000, clock: systemClock }), clock: systemClock });
    await read(g);
    tokens.invalidate(); // as after a 401: the next request fetches a token
    sim.refuseTokens({ status: 401, error: 'invalid_client', aadsts: 7000222, description: 'The provided client secret keys for app are expired.' });
    await expect(read(g)).rejects.toMatchObject({ code: 'HUB_ERR_GRAPH_AUTH', kind: 'permanent', message: expect.stringContaining('AADSTS7000222') });
  });
});
