import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dasBusyTimesToBlocks, drapiEntryToBlock } from './map.ts';
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

  const sim = new DominoSimulator({ username: 'svc', password: 'pw-fixture-1' });
  beforeAll(async () => {
    sim.addPerson(['user@corp.example'], { entries: fixture('drapi-calendar-entries.json') as object[] });
    sim.addPerson(['idle@corp.example'], { entries: [] });
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
});
