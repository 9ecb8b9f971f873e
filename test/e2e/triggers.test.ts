import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskedConfig } from '../../api/routes/dashboard-admin.ts';
import { systemClock } from '../../core/util/clock.ts';
import { signWebhook, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../../core/watch/webhooks.ts';
import { auth, TEAM_ENV, teamConfig, testHub, type TestHub } from '../support/hub.ts';
import { spawn } from 'node:child_process';
import { freePort } from '../support/ports.ts';
import { sseClient } from '../support/sse.ts';
import { webhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { until } from '../support/wait.ts';

/**
 * Presence triggers through the public API (docs/triggers.md): real hub, real ingest, real
 * aggregate(), real signed webhook deliveries to a loopback receiver, real SSE.
 */
const CONF_SECRET = 'conference-secret-0001';
const P = ['p1', 'p2', 'p3', 'p4', 'p5'];
const HYSTERESIS_MS = 1500;

let t: TestHub;
let base: string;
let rx: WebhookReceiver;

beforeAll(async () => {
  rx = await webhookReceiver();
  const cfg = teamConfig();
  t = await testHub({
    config: {
      ...cfg,
      people: [...(cfg.people ?? []), ...P.map((id) => ({ id, name: id.toUpperCase(), teams: ['conf'] }))],
      triggers: {
        watchers: { expiry: '10m', maxExpiry: '1h', maxPerKey: 3 },
        rules: [{ id: 'conference', people: P, atLeast: 3, hysteresis: `${HYSTERESIS_MS}ms`, action: { type: 'webhook', url: `${rx.url}/conference`, secret: '${CONF_SECRET}' } }],
      },
    },
    env: { ...TEAM_ENV, CONF_SECRET },
    clock: systemClock,
  });
  base = await t.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await t?.close();
  await rx?.close();
});

const call = async (method: string, path: string, key: string, body?: unknown) => {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...auth(key), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
};
const set = async (person: string, availability: string) => {
  expect((await call('POST', '/v1/signals', TEAM_ENV.PUB_KEY, { person, source: 'teams', category: 'user', availability })).status).toBe(202);
  await t.settle();
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const trigger = async (id: string, key = TEAM_ENV.ADMIN_KEY) => (await call('GET', `/v1/triggers/${id}`, key)).body;
const conference = () => rx.requests.get('conference') ?? [];

describe("seed 001: start the conference when 3 of P1-P5 are online", () => {
  it('delivers once when P5 arrives, again only after the quorum was lost and regained, never for a flap', async () => {
    expect(await trigger('conference')).toMatchObject({ origin: 'config', met: false, fired: 0, atLeast: 3, hysteresis: HYSTERESIS_MS / 1000 });
    await set('p2', 'available');
    await set('p4', 'available');
    expect(await trigger('conference')).toMatchObject({ met: false, fired: 0 });
    await set('p5', 'available');
    await until(() => conference().length === 1);
    const first = conference()[0]!;
    // Signed exactly like the webhooks: HMAC-SHA256 over `${timestamp}.${body}`.
    const ts = String(first.headers[TIMESTAMP_HEADER]);
    expect(first.headers[SIGNATURE_HEADER]).toBe(signWebhook(CONF_SECRET, ts, first.body));
    expect(JSON.parse(first.body)).toMatchObject({ trigger: 'conference', people: ['p2', 'p4', 'p5'] });
    await until(async () => (await trigger('conference')).delivered === 1);
    expect(await trigger('conference')).toMatchObject({ met: true, fired: 1, delivered: 1, failures: 0 });

    // P1 joins and leaves: still the same episode.
    await set('p1', 'available');
    await set('p1', 'offline');
    // P4 goes away: the quorum is lost; it comes back after the hysteresis: a second delivery.
    await set('p4', 'away');
    expect(await trigger('conference')).toMatchObject({ met: false, fired: 1 });
    await sleep(HYSTERESIS_MS + 200);
    await set('p4', 'available');
    await until(() => conference().length === 2);
    const second = JSON.parse(conference()[1]!.body);
    expect(second.firing).not.toBe(JSON.parse(first.body).firing);

    // P5 flaps within the hysteresis window: no delivery.
    await set('p5', 'offline');
    await set('p5', 'available');
    await set('p5', 'away');
    await set('p5', 'available');
    expect(await trigger('conference')).toMatchObject({ met: true, fired: 2 });
    await sleep(300);
    expect(conference()).toHaveLength(2);
  }, 20_000);
});

describe("the README's conference script (examples/triggers/conference.mjs)", () => {
  it('verifies the signature, refuses a forged delivery, and starts the conference once per firing', async () => {
    const port = await freePort();
    const created = await call('POST', '/v1/triggers', TEAM_ENV.ADMIN_KEY, { id: 'standup', people: P, atLeast: 3, hysteresis: 0, action: { type: 'webhook', url: `http://127.0.0.1:${port}/` } });
    expect(created.status).toBe(201);
    const child = spawn(process.execPath, ['examples/triggers/conference.mjs'], { env: { ...process.env, STANDUP_SECRET: created.body.secret, PORT: String(port) }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    try {
      await until(() => out.includes(`listening on ${port}`));
      const ts = String(Math.floor(Date.now() / 1000));
      const forged = JSON.stringify({ trigger: 'standup', firing: 'f-1', at: new Date().toISOString(), people: ['p1'] });
      const refused = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: forged, headers: { [TIMESTAMP_HEADER]: ts, [SIGNATURE_HEADER]: signWebhook('not-the-secret', ts, forged) } });
      expect(refused.status).toBe(401);
      await set('p5', 'offline');
      await set('p5', 'available');
      await until(async () => (await trigger('standup')).delivered === 1);
      expect(out).toContain('starting the conference with p2, p4, p5');
      expect(out.match(/starting the conference/g)).toHaveLength(1);
    } finally {
      child.kill();
      await call('DELETE', '/v1/triggers/standup', TEAM_ENV.ADMIN_KEY);
    }
  });
});

describe('triggers through the API', () => {
  it('records a condition already true at creation without firing', async () => {
    await set('dave', 'available');
    const created = await call('POST', '/v1/triggers', TEAM_ENV.ADMIN_KEY, { id: 'dave-free', people: ['dave'], action: { type: 'sse' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: 'dave-free', origin: 'api', met: true, fired: 0, hysteresis: 30 });
    expect(created.body.secret).toBeUndefined();
    expect((await call('POST', '/v1/triggers', TEAM_ENV.ADMIN_KEY, { id: 'dave-free', people: ['dave'], action: { type: 'sse' } })).body.code).toBe('HUB_ERR_TRIGGER_EXISTS');
    expect((await call('DELETE', '/v1/triggers/dave-free', TEAM_ENV.ADMIN_KEY)).status).toBe(204);
    expect((await call('GET', '/v1/triggers/dave-free', TEAM_ENV.ADMIN_KEY)).status).toBe(404);
    // The audit list names who created and removed it (the key's name, never the key).
    const audit = (await call('GET', '/v1/audit?limit=10', TEAM_ENV.ADMIN_KEY)).body as { entries: { action: string; target: string; by: { name: string } }[] };
    expect(audit.entries.filter((e) => e.target === 'dave-free').map((e) => e.action)).toEqual(['trigger.delete', 'trigger.create']);
    expect(JSON.stringify(audit)).not.toContain(TEAM_ENV.ADMIN_KEY);
    // The configured webhook secret never leaves the hub (GET /v1/config, the admin console's).
    const shown = maskedConfig(t.loaded.config, t.hub.deps.manifests) as { triggers: { rules: { action: unknown }[] } };
    expect(JSON.stringify(shown)).not.toContain(CONF_SECRET);
    expect(shown.triggers.rules[0]!.action).toMatchObject({ type: 'webhook', url: `${rx.url}/conference` });
    // A configured trigger is not deleted through the API.
    expect((await call('DELETE', '/v1/triggers/conference', TEAM_ENV.ADMIN_KEY)).status).toBe(403);
  });

  it('refuses a bad trigger naming the field, storing nothing', async () => {
    const before = (await call('GET', '/v1/triggers', TEAM_ENV.ADMIN_KEY)).body.triggers.length;
    const bad = await call('POST', '/v1/triggers', TEAM_ENV.ADMIN_KEY, { people: ['p1', 'p2'], atLeast: 3, action: { type: 'sse' } });
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toMatch(/atLeast/);
    const both = await call('POST', '/v1/triggers', TEAM_ENV.ADMIN_KEY, { people: ['p1'], team: 'conf', action: { type: 'sse' } });
    expect(both.status).toBe(400);
    expect(both.body.detail).toMatch(/people or team/);
    expect((await call('POST', '/v1/triggers', TEAM_ENV.ADMIN_KEY, { people: ['nobody'], action: { type: 'sse' } })).body.code).toBe('HUB_ERR_UNKNOWN_PERSON');
    const dest = await call('POST', '/v1/triggers', TEAM_ENV.ADMIN_KEY, { people: ['p1'], action: { type: 'webhook', url: 'http://169.254.169.254/latest' } });
    expect(dest.body.code).toBe('HUB_ERR_WEBHOOK_DESTINATION');
    expect(dest.body.detail).toBe('action.url: destination refused: 169.254.169.254 is a cloud metadata address');
    const named = await call('POST', '/v1/triggers', TEAM_ENV.ADMIN_KEY, { id: 'to-lan', people: ['p1'], action: { type: 'webhook', url: 'http://10.1.2.3/hook' } });
    expect(named.body).toMatchObject({ code: 'HUB_ERR_WEBHOOK_DESTINATION', detail: 'action.url: trigger to-lan: destination refused: 10.1.2.3 is a private address; list it in webhooks.allowPrivateTargets to allow it' });
    expect((await call('GET', '/v1/triggers', TEAM_ENV.ADMIN_KEY)).body.triggers).toHaveLength(before);
  });

  it('fires a team trigger ("anyone in team T") and re-evaluates when the team changes', async () => {
    const s = await call('POST', '/v1/triggers', TEAM_ENV.ADMIN_KEY, { id: 'sales-desk', team: 'sales', hysteresis: 0, action: { type: 'sse' } });
    expect(s.status).toBe(201);
    expect(s.body.met).toBe(true); // dave (sales) is available
    const stream = await sseClient(`${base}/v1/stream?triggers=sales-desk`, auth(TEAM_ENV.ADMIN_KEY), 'trigger');
    try {
      await set('dave', 'away');
      expect(await trigger('sales-desk')).toMatchObject({ met: false });
      await set('carol', 'available');
      expect(await stream.next()).toMatchObject({ trigger: 'sales-desk', people: ['carol'], seq: 1 });
    } finally {
      stream.close();
      await call('DELETE', '/v1/triggers/sales-desk', TEAM_ENV.ADMIN_KEY);
      await set('carol', 'offline');
    }
  });
});

describe('a watcher\'s "tell me when Alice is available"', () => {
  it('arrives as an SSE event and as a signed webhook, for the owner only', async () => {
    await set('alice', 'busy');
    const viaSse = await call('POST', '/v1/triggers', TEAM_ENV.BOB_KEY, { people: ['alice'], action: { type: 'sse' } });
    expect(viaSse.status).toBe(201);
    expect(viaSse.body).toMatchObject({ owner: 'bob', met: false, people: ['alice'] });
    // The default expiry (triggers.watchers.expiry, 10 minutes here).
    expect(Date.parse(viaSse.body.expiresAt) - Date.parse(viaSse.body.createdAt)).toBe(600_000);
    const viaHook = await call('POST', '/v1/triggers', TEAM_ENV.BOB_KEY, { people: ['alice'], action: { type: 'webhook', url: `${rx.url}/bob` } });
    expect(viaHook.status).toBe(201);
    const secret: string = viaHook.body.secret;
    expect(secret).toMatch(/.{20,}/);

    // Only the owner (and admins) see, stream and delete them.
    expect((await call('GET', '/v1/triggers', TEAM_ENV.BOB_KEY)).body.triggers.map((x: { id: string }) => x.id).sort()).toEqual([viaSse.body.id, viaHook.body.id].sort());
    expect((await call('GET', '/v1/triggers', TEAM_ENV.CAROL_KEY)).body.triggers).toEqual([]);
    expect((await call('GET', `/v1/triggers/${viaSse.body.id}`, TEAM_ENV.CAROL_KEY)).status).toBe(404);
    expect((await call('DELETE', `/v1/triggers/${viaSse.body.id}`, TEAM_ENV.CAROL_KEY)).status).toBe(404);
    expect((await fetch(`${base}/v1/stream?triggers=${viaSse.body.id}`, { headers: auth(TEAM_ENV.CAROL_KEY) })).status).toBe(404);
    expect((await call('GET', `/v1/triggers/${viaSse.body.id}`, TEAM_ENV.ADMIN_KEY)).body.owner).toBe('bob');

    const stream = await sseClient(`${base}/v1/stream?triggers=${viaSse.body.id}`, auth(TEAM_ENV.BOB_KEY), 'trigger');
    try {
      await set('alice', 'available');
      expect(await stream.next()).toMatchObject({ trigger: viaSse.body.id, people: ['alice'], seq: 1 });
      await until(() => (rx.requests.get('bob') ?? []).length === 1);
      const d = rx.requests.get('bob')![0]!;
      expect(d.headers[SIGNATURE_HEADER]).toBe(signWebhook(secret, String(d.headers[TIMESTAMP_HEADER]), d.body));
      expect(JSON.parse(d.body)).toMatchObject({ trigger: viaHook.body.id, people: ['alice'] });
    } finally {
      stream.close();
    }
    expect((await call('DELETE', `/v1/triggers/${viaSse.body.id}`, TEAM_ENV.BOB_KEY)).status).toBe(204);
    expect((await call('DELETE', `/v1/triggers/${viaHook.body.id}`, TEAM_ENV.ADMIN_KEY)).status).toBe(204);
    expect((await call('GET', '/v1/triggers', TEAM_ENV.BOB_KEY)).body.triggers).toEqual([]);
  });

  it('is refused for a person who blocks the watcher exactly as for a person who does not exist', async () => {
    const blocked = await call('POST', '/v1/triggers', TEAM_ENV.MALLORY_KEY, { people: ['alice'], action: { type: 'sse' } });
    const none = await call('POST', '/v1/triggers', TEAM_ENV.MALLORY_KEY, { people: ['nobody'], action: { type: 'sse' } });
    expect(blocked.status).toBe(none.status);
    expect(blocked.body.code).toBe(none.body.code);
    expect(blocked.body.detail).toBe(none.body.detail.replace('nobody', 'alice'));
    expect((await call('GET', '/v1/triggers', TEAM_ENV.MALLORY_KEY)).body.triggers).toEqual([]);
    // Teams are the admins'.
    expect((await call('POST', '/v1/triggers', TEAM_ENV.BOB_KEY, { team: 'support', action: { type: 'sse' } })).status).toBe(403);
  });

  it('never fires once the person blocks the watcher after it was created', async () => {
    await set('carol', 'offline');
    const created = await call('POST', '/v1/triggers', TEAM_ENV.DAVE_KEY, { people: ['carol'], hysteresis: 0, action: { type: 'sse' } });
    expect(created.status).toBe(201);
    const stream = await sseClient(`${base}/v1/stream?triggers=${created.body.id}`, auth(TEAM_ENV.DAVE_KEY), 'trigger');
    try {
      expect((await call('PUT', '/v1/people/carol/relationships', TEAM_ENV.ADMIN_KEY, { personal: [], blocked: ['dave'] })).status).toBe(200);
      await set('carol', 'available');
      expect(await trigger(created.body.id)).toMatchObject({ met: false, fired: 0 });
      await expect(stream.next(500)).rejects.toThrow(/timed out/);
    } finally {
      stream.close();
      await call('PUT', '/v1/people/carol/relationships', TEAM_ENV.ADMIN_KEY, { personal: [], blocked: [] });
      await call('DELETE', `/v1/triggers/${created.body.id}`, TEAM_ENV.DAVE_KEY);
      await set('carol', 'offline');
    }
  });

  it('expires, and bounds its lifetime and number', async () => {
    expect((await call('POST', '/v1/triggers', TEAM_ENV.BOB_KEY, { people: ['alice'], expiresIn: '2h', action: { type: 'sse' } })).body.detail).toMatch(/^expiresIn: at most 3600 s/);
    await set('alice', 'away');
    const short = await call('POST', '/v1/triggers', TEAM_ENV.BOB_KEY, { people: ['alice'], expiresIn: '800ms', hysteresis: 0, action: { type: 'webhook', url: `${rx.url}/expired` } });
    expect(short.status).toBe(201);
    await sleep(1000);
    expect((await call('GET', `/v1/triggers/${short.body.id}`, TEAM_ENV.BOB_KEY)).status).toBe(404);
    expect((await call('GET', '/v1/triggers', TEAM_ENV.ADMIN_KEY)).body.triggers.map((x: { id: string }) => x.id)).not.toContain(short.body.id);
    await set('alice', 'available');
    await sleep(300);
    expect(rx.requests.get('expired')).toBeUndefined();

    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await call('POST', '/v1/triggers', TEAM_ENV.BOB_KEY, { people: ['alice'], action: { type: 'sse' } })).body.id);
    const over = await call('POST', '/v1/triggers', TEAM_ENV.BOB_KEY, { people: ['alice'], action: { type: 'sse' } });
    expect(over.body.code).toBe('HUB_ERR_TOO_MANY_TRIGGERS');
    for (const id of ids) await call('DELETE', `/v1/triggers/${id}`, TEAM_ENV.BOB_KEY);
  });
});

describe('OpenAPI', () => {
  it('describes every trigger route, the request and answer fields, and the stream parameter', async () => {
    const doc = await (await fetch(`${base}/openapi.json`, { headers: auth(TEAM_ENV.ADMIN_KEY) })).json();
    expect(Object.keys(doc.paths['/v1/triggers']).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/v1/triggers/{id}']).sort()).toEqual(['delete', 'get']);
    const post = doc.paths['/v1/triggers'].post;
    expect(post.description).toMatch(/Access: roles: admin, watcher/);
    expect(Object.keys(post.requestBody.content['application/json'].schema.properties).sort()).toEqual(['action', 'atLeast', 'classes', 'expiresIn', 'hysteresis', 'id', 'people', 'team']);
    const created = post.responses['201'].content['application/json'].schema.properties;
    for (const f of ['id', 'origin', 'people', 'team', 'atLeast', 'classes', 'hysteresis', 'action', 'owner', 'createdAt', 'expiresAt', 'met', 'fired', 'lastFiredAt', 'delivered', 'failures', 'lastError', 'secret']) {
      expect(created, f).toHaveProperty(f);
    }
    const listed = doc.paths['/v1/triggers'].get.responses['200'].content['application/json'].schema.properties.triggers.items.properties;
    expect(listed).toHaveProperty('met');
    expect(listed).not.toHaveProperty('secret');
    const stream = doc.paths['/v1/stream'].get;
    expect(stream.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['people', 'triggers']);
    expect(stream.description).toMatch(/event: trigger|`trigger` event/);
  });
});
