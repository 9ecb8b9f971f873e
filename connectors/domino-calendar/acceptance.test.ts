/**
 * Issue 18's acceptance, as a user sees it: the hub (real ingest, aggregation, boundaries, HTTP API)
 * with a `domino-calendar` connector against the Domino simulator. Time as the hub judges it is
 * the injected clock; the connector polls every 150 ms of real time, each poll reading that clock.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/util/clock.ts';
import { auth, TEAM_ENV, teamConfig, testHub, type TestHub } from '../../test/support/hub.ts';
import { ADMIN, advance, at, BOB, closeAfterEach, everythingAbout, presenceOf, skippedBy, userAvailable } from '../../test/support/calendar-acceptance.ts';
import { DominoSimulator } from './simulator.ts';
import { until } from '../../test/support/wait.ts';

const ACCOUNT = { username: 'svc-presence', password: 'domino-secret-0042' };

let t: TestHub | undefined;
let sim: DominoSimulator | undefined;
closeAfterEach(() => [t, sim], () => (t = sim = undefined));

async function hubWith(clock: ManualClock, connector: Record<string, unknown> = {}, more: { id: string; identities: string[] }[] = []): Promise<TestHub> {
  const config = teamConfig({ connectors: [{ id: 'domino', kind: 'domino-calendar', url: sim!.url, api: 'drapi', username: ACCOUNT.username, password: '${DOMINO_PASSWORD}', pollInterval: '150ms', details: 'subject', ...connector }] });
  config.people = [
    ...(config.people ?? []),
    { id: 'erin', name: 'Erin Example', identities: ['domino:CN=Erin Example/O=Corp'], teams: ['support'] },
    { id: 'gary', name: 'Gary Example', identities: ['mailto:gary@corp.example'], teams: ['support'] },
    { id: 'hank', name: 'Hank Example', identities: ['mailto:hank@corp.example'], teams: ['support'] },
    ...more.map((p) => ({ ...p, teams: ['support'] })),
  ];
  return testHub({ config, env: { ...TEAM_ENV, DOMINO_PASSWORD: ACCOUNT.password }, clock });
}

const view = (person: string, headers = BOB): Promise<Record<string, unknown>> => presenceOf(t!, person, headers);
const tick = (clock: ManualClock, ms: number): Promise<void> => advance(t!, clock, ms);
async function health(): Promise<Record<string, unknown>> {
  return (await t!.app.inject({ method: 'GET', url: '/v1/connectors', headers: ADMIN })).json().connectors[0];
}
const reads = (): number => sim!.requests.filter((r) => r.path === '/api/pim-v1/calendar/default' && r.status === 200).length;
async function polled(n = 1): Promise<void> {
  const from = reads();
  await until(`${n} more polls`, () => reads() >= from + n * 4);
  await t!.settle();
}

describe('domino-calendar acceptance (issue 18), Domino REST API', () => {
  it('a meeting 10:00-10:30 flips at 10:00:00 and 10:30:00; a private entry is busy without its subject; an unreadable person is on the directory report while others work', async () => {
    sim = new DominoSimulator(ACCOUNT);
    await sim.start();
    // Shapes as openapi.pim.json's "Calendar Entry" example: local start in its timeZone, duration.
    sim.addPerson(['alice@corp.example'], { entries: [{ start: '2026-11-23T11:00:00', duration: 'PT30M', timeZone: 'Europe/Berlin', title: 'Sprint review', privacy: 'public' }] });
    // Notes zone string: Z=5 (UTC-5), daylight saving not in force in November: 05:00 local = 10:00Z.
    sim.addPerson(['cn=erin example/o=corp'], { entries: [{ start: '2026-11-23T05:00:00', duration: 'PT1H', timeZone: 'Z=5$DO=1$DL=3 2 1 11 1 1$ZX=40$ZN=Eastern', title: 'Salary review', privacy: 'private' }] });
    sim.addPerson(['gary@corp.example'], { entries: [], readable: false });
    sim.addPerson(['hank@corp.example'], { entries: [], homeServer: 'http://domino2.corp.example:8880' });
    const clock = new ManualClock(at('09:55:00'));
    t = await hubWith(clock);
    await userAvailable(t, 'alice', '09:54:00');
    await polled();

    await tick(clock, at('09:59:59'));
    expect(await view('alice')).toMatchObject({ class: 'available' });
    await tick(clock, at('10:00:00'));
    expect(await view('alice')).toMatchObject({ class: 'busy', activity: { token: 'in-a-meeting', text: 'Sprint review' } });
    expect(await view('erin')).toMatchObject({ class: 'busy', activity: { token: 'in-a-meeting' } });
    await tick(clock, at('10:29:59'));
    expect(await view('alice')).toMatchObject({ class: 'busy' });
    await tick(clock, at('10:30:00'));
    expect(await view('alice')).toMatchObject({ class: 'available' });
    expect(await view('erin')).toMatchObject({ class: 'busy' });
    await tick(clock, at('11:00:00'));
    expect(await view('erin')).not.toMatchObject({ class: 'busy' });

    // The private title reached no container, nor the admin's explanation.
    expect(await everythingAbout(t, 'erin')).not.toContain('Salary');

    const skipped = await skippedBy(t, 'domino');
    expect(skipped).toEqual(
      expect.arrayContaining([
        { entry: 'mailto:gary@corp.example', reason: expect.stringMatching(/no ACL access.*HTTP 403/) },
        { entry: 'mailto:hank@corp.example', reason: expect.stringMatching(/domino2\.corp\.example:8880.*302/) },
      ]),
    );
    expect(skipped).toHaveLength(2);
    expect(await health()).toMatchObject({ id: 'domino', state: 'running' });
  });

  it('an expired token: renewed before expiry on the clock, and a token the server forgot is replaced on the 401 with no gap', async () => {
    const clock = new ManualClock(at('09:55:00'));
    sim = new DominoSimulator({ ...ACCOUNT, expSeconds: 600, clock });
    await sim.start();
    sim.addPerson(['alice@corp.example'], { entries: [{ start: '2026-11-23T09:00:00', duration: 'PT3H', timeZone: 'UTC', title: 'Workshop' }] });
    t = await hubWith(clock);
    await polled();
    await tick(clock, at('10:00:00'));
    expect(await view('alice')).toMatchObject({ class: 'busy' });
    const signIns = (): number => sim!.requests.filter((r) => r.path === '/api/v1/auth').length;
    const refused = (): number => sim!.requests.filter((r) => r.status === 401).length;
    const before = signIns();

    // 10:04:30: within the 60 s margin of the token's 600 s life: renewed before it is refused.
    await tick(clock, at('10:04:30'));
    await polled();
    expect(signIns()).toBe(before + 1);
    expect(refused()).toBe(0);

    // The server forgets every token (restart): 401, one sign-in, the same read again.
    sim.expireTokens();
    await polled();
    // One sign-in for all: the reads in flight with the old token (at most `concurrency`) were each asked again.
    expect(signIns()).toBe(before + 2);
    expect(refused()).toBeGreaterThanOrEqual(1);
    expect(refused()).toBeLessThanOrEqual(8);
    expect(await view('alice')).toMatchObject({ class: 'busy', activity: { token: 'in-a-meeting', text: 'Workshop' } });
    expect(await health()).toMatchObject({ state: 'running' });
  });

  it('a server outage: degraded, then running again with a resync that sends every register anew', async () => {
    sim = new DominoSimulator(ACCOUNT);
    await sim.start();
    const port = Number(new URL(sim.url).port);
    sim.addPerson(['alice@corp.example'], { entries: [{ start: '2026-11-23T10:00:00Z', duration: 'PT1H', title: 'Planning' }] });
    const clock = new ManualClock(at('09:55:00'));
    t = await hubWith(clock);
    await polled();
    await sim.stop();
    await until('degraded', async () => (await health()).state === 'degraded');
    expect(JSON.stringify(await health())).toContain('HUB_ERR_DOMINO_UNREACHABLE');
    // A meeting added while the server was away is there when it comes back.
    sim.setEntries('alice@corp.example', [{ start: '2026-11-23T10:00:00Z', duration: 'PT1H', title: 'Planning' }, { start: '2026-11-23T11:00:00Z', duration: 'PT30M', title: 'Retro' }]);
    await sim.start(port);
    await until('running again', async () => (await health()).state === 'running');
    await polled();
    await tick(clock, at('10:00:00'));
    expect(await view('alice')).toMatchObject({ class: 'busy', activity: { text: 'Planning' } });
    await tick(clock, at('11:10:00'));
    expect(await view('alice')).toMatchObject({ class: 'busy', activity: { text: 'Retro' } });
    expect(JSON.stringify(await health())).toMatch(/"resyncs":1\b/);
  });
});

describe('domino-calendar acceptance (issue 18), Domino Access Services', () => {
  it('free/busy: busy at 10:00:00, back at 10:30:00, no subject; a name DAS cannot find is on the directory report', async () => {
    sim = new DominoSimulator(ACCOUNT);
    await sim.start();
    sim.addPerson(['alice@corp.example'], { entries: [{ start: '2026-11-23T10:00:00Z', duration: 'PT30M', title: 'Sprint review' }] });
    sim.addPerson(['cn=erin example/o=corp'], { entries: [] });
    const clock = new ManualClock(at('09:55:00'));
    t = await hubWith(clock, { api: 'das' });
    await userAvailable(t, 'alice', '09:54:00');
    const busytime = (): number => sim!.requests.filter((r) => r.path === '/api/freebusy/busytime' && r.status === 200).length;
    await until('two polls', () => busytime() >= 4);
    await t.settle();
    await tick(clock, at('09:59:59'));
    expect(await view('alice')).toMatchObject({ class: 'available' });
    await tick(clock, at('10:00:00'));
    expect(await view('alice')).toMatchObject({ class: 'busy', activity: { token: 'in-a-meeting', text: 'In a meeting' } });
    await tick(clock, at('10:30:00'));
    expect(await view('alice')).toMatchObject({ class: 'available' });
    const skipped = await skippedBy(t, 'domino');
    expect(skipped).toEqual(expect.arrayContaining([{ entry: 'mailto:gary@corp.example', reason: expect.stringMatching(/not found \(HTTP 400\)/) }]));
    expect(skipped.map((s: { entry: string }) => s.entry)).not.toContain('domino:cn=erin example/o=corp');
    expect(await health()).toMatchObject({ state: 'running' });
  });

  it('calendar events of mail databases: paged, subject shown, private without it, all-day and recurring as returned; an unreadable database on the report', async () => {
    sim = new DominoSimulator(ACCOUNT);
    await sim.start();
    const utc = (hhmm: string, day = '2026-11-23') => ({ date: day, time: `${hhmm}:00`, utc: true });
    // Five events in the window (the stand-up is over by 09:55) at two per page: the third page is short.
    sim.addPerson(['alice@corp.example'], {
      entries: [],
      dasEvents: [
        { id: 'A1', summary: 'Stand-up', start: utc('09:00'), end: utc('09:10'), class: 'public', transparency: 'opaque' },
        { id: 'A2', summary: 'Sprint review', start: utc('10:00'), end: utc('10:30'), class: 'public', transparency: 'opaque', 'x-lotus-appttype': { data: '3' } },
        { id: 'A3', summary: 'Lunch reminder', start: utc('11:30'), end: utc('11:45'), class: 'public', transparency: 'transparent', 'x-lotus-appttype': { data: '4' } },
        { id: 'R1', summary: 'Team sync', start: utc('12:00'), end: utc('12:15'), recurrenceId: '20261123T120000Z', class: 'public', transparency: 'opaque' },
        { id: 'R1', summary: 'Team sync', start: utc('13:00'), end: utc('13:15'), recurrenceId: '20261123T130000Z', class: 'public', transparency: 'opaque' },
        { id: 'A4', summary: 'Customer call', start: utc('14:00'), end: utc('14:30'), class: 'public', transparency: 'opaque' },
      ],
    });
    sim.addPerson(['cn=erin example/o=corp'], { entries: [], mailFile: 'mail/erin.nsf', dasEvents: [{ id: 'E1', summary: 'Salary review', start: utc('10:00'), end: utc('11:00'), class: 'private', transparency: 'opaque' }] });
    sim.addPerson(['gary@corp.example'], { entries: [], readable: false });
    sim.addPerson(['ivan@corp.example'], { entries: [], dasEvents: [{ id: 'I1', summary: 'Offsite', start: { date: '2026-11-22' }, end: { date: '2026-11-25' }, class: 'public', transparency: 'opaque', 'x-lotus-appttype': { data: '2' } }] });
    sim.addPerson(['judy@corp.example'], { entries: [] });
    const clock = new ManualClock(at('09:55:00'));
    t = await hubWith(clock, { api: 'das', das: { read: 'events', pageSize: 2, mailFiles: { 'domino:CN=Erin Example/O=Corp': 'mail/erin.nsf' } } }, [
      { id: 'ivan', identities: ['mailto:ivan@corp.example'] },
      { id: 'judy', identities: ['mailto:judy@corp.example'] },
    ]);
    await userAvailable(t, 'alice', '09:54:00');
    const pages = (file: string): number => sim!.requests.filter((r) => r.path === `/mail/${file}/api/calendar/events` && r.status === 200).length;
    await until('two polls of alice (three pages each)', () => pages('alice.nsf') >= 6);
    await t.settle();
    // judy's calendar is empty: one request per poll, answered 200 with no body.
    expect(pages('judy.nsf')).toBeGreaterThanOrEqual(2);

    await tick(clock, at('09:59:59'));
    expect(await view('alice')).toMatchObject({ class: 'available' });
    await tick(clock, at('10:00:00'));
    expect(await view('alice')).toMatchObject({ class: 'busy', activity: { token: 'in-a-meeting', text: 'Sprint review' } });
    expect(await view('erin')).toMatchObject({ class: 'busy', activity: { token: 'in-a-meeting' } });
    await tick(clock, at('10:30:00'));
    expect(await view('alice')).toMatchObject({ class: 'available' });
    // A reminder takes no time; the recurring meeting's instances each do, and so does the event on the third page.
    await tick(clock, at('11:35:00'));
    expect(await view('alice')).toMatchObject({ class: 'available' });
    await tick(clock, at('12:00:00'));
    expect(await view('alice')).toMatchObject({ class: 'busy', activity: { text: 'Team sync' } });
    await tick(clock, at('12:15:00'));
    expect(await view('alice')).toMatchObject({ class: 'available' });
    await tick(clock, at('13:00:00'));
    expect(await view('alice')).toMatchObject({ class: 'busy', activity: { text: 'Team sync' } });
    await tick(clock, at('14:00:00'));
    expect(await view('alice')).toMatchObject({ class: 'busy', activity: { text: 'Customer call' } });
    // The all-day event spanning three days keeps ivan busy; judy has nothing.
    expect(await view('ivan')).toMatchObject({ class: 'busy', activity: { text: 'Offsite' } });
    expect(await view('judy')).not.toMatchObject({ class: 'busy' });

    // The private title reached no container, nor the admin's explanation.
    expect(await everythingAbout(t, 'erin')).not.toContain('Salary');

    const skipped = await skippedBy(t, 'domino');
    expect(skipped).toEqual(
      expect.arrayContaining([
        { entry: 'mailto:gary@corp.example', reason: expect.stringMatching(/cannot read mail\/gary\.nsf \(HTTP 401/) },
        { entry: 'mailto:hank@corp.example', reason: expect.stringMatching(/not found \(HTTP 404\)/) },
      ]),
    );
    expect(skipped.map((x: { entry: string }) => x.entry).sort()).toEqual(['mailto:gary@corp.example', 'mailto:hank@corp.example']);
    expect(await health()).toMatchObject({ id: 'domino', state: 'running' });
  });
});
