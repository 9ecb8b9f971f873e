import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../core/config/load.ts';
import { manifestsByKind } from '../../connectors/index.ts';
import { ManualClock } from '../../core/util/clock.ts';
import { dashboard } from '../../api/dashboard/plugin.ts';
import { startHub, type RunningHub } from '../../api/server.ts';
import { auth, TEAM_ENV, teamConfig, testHub, type TestHub } from '../support/hub.ts';

/**
 * Issue 13, findings 4, 5, 6, 11 and 12, through the public API: open mode only for local callers,
 * the unknown-person report bounded overall, key rules and failed-authentication limits, control
 * characters refused, LOG_LEVEL over the file.
 */
const T0 = Date.parse('2026-11-23T09:00:00Z');
let open: TestHub[] = [];
afterEach(async () => {
  for (const t of open) await t.close();
  open = [];
});
async function hub(config = teamConfig({ server: { rateLimit: 0 } }), clock = new ManualClock(T0), env: NodeJS.ProcessEnv = TEAM_ENV): Promise<TestHub> {
  const t = await testHub({ config, env, clock, plugins: (ctx) => [dashboard(ctx)] });
  open.push(t);
  return t;
}
const OPEN_PEOPLE = teamConfig().people;

describe('finding 4: open mode (no keys) answers local callers only', () => {
  it('refuses a rebound Host name with 403 and answers loopback names', async () => {
    const t = await hub({ people: OPEN_PEOPLE });
    for (const host of ['attacker.example:8080', 'attacker.example', '10.0.0.5:8080', 'localhost.attacker.example', '127.0.0.1.nip.io:8080']) {
      const res = await t.app.inject({ url: '/v1/config', headers: { host } });
      expect(res.statusCode, host).toBe(403);
      expect(res.json()).toMatchObject({ code: 'HUB_ERR_FORBIDDEN_ORIGIN' });
      expect(res.body).not.toContain('alice');
    }
    for (const host of ['localhost:8080', '127.0.0.1:8080', '[::1]:8080', 'localhost', 'hub.localhost:8080', '127.0.0.2']) {
      expect((await t.app.inject({ url: '/v1/config', headers: { host } })).statusCode, host).toBe(200);
    }
    // Even the public routes: a rebound page learns nothing (not even that a hub runs here).
    expect((await t.app.inject({ url: '/healthz', headers: { host: 'attacker.example' } })).statusCode).toBe(403);
  });

  it('refuses a cross-origin POST /v1/webhooks and /v1/signals, accepts a same-origin one', async () => {
    const t = await hub({ people: OPEN_PEOPLE, webhooks: { allowPrivateTargets: ['127.0.0.1'] } });
    const hook = { url: 'http://127.0.0.1:9/hook', people: ['alice'] };
    const cross = await t.app.inject({ method: 'POST', url: '/v1/webhooks', headers: { host: 'localhost:8080', origin: 'https://attacker.example' }, payload: hook });
    expect(cross.statusCode).toBe(403);
    expect(cross.json().detail).toMatch(/^origin: /);
    expect((await t.app.inject({ url: '/v1/webhooks', headers: { host: 'localhost:8080' } })).json().webhooks).toEqual([]);
    const otherPort = await t.app.inject({ method: 'POST', url: '/v1/signals', headers: { host: 'localhost:8080', origin: 'http://localhost:3000' }, payload: { person: 'alice', source: 'x', category: 'user', availability: 'busy' } });
    expect(otherPort.statusCode).toBe(403);
    const same = await t.app.inject({ method: 'POST', url: '/v1/webhooks', headers: { host: 'localhost:8080', origin: 'http://localhost:8080' }, payload: hook });
    expect(same.statusCode).toBe(201);
    // A command-line client sends no Origin.
    expect((await t.app.inject({ method: 'POST', url: '/v1/signals', headers: { host: '127.0.0.1:8080' }, payload: { person: 'alice', source: 'x', category: 'user', availability: 'busy' } })).statusCode).toBe(202);
  });

  it('leaves keyed mode alone: a key is the proof, whatever the Host', async () => {
    const t = await hub();
    expect((await t.app.inject({ url: '/v1/config', headers: { host: 'hub.corp.example', ...auth(TEAM_ENV.ADMIN_KEY) } })).statusCode).toBe(200);
  });
});

