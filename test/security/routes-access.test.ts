import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manifestsByKind } from '../../connectors/index.ts';
import { parseConfig } from '../../core/config/load.ts';
import { Hub } from '../../core/hub.ts';
import { ManualClock } from '../../core/util/clock.ts';
import { silentLogger } from '../../core/util/logger.ts';
import { buildApp } from '../../api/app.ts';
import { dashboard } from '../../api/dashboard/plugin.ts';
import { auth, TEAM_ENV, teamConfig, testHub, withHelpdesk, type TestHub } from '../support/hub.ts';
import { liveRoutes } from '../support/routes.ts';

/**
 * Every route the app serves, with who may call it. The list is compared with the live app's routes:
 * a route added without a line here fails this test, and so does a line for a route that is gone.
 * `public`: no key needed; `any`: any valid key; else the roles allowed.
 */
type Rule = 'public' | 'any' | readonly ('admin' | 'publisher' | 'watcher' | 'helpdesk')[];
/** Reads of presence and the directory: watchers (their container), the helpdesk and admins (everyone). */
const W = ['watcher', 'helpdesk', 'admin'] as const;
const A = ['admin'] as const;
/** Why a person shows what they show: admins and the helpdesk, never a watcher. */
const H = ['admin', 'helpdesk'] as const;
const T = ['admin', 'watcher'] as const;
const EXPECTED: Record<string, Rule> = {
  // The dashboard page (static files; every datum it shows comes through the calls below).
  'GET /': 'public',
  'HEAD /': 'public',
  'GET /*': 'public',
  'HEAD /*': 'public',
  // Dashboard sign-in: a key (in the body) exchanged for a session cookie; sign-out.
  'POST /v1/session': 'public',
  'DELETE /v1/session': 'public',
  'GET /v1/session': 'any',
  'HEAD /v1/session': 'any',
  'GET /v1/config': A,
  'HEAD /v1/config': A,
  'POST /v1/connectors/:id/enable': A,
  'POST /v1/connectors/:id/disable': A,
  'GET /v1/presence/:person/timeline': H,
  'HEAD /v1/presence/:person/timeline': H,
  'GET /healthz': 'public',
  'HEAD /healthz': 'public',
  'GET /readyz': 'any',
  'HEAD /readyz': 'any',
  'GET /metrics': A,
  'HEAD /metrics': A,
  'GET /openapi.json': 'any',
  'HEAD /openapi.json': 'any',
  'GET /docs': 'any',
  'HEAD /docs': 'any',
  'GET /docs/': 'any',
  'HEAD /docs/': 'any',
  'GET /docs/static/index.html': 'any',
  'HEAD /docs/static/index.html': 'any',
  'GET /docs/static/swagger-initializer.js': 'any',
  'HEAD /docs/static/swagger-initializer.js': 'any',
  'GET /docs/*': 'any',
  'HEAD /docs/*': 'any',
  'GET /docs/json': 'any',
  'HEAD /docs/json': 'any',
  'GET /docs/yaml': 'any',
  'HEAD /docs/yaml': 'any',
  'POST /v1/signals': ['publisher', 'admin'],
  'GET /v1/stream': W,
  'HEAD /v1/stream': W,
  'GET /v1/presence/:person': W,
  'HEAD /v1/presence/:person': W,
  'POST /v1/presence/query': W,
  'GET /v1/route/:person': W,
  'HEAD /v1/route/:person': W,
  'POST /v1/route/query': W,
  'GET /v1/presence/:person/explain': H,
  'HEAD /v1/presence/:person/explain': H,
  // Which failing connectors feed whom: connector names, so not for watchers.
  'GET /v1/degraded': H,
  'HEAD /v1/degraded': H,
  'GET /v1/people': W,
  'HEAD /v1/people': W,
  'GET /v1/people/:person': W,
  // A write: the person themself (a watcher) or an admin; never the helpdesk.
  'PUT /v1/people/:person/relationships': ['watcher', 'admin'],
  'HEAD /v1/people/:person': W,
  'POST /v1/webhooks': A,
  'GET /v1/webhooks': A,
  'HEAD /v1/webhooks': A,
  'GET /v1/webhooks/:id': A,
  'HEAD /v1/webhooks/:id': A,
  'DELETE /v1/webhooks/:id': A,
  // Triggers: admins manage all; a watcher its own "tell me when" triggers (checked in test/e2e/triggers.test.ts).
  'POST /v1/triggers': T,
  'GET /v1/triggers': T,
  'HEAD /v1/triggers': T,
  'GET /v1/triggers/:id': T,
  'HEAD /v1/triggers/:id': T,
  'DELETE /v1/triggers/:id': T,
  'GET /v1/connectors': A,
  'HEAD /v1/connectors': A,
  'POST /v1/connectors/:id/test': A,
  'GET /v1/pipeline': A,
  'HEAD /v1/pipeline': A,
  'POST /v1/pipeline/dead-letters/:id/replay': A,
  'GET /v1/directory/report': A,
  'HEAD /v1/directory/report': A,
  'GET /v1/audit': A,
  'HEAD /v1/audit': A,
};

