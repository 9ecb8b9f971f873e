/** The simulator's users delta and group members speak the documented wire shapes (raw HTTP, no SDK). */
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/util/clock.ts';
import { GraphSimulator } from './simulator.ts';

const APP = { clientId: 'sim-dir-app', clientSecret: 'sim-dir-secret' };
let clock: ManualClock;
let sim: GraphSimulator | undefined;
let token = '';

/** Each test has its own simulator with users a1, b2, c3 (delta pages of 2), so each stands alone. */
async function start(): Promise<GraphSimulator> {
  clock = new ManualClock(Date.parse('2026-11-22T10:00:00Z'));
  const s = new GraphSimulator(clock);
  sim = s;
  s.addApp(APP);
  // One token per test, also across the simulated week of the delta test (the simulator answers 401 to an expired one).
  s.tokenLifetimeSeconds = 30 * 86_400;
  await s.start();
  const res = await fetch(s.tokenEndpoint(), { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: APP.clientId, client_secret: APP.clientSecret, scope: 'x/.default' }) });
  token = ((await res.json()) as { access_token: string }).access_token;
  s.directory.deltaPageSize = 2;
  s.directory.addUser({ id: 'a1', userPrincipalName: 'a@corp.example', displayName: 'A', mobilePhone: null });
  s.directory.addUser({ id: 'b2', userPrincipalName: 'b@corp.example', displayName: 'B' });
  s.directory.addUser({ id: 'c3', userPrincipalName: 'c@corp.example' });
  return s;
}
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

async function get(pathOrUrl: string): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(pathOrUrl.startsWith('http') ? pathOrUrl : `${sim!.url}/v1.0${pathOrUrl}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

describe('simulated users delta', () => {
  it('pages with $skiptoken, ends with $deltatoken, projects $select (unset left out, null kept)', async () => {
    const sim = await start();
    const p1 = await get('/users/delta?$select=displayName,mobilePhone');
    expect(p1.status).toBe(200);
    expect(p1.body['@odata.context']).toBe('https://graph.microsoft.com/v1.0/$metadata#users');
    expect(p1.body.value).toEqual([{ displayName: 'A', mobilePhone: null, id: 'a1' }, { displayName: 'B', id: 'b2' }]);
    expect(p1.body['@odata.nextLink']).toMatch(/\/v1\.0\/users\/delta\?\$skiptoken=\w+$/);
    expect(p1.body['@odata.deltaLink']).toBeUndefined();
    const p2 = await get(p1.body['@odata.nextLink']);
    expect(p2.body.value).toEqual([{ id: 'c3' }]);
    expect(p2.body['@odata.deltaLink']).toMatch(/\$deltatoken=\w+$/);

    sim.directory.updateUser('b2', { displayName: 'Bee' });
    sim.directory.deleteUser('c3', true);
    sim.directory.deleteUser('a1');
    const d1 = await get(p2.body['@odata.deltaLink']);
    expect(d1.body.value).toEqual([{ displayName: 'Bee', id: 'b2' }, { id: 'c3', '@removed': { reason: 'deleted' } }]);
    const d2 = await get(d1.body['@odata.nextLink']);
    expect(d2.body.value).toEqual([{ id: 'a1', '@removed': { reason: 'changed' } }]);
    const idle = await get(d2.body['@odata.deltaLink']);
    expect(idle.body.value).toEqual([]);

    // Seven days later the token is gone: 410 with a Location to start over.
    clock.advance(7 * 86_400_000 + 1);
    const gone = await get(idle.body['@odata.deltaLink']);
    expect(gone.status).toBe(410);
    expect(gone.body.error.code).toBe('syncStateNotFound');
    expect(gone.headers.get('location')).toMatch(/\/users\/delta\?\$deltatoken=$/);
  });

  it('accepts only id filters and answers $deltatoken=latest with a deltaLink and no users', async () => {
    await start();
    expect((await get(`/users/delta?$filter=${encodeURIComponent("id eq 'b2'")}`)).body.value).toEqual([expect.objectContaining({ id: 'b2' })]);
    const bad = await get(`/users/delta?$filter=${encodeURIComponent("startswith(displayName,'B')")}`);
    expect(bad.status).toBe(400);
    const latest = await get('/users/delta?$deltatoken=latest');
    expect(latest.body).toMatchObject({ value: [], '@odata.deltaLink': expect.stringMatching(/\$deltatoken=/) });
  });

  it('lists group members page by page, direct or transitive, optionally users only', async () => {
    const sim = await start();
    sim.directory.addUser({ id: 'd4', userPrincipalName: 'd@corp.example' });
    sim.directory.addGroup({ id: 'g1', displayName: 'Sales', members: ['b2', 'g2'] });
    sim.directory.addGroup({ id: 'g2', displayName: 'Nested', members: ['d4'] });
    expect((await get('/groups/g1?$select=id,displayName')).body).toMatchObject({ id: 'g1', displayName: 'Sales' });
    expect((await get('/groups/g1/members')).body.value).toEqual([{ '@odata.type': '#microsoft.graph.user', id: 'b2' }, { '@odata.type': '#microsoft.graph.group', id: 'g2' }]);
    const t = await get('/groups/g1/transitiveMembers/microsoft.graph.user?$top=1');
    expect(t.body.value).toEqual([{ '@odata.type': '#microsoft.graph.user', id: 'b2' }]);
    expect((await get(t.body['@odata.nextLink'])).body.value).toEqual([{ '@odata.type': '#microsoft.graph.user', id: 'd4' }]);
    expect((await get('/groups/nope/members')).status).toBe(404);
  });
});