describe('finding 5: the unknown-person report is bounded overall', () => {
  it('keeps at most 10 000 entries over many sources and counts what it dropped', async () => {
    const t = await hub();
    // 12 sources x 1 000 unknown people: each source is within its own bound, the total is not.
    for (let s = 0; s < 12; s++) {
      const batch = Array.from({ length: 1000 }, (_, i) => ({ person: `ghost-${s}-${i}`, source: `src-${s}`, category: 'user', availability: 'busy' }));
      const res = await t.app.inject({ method: 'POST', url: '/v1/signals', headers: auth(TEAM_ENV.PUB_KEY), payload: batch });
      expect(res.statusCode).toBe(422);
    }
    const report = (await t.app.inject({ url: '/v1/directory/report', headers: auth(TEAM_ENV.ADMIN_KEY) })).json();
    expect(report.unknown).toHaveLength(10_000);
    expect(report.unknownDropped).toBe(2000);
    // The most recent stay: the last source is complete, the first is gone.
    expect(report.unknown.filter((e: { source: string }) => e.source === 'src-11')).toHaveLength(1000);
    expect(report.unknown.some((e: { source: string }) => e.source === 'src-0')).toBe(false);
    expect((await t.app.inject({ url: '/healthz' })).statusCode).toBe(200);
  });
});

describe('finding 6: key rules', () => {
  it('refuses an API key under 16 characters, naming the key and the rule, not the value', () => {
    const cfg = { auth: { keys: [{ name: 'helpdesk', secret: '${HELPDESK_KEY}', roles: ['watcher' as const] }] } };
    let message = '';
    try {
      parseConfig(cfg, { env: { HELPDESK_KEY: 'abc' }, manifests: manifestsByKind });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/auth\.keys\[0\]\.secret: an API key needs at least 16 characters \(key helpdesk has 3\)/);
    expect(message).not.toContain('abc');
    expect(() => parseConfig(cfg, { env: { HELPDESK_KEY: 'x'.repeat(15) }, manifests: manifestsByKind })).toThrow(/at least 16/);
    expect(parseConfig(cfg, { env: { HELPDESK_KEY: 'x'.repeat(16) }, manifests: manifestsByKind }).config.auth.keys).toHaveLength(1);
  });

  it('answers 429 with Retry-After after 10 failed authentications from one address, the right key included', async () => {
    const clock = new ManualClock(T0);
    const t = await hub(teamConfig({ server: { rateLimit: 0 } }), clock);
    for (let i = 0; i < 10; i++) expect((await t.app.inject({ url: '/v1/people', headers: auth(`guess-${i}-xxxxxxxxxxxx`) })).statusCode).toBe(401);
    const limited = await t.app.inject({ url: '/v1/people', headers: auth(`guess-10-xxxxxxxxxxxx`) });
    expect(limited.statusCode).toBe(429);
    expect(limited.json()).toMatchObject({ code: 'HUB_ERR_AUTH_RATE_LIMITED' });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // Guessing stops: the right key waits too, and so does the dashboard's sign-in.
    expect((await t.app.inject({ url: '/v1/people', headers: auth(TEAM_ENV.BOB_KEY) })).statusCode).toBe(429);
    expect((await t.app.inject({ method: 'POST', url: '/v1/session', payload: { key: TEAM_ENV.BOB_KEY } })).statusCode).toBe(429);
    // Another address is not affected.
    expect((await t.app.inject({ url: '/v1/people', headers: auth(TEAM_ENV.BOB_KEY), remoteAddress: '127.0.0.9' })).statusCode).toBe(200);
    clock.advance(Number(limited.headers['retry-after']) * 1000);
    expect((await t.app.inject({ url: '/v1/people', headers: auth(TEAM_ENV.BOB_KEY) })).statusCode).toBe(200);
  });

  it('counts failed dashboard sign-ins the same way', async () => {
    const t = await hub();
    for (let i = 0; i < 10; i++) expect((await t.app.inject({ method: 'POST', url: '/v1/session', payload: { key: `wrong-${i}-xxxxxxxxxxxxx` } })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'POST', url: '/v1/session', payload: { key: TEAM_ENV.CAROL_KEY } })).statusCode).toBe(429);
  });
});

