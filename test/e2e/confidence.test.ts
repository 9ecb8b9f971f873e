import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/util/clock.ts';
import { auth, TEAM_ENV, teamConfig, testHub, type TestHub } from '../support/hub.ts';

/**
 * Issue 21 item 3 through the HTTP API: full views carry `confidence` and `evidence`; company,
 * public and blocked views carry neither (a blocked view stays a never-signed-in person's).
 */
const T0 = Date.parse('2026-11-22T09:00:00Z');
const MIN = 60_000;
const iso = (ms: number): string => new Date(ms).toISOString();
const PUB = auth(TEAM_ENV.PUB_KEY);
const BOB = auth(TEAM_ENV.BOB_KEY);

let t: TestHub;
let clock: ManualClock;
beforeEach(async () => {
  clock = new ManualClock(T0);
  t = await testHub({ config: teamConfig({ server: { rateLimit: 0 } }), env: TEAM_ENV, clock });
});
afterEach(async () => t.close());

async function signal(body: Record<string, unknown>): Promise<void> {
  const res = await t.app.inject({ method: 'POST', url: '/v1/signals', headers: PUB, payload: body });
  expect(res.statusCode, res.body).toBe(202);
  await t.settle();
}
async function view(person: string, key: string) {
  return (await t.app.inject({ method: 'GET', url: `/v1/presence/${person}`, headers: auth(key) })).json();
}

describe('confidence and evidence', () => {
  it('a user state set a minute ago scores above a machine state 14 minutes idle', async () => {
    // Alice's laptop had its last input 14 minutes ago: the idle step makes her inactive.
    await signal({ person: 'alice', source: 'ocs', endpoint: 'laptop', category: 'machine', machineState: 'active', sourceTime: iso(T0 - 14 * MIN) });
    // Bob set Available himself a minute ago.
    await signal({ person: 'bob', source: 'ocs', endpoint: 'laptop', category: 'user', availability: 'available' });
    clock.advance(MIN);
    const idle = await view('alice', TEAM_ENV.BOB_KEY);
    const fresh = await view('bob', TEAM_ENV.BOB_KEY);
    expect(idle).toMatchObject({ class: 'inactive', evidence: 'inferred-idle' });
    expect(fresh).toMatchObject({ class: 'available', evidence: 'user-set' });
    expect(fresh.confidence).toBeGreaterThan(idle.confidence);
    // The documented formula: 0.95 * 0.5^(1/240) and 0.6 * 0.5^(1/30), rounded (docs/confidence.md).
    expect([fresh.confidence, idle.confidence]).toEqual([0.95, 0.59]);
    expect(fresh.confidence).toBeGreaterThan(0.9);
    expect(idle.confidence).toBeGreaterThan(0);
    expect(idle.confidence).toBeLessThan(0.6);
  });

  it('ages: the same user state is less sure hours later; a call is phone-line evidence', async () => {
    await signal({ person: 'alice', source: 'ocs', endpoint: 'laptop', category: 'user', availability: 'available' });
    const now = (await view('alice', TEAM_ENV.BOB_KEY)).confidence;
    clock.advance(240 * MIN);
    const later = (await view('alice', TEAM_ENV.BOB_KEY)).confidence;
    expect(later).toBeLessThan(now);
    expect(later).toBeCloseTo(now / 2, 1);
    await signal({ person: 'alice', source: 'pbx', endpoint: 'desk', category: 'phone', availability: 'dnd', activity: 'on-the-phone' });
    expect(await view('alice', TEAM_ENV.BOB_KEY)).toMatchObject({ evidence: 'phone-line', confidence: 0.9 });
  });

  it('company, public and blocked views carry neither field; a never-signed-in person has evidence none', async () => {
    await signal({ person: 'alice', source: 'ocs', endpoint: 'laptop', category: 'user', availability: 'available' });
    expect(await view('alice', TEAM_ENV.BOB_KEY)).toHaveProperty('confidence');
    for (const key of [TEAM_ENV.DAVE_KEY, TEAM_ENV.MALLORY_KEY]) {
      const v = await view('alice', key);
      expect(v).not.toHaveProperty('confidence');
      expect(v).not.toHaveProperty('evidence');
    }
    // Bob's own view of himself (personal, never signed in): evidence none; Dave is company to Bob: nothing.
    const res = await t.app.inject({ method: 'POST', url: '/v1/presence/query', headers: BOB, payload: { people: ['bob', 'dave'] } });
    expect(res.json().presence[0]).toMatchObject({ person: 'bob', class: 'offline', evidence: 'none', confidence: 0.2 });
    expect(res.json().presence[1]).not.toHaveProperty('confidence');
  });
});

describe('OpenAPI', () => {
  it('describes confidence and evidence on the presence view', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json', headers: BOB })).json();
    const props = doc.paths['/v1/presence/{person}'].get.responses['200'].content['application/json'].schema.properties;
    expect(props.confidence).toMatchObject({ type: 'number', minimum: 0, maximum: 1 });
    expect(props.evidence.enum).toEqual(['user-set', 'device-activity', 'phone-line', 'calendar', 'inferred-idle', 'none']);
  });
});
