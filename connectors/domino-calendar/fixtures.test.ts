import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dasBusyTimesToBlocks, dasEventToBlock, dasZones, drapiEntryToBlock, type DasEvent, type DasTimeZone } from './map.ts';
import { DominoSimulator } from './simulator.ts';

const fixture = (name: string): unknown => JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8'));
const keys = (o: unknown): string[] => Object.keys(o as object).sort();

describe('published Domino examples', () => {
  it('the PIM "Calendar Entry" example: 09:00 Eastern daylight time on 2024-06-11 for one hour', () => {
    const [entry] = fixture('drapi-calendar-entries.json') as object[];
    expect(drapiEntryToBlock(entry!, 'UTC')).toMatchObject({ from: Date.parse('2024-06-11T13:00:00Z'), until: Date.parse('2024-06-11T14:00:00Z'), status: 'busy', subject: 'Here is a meeting you should have', isPrivate: false });
  });
  it('the DAS busytime shape', () => {
    expect(dasBusyTimesToBlocks(fixture('das-busytime.json'))).toEqual([{ from: Date.parse('2017-09-05T14:00:00Z'), until: Date.parse('2017-09-05T15:00:00Z'), status: 'busy' }]);
  });

  it('the DAS calendar events shape: a named time zone, a private entry, all-day over three days, recurring instances, an anniversary', () => {
    const { timezones, events } = fixture('das-calendar-events.json') as { timezones: DasTimeZone[]; events: DasEvent[] };
    const zones = dasZones(timezones);
    const blocks = events.map((e) => dasEventToBlock(e, zones, 'UTC'));
    expect(blocks).toEqual([
      // 10:00 Eastern daylight time (-0400 in September, by the VTIMEZONE's rules).
      { from: Date.parse('2017-09-05T14:00:00Z'), until: Date.parse('2017-09-05T15:00:00Z'), status: 'busy', isPrivate: false, subject: 'Quarterly planning' },
      { from: Date.parse('2017-09-06T13:00:00Z'), until: Date.parse('2017-09-06T14:00:00Z'), status: 'busy', isPrivate: true },
      // The end date is exclusive: the 11th, 12th and 13th.
      { from: Date.parse('2017-09-11T00:00:00Z'), until: Date.parse('2017-09-14T00:00:00Z'), status: 'busy', isPrivate: false, subject: 'Partner conference' },
      { from: Date.parse('2017-09-12T14:00:00Z'), until: Date.parse('2017-09-12T14:30:00Z'), status: 'busy', isPrivate: false, subject: 'Team sync' },
      { from: Date.parse('2017-09-15T00:00:00Z'), until: Date.parse('2017-09-16T00:00:00Z'), status: 'free', isPrivate: false, subject: 'Company anniversary' },
      { from: Date.parse('2017-09-19T14:00:00Z'), until: Date.parse('2017-09-19T14:30:00Z'), status: 'busy', isPrivate: false, subject: 'Team sync' },
    ]);
    // The same Eastern wall time in January is standard time (-0500).
    const winter = dasEventToBlock({ ...events[0]!, start: { date: '2018-01-09', time: '10:00:00', tzid: 'Eastern' }, end: { date: '2018-01-09', time: '11:00:00', tzid: 'Eastern' } }, zones, 'UTC');
    expect(winter).toMatchObject({ from: Date.parse('2018-01-09T15:00:00Z') });
    // An all-day entry is read in the configured zone; an unknown tzid is unreadable, not guessed.
    expect(dasEventToBlock(events[2]!, zones, 'Europe/Berlin')).toMatchObject({ from: Date.parse('2017-09-10T22:00:00Z'), until: Date.parse('2017-09-13T22:00:00Z') });
    expect(dasEventToBlock({ start: { date: '2017-09-05', time: '10:00:00', tzid: 'Atlantis' } }, zones, 'UTC')).toMatch(/unknown time zone "Atlantis"/);
    // A Windows zone name DAS may use as tzid without a VTIMEZONE resolves through the CLDR table.
    expect(dasEventToBlock({ start: { date: '2017-09-05', time: '10:00:00', tzid: 'W. Europe Standard Time' }, end: { date: '2017-09-05', time: '11:00:00', tzid: 'W. Europe Standard Time' } }, zones, 'UTC')).toMatchObject({ from: Date.parse('2017-09-05T08:00:00Z') });
  });

  const sim = new DominoSimulator({ username: 'svc', password: 'pw-fixture-1' });
  beforeAll(async () => {
    sim.addPerson(['user@corp.example'], { entries: fixture('drapi-calendar-entries.json') as object[] });
    sim.addPerson(['idle@corp.example'], { entries: [] });
    const das = fixture('das-calendar-events.json') as { timezones: DasTimeZone[]; events: DasEvent[] };
    sim.addPerson(['das@corp.example'], { entries: [], dasEvents: das.events, dasTimezones: das.timezones });
    sim.addPerson(['locked@corp.example'], { entries: [], readable: false });
    await sim.start();
  });
  afterAll(() => sim.stop());

  it('the simulator answers with the same fields as the published examples', async () => {
    const auth = await (await fetch(`${sim.url}/api/v1/auth`, { method: 'POST', body: JSON.stringify({ username: 'svc', password: 'pw-fixture-1' }) })).json();
    expect(keys(auth)).toEqual(keys(fixture('drapi-auth.json')));
    expect(typeof auth.issueDate).toBe('string');
    const entries = await (await fetch(`${sim.url}/api/pim-v1/calendar/default?mailboxid=user@corp.example&startdate=2024-06-11&enddate=2024-06-11`, { headers: { authorization: `Bearer ${auth.bearer}` } })).json();
    expect(entries).toEqual(fixture('drapi-calendar-entries.json'));
    const basic = { authorization: `Basic ${Buffer.from('svc:pw-fixture-1').toString('base64')}` };
    const busy = await (await fetch(`${sim.url}/api/freebusy/busytime?name=user@corp.example&since=2024-06-11T00:00:00Z&before=2024-06-12T00:00:00Z`, { headers: basic })).json();
    expect(keys(busy)).toEqual(keys(fixture('das-busytime.json')));
    // No busy time: busyTimes left out, as DAS does.
    const idle = await (await fetch(`${sim.url}/api/freebusy/busytime?name=idle@corp.example&since=2024-06-11T00:00:00Z&before=2024-06-12T00:00:00Z`, { headers: basic })).json();
    expect(keys(idle)).toEqual(['end', 'start']);
    // Milliseconds refused, as DAS parses strictly.
    const strict = await fetch(`${sim.url}/api/freebusy/busytime?name=idle@corp.example&since=2024-06-11T00:00:00.000Z`, { headers: basic });
    expect(strict.status).toBe(400);
    expect(await strict.text()).toContain('Unparseable date');
  });

  it('the simulator pages DAS calendar events as the DAS calendar service does', async () => {
    const basic = { authorization: `Basic ${Buffer.from('svc:pw-fixture-1').toString('base64')}` };
    const page = (q: string) => fetch(`${sim.url}/mail/das.nsf/api/calendar/events?since=2017-09-01T00:00:00Z&before=2017-10-01T00:00:00Z&${q}`, { headers: basic });
    const all = await page('count=100');
    expect(all.headers.get('content-range')).toBe('items 0-5');
    const body = await all.json();
    expect(keys(body)).toEqual(keys(fixture('das-calendar-events.json')));
    expect(body).toEqual(fixture('das-calendar-events.json'));
    const second = await page('count=2&start=2');
    expect(second.headers.get('content-range')).toBe('items 2-3');
    expect((await second.json()).events.map((e: { summary: string }) => e.summary)).toEqual(['Partner conference', 'Team sync']);
    // Past the end: 200, no body, no content type.
    const past = await page('count=2&start=6');
    expect(past.status).toBe(200);
    expect(past.headers.get('content-type')).toBeNull();
    expect(await past.text()).toBe('');
    expect((await page('count=101')).status).toBe(400);
    // Not in the database's ACL: DAS answers 401.
    expect((await fetch(`${sim.url}/mail/locked.nsf/api/calendar/events`, { headers: basic })).status).toBe(401);
    expect((await fetch(`${sim.url}/mail/nobody.nsf/api/calendar/events`, { headers: basic })).status).toBe(404);
  });
});
