import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/util/clock.ts';
import { auth, TEAM_ENV, teamConfig, testHub, type TestHub } from '../support/hub.ts';

const T0 = Date.parse('2026-11-22T09:00:00Z');
const MIN = 60_000;
const iso = (ms: number): string => new Date(ms).toISOString();
const PUB = auth(TEAM_ENV.PUB_KEY);
const ADMIN = auth(TEAM_ENV.ADMIN_KEY);

let t: TestHub;
let clock: ManualClock;

beforeEach(async () => {
  clock = new ManualClock(T0);
  t = await testHub({ config: teamConfig(), env: TEAM_ENV, clock });
});
afterEach(async () => t.close());

async function post(body: unknown, headers = PUB) {
  const res = await t.app.inject({ method: 'POST', url: '/v1/signals', headers, payload: body as object });
  await t.settle();
  return res;
}
async function view(person: string, headers = ADMIN) {
  const res = await t.app.inject({ method: 'GET', url: `/v1/presence/${person}`, headers });
  return { status: res.statusCode, body: res.json() };
}

describe('the six worked examples, end to end through the HTTP API', () => {
  it('follows examples 1 to 6 in order', async () => {
    // 1. Communicator Mobile, no input for over 15 minutes: Away.
    expect((await post({ person: 'alice', source: 'ocs', endpoint: 'mobile', category: 'machine', machineState: 'active', sourceTime: iso(T0 - 16 * MIN) })).statusCode).toBe(202);
    expect((await view('alice')).body).toMatchObject({ class: 'away', availability: 15500, machineState: 'away' });
    // 2. Signs in to the laptop and sets Available by hand.
    clock.advance(1000);
    await post({ person: 'alice', source: 'ocs', endpoint: 'laptop', category: 'machine', machineState: 'active', sourceTime: iso(clock.now()) });
    clock.advance(1000);
    await post({ person: 'alice', source: 'ocs', endpoint: 'laptop', category: 'user', availability: 'available' });
    expect((await view('alice')).body).toMatchObject({ class: 'available', availability: 3500 });
    // 3. Changes to Do Not Disturb.
    clock.advance(MIN);
    await post({ person: 'alice', source: 'ocs', endpoint: 'laptop', category: 'user', availability: 'dnd' });
    expect((await view('alice')).body).toMatchObject({ class: 'dnd', availability: 9500 });
    // 4. The calendar publishes Busy: DND stays.
    clock.advance(MIN);
    await post({ person: 'alice', source: 'exchange', endpoint: 'm1', category: 'calendar', availability: 'busy', activity: 'in-a-meeting', until: iso(clock.now() + 60 * MIN) });
    expect((await view('alice')).body).toMatchObject({ class: 'dnd', availability: 9500 });
    // 5. The laptop publishes Inactive: DND stays.
    clock.advance(MIN);
    await post({ person: 'alice', source: 'ocs', endpoint: 'laptop', category: 'machine', machineState: 'inactive', sourceTime: iso(clock.now()) });
    expect((await view('alice')).body).toMatchObject({ class: 'dnd', machineState: 'inactive' });
    // 6. No input for 15 minutes: the client publishes Away, which beats DND.
    clock.advance(15 * MIN);
    await post({ person: 'alice', source: 'ocs', endpoint: 'laptop', category: 'machine', machineState: 'away', sourceTime: iso(clock.now()) });
    expect((await view('alice')).body).toMatchObject({ class: 'away', availability: 15500 });
  });
});