/** One key per role; each acts as a person where the role watches. */
const ROLE_KEYS = { admin: TEAM_ENV.ADMIN_KEY, publisher: TEAM_ENV.PUB_KEY, watcher: TEAM_ENV.BOB_KEY, helpdesk: TEAM_ENV.HELPDESK_KEY } as const;
const ROLES = Object.keys(ROLE_KEYS) as (keyof typeof ROLE_KEYS)[];

/** A concrete URL for a route pattern, chosen so that an allowed call is answered quickly (no open stream). */
function concrete(method: string, path: string): { url: string; payload?: object } {
  const url = path
    // A watcher may edit its own person's lists only (checked below); Bob edits Bob's.
    .replace('/v1/people/:person/relationships', '/v1/people/bob/relationships')
    .replace('/v1/stream', '/v1/stream?people=nobody')
    .replace(':person', 'alice')
    .replace('/v1/webhooks/:id', '/v1/webhooks/00000000-0000-4000-8000-000000000000')
    .replace(':id', 'none')
    // The documentation's wildcard serves its static files; the dashboard's serves the page.
    .replace('/docs/*', '/docs/static/swagger-ui.css')
    .replace('/*', '/people/alice');
  return method === 'POST' || method === 'PUT' ? { url, payload: {} } : { url };
}

let t: TestHub;
let routes: string[];
beforeAll(async () => {
  // Composed as api/server.ts composes it: the API plus the dashboard.
  t = await testHub({ config: teamConfig({ server: { rateLimit: 0, authFailureLimit: 0 }, ...withHelpdesk() }), env: TEAM_ENV, clock: new ManualClock(Date.parse('2026-11-22T09:00:00Z')), plugins: (ctx) => [dashboard(ctx)] });
  routes = liveRoutes(t.app);
});
afterAll(async () => t.close());

describe('the route table', () => {
  it('lists exactly the routes the app serves (a new route needs a line in EXPECTED)', () => {
    expect(routes.length).toBeGreaterThan(20);
    const missing = routes.filter((r) => EXPECTED[r] === undefined);
    const gone = Object.keys(EXPECTED).filter((r) => !routes.includes(r));
    expect({ missing, gone }).toEqual({ missing: [], gone: [] });
  });

  it('was read correctly from the app', () => {
    for (const r of routes) {
      const [method, url] = r.split(' ') as [string, string];
      if (url.endsWith('*')) continue; // hasRoute matches patterns, and a wildcard is not one
      expect(t.app.hasRoute({ method: method as 'GET', url }), r).toBe(true);
    }
    const openapi = t.app.swagger() as { paths: Record<string, Record<string, unknown>> };
    for (const [p, ops] of Object.entries(openapi.paths)) {
      for (const m of Object.keys(ops)) expect(routes, `${m} ${p}`).toContain(`${m.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ':$1')}`);
    }
  });

  it('refuses at build time a route registered without an access rule', async () => {
    const loaded = parseConfig(teamConfig(), { env: TEAM_ENV, manifests: manifestsByKind });
    const log = silentLogger();
    const clock = new ManualClock(0);
    const hub = new Hub({ loaded, manifests: manifestsByKind, clock, log });
    const sneaky = async (app: FastifyInstance): Promise<void> => {
      app.get('/v1/sneaky', async () => ({ leaked: true }));
    };
    await expect(buildApp({ hub, loaded, log, clock, plugins: [sneaky] })).rejects.toThrow(/GET \/v1\/sneaky has no access rule/);
    await hub.stop();
  });
});

describe('rules beyond the role', () => {
  it("a watcher edits only its own person's relationships", async () => {
    const res = await t.app.inject({ method: 'PUT', url: '/v1/people/alice/relationships', headers: auth(TEAM_ENV.BOB_KEY), payload: { personal: ['bob'] } });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('HUB_ERR_FORBIDDEN');
    // A key that acts as nobody edits nobody's lists.
    const pub = await t.app.inject({ method: 'PUT', url: '/v1/people/alice/relationships', headers: auth(TEAM_ENV.PUBLIC_KEY), payload: {} });
    expect(pub.statusCode).toBe(403);
  });
});

