import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, systemClock } from '../../core/util/clock.ts';
import { auth, TEAM_ENV, teamConfig, testHub, type TestHub } from '../support/hub.ts';

/** Input limits over a real socket: each attack is refused with a clear problem, and the hub keeps answering. */
const PUB = auth(TEAM_ENV.PUB_KEY);
/** The default limit: 100 000 levels of nesting fit under it, so the parser, not the limit, must refuse them. */
const BODY_LIMIT = 1_048_576;
/** server.requestTimeout below: the hub cuts a connection idle or unfinished that long. */
const REQUEST_TIMEOUT_MS = 500;
/** How long a test waits for the hub to close a connection: the request timeout, with room for a loaded machine (not a bound on the hub). */
const CLOSE_WAIT_MS = 20_000;
let t: TestHub;
let base: string;
let port: number;

beforeAll(async () => {
  t = await testHub({
    config: teamConfig({ server: { bodyLimit: BODY_LIMIT, requestTimeout: `${REQUEST_TIMEOUT_MS}ms`, maxStreamsPerKey: 2, rateLimit: 0 } }),
    env: TEAM_ENV,
    clock: systemClock,
  });
  base = await t.app.listen({ host: '127.0.0.1', port: 0 });
  port = Number(new URL(base).port);
});
afterAll(async () => t.close());

async function healthy(): Promise<void> {
  const res = await fetch(`${base}/healthz`);
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ status: 'ok' });
}

async function postRaw(body: string | Buffer, headers: Record<string, string> = {}, path = '/v1/signals') {
  const res = await fetch(`${base}${path}`, { method: 'POST', headers: { ...PUB, 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : new Blob([new Uint8Array(body)]) });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', text, json: () => JSON.parse(text) as Record<string, unknown> };
}

const signal = { person: 'bob', source: 'api', category: 'user', availability: 'busy' };

/** The stored version of a person's presence: a test that stores nothing leaves it as it found it, whatever ran before. */
async function version(person: string): Promise<number> {
  const { version: v } = (await (await fetch(`${base}/v1/presence/${person}`, { headers: auth(TEAM_ENV.ADMIN_KEY) })).json()) as { version: unknown };
  expect(v).toBeTypeOf('number');
  return v as number;
}

describe('request bodies', () => {
  it('refuses a body over the limit with 413 problem+json', async () => {
    const res = await postRaw(JSON.stringify([{ ...signal, endpoint: 'x'.repeat(BODY_LIMIT) }]));
    expect(res.status).toBe(413);
    expect(res.type).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status: 413, code: 'HUB_ERR_BODY_TOO_LARGE' });
    expect(res.json().detail).toMatch(/^body: larger than the limit of 1048576 bytes/);
    await healthy();
  });

  it('refuses a body over the limit even without a content-length (chunked)', async () => {
    const chunks = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 80; i++) c.enqueue(new TextEncoder().encode(' '.repeat(16 * 1024)));
        c.close();
      },
    });
    const res = await fetch(`${base}/v1/signals`, { method: 'POST', headers: { ...PUB, 'content-type': 'application/json' }, body: chunks, duplex: 'half' } as RequestInit);
    expect(res.status).toBe(413);
    await healthy();
  });

  it.each([
    ['arrays', (n: number) => '['.repeat(n) + ']'.repeat(n)],
    ['objects', (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n)],
    ['inside a signal', (n: number) => `{"person":"bob","source":"api","category":"user","availability":"busy","activity":${'{"text":'.repeat(n)}"x"${'}'.repeat(n)}}`],
  ])('refuses JSON nested 100 000 levels deep (%s) with 400, without crashing', async (_n, make) => {
    for (const path of ['/v1/signals', '/v1/presence/query']) {
      const res = await postRaw(make(100_000), path === '/v1/presence/query' ? auth(TEAM_ENV.BOB_KEY) : {}, path);
      expect(res.status, res.text.slice(0, 300)).toBe(400);
      expect(res.type).toMatch(/^application\/problem\+json/);
    }
    await healthy();
  });

  it('refuses more than 10 000 signals in one request, storing none', async () => {
    const before = await version('bob');
    const many = Array.from({ length: 10_001 }, (_, i) => ({ ...signal, endpoint: `e${i}` }));
    const body = JSON.stringify(many);
    expect(body.length).toBeLessThan(BODY_LIMIT * 4);
    const res = await postRaw(body, {}, '/v1/signals');
    expect([400, 413]).toContain(res.status);
    expect(res.json().detail).toMatch(/at most 10000 signals|body/);
    expect(await version('bob')).toBe(before);
    // The same bound on the other calls that take lists.
    const people = Array.from({ length: 10_001 }, () => 'bob');
    const query = await postRaw(JSON.stringify({ people }), auth(TEAM_ENV.BOB_KEY), '/v1/presence/query');
    expect(query.status).toBe(400);
    expect(query.json().detail).toMatch(/^people/);
    const hook = await postRaw(JSON.stringify({ url: 'http://127.0.0.1:9/x', people }), auth(TEAM_ENV.ADMIN_KEY), '/v1/webhooks');
    expect(hook.status).toBe(400);
    await healthy();
  });

  it.each([
    ['a lone continuation byte', [0x80]],
    ['an overlong encoding of "/"', [0xc0, 0xaf]],
    ['a UTF-16 surrogate encoded in UTF-8', [0xed, 0xa0, 0x80]],
    ['a truncated sequence', [0xe2, 0x82]],
    ['a byte that never occurs in UTF-8', [0xff]],
  ])('refuses invalid UTF-8 (%s) with 400', async (_n, bad) => {
    const head = Buffer.from('{"person":"bob","source":"api","category":"user","availability":"busy","activity":{"token":"x","text":"');
    const tail = Buffer.from('"}}');
    const res = await postRaw(Buffer.concat([head, Buffer.from(bad), tail]));
    expect(res.status, res.text).toBe(400);
    expect(res.json()).toMatchObject({ code: 'HUB_ERR_INVALID_JSON' });
    expect(res.json().detail).toMatch(/UTF-8/);
    await healthy();
  });
});

