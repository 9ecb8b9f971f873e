import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../core/config/load.ts';
import { manifestsByKind } from '../../connectors/index.ts';
import { ManualClock } from '../../core/util/clock.ts';
import { auth, TEAM_ENV, teamConfig, testHub, type TestHub } from '../support/hub.ts';

/**
 * Issue 21 item 1, through the HTTP API: `GET /v1/route/{person}` and `POST /v1/route/query` for a
 * team watcher (Bob, in Alice's team), a company watcher (Dave), and a blocked one (Mallory), whose
 * answer must be byte for byte what it gets for Erin, who never signed in.
 */
const T0 = Date.parse('2026-11-22T09:00:00Z');
const PUB = auth(TEAM_ENV.PUB_KEY);
const BOB = auth(TEAM_ENV.BOB_KEY);
const DAVE = auth(TEAM_ENV.DAVE_KEY);
const MALLORY = auth(TEAM_ENV.MALLORY_KEY);
const config = (extra = {}) => {
  const base = teamConfig({ server: { rateLimit: 0 }, ...extra });
  const people = base.people!.map((p) => (p.id === 'alice' ? { ...p, identities: [...p.identities!, 'upn:alice@corp.example', 'xmpp:alice@corp.example'] } : p));
  return { ...base, people: [...people, { id: 'erin', name: 'Erin Example', identities: ['sip:erin@corp.example', 'mailto:erin@corp.example'], teams: ['ops'] }] };
};

let t: TestHub;
let clock: ManualClock;
beforeEach(async () => {
  clock = new ManualClock(T0);
  t = await testHub({ config: config(), env: TEAM_ENV, clock });
});
afterEach(async () => t.close());

async function signal(body: Record<string, unknown>): Promise<void> {
  const res = await t.app.inject({ method: 'POST', url: '/v1/signals', headers: PUB, payload: body });
  expect(res.statusCode, res.body).toBe(202);
  await t.settle();
}
async function route(person: string, headers: Record<string, string>, query = '') {
  const res = await t.app.inject({ method: 'GET', url: `/v1/route/${person}${query}`, headers });
  return { status: res.statusCode, text: res.body, body: res.json() };
}
const media = (b: { routes: { medium: string }[] }) => [...new Set(b.routes.map((r) => r.medium))];

describe('routing a team watcher to Alice', () => {
  it('in a PBX call: IM first, with a reason, the phone last', async () => {
    await signal({ person: 'alice', source: 'ocs', endpoint: 'laptop', category: 'user', availability: 'available' });
    expect(media((await route('alice', BOB)).body)[0]).toBe('voice');
    await signal({ person: 'alice', source: 'pbx', endpoint: 'desk', category: 'phone', availability: 'busy', activity: 'on-the-phone' });
    const r = await route('alice', BOB);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ person: 'alice', class: 'busy', reason: 'in a call: chat instead' });
    expect(media(r.body)).toEqual(['im', 'email', 'voice']);
    // Addresses from the directory: the Teams chat link from the UPN first, then XMPP and SIP.
    expect(r.body.routes[0]).toEqual({ medium: 'im', address: 'https://teams.microsoft.com/l/chat/0/0?users=alice%40corp.example', reason: 'in a call: chat instead' });
    expect(r.body.routes.map((x: { address: string }) => x.address)).toEqual([
      'https://teams.microsoft.com/l/chat/0/0?users=alice%40corp.example',
      'xmpp:alice@corp.example',
      'sip:alice@corp.example',
      'mailto:alice@corp.example',
      'tel:+15550101',
      'sip:alice@corp.example',
    ]);
  });

  it('do not disturb: email first, then voice (voicemail); no chat', async () => {
    await signal({ person: 'alice', source: 'ocs', endpoint: 'laptop', category: 'user', availability: 'dnd' });
    const r = await route('alice', BOB);
    expect(r.body).toMatchObject({ class: 'dnd', reason: 'do not disturb: email, or voicemail' });
    expect(media(r.body)).toEqual(['email', 'voice']);
    expect(r.body.routes[0].address).toBe('mailto:alice@corp.example');
  });

  it('medium narrows the answer; an unknown medium or person is refused', async () => {
    await signal({ person: 'alice', source: 'ocs', endpoint: 'laptop', category: 'user', availability: 'dnd' });
    expect((await route('alice', BOB, '?medium=voice')).body.routes).toEqual([
      { medium: 'voice', address: 'tel:+15550101', reason: 'do not disturb: email, or voicemail' },
      { medium: 'voice', address: 'sip:alice@corp.example', reason: 'do not disturb: email, or voicemail' },
    ]);
    expect((await route('alice', BOB, '?medium=im')).body.routes).toEqual([]);
    expect((await route('alice', BOB, '?medium=fax')).status).toBe(400);
    expect((await route('nobody', BOB)).status).toBe(404);
  });

  it('POST /v1/route/query answers many people and lists the unknown', async () => {
    await signal({ person: 'alice', source: 'ocs', endpoint: 'laptop', category: 'user', availability: 'dnd' });
    const res = await t.app.inject({ method: 'POST', url: '/v1/route/query', headers: BOB, payload: { people: ['alice', 'bob', 'ghost'], medium: 'email' } });
    expect(res.statusCode).toBe(200);
    const b = res.json();
    expect(b.unknown).toEqual(['ghost']);
    expect(b.routes.map((x: { person: string; class: string }) => [x.person, x.class])).toEqual([['alice', 'dnd'], ['bob', 'offline']]);
    expect(b.routes[0].routes).toEqual([{ medium: 'email', address: 'mailto:alice@corp.example', reason: 'do not disturb: email, or voicemail' }]);
  });
});