describe('the helpdesk role', () => {
  it("sees everyone's presence with its activity and why, and the OpenAPI document says who may call what", async () => {
    const signal = { person: 'alice', source: 'webhook', endpoint: 'desk', category: 'user', availability: 'busy', activity: { token: 'in-a-meeting', text: 'Budget review' } };
    expect((await t.app.inject({ method: 'POST', url: '/v1/signals', headers: auth(TEAM_ENV.PUB_KEY), payload: signal })).statusCode).toBe(202);
    await t.settle();
    const view = await t.app.inject({ method: 'GET', url: '/v1/presence/alice', headers: auth(TEAM_ENV.HELPDESK_KEY) });
    expect(view.json()).toMatchObject({ person: 'alice', class: 'busy', activity: { text: 'Budget review' } });
    const explain = await t.app.inject({ method: 'GET', url: '/v1/presence/alice/explain', headers: auth(TEAM_ENV.HELPDESK_KEY) });
    expect(explain.json().registers).toEqual([expect.objectContaining({ source: 'webhook', endpoint: 'desk', decided: ['availability', 'activity'] })]);
    // Its own signals it may not post: it writes nothing.
    expect((await t.app.inject({ method: 'POST', url: '/v1/signals', headers: auth(TEAM_ENV.HELPDESK_KEY), payload: signal })).statusCode).toBe(403);
    const openapi = t.app.swagger() as { paths: Record<string, Record<string, { description?: string }>> };
    expect(openapi.paths['/v1/presence/{person}/explain']!.get!.description).toContain('Access: roles: admin, helpdesk.');
    expect(openapi.paths['/v1/config']!.get!.description).toContain('Access: roles: admin.');
    expect(openapi.paths['/healthz']!.get!.description).toContain('Access: no key needed.');
  });
});

describe('the dashboard session cookie', () => {
  it('carries exactly the roles of the key it was exchanged for, and nothing once tampered with or signed out', async () => {
    const signIn = await t.app.inject({ method: 'POST', url: '/v1/session', payload: { key: TEAM_ENV.BOB_KEY } });
    expect(signIn.statusCode).toBe(200);
    const setCookie = String(signIn.headers['set-cookie']);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    const cookie = setCookie.split(';')[0]!;
    const as = (c: string, method: 'GET' | 'POST', url: string) => t.app.inject({ method, url, headers: { cookie: c }, ...(method === 'POST' ? { payload: {} } : {}) });
    expect((await as(cookie, 'GET', '/v1/presence/alice')).statusCode).toBe(200);
    for (const [method, url] of [['GET', '/v1/connectors'], ['GET', '/v1/config'], ['POST', '/v1/signals'], ['POST', '/v1/connectors/x/disable'], ['GET', '/v1/presence/alice/timeline']] as const) {
      expect((await as(cookie, method, url)).statusCode, url).toBe(403);
    }
    const [name, value] = cookie.split('=') as [string, string];
    const tampered = `${name}=${value.slice(0, -2)}${value.endsWith('AA') ? 'BB' : 'AA'}`;
    expect((await as(tampered, 'GET', '/v1/presence/alice')).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'POST', url: '/v1/session', payload: { key: 'not-a-key' } })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'DELETE', url: '/v1/session', headers: { cookie } })).statusCode).toBe(204);
    expect((await as(cookie, 'GET', '/v1/presence/alice')).statusCode).toBe(401);
  });
});

describe.each(Object.entries(EXPECTED))('%s', (route, rule) => {
  const [method, path] = route.split(' ') as [string, string];
  const { url, payload } = concrete(method, path);
  const call = (headers: Record<string, string>) => t.app.inject({ method: method as 'GET', url, headers, ...(payload !== undefined ? { payload } : {}) });

  if (rule === 'public') {
    it('answers without a key', async () => {
      const res = await call({});
      expect([401, 403]).not.toContain(res.statusCode);
      expect(res.statusCode).toBeLessThan(500);
    });
    return;
  }
  it('refuses no key and a wrong key with 401', async () => {
    for (const headers of [{}, auth('not-a-key'), auth(`${TEAM_ENV.ADMIN_KEY}x`), { authorization: TEAM_ENV.ADMIN_KEY }, { authorization: `Basic ${TEAM_ENV.ADMIN_KEY}` }]) {
      const res = await call(headers);
      expect(res.statusCode, JSON.stringify(headers)).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
      if (method !== 'HEAD') expect(res.json().code).toBe('HUB_ERR_UNAUTHORIZED');
    }
  });
  const allowed = rule === 'any' ? ROLES : ROLES.filter((r) => rule.includes(r));
  const refused = ROLES.filter((r) => !allowed.includes(r));
  for (const role of refused) {
    it(`refuses the ${role} role with 403`, async () => {
      const res = await call(auth(ROLE_KEYS[role]));
      expect(res.statusCode).toBe(403);
      if (method !== 'HEAD') expect(res.json()).toMatchObject({ code: 'HUB_ERR_FORBIDDEN', status: 403 });
    });
  }
  it(`lets ${allowed.join(', ')} through`, async () => {
    for (const role of allowed) {
      const res = await call(auth(ROLE_KEYS[role]));
      expect([401, 403], `${role}: ${res.statusCode} ${res.body.slice(0, 200)}`).not.toContain(res.statusCode);
      expect(res.statusCode, role).toBeLessThan(500);
    }
  });
});
