import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Container } from '../../core/model/presence.ts';
import { systemClock } from '../../core/util/clock.ts';
import { auth, TEAM_ENV, teamConfig, testHub, type TestHub } from '../support/hub.ts';
import { capturingLogger, type CapturedLine } from '../support/log-capture.ts';
import { sseClient } from '../support/sse.ts';
import { webhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';

/**
 * Invariant 5 (docs/architecture.md): a watcher never receives more than its container allows, in fetches,
 * queries, streams, webhooks, directory entries, error messages and logs. Alice is the presentity;
 * each container has a watcher: Carol (personal), Bob (team), Dave (company), a key acting as
 * nobody (public), Mallory (blocked).
 */
const SUBJECT = 'Merger talks with ACME';
const LOCATION = 'Room 4.12';
const TEXT = `${SUBJECT} (${LOCATION})`;
const TOKEN = 'in-a-meeting';
const IDENTITIES = ['sip:alice@corp.example', 'mailto:alice@corp.example', 'tel:+15550101', 'alice@corp.example', '15550101'];

const WATCHERS: Record<Container, string> = {
  personal: TEAM_ENV.CAROL_KEY,
  team: TEAM_ENV.BOB_KEY,
  company: TEAM_ENV.DAVE_KEY,
  public: TEAM_ENV.PUBLIC_KEY,
  blocked: TEAM_ENV.MALLORY_KEY,
};
const WATCHER_PERSON: Partial<Record<Container, string>> = { personal: 'carol', team: 'bob', company: 'dave', blocked: 'mallory' };
const TRUSTED: readonly Container[] = ['personal', 'team'];
const LOWER: readonly Container[] = ['company', 'public', 'blocked'];

/** What a lower container must never receive anywhere. */
function forbidden(c: Container): (string | RegExp)[] {
  const f: (string | RegExp)[] = [SUBJECT, LOCATION, 'ACME', TOKEN, /machineState/, /lastActive/, ...IDENTITIES];
  // A blocked watcher gets the company directory entry (name and teams), never a presence.
  if (c === 'blocked') f.push(/"busy"/);
  return f;
}
function expectClean(c: Container, where: string, text: string): void {
  for (const f of forbidden(c)) {
    if (typeof f === 'string') expect(text.includes(f), `${c} ${where} carries ${f}: ${text.slice(0, 400)}`).toBe(false);
    else expect(f.test(text), `${c} ${where} matches ${f}: ${text.slice(0, 400)}`).toBe(false);
  }
}

let t: TestHub;
let base: string;
let lines: CapturedLine[];
let receiver: WebhookReceiver;
let hookUrl: string;
let deliveries: Map<string, string[]>;

async function get(path: string, key: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${base}${path}`, { headers: auth(key) });
  return { status: res.status, text: await res.text() };
}
async function send(method: string, path: string, key: string, body: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(`${base}${path}`, { method, headers: { ...auth(key), 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, text: await res.text() };
}

beforeAll(async () => {
  const captured = capturingLogger('debug');
  lines = captured.lines;
  t = await testHub({ config: teamConfig({ server: { rateLimit: 0 } }), env: TEAM_ENV, clock: systemClock, log: captured.log });
  base = await t.app.listen({ host: '127.0.0.1', port: 0 });
  receiver = await webhookReceiver();
  ({ url: hookUrl, deliveries } = receiver);
});
afterAll(async () => {
  // Streams still open (a failed setup) would keep the server from closing.
  t.app.server.closeAllConnections();
  await t.close();
  await receiver.close();
});

describe('each container sees only what it may', () => {
  const streams = new Map<Container, Awaited<ReturnType<typeof sseClient>>>();
  const allStreams = new Map<Container, Awaited<ReturnType<typeof sseClient>>>();

  beforeAll(async () => {
    // Streams and webhooks first, so that the change itself is what they receive.
    for (const c of Object.keys(WATCHERS) as Container[]) {
      streams.set(c, await sseClient(`${base}/v1/stream?people=alice`, auth(WATCHERS[c])));
      allStreams.set(c, await sseClient(`${base}/v1/stream`, auth(WATCHERS[c])));
      const byContainer = await send('POST', '/v1/webhooks', TEAM_ENV.ADMIN_KEY, { url: `${hookUrl}/container-${c}`, people: ['alice'], container: c });
      expect(byContainer.status).toBe(201);
      const watcher = WATCHER_PERSON[c];
      if (watcher !== undefined) expect((await send('POST', '/v1/webhooks', TEAM_ENV.ADMIN_KEY, { url: `${hookUrl}/watcher-${c}`, people: ['alice'], watcher })).status).toBe(201);
    }
    const now = Date.now();
    const signals = [
      { person: 'alice', source: 'exchange', endpoint: 'cal', category: 'calendar', availability: 'busy', activity: { token: TOKEN, text: TEXT }, from: new Date(now - 60_000).toISOString(), until: new Date(now + 3_600_000).toISOString() },
      { identity: 'sip:alice@corp.example', source: 'laptop', endpoint: 'pc', category: 'machine', machineState: 'active', sourceTime: new Date(now).toISOString() },
    ];
    expect((await send('POST', '/v1/signals', TEAM_ENV.PUB_KEY, signals)).status).toBe(202);
    await t.settle();
    // Wait for the busy view to reach every stream that may see it and every webhook.
    const deadline = Date.now() + 15_000;
    const seen = (s: { raw(): string }): boolean => /"person":"alice"[^}]*"class":"busy"/.test(s.raw());
    const visible = (Object.keys(WATCHERS) as Container[]).filter((c) => c !== 'blocked').flatMap((c) => [streams.get(c)!, allStreams.get(c)!]);
    while (Date.now() < deadline && !visible.every(seen)) await new Promise((r) => setTimeout(r, 50));
    const wanted = [...Object.keys(WATCHERS).filter((c) => c !== 'blocked').map((c) => `container-${c}`), ...Object.keys(WATCHER_PERSON).filter((c) => c !== 'blocked').map((c) => `watcher-${c}`)];
    while (Date.now() < deadline && !wanted.every((n) => (deliveries.get(n) ?? []).some((b) => b.includes('"busy"')))) await new Promise((r) => setTimeout(r, 50));
    // The blocked watcher gets nothing new; give it the same time to show that.
    await new Promise((r) => setTimeout(r, 300));
  }, 30_000);
  afterAll(() => {
    for (const s of [...streams.values(), ...allStreams.values()]) s.close();
  });

  it.each(TRUSTED)('%s sees the activity text, token, machine state and identities', async (c) => {
    const fetched = JSON.parse((await get('/v1/presence/alice', WATCHERS[c])).text);
    expect(fetched).toMatchObject({ class: 'busy', activity: { token: TOKEN, text: TEXT }, machineState: 'active' });
    const queried = JSON.parse((await send('POST', '/v1/presence/query', WATCHERS[c], { people: ['alice'] })).text);
    expect(queried.presence[0].activity.text).toBe(TEXT);
    expect(streams.get(c)!.raw()).toContain(TEXT);
    expect(allStreams.get(c)!.raw()).toContain(TEXT);
    expect((deliveries.get(`container-${c}`) ?? []).join('\n')).toContain(TEXT);
    expect((deliveries.get(`watcher-${c}`) ?? []).join('\n')).toContain(TEXT);
    expect(JSON.parse((await get('/v1/people/alice', WATCHERS[c])).text).identities).toContain('sip:alice@corp.example');
  });

  it.each(LOWER)('%s never receives the activity, the subject, the location or the identities', async (c) => {
    const key = WATCHERS[c];
    const fetched = await get('/v1/presence/alice', key);
    expect(fetched.status).toBe(200);
    expectClean(c, 'fetch', fetched.text);
    expect(JSON.parse(fetched.text).class).toBe(c === 'blocked' ? 'offline' : 'busy');
    expectClean(c, 'query', (await send('POST', '/v1/presence/query', key, { people: ['alice', 'bob', 'nobody'] })).text);
    expectClean(c, 'stream', streams.get(c)!.raw());
    expectClean(c, 'stream of everyone', allStreams.get(c)!.raw().split('\n').filter((l) => l.includes('"person":"alice"')).join('\n'));
    const hooks = [...(deliveries.get(`container-${c}`) ?? []), ...(deliveries.get(`watcher-${c}`) ?? [])];
    if (c !== 'blocked') expect(hooks.join('\n')).toContain('"busy"');
    for (const h of hooks) expectClean(c, 'webhook', h);
    expectClean(c, 'people entry', (await get('/v1/people/alice', key)).text);
    const list = JSON.parse((await get('/v1/people', key)).text) as { people: { id: string }[] };
    expectClean(c, 'people list', JSON.stringify(list.people.find((p) => p.id === 'alice')));
    // Looking alice up by one of her identities must not confirm it.
    expect(JSON.parse((await get('/v1/people?q=sip:alice', key)).text).total).toBe(0);
  });

  it.each(LOWER)('%s gets error messages that carry nothing of alice', async (c) => {
    const key = WATCHERS[c];
    const answers = [
      await get('/v1/presence/alice/explain', key),
      await get('/v1/connectors', key),
      await send('PUT', '/v1/people/alice/relationships', key, { personal: [WATCHER_PERSON[c] ?? 'bob'] }),
      await send('POST', '/v1/presence/query', key, { people: ['alice'], extra: TOKEN.slice(0, 3) }),
      await send('POST', '/v1/presence/query', key, { people: [] }),
      await get('/v1/stream?people=alice,nobody', key),
      await get('/v1/presence/nobody', key),
      await send('POST', '/v1/signals', key, { person: 'alice', source: 'x', category: 'user', availability: 'busy' }),
    ];
    for (const a of answers) {
      expect(a.status).toBeGreaterThanOrEqual(400);
      expectClean(c, `error ${a.status}`, a.text);
    }
  });

  it('the blocked watcher is never told of a change, and its view equals a real offline person', async () => {
    expect(streams.get('blocked')!.raw()).not.toMatch(/"class":"(?!offline)/);
    expect((deliveries.get('watcher-blocked') ?? []).join('')).not.toMatch(/"class":"(?!offline)/);
    const alice = JSON.parse((await get('/v1/presence/alice', TEAM_ENV.MALLORY_KEY)).text);
    const dave = JSON.parse((await get('/v1/presence/dave', TEAM_ENV.MALLORY_KEY)).text);
    expect({ ...alice, person: 'x' }).toEqual({ ...dave, person: 'x' });
  });

  it('logs at info level and above carry no activity text, subject, location or identity of alice', () => {
    const info = lines.filter((l) => l.level >= 30);
    expect(lines.length).toBeGreaterThan(0);
    for (const l of info) {
      for (const f of [SUBJECT, LOCATION, 'ACME', ...IDENTITIES]) expect(l.raw.includes(f), `log line carries ${f}: ${l.raw}`).toBe(false);
    }
  });
});