describe('routing respects the caller container', () => {
  it('a company watcher learns no activity and no address', async () => {
    await signal({ person: 'alice', source: 'pbx', endpoint: 'desk', category: 'phone', availability: 'busy', activity: 'on-the-phone' });
    const r = await route('alice', DAVE);
    // Dave's view shows "Busy", not the call: the class rule decides, and no identity is shown.
    expect(r.body).toEqual({
      person: 'alice',
      class: 'busy',
      reason: 'busy: chat, or email',
      routes: [
        { medium: 'im', reason: 'busy: chat, or email' },
        { medium: 'email', reason: 'busy: chat, or email' },
        { medium: 'voice', reason: 'busy: chat, or email' },
      ],
    });
  });

  it('a blocked caller gets byte for byte what it gets for a person who never signed in', async () => {
    const asErin = (s: string) => s.replaceAll('alice', 'erin');
    for (const s of [
      { person: 'alice', source: 'ocs', endpoint: 'laptop', category: 'user', availability: 'available' },
      { person: 'alice', source: 'pbx', endpoint: 'desk', category: 'phone', availability: 'busy', activity: 'on-the-phone' },
      { person: 'alice', source: 'ocs', endpoint: 'laptop', category: 'user', availability: 'dnd' },
    ]) {
      clock.advance(1000);
      await signal(s);
      for (const q of ['', '?medium=voice', '?medium=email']) {
        const blocked = await route('alice', MALLORY, q);
        const never = await route('erin', MALLORY, q);
        expect(blocked.status).toBe(200);
        expect(asErin(blocked.text)).toBe(never.text);
      }
      const qa = await t.app.inject({ method: 'POST', url: '/v1/route/query', headers: MALLORY, payload: { people: ['alice'] } });
      const qe = await t.app.inject({ method: 'POST', url: '/v1/route/query', headers: MALLORY, payload: { people: ['erin'] } });
      expect(asErin(qa.body)).toBe(qe.body);
    }
    // And the team watcher does see the difference (the test can fail).
    expect((await route('alice', BOB)).body.class).toBe('dnd');
  });
});