/** A raw connection that writes `parts` one at a time, `gapMs` apart; resolves when the hub closes it. */
function trickle(parts: string[], gapMs: number): Promise<{ closedAfterMs: number; answer: string; sentAll: boolean }> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const sock: Socket = connect(port, '127.0.0.1');
    let answer = '';
    let i = 0;
    const timer = setInterval(() => {
      if (i < parts.length && !sock.destroyed) sock.write(parts[i++]!);
    }, gapMs);
    sock.on('data', (d) => (answer += d.toString('latin1')));
    sock.on('error', () => undefined);
    sock.on('close', () => {
      clearInterval(timer);
      resolve({ closedAfterMs: Date.now() - t0, answer, sentAll: i >= parts.length });
    });
    setTimeout(() => {
      clearInterval(timer);
      sock.destroy();
      reject(new Error(`the hub kept a trickling client for ${CLOSE_WAIT_MS} ms (its request timeout is ${REQUEST_TIMEOUT_MS} ms)`));
    }, CLOSE_WAIT_MS).unref();
  });
}

describe('slow clients', () => {
  // server.requestTimeout is 500 ms here; a client that needs 30 s for its request is cut off long before.
  it('cuts a client that trickles its headers', async () => {
    const head = `GET /v1/presence/bob HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TEAM_ENV.ADMIN_KEY}\r\nX-Slow: ${'a'.repeat(150)}\r\n\r\n`;
    const r = await trickle([...head], 200);
    expect(r.sentAll).toBe(false);
    expect(r.answer).toMatch(/^HTTP\/1\.1 408|^$/);
    await healthy();
  });

  it('cuts a client that trickles its body', async () => {
    const body = JSON.stringify(signal);
    const head = `POST /v1/signals HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TEAM_ENV.PUB_KEY}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const before = await version('bob');
    const r = await trickle([head, ...body], 200);
    expect(r.sentAll).toBe(false);
    expect(r.answer).not.toMatch(/^HTTP\/1\.1 202/);
    expect(await version('bob')).toBe(before);
    await healthy();
  });

  it('closes a connection that sends nothing', { timeout: CLOSE_WAIT_MS + 10_000 }, async () => {
    const r = await trickle([], 1000);
    // The hub closed it (trickle rejects if it had to), and by its timeouts: not before the
    // connection had been quiet for requestTimeout (a loaded machine can only make the close later,
    // never earlier; 50 ms for timer granularity). Two of Node's timers end such a connection: the
    // idle socket's (closes, answering nothing) and the headers' check (answers 408 first, as RFC 9110
    // section 15.5.9 allows); which one runs first is a race, and either is a clean close.
    expect(r.answer).toMatch(/^$|^HTTP\/1\.1 408 /);
    expect(r.closedAfterMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
    await healthy();
  });
});

describe('streams per key', () => {
  it('refuses a third stream for one key with 429 and Retry-After, and frees the slot when one closes', async () => {
    const acs = [new AbortController(), new AbortController()];
    const open = await Promise.all(acs.map((ac) => fetch(`${base}/v1/stream?people=bob`, { headers: auth(TEAM_ENV.CAROL_KEY), signal: ac.signal })));
    expect(open.map((r) => r.status)).toEqual([200, 200]);
    try {
      const third = await fetch(`${base}/v1/stream?people=bob`, { headers: auth(TEAM_ENV.CAROL_KEY) });
      expect(third.status).toBe(429);
      expect(Number(third.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(await third.json()).toMatchObject({ code: 'HUB_ERR_TOO_MANY_STREAMS' });
      // Another key is not affected.
      const other = new AbortController();
      const dave = await fetch(`${base}/v1/stream?people=bob`, { headers: auth(TEAM_ENV.DAVE_KEY), signal: other.signal });
      expect(dave.status).toBe(200);
      other.abort();
    } finally {
      acs[0]!.abort();
    }
    // The closed stream gives its slot back.
    let again: Response | undefined;
    const ac = new AbortController();
    for (let i = 0; i < 50 && again?.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 50));
      again = await fetch(`${base}/v1/stream?people=bob`, { headers: auth(TEAM_ENV.CAROL_KEY), signal: ac.signal });
    }
    expect(again?.status).toBe(200);
    ac.abort();
    acs[1]!.abort();
    await healthy();
  });

  it('keeps an idle stream open past the request timeout (the heartbeat keeps it alive)', async () => {
    const ac = new AbortController();
    const res = await fetch(`${base}/v1/stream?people=bob`, { headers: auth(TEAM_ENV.ADMIN_KEY), signal: ac.signal });
    const reader = res.body!.getReader();
    let text = '';
    const reading = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return 'ended';
        text += new TextDecoder().decode(value);
      }
    })().catch(() => 'aborted');
    await new Promise((r) => setTimeout(r, REQUEST_TIMEOUT_MS * 2.5));
    const v = await (await fetch(`${base}/v1/signals`, { method: 'POST', headers: { ...PUB, 'content-type': 'application/json' }, body: JSON.stringify({ ...signal, person: 'bob', availability: 'dnd' }) })).status;
    expect(v).toBe(202);
    for (let i = 0; i < 50 && !text.includes('"dnd"'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(text).toContain('"dnd"');
    ac.abort();
    expect(await reading).toBe('aborted');
  });
});

describe('rate limit per key', () => {
  it('answers 429 with Retry-After once a key spends its burst, per key, and recovers with time', async () => {
    const clock = new ManualClock(Date.parse('2026-11-22T09:00:00Z'));
    const h = await testHub({ config: teamConfig({ server: { rateLimit: 5 } }), env: TEAM_ENV, clock });
    try {
      const get = (key: string) => h.app.inject({ method: 'GET', url: '/v1/presence/alice', headers: auth(key) });
      const codes: number[] = [];
      for (let i = 0; i < 12; i++) codes.push((await get(TEAM_ENV.BOB_KEY)).statusCode);
      // A burst of twice the rate, then refused.
      expect(codes).toEqual([...Array(10).fill(200), 429, 429]);
      const refused = await get(TEAM_ENV.BOB_KEY);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refused.json()).toMatchObject({ status: 429, code: 'HUB_ERR_RATE_LIMITED' });
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      // Another key has its own bucket; the unauthenticated health check is not limited.
      expect((await get(TEAM_ENV.DAVE_KEY)).statusCode).toBe(200);
      expect((await h.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      clock.advance(Number(refused.headers['retry-after']) * 1000);
      expect((await get(TEAM_ENV.BOB_KEY)).statusCode).toBe(200);
    } finally {
      await h.close();
    }
  });
});