describe('signals', () => {
  it('ignores a stale sourceVersion', async () => {
    await post({ person: 'bob', source: 'pbx', endpoint: 'line-1', category: 'phone', availability: 'busy', activity: 'on-the-phone', sourceVersion: 7 });
    const before = (await view('bob')).body;
    clock.advance(1000);
    expect((await post({ person: 'bob', source: 'pbx', endpoint: 'line-1', category: 'phone', availability: 'available', sourceVersion: 6 })).statusCode).toBe(202);
    expect((await view('bob')).body).toEqual(before);
    expect(before).toMatchObject({ class: 'busy', activity: { token: 'on-the-phone', text: 'In a call' } });
  });

  it('hides a phone activity behind appear-offline', async () => {
    await post({ person: 'alice', source: 'teams', endpoint: 'client', category: 'user', availability: 'offline' });
    clock.advance(1000);
    await post({ person: 'alice', source: 'pbx', endpoint: 'line-1', category: 'phone', availability: 'busy', activity: 'on-the-phone' });
    const v = (await view('alice')).body;
    expect(v).toMatchObject({ class: 'offline', activity: { token: 'offline', text: 'Offline' } });
    expect(JSON.stringify(v)).not.toContain('on-the-phone');
  });

  it('resolves identities through the directory, normalizing them', async () => {
    expect((await post({ identity: 'SIP:Alice@CORP.example;transport=tcp', source: 'sip', category: 'user', availability: 'dnd' })).statusCode).toBe(202);
    expect((await view('alice')).body).toMatchObject({ class: 'dnd' });
    expect((await post({ identity: 'tel:+1 555 0101', source: 'pbx', category: 'phone', availability: 'busy', activity: 'on-the-phone' })).statusCode).toBe(202);
    expect((await view('alice')).body.activity.token).toBe('on-the-phone');
  });

  it('refuses an invalid batch whole with 400 naming the field, and stores nothing', async () => {
    const res = await post([
      { person: 'bob', source: 'api', category: 'user', availability: 'busy' },
      { person: 'bob', source: 'api', category: 'sometimes', availability: 'busy' },
    ]);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.json()).toMatchObject({ status: 400, code: 'HUB_ERR_SIGNAL_INVALID' });
    expect(res.json().detail).toMatch(/^\[1\]\.category/);
    expect((await view('bob')).body).toMatchObject({ class: 'offline', version: 0 });
    const explain = await t.app.inject({ method: 'GET', url: '/v1/presence/bob/explain', headers: ADMIN });
    expect(explain.json().registers).toEqual([]);
  });

  it.each([
    [{ source: 'api', category: 'user', availability: 'busy' }, /^person: person or identity is required/],
    [{ person: 'bob', source: 'api', category: 'machine' }, /^machineState: required/],
    [{ person: 'bob', source: 'api', category: 'user', availability: 99 }, /^availability/],
    [{ person: 'bob', source: 'api', category: 'user' }, /^availability: required for category user/],
    [{ person: 'bob', source: 'api', category: 'user', availability: 'busy', from: 'yesterday' }, /^from/],
    [{ person: 'bob', source: 'api', category: 'user', availability: 'busy', colour: 'red' }, /colour/],
  ])('refuses %j', async (body, detail) => {
    const res = await post(body);
    expect(res.statusCode).toBe(400);
    expect(res.json().detail).toMatch(detail);
  });

  it('refuses malformed JSON with 400', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/signals', headers: { ...PUB, 'content-type': 'application/json' }, payload: '{"person": ' });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('HUB_ERR_INVALID_JSON');
  });

  it('refuses an unknown person or identity with 422 naming it, and reports it', async () => {
    const r1 = await post({ person: 'zed', source: 'api', category: 'user', availability: 'busy' });
    expect(r1.statusCode).toBe(422);
    expect(r1.json().detail).toBe('person: unknown person zed');
    const r2 = await post([{ person: 'bob', source: 'api', category: 'user', availability: 'busy' }, { identity: 'sip:nobody@corp.example', source: 'sip', category: 'user', availability: 'busy' }]);
    expect(r2.statusCode).toBe(422);
    expect(r2.json().detail).toBe('[1].identity: unknown identity sip:nobody@corp.example');
    expect((await view('bob')).body.version).toBe(0);
    const report = (await t.app.inject({ method: 'GET', url: '/v1/directory/report', headers: ADMIN })).json();
    expect(report.unknown.map((u: { subject: string }) => u.subject).sort()).toEqual(['identity sip:nobody@corp.example', 'person zed']);
  });
});

describe('views by container', () => {
  beforeEach(async () => {
    await post({ person: 'alice', source: 'teams', category: 'device', availability: 'busy', activity: { token: 'in-a-meeting', text: 'Budget review' } });
    await post({ person: 'alice', source: 'laptop', category: 'machine', machineState: 'active', sourceTime: iso(T0) });
  });

  it('personal and team see the activity and its text, the machine state and last active', async () => {
    for (const key of [TEAM_ENV.CAROL_KEY /* personal */, TEAM_ENV.BOB_KEY /* team */]) {
      const v = (await view('alice', auth(key))).body;
      expect(v).toMatchObject({ class: 'busy', activity: { token: 'in-a-meeting', text: 'Budget review' }, machineState: 'active' });
      expect(v.lastActive).toBeDefined();
    }
  });

  it('company and public see the class only', async () => {
    for (const key of [TEAM_ENV.DAVE_KEY /* company */, TEAM_ENV.PUBLIC_KEY /* public */]) {
      const v = (await view('alice', auth(key))).body;
      expect(v).toEqual({ person: 'alice', availability: 6500, class: 'busy', activity: { token: 'busy', text: 'Busy' }, since: v.since, version: v.version });
      expect(JSON.stringify(v)).not.toMatch(/Budget|meeting|machineState|lastActive/);
    }
  });

  it('blocked looks exactly like a real offline person', async () => {
    const blocked = (await view('alice', auth(TEAM_ENV.MALLORY_KEY))).body;
    // Dave has never signed in: a real offline person, as Mallory sees him.
    const realOffline = (await view('dave', auth(TEAM_ENV.MALLORY_KEY))).body;
    expect({ ...blocked, person: 'x' }).toEqual({ ...realOffline, person: 'x' });
    expect(blocked.class).toBe('offline');
  });

  it('query gives many views at once with the same rules', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/presence/query', headers: auth(TEAM_ENV.DAVE_KEY), payload: { people: ['alice', 'bob', 'nobody'] } });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.unknown).toEqual(['nobody']);
    expect(body.presence.map((v: { person: string; class: string }) => [v.person, v.class])).toEqual([['alice', 'busy'], ['bob', 'offline']]);
    expect(JSON.stringify(body)).not.toContain('Budget');
  });

  it('people entries show identities only to personal and team', async () => {
    const asDave = (await t.app.inject({ method: 'GET', url: '/v1/people/alice', headers: auth(TEAM_ENV.DAVE_KEY) })).json();
    expect(asDave).toEqual({ id: 'alice', name: 'Alice Example', teams: ['support'] });
    const asBob = (await t.app.inject({ method: 'GET', url: '/v1/people/alice', headers: auth(TEAM_ENV.BOB_KEY) })).json();
    expect(asBob.identities).toContain('sip:alice@corp.example');
  });
});