describe('finding 11: control characters are refused with a 400 naming the field', () => {
  const base = { person: 'alice', source: 'api', endpoint: 'laptop', category: 'user', availability: 'busy' };
  const cases: [string, Record<string, unknown>, string][] = [
    ['NUL in activity text', { activity: { token: 'in-a-meeting', text: 'Board\u0000meeting' } }, 'activity.text'],
    ['BEL in activity text', { activity: { text: 'ring\u0007' } }, 'activity.text'],
    ['ESC in activity text', { activity: { text: '\u001b[31mred' } }, 'activity.text'],
    ['U+202E in activity text', { activity: { text: 'gnitee\u202Em' } }, 'activity.text'],
    ['a lone surrogate in activity text', { activity: { text: 'half \ud83d of a face' } }, 'activity.text'],
    ['a newline in source', { source: 'api\nINFO forged log line' }, 'source'],
    ['U+202E in endpoint', { endpoint: 'pc\u202Egpj.exe' }, 'endpoint'],
    ['a C1 control in endpoint', { endpoint: 'pc\u009b1' }, 'endpoint'],
    ['NUL in identity', { person: undefined, identity: 'sip:alice@corp.example\u0000' }, 'identity'],
  ];
  it.each(cases)('%s', async (_label, patch, field) => {
    const t = await hub();
    const res = await t.app.inject({ method: 'POST', url: '/v1/signals', headers: auth(TEAM_ENV.PUB_KEY), payload: [{ ...base, ...patch }] });
    expect(res.statusCode).toBe(400);
    expect(res.json().detail).toMatch(new RegExp(`^\\[0\\]\\.${field.replace('.', '\\.')}: control or formatting character U\\+[0-9A-F]{4} is not allowed`));
    await t.settle();
    const explain = (await t.app.inject({ url: '/v1/presence/alice/explain', headers: auth(TEAM_ENV.ADMIN_KEY) })).json();
    expect(explain.registers).toEqual([]);
  });
  it('accepts ordinary text, emoji (a surrogate pair) and accents', async () => {
    const t = await hub();
    const res = await t.app.inject({ method: 'POST', url: '/v1/signals', headers: auth(TEAM_ENV.PUB_KEY), payload: { ...base, activity: { text: 'Réunion 🙂 (Zürich)' } } });
    expect(res.statusCode).toBe(202);
  });
});

describe('finding 12: LOG_LEVEL overrides log.level', () => {
  let running: RunningHub | undefined;
  afterEach(async () => {
    await running?.close();
    running = undefined;
  });
  function capture(): { lines: string[]; destination: Writable } {
    const lines: string[] = [];
    return { lines, destination: new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString('utf8')), cb()) }) };
  }
  const cfg = () => parseConfig({ people: OPEN_PEOPLE, log: { level: 'error' }, server: { port: 0 } }, { env: {}, manifests: manifestsByKind });

  it('logs at LOG_LEVEL when both are set', async () => {
    const c = capture();
    running = await startHub({ loaded: cfg(), env: { LOG_LEVEL: 'info' }, logDestination: c.destination, port: 0 });
    expect(c.lines.some((l) => l.includes('presence hub listening'))).toBe(true);
  });
  it('logs at the file level without LOG_LEVEL', async () => {
    const c = capture();
    running = await startHub({ loaded: cfg(), env: {}, logDestination: c.destination, port: 0 });
    expect(c.lines.some((l) => l.includes('presence hub listening'))).toBe(false);
  });
  it('refuses an unknown LOG_LEVEL with a clear error', async () => {
    await expect(startHub({ loaded: cfg(), env: { LOG_LEVEL: 'verbose' }, port: 0 })).rejects.toThrow(/LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent/);
  });
});