describe('device-level reasons: away from the laptop, a mobile client in use', () => {
  const idleLaptop = { person: 'alice', source: 'ocs', endpoint: 'laptop', category: 'machine', machineState: 'inactive' };
  const mobile = { person: 'alice', source: 'teams', endpoint: 'mobile-ios', category: 'device', availability: 'available' };
  const REASON = 'away from the laptop, mobile client active 1 min ago: mobile';

  it('puts the mobile first for a team watcher, with the reason and the addresses', async () => {
    await signal(idleLaptop);
    await signal(mobile);
    clock.advance(60_000);
    const r = await route('alice', BOB);
    expect(r.body).toMatchObject({ person: 'alice', class: 'inactive', reason: REASON });
    expect(media(r.body)).toEqual(['im', 'voice', 'email']);
    expect(r.body.routes[0]).toEqual({ medium: 'im', address: 'https://teams.microsoft.com/l/chat/0/0?users=alice%40corp.example', reason: REASON });
    expect(r.body.routes.find((x: { medium: string }) => x.medium === 'voice')).toEqual({ medium: 'voice', address: 'tel:+15550101', reason: REASON });
    // The media the device does not reach keep the state's own rule and reason.
    expect(r.body.routes.at(-1)).toEqual({ medium: 'email', address: 'mailto:alice@corp.example', reason: 'idle at the computer: chat waits for them' });
    expect((await route('alice', BOB, '?medium=voice')).body.routes[0].reason).toBe(REASON);
  });

  it('says nothing of the device when the person is at the computer, or the device went quiet', async () => {
    await signal({ ...idleLaptop, machineState: 'active' });
    await signal(mobile);
    expect((await route('alice', BOB)).body.reason).toBe('available: call');
    await signal(idleLaptop);
    clock.advance(11 * 60_000); // longer than the device's activeWithin (10 minutes)
    expect((await route('alice', BOB)).body.reason).not.toMatch(/mobile/);
  });

  it('is the team view\'s only: a company watcher gets the class rule, a blocked one a never-signed-in answer', async () => {
    await signal(idleLaptop);
    await signal(mobile);
    clock.advance(60_000);
    expect((await route('alice', BOB)).body.reason).toBe(REASON);
    const dave = await route('alice', DAVE);
    expect(dave.body.reason).toBe('idle at the computer: chat waits for them');
    expect(dave.text).not.toMatch(/mobile|laptop/);
    expect((await route('alice', MALLORY)).text.replaceAll('alice', 'erin')).toBe((await route('erin', MALLORY)).text);
  });

  it('follows routing.devices (an empty list turns device reasons off)', async () => {
    await t.close();
    t = await testHub({ config: config({ routing: { devices: [] } }), env: TEAM_ENV, clock });
    await signal(idleLaptop);
    await signal(mobile);
    expect((await route('alice', BOB)).body.reason).toBe('idle at the computer: chat waits for them');
    await t.close();
    t = await testHub({ config: config({ routing: { devices: [{ name: 'softphone', source: 'teams', media: ['voice'] }] } }), env: TEAM_ENV, clock });
    await signal(idleLaptop);
    await signal(mobile);
    const r = await route('alice', BOB);
    expect(r.body.reason).toBe('away from the laptop, softphone client active less than a minute ago: softphone');
    expect(media(r.body)).toEqual(['voice', 'im', 'email']);
    expect(() => parseConfig(config({ routing: { devices: [{ name: 'x', media: ['im'] }] } }), { env: TEAM_ENV, manifests: manifestsByKind })).toThrow(
      /routing\.devices\[0\]: a device needs a source or an endpoint to match/,
    );
  });
});

describe('routing rules are configuration', () => {
  it('custom rules replace the defaults', async () => {
    await t.close();
    t = await testHub({
      config: config({ routing: { rules: [{ when: { class: ['dnd'] }, order: ['im'], reason: 'urgent only: chat' }, { when: { class: ['offline', 'available'] }, order: ['voice'], reason: 'call' }] } }),
      env: TEAM_ENV,
      clock,
    });
    await signal({ person: 'alice', source: 'ocs', endpoint: 'laptop', category: 'user', availability: 'dnd' });
    expect((await route('alice', BOB)).body).toMatchObject({ reason: 'urgent only: chat', routes: [{ medium: 'im' }, { medium: 'im' }, { medium: 'im' }] });
    expect((await route('bob', BOB)).body.reason).toBe('call');
  });

  it('bad rules are refused at load with the path named', () => {
    const load = (routing: unknown) => () => parseConfig({ ...config(), routing } as never, { env: TEAM_ENV, manifests: manifestsByKind });
    expect(load({ rules: [{ when: {}, order: ['im'], reason: 'x' }] })).toThrow(/routing\.rules\[0\]\.when: a rule needs a class or an activity/);
    expect(load({ rules: [{ when: { class: ['dnd'] }, order: ['im', 'im'], reason: 'x' }] })).toThrow(/routing\.rules\[0\]\.order: a medium appears twice/);
    expect(load({ rules: [{ when: { class: ['dnd'] }, order: ['fax'], reason: 'x' }] })).toThrow(/routing\.rules\[0\]\.order\[0\]/);
    expect(load({ addresses: { im: ['Bad Scheme'] } })).toThrow(/routing\.addresses\.im\[0\]/);
  });
});

describe('OpenAPI', () => {
  it('describes both routes, the medium parameter and the answer fields', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/openapi.json', headers: BOB })).json();
    const get = doc.paths['/v1/route/{person}'].get;
    expect(get.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['medium', 'person']);
    const answer = get.responses['200'].content['application/json'].schema;
    expect(Object.keys(answer.properties).sort()).toEqual(['class', 'person', 'reason', 'routes']);
    expect(Object.keys(answer.properties.routes.items.properties).sort()).toEqual(['address', 'medium', 'reason']);
    expect(doc.paths['/v1/route/query'].post.requestBody.content['application/json'].schema.properties).toHaveProperty('medium');
  });
});