describe('authentication and roles', () => {
  it.each([
    ['GET', '/v1/presence/alice'],
    ['POST', '/v1/signals'],
    ['GET', '/v1/stream'],
    ['GET', '/v1/people'],
    ['GET', '/v1/connectors'],
    ['GET', '/metrics'],
    ['GET', '/readyz'],
  ])('%s %s needs a key (401)', async (method, url) => {
    const res = await t.app.inject({ method: method as 'GET', url });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('HUB_ERR_UNAUTHORIZED');
    const wrong = await t.app.inject({ method: method as 'GET', url, headers: auth('not-a-key') });
    expect(wrong.statusCode).toBe(401);
  });

  it.each([
    ['POST', '/v1/signals', TEAM_ENV.BOB_KEY],
    ['GET', '/v1/presence/alice', TEAM_ENV.PUB_KEY],
    ['GET', '/v1/presence/alice/explain', TEAM_ENV.BOB_KEY],
    ['GET', '/v1/connectors', TEAM_ENV.BOB_KEY],
    ['POST', '/v1/webhooks', TEAM_ENV.BOB_KEY],
    ['GET', '/metrics', TEAM_ENV.PUB_KEY],
    ['GET', '/v1/directory/report', TEAM_ENV.PUB_KEY],
  ])('%s %s refuses the wrong role (403)', async (method, url, key) => {
    const res = await t.app.inject({ method: method as 'GET', url, headers: auth(key), ...(method === 'POST' ? { payload: {} } : {}) });
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('HUB_ERR_FORBIDDEN');
  });

  it('leaves /healthz open', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });
});

describe('admin', () => {
  it('explains which registers counted, which were dropped and why', async () => {
    await post({ person: 'alice', source: 'pbx', endpoint: 'line-1', category: 'phone', availability: 'busy', activity: 'on-the-phone' });
    clock.advance(1000);
    await post({ person: 'alice', source: 'teams', category: 'user', availability: 'dnd' });
    const e = (await t.app.inject({ method: 'GET', url: '/v1/presence/alice/explain', headers: ADMIN })).json();
    expect(e.presence.class).toBe('dnd');
    const phone = e.registers.find((r: { source: string }) => r.source === 'pbx');
    expect(phone).toMatchObject({ verdict: 'before-user-state' });
    const user = e.registers.find((r: { source: string }) => r.source === 'teams');
    expect(user).toMatchObject({ verdict: 'counted', decided: ['availability'] });
    expect(e.rule).toMatch(/least available/);
    // The same in plain words, with the times as instants for a page to localise.
    expect(e.summary).toBe('Do not disturb (set by the user at 09:00 UTC, overrides older states)');
    expect(e.summaryParts).toEqual([
      { kind: 'state', template: 'Do not disturb (set by the user at {at}, overrides older states)', text: e.summary, at: iso(T0 + 1000), category: 'user', source: 'teams', endpoint: 'default' },
    ]);
    expect(e.degraded).toEqual([]);
  });

  it('lists connectors and serves metrics and the OpenAPI document', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/v1/connectors', headers: ADMIN })).json()).toEqual({ connectors: [] });
    await post({ person: 'bob', source: 'api', category: 'user', availability: 'busy' });
    const metrics = await t.app.inject({ method: 'GET', url: '/metrics', headers: ADMIN });
    expect(metrics.body).toMatch(/presence_hub_signals_accepted_total\{via="api"\} 1/);
    expect(metrics.body).toMatch(/presence_hub_presence_changes_total 1/);
    const openapi = (await t.app.inject({ method: 'GET', url: '/openapi.json', headers: ADMIN })).json();
    expect(Object.keys(openapi.paths)).toEqual(expect.arrayContaining(['/v1/signals', '/v1/presence/{person}', '/v1/stream', '/v1/webhooks', '/v1/degraded']));
    // The explanation in plain words and the failing feeds are part of the documented answer.
    const explain = openapi.paths['/v1/presence/{person}/explain'].get.responses['200'].content['application/json'].schema;
    expect(explain.required).toEqual(expect.arrayContaining(['summary', 'summaryParts', 'degraded', 'registers', 'rule']));
    expect(explain.properties.summaryParts.items.properties.template.description).toMatch(/\{until\}/);
    const degraded = openapi.paths['/v1/degraded'].get.responses['200'].content['application/json'].schema;
    expect(degraded.properties.connectors.items.required).toEqual(expect.arrayContaining(['id', 'kind', 'state', 'people']));
  });
});
