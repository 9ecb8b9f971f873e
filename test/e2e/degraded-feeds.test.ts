/**
 * A connector that feeds people fails: GET /v1/degraded names it with the people it feeds, the
 * explanation of each of them lists it, and watchers may not see connector names at all. Real
 * domino-calendar connector, real Domino simulator (DRAPI) that starts answering 503.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DominoSimulator } from '../../connectors/domino-calendar/simulator.ts';
import { systemClock } from '../../core/util/clock.ts';
import { auth, TEAM_ENV, teamConfig, testHub, withHelpdesk, type TestHub } from '../support/hub.ts';

const HELPDESK = auth(TEAM_ENV.HELPDESK_KEY);
const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

describe('failing connectors and the people they feed', () => {
  let sim: DominoSimulator;
  let t: TestHub;
  const start = Math.floor((Date.now() - 60_000) / 1000) * 1000;

  beforeAll(async () => {
    sim = new DominoSimulator({ username: 'presence', password: 'domino-pw-0042' });
    await sim.start();
    // Alice is in a meeting now for an hour; nobody else has a calendar.
    sim.addPerson(['alice@corp.example'], { entries: [{ start: iso(start), duration: 'PT1H', title: 'Customer call', privacy: 'public' }] });
    t = await testHub({
      config: teamConfig({ ...withHelpdesk(), connectors: [{ id: 'notes', kind: 'domino-calendar', url: sim.url, username: 'presence', password: '${DOMINO_PW}', pollInterval: '1s' }] }),
      env: { ...TEAM_ENV, DOMINO_PW: 'domino-pw-0042' },
      clock: systemClock,
    });
  });
  afterAll(async () => {
    await t?.close();
    await sim?.stop();
  });

  const get = async (url: string, headers = HELPDESK) => {
    const res = await t.app.inject({ method: 'GET', url, headers });
    return { status: res.statusCode, body: res.json() };
  };

  it('nothing failing: no connector listed; then the server fails and its people are named', async () => {
    await expect.poll(async () => (await get('/v1/presence/alice')).body.class, { timeout: 10_000 }).toBe('busy');
    expect((await get('/v1/degraded')).body).toEqual({ connectors: [] });
    // The helpdesk reads the meeting's end in the plain explanation.
    const e = (await get('/v1/presence/alice/explain')).body;
    expect(e.summary).toBe(`Busy — in a meeting (calendar, until ${new Date(start + 3_600_000).toISOString().slice(11, 16)} UTC)`);
    expect(e.summaryParts[0]).toMatchObject({ kind: 'state', until: new Date(start + 3_600_000).toISOString(), source: 'notes' });
    expect(e.degraded).toEqual([]);

    sim.failNext(1_000_000);
    await expect.poll(async () => (await get('/v1/degraded')).body.connectors.length, { timeout: 10_000 }).toBe(1);
    const d = (await get('/v1/degraded')).body;
    expect(d.connectors).toEqual([{ id: 'notes', kind: 'domino-calendar', state: 'degraded', since: expect.any(String), people: ['alice'] }]);
    expect(Date.parse(d.connectors[0].since)).toBeLessThanOrEqual(Date.now());
    expect((await get('/v1/presence/alice/explain')).body.degraded).toEqual([{ id: 'notes', kind: 'domino-calendar', state: 'degraded', since: d.connectors[0].since }]);
    // Bob has no register of that connector: his explanation lists nothing.
    expect((await get('/v1/presence/bob/explain')).body.degraded).toEqual([]);
    // The answer is the same for an admin; a watcher may not see connector names.
    expect((await get('/v1/degraded', auth(TEAM_ENV.ADMIN_KEY))).body).toEqual(d);
    expect((await get('/v1/degraded', auth(TEAM_ENV.BOB_KEY))).status).toBe(403);
    expect((await get('/v1/degraded', auth(TEAM_ENV.PUBLIC_KEY))).status).toBe(403);
  }, 30_000);
});
