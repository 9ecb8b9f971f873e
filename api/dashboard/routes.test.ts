import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/util/clock.ts';
import { auth, TEAM_ENV, teamConfig, testHub, type TestHub } from '../../test/support/hub.ts';
import { dashboard } from './plugin.ts';

const PW = 'ldap-bind-password-0099';

describe('dashboard routes', () => {
  let h: TestHub;
  beforeAll(async () => {
    const config = teamConfig({ connectors: [{ id: 'corp-ldap', kind: 'ldap-directory', enabled: false, url: 'ldap://127.0.0.1:1', bindPassword: '${PW}', baseDn: 'dc=corp' }] });
    h = await testHub({ config, env: { ...TEAM_ENV, PW }, clock: new ManualClock(Date.parse('2026-11-22T10:00:00Z')), plugins: (ctx) => [dashboard(ctx, { dist: '/nonexistent' })] });
  });
  afterAll(() => h.close());

  it('exchanges a key for a cookie that then authorizes the API', async () => {
    const bad = await h.app.inject({ method: 'POST', url: '/v1/session', payload: { key: 'nope' } });
    expect(bad.statusCode).toBe(401);
    const res = await h.app.inject({ method: 'POST', url: '/v1/session', payload: { key: TEAM_ENV.CAROL_KEY } });
    expect(res.json()).toMatchObject({ name: 'carol', roles: ['watcher'], person: 'carol', open: false });
    const set = String(res.headers['set-cookie']);
    expect(set).toMatch(/^ph_session=[^;]+;.*HttpOnly/);
    expect(set).toMatch(/SameSite=Strict/);
    expect(set).not.toMatch(/Secure/);
    const cookie = set.split(';')[0]!;
    expect((await h.app.inject({ url: '/v1/presence/bob', headers: { cookie } })).statusCode).toBe(200);
    expect((await h.app.inject({ url: '/v1/connectors', headers: { cookie } })).statusCode).toBe(403);
    // A state-changing call from another origin is refused even with the cookie.
    const cross = await h.app.inject({ method: 'POST', url: '/v1/presence/query', headers: { cookie, origin: 'http://evil.example', host: 'hub.example' }, payload: { people: ['bob'] } });
    expect(cross.statusCode).toBe(401);
    expect((await h.app.inject({ method: 'DELETE', url: '/v1/session', headers: { cookie } })).statusCode).toBe(204);
    expect((await h.app.inject({ url: '/v1/session', headers: { cookie } })).statusCode).toBe(401);
  });

  it('marks the cookie Secure behind a TLS proxy', async () => {
    const res = await h.app.inject({ method: 'POST', url: '/v1/session', headers: { 'x-forwarded-proto': 'https' }, payload: { key: TEAM_ENV.ADMIN_KEY } });
    expect(String(res.headers['set-cookie'])).toMatch(/Secure/);
  });

  it('shows the configuration with every secret masked (admin only)', async () => {
    expect((await h.app.inject({ url: '/v1/config', headers: auth(TEAM_ENV.BOB_KEY) })).statusCode).toBe(403);
    const res = await h.app.inject({ url: '/v1/config', headers: auth(TEAM_ENV.ADMIN_KEY) });
    const body = res.json();
    expect(body.connectors[0].bindPassword).toBe('********');
    expect(body.auth.keys.every((k: { secret: string }) => k.secret === '********')).toBe(true);
    for (const secret of [PW, ...Object.values(TEAM_ENV)]) expect(res.body).not.toContain(secret);
  });

  it('enables and disables a connector', async () => {
    const on = await h.app.inject({ method: 'POST', url: '/v1/connectors/corp-ldap/enable', headers: auth(TEAM_ENV.ADMIN_KEY) });
    expect(on.json()).toMatchObject({ id: 'corp-ldap', enabled: true });
    expect(h.hub.supervisors.has('corp-ldap')).toBe(true);
    const off = await h.app.inject({ method: 'POST', url: '/v1/connectors/corp-ldap/disable', headers: auth(TEAM_ENV.ADMIN_KEY) });
    expect(off.json()).toMatchObject({ enabled: false, state: 'stopped' });
    expect((await h.app.inject({ method: 'POST', url: '/v1/connectors/nope/disable', headers: auth(TEAM_ENV.ADMIN_KEY) })).statusCode).toBe(404);
    expect((await h.app.inject({ method: 'POST', url: '/v1/connectors/corp-ldap/enable', headers: auth(TEAM_ENV.PUB_KEY) })).statusCode).toBe(403);
  });

  it('keeps a timeline of signals and changes per person (admin only)', async () => {
    await h.app.inject({ method: 'POST', url: '/v1/signals', headers: auth(TEAM_ENV.PUB_KEY), payload: { person: 'bob', source: 'api', category: 'user', availability: 'busy' } });
    await h.settle();
    expect((await h.app.inject({ url: '/v1/presence/bob/timeline', headers: auth(TEAM_ENV.BOB_KEY) })).statusCode).toBe(403);
    const res = await h.app.inject({ url: '/v1/presence/bob/timeline', headers: auth(TEAM_ENV.ADMIN_KEY) });
    expect(res.json().entries.map((e: { type: string }) => e.type)).toEqual(['change', 'signal']);
    expect(res.json().entries[1]).toMatchObject({ outcome: 'applied', signal: { source: 'api', availability: 6500 } });
  });

  it('serves client routes, keeps API 404s as problems, says when the page is not built', async () => {
    expect((await h.app.inject({ url: '/v1/nothing' })).headers['content-type']).toContain('application/problem+json');
    const page = await h.app.inject({ url: '/person/bob' });
    expect(page.statusCode).toBe(503);
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
  });
});
