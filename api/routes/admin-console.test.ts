/**
 * The admin console's API (issue 20 item 3) through the real hub and routes: a connector pointed at
 * a closed loopback port fails for real and says since when and when it retries; the list keeps
 * its order when a connector is switched off; the audit list records who did what (never a key);
 * webhooks report their last delivery; GET /v1/config shows what runs (environment overrides,
 * secrets masked); the directory report lists, per connector, the people it does not serve.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../core/audit.ts';
import { memoryConnectorStore } from '../../core/pipeline/embedded/connector-store.ts';
import { ManualClock, systemClock } from '../../core/util/clock.ts';
import { silentLogger } from '../../core/util/logger.ts';
import { until } from '../../test/support/wait.ts';
import { auth, TEAM_ENV, teamConfig, testHub, type TestHub } from '../../test/support/hub.ts';
import { freePort } from '../../test/support/ports.ts';
import { webhookReceiver, type WebhookReceiver } from '../../test/support/webhook-receiver.ts';
import { dashboard } from '../dashboard/plugin.ts';

const ADMIN = auth(TEAM_ENV.ADMIN_KEY);
const XMPP_PW = 'xmpp-service-password-4711';
const REDIS_PW = 'redis-password-in-url-0815';

interface ConnectorJson {
  id: string;
  enabled: boolean;
  state: string;
  failingSince: string | null;
  nextRetryAt: string | null;
  recent: { at: string; ok: boolean; code?: string; message?: string }[];
}

describe('admin console API', () => {
  let h: TestHub;
  let closedPort: number;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    // A port nobody listens on: the XMPP connector's connection is refused, for real.
    closedPort = await freePort();
    receiver = await webhookReceiver();
    const people = teamConfig().people!.map((p) => (p.id === 'alice' || p.id === 'bob' ? { ...p, identities: [...p.identities!, `xmpp:${p.id}@corp.example`] } : p));
    const config = teamConfig({
      people,
      connectors: [
        { id: 'chat', kind: 'xmpp', service: `xmpp://127.0.0.1:${closedPort}`, jid: 'hub@corp.example', password: '${XMPP_PW}', reconnect: { base: '30s', max: '60s' } },
        { id: 'demo', kind: 'demo', interval: 3600, perTick: 1 },
      ],
    });
    h = await testHub({
      config,
      env: { ...TEAM_ENV, XMPP_PW, PORT: '9191', NODE_ID: 'hub-7', LOG_LEVEL: 'DEBUG', REDIS_URL: `redis://hub:${REDIS_PW}@127.0.0.1:1/0` },
      nodeId: 'hub-7',
      clock: systemClock,
      plugins: (ctx) => [dashboard(ctx, { dist: '/nonexistent' })],
    });
  });
  afterAll(async () => {
    await h?.close();
    await receiver?.close();
  });

  const connectors = async (): Promise<ConnectorJson[]> => ((await h.app.inject({ url: '/v1/connectors', headers: ADMIN })).json() as { connectors: ConnectorJson[] }).connectors;

  it('a connector that cannot connect says since when it fails, its history and when it retries', async () => {
    await until(async () => (await connectors()).find((c) => c.id === 'chat')?.state === 'degraded', 'chat degraded', 10_000);
    const chat = (await connectors()).find((c) => c.id === 'chat')!;
    expect(chat.failingSince).not.toBeNull();
    expect(chat.recent.length).toBeGreaterThan(0);
    expect(chat.recent[0]).toMatchObject({ ok: false, code: expect.stringMatching(/^HUB_ERR_/), message: expect.any(String) });
    expect(chat.failingSince! <= chat.recent[0]!.at).toBe(true);
    // The next start is scheduled after the last failure (reconnect.base 30 s: it is still waiting).
    expect(chat.nextRetryAt).not.toBeNull();
    expect(Date.parse(chat.nextRetryAt!)).toBeGreaterThan(Date.parse(chat.recent[0]!.at));
    expect(JSON.stringify(chat)).not.toContain(XMPP_PW);
    const demo = (await connectors()).find((c) => c.id === 'demo')!;
    expect(demo).toMatchObject({ state: 'running', failingSince: null, nextRetryAt: null });
  });

  it('keeps the configuration order when a connector is switched off and on, and the audit list says who did it', async () => {
    expect((await connectors()).map((c) => c.id)).toEqual(['chat', 'demo']);
    expect((await h.app.inject({ method: 'POST', url: '/v1/connectors/chat/disable', headers: ADMIN })).statusCode).toBe(200);
    const off = await connectors();
    expect(off.map((c) => [c.id, c.enabled])).toEqual([
      ['chat', false],
      ['demo', true],
    ]);
    expect((await h.app.inject({ method: 'POST', url: '/v1/connectors/chat/test', headers: ADMIN })).json()).toMatchObject({ ok: false });
    expect((await h.app.inject({ method: 'POST', url: '/v1/connectors/chat/enable', headers: ADMIN })).statusCode).toBe(200);
    // Enabling what already runs changes nothing, and records nothing.
    await h.app.inject({ method: 'POST', url: '/v1/connectors/demo/enable', headers: ADMIN });
    expect((await connectors()).map((c) => c.id)).toEqual(['chat', 'demo']);

    const res = await h.app.inject({ url: '/v1/audit', headers: ADMIN });
    expect(res.statusCode).toBe(200);
    const entries = (res.json() as { entries: { at: string; by: { name: string; roles: string[] }; action: string; target: string; outcome?: string; detail?: string }[] }).entries;
    expect(entries.slice(0, 3).map((e) => [e.action, e.target, e.by.name, e.outcome ?? ''])).toEqual([
      ['connector.enable', 'chat', 'admin', ''],
      ['connector.test', 'chat', 'admin', 'failed'],
      ['connector.disable', 'chat', 'admin', ''],
    ]);
    expect(entries[0]!.by.roles).toEqual(['admin']);
    expect(Date.parse(entries[0]!.at)).toBeGreaterThanOrEqual(Date.parse(entries[2]!.at));
    expect(entries[1]!.detail).toMatch(/^HUB_ERR_/);
    for (const secret of [...Object.values(TEAM_ENV), XMPP_PW]) expect(res.body).not.toContain(secret);
    // Admins only.
    expect((await h.app.inject({ url: '/v1/audit', headers: auth(TEAM_ENV.BOB_KEY) })).statusCode).toBe(403);
    expect((await h.app.inject({ url: '/v1/audit', headers: auth(TEAM_ENV.PUB_KEY) })).statusCode).toBe(403);
  });

  it('webhooks say how their last delivery went, and their creation and removal are audited', async () => {
    const make = async (url: string): Promise<string> => {
      const r = await h.app.inject({ method: 'POST', url: '/v1/webhooks', headers: ADMIN, payload: { url, people: ['carol'], container: 'company' } });
      expect(r.statusCode).toBe(201);
      return (r.json() as { id: string }).id;
    };
    const good = await make(`${receiver.url}/good`);
    const bad = await make(`http://127.0.0.1:${closedPort}/hook?token=abc`);
    const status = async (id: string) => (await h.app.inject({ url: `/v1/webhooks/${id}`, headers: ADMIN })).json() as { lastDelivery?: { at: string; outcome: string; error?: string } };
    expect((await status(good)).lastDelivery).toBeUndefined();
    await h.app.inject({ method: 'POST', url: '/v1/signals', headers: auth(TEAM_ENV.PUB_KEY), payload: { person: 'carol', source: 'api', category: 'user', availability: 'busy' } });
    await until(async () => (await status(good)).lastDelivery !== undefined && (await status(bad)).lastDelivery !== undefined, 'both deliveries tried', 5000);
    expect((await status(good)).lastDelivery).toMatchObject({ outcome: 'delivered' });
    expect((await status(good)).lastDelivery!.error).toBeUndefined();
    expect((await status(bad)).lastDelivery).toMatchObject({ outcome: 'failed', error: 'unreachable' });
    const listed = (await h.app.inject({ url: '/v1/webhooks', headers: ADMIN })).json() as { webhooks: { id: string; lastDelivery?: { outcome: string } }[] };
    expect(listed.webhooks.find((w) => w.id === good)?.lastDelivery?.outcome).toBe('delivered');
    expect((await h.app.inject({ method: 'DELETE', url: `/v1/webhooks/${bad}`, headers: ADMIN })).statusCode).toBe(204);
    const entries = ((await h.app.inject({ url: '/v1/audit', headers: ADMIN })).json() as { entries: { action: string; target: string; detail?: string }[] }).entries;
    expect(entries.slice(0, 3).map((e) => [e.action, e.target])).toEqual([
      ['webhook.delete', bad],
      ['webhook.create', bad],
      ['webhook.create', good],
    ]);
    // The URL without what a query string might carry.
    expect(entries[1]!.detail).toBe(`http://127.0.0.1:${closedPort}/hook`);
  });

  it('GET /v1/config shows what runs: the environment over the file, secrets masked', async () => {
    const res = await h.app.inject({ url: '/v1/config', headers: ADMIN });
    const cfg = res.json() as { server: { port: number }; node: { id: string }; log: { level: string }; redis: { url: string }; mode: string; overrides: { path: string; variable: string; value: unknown }[]; connectors: { id: string; password?: string }[] };
    expect(cfg.server.port).toBe(9191);
    expect(cfg.node.id).toBe('hub-7');
    expect(cfg.log.level).toBe('debug');
    expect(cfg.redis.url).toBe('redis://********@127.0.0.1:1/0');
    expect(cfg.mode).toBe('embedded');
    expect(cfg.overrides).toEqual([
      { path: 'server.port', variable: 'PORT', value: 9191 },
      { path: 'redis.url', variable: 'REDIS_URL', value: 'redis://********@127.0.0.1:1/0' },
      { path: 'node.id', variable: 'NODE_ID', value: 'hub-7' },
      { path: 'log.level', variable: 'LOG_LEVEL', value: 'debug' },
    ]);
    expect(cfg.connectors.find((c) => c.id === 'chat')?.password).toBe('********');
    for (const secret of [...Object.values(TEAM_ENV), XMPP_PW, REDIS_PW]) expect(res.body).not.toContain(secret);
  });

  it('the directory report lists per connector who it does not match, who it has been silent about, and what it refused', async () => {
    // Alice has been heard from through the chat source; a signal for an identity nobody has is refused.
    const pub = (payload: Record<string, unknown>) => h.app.inject({ method: 'POST', url: '/v1/signals', headers: auth(TEAM_ENV.PUB_KEY), payload });
    expect((await pub({ person: 'alice', source: 'chat', category: 'user', availability: 'available' })).statusCode).toBe(202);
    expect((await pub({ identity: 'xmpp:ghost@corp.example', source: 'chat', category: 'user', availability: 'available' })).statusCode).toBe(422);
    await h.settle();
    const report = (await h.app.inject({ url: '/v1/directory/report', headers: ADMIN })).json() as {
      unsynced: { connector: string; notMatched: { count: number; people: string[]; needs?: string[] }; silent?: { days: number; count: number; people: { person: string; lastSignal: string | null }[] }; refused: { count: number; subjects: { subject: string; count: number }[] } }[];
    };
    expect(report.unsynced.map((u) => u.connector)).toEqual(['chat', 'demo']);
    const chat = report.unsynced[0]!;
    expect(chat.notMatched).toEqual({ count: 3, people: ['carol', 'dave', 'mallory'], needs: ['xmpp:'] });
    expect(chat.silent).toEqual({ days: 7, count: 1, people: [{ person: 'bob', lastSignal: null }] });
    expect(chat.refused.subjects).toEqual([expect.objectContaining({ subject: 'identity xmpp:ghost@corp.example', count: 1 })]);
    // With no days of grace, alice's signal (a moment ago) is too old as well.
    const strict = (await h.app.inject({ url: '/v1/directory/report?silentDays=0', headers: ADMIN })).json() as typeof report;
    expect(strict.unsynced[0]!.silent!.people.map((p) => p.person)).toEqual(['alice', 'bob']);
    expect(strict.unsynced[0]!.silent!.people[0]!.lastSignal).not.toBeNull();
    expect((await h.app.inject({ url: '/v1/directory/report?silentDays=-1', headers: ADMIN })).statusCode).toBe(400);
  });
});

describe('audit log', () => {
  it('keeps the newest entries only, newest first, each with who did it', async () => {
    const clock = new ManualClock(Date.parse('2026-11-22T10:00:00Z'));
    const store = memoryConnectorStore();
    const log = new AuditLog({ store, clock, log: silentLogger(), max: 3 });
    for (let i = 0; i < 5; i++) {
      clock.advance(1000);
      await log.record({ by: { name: `key-${i}`, roles: ['admin'] }, action: 'connector.disable', target: `c${i}` });
    }
    expect((await store.entries('')).size).toBe(3);
    expect((await log.list()).map((e) => e.target)).toEqual(['c4', 'c3', 'c2']);
    expect((await log.list(1)).map((e) => [e.by.name, e.at])).toEqual([['key-4', clock.now()]]);
    // A second log over the same store (another node) reads the same list.
    expect((await new AuditLog({ store, clock, log: silentLogger() }).list()).map((e) => e.target)).toEqual(['c4', 'c3', 'c2']);
  });

  it('a store that cannot write is logged and the action stands', async () => {
    const broken = { ...memoryConnectorStore(), set: async () => Promise.reject(new Error('store down')) };
    const log = new AuditLog({ store: broken, clock: new ManualClock(0), log: silentLogger() });
    await expect(log.record({ by: { name: 'admin', roles: ['admin'] }, action: 'connector.test', target: 'x', outcome: 'ok' })).resolves.toBeUndefined();
  });
});
