/**
 * The timeline is an API route (api/routes/timeline.ts): it answers on a hub built without the
 * dashboard plugin, is in the OpenAPI document, and is fed by the hub itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/util/clock.ts';
import { auth, TEAM_ENV, teamConfig, testHub, type TestHub, withHelpdesk } from '../../test/support/hub.ts';

describe('GET /v1/presence/{person}/timeline without the dashboard', () => {
  let h: TestHub;
  beforeAll(async () => {
    h = await testHub({ config: teamConfig(withHelpdesk()), env: TEAM_ENV, clock: new ManualClock(Date.parse('2026-11-22T10:00:00Z')) });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('records signals and changes and shows them to admin and helpdesk, newest first', async () => {
    await h.app.inject({ method: 'POST', url: '/v1/signals', headers: auth(TEAM_ENV.PUB_KEY), payload: { person: 'bob', source: 'api', category: 'user', availability: 'busy' } });
    await h.settle();
    const res = await h.app.inject({ url: '/v1/presence/bob/timeline', headers: auth(TEAM_ENV.ADMIN_KEY) });
    expect(res.statusCode).toBe(200);
    expect(res.json().entries.map((e: { type: string }) => e.type)).toEqual(['change', 'signal']);
    expect(res.json().entries[0]).toMatchObject({ type: 'change', presence: { person: 'bob', class: 'busy' } });
    expect((await h.app.inject({ url: '/v1/presence/bob/timeline', headers: auth(TEAM_ENV.HELPDESK_KEY) })).json().entries).toHaveLength(2);
    expect((await h.app.inject({ url: '/v1/presence/bob/timeline', headers: auth(TEAM_ENV.BOB_KEY) })).statusCode).toBe(403);
    expect((await h.app.inject({ url: '/v1/presence/nobody/timeline', headers: auth(TEAM_ENV.ADMIN_KEY) })).statusCode).toBe(404);
  });

  it('is in the OpenAPI document', async () => {
    const doc = (await h.app.inject({ url: '/openapi.json', headers: auth(TEAM_ENV.ADMIN_KEY) })).json() as { paths: Record<string, Record<string, { summary?: string }>> };
    expect(doc.paths['/v1/presence/{person}/timeline']?.get?.summary).toMatch(/presence changes and signals/);
  });
});
