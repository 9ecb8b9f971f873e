import { describe, expect, it } from 'vitest';
import { dasBusyTimesToBlocks, dasDate, dasMailFile, dasRangeEnd, drapiEntryToBlock, notesZoneOffset } from './map.ts';

const utc = (s: string): number => Date.parse(s);

describe('drapiEntryToBlock (openapi.pim.json JSEvent)', () => {
  it.each([
    ['IANA zone', { start: '2026-11-23T11:00:00', duration: 'PT30M', timeZone: 'Europe/Berlin', title: 'Review' }, { from: utc('2026-11-23T10:00:00Z'), until: utc('2026-11-23T10:30:00Z'), status: 'busy', subject: 'Review', isPrivate: false }],
    ['Notes zone, winter (the published example zone)', { start: '2026-11-23T09:00:00', duration: 'PT1H', timeZone: 'Z=5$DO=1$DL=3 2 1 11 1 1$ZX=40$ZN=Eastern' }, { from: utc('2026-11-23T14:00:00Z'), until: utc('2026-11-23T15:00:00Z'), status: 'busy' }],
    ['Notes zone, summer', { start: '2024-06-11T09:00:00', duration: 'PT1H', timeZone: 'Z=5$DO=1$DL=3 2 1 11 1 1$ZX=40$ZN=Eastern' }, { from: utc('2024-06-11T13:00:00Z'), until: utc('2024-06-11T14:00:00Z') }],
    ['Notes zone east of Greenwich without DST', { start: '2026-07-01T09:00:00', duration: 'PT1H', timeZone: 'Z=-9$DO=0$ZX=1$ZN=Tokyo' }, { from: utc('2026-07-01T00:00:00Z') }],
    ['floating time: the default zone', { start: '2026-11-23T10:00:00', duration: 'PT15M' }, { from: utc('2026-11-23T10:00:00Z'), until: utc('2026-11-23T10:15:00Z') }],
    ['absolute start', { start: '2026-11-23T10:00:00Z', duration: 'PT1H' }, { from: utc('2026-11-23T10:00:00Z') }],
    ['all-day, two days', { start: '2026-11-23T00:00:00', duration: 'P2D', showWithoutTime: true, timeZone: 'UTC' }, { from: utc('2026-11-23T00:00:00Z'), until: utc('2026-11-25T00:00:00Z'), status: 'busy' }],
    ['a day across the DST change is 23 hours', { start: '2026-03-29T00:00:00', duration: 'P1D', timeZone: 'Europe/Berlin' }, { from: utc('2026-03-28T23:00:00Z'), until: utc('2026-03-29T22:00:00Z') }],
    ['private: no subject', { start: '2026-11-23T10:00:00Z', duration: 'PT1H', title: 'Salary', privacy: 'private' }, { isPrivate: true, noSubject: true }],
    ['secret: no subject', { start: '2026-11-23T10:00:00Z', duration: 'PT1H', title: 'Salary', privacy: 'secret' }, { isPrivate: true, noSubject: true }],
    ['free time', { start: '2026-11-23T10:00:00Z', duration: 'PT1H', freeBusyStatus: 'free' }, { status: 'free' }],
    ['cancelled', { start: '2026-11-23T10:00:00Z', duration: 'PT1H', status: 'cancelled' }, { status: 'free' }],
    ['tentative', { start: '2026-11-23T10:00:00Z', duration: 'PT1H', status: 'tentative' }, { status: 'tentative' }],
  ])('%s', (_name, entry, want) => {
    const b = drapiEntryToBlock(entry, 'UTC');
    expect(typeof b).toBe('object');
    const { noSubject, ...rest } = want as Record<string, unknown>;
    expect(b).toMatchObject(rest);
    if (noSubject === true) expect(b).not.toHaveProperty('subject');
  });

  it.each([
    [{}, /without start/],
    [{ start: 'tomorrow', timeZone: 'UTC' }, /unreadable start/],
    [{ start: '2026-11-23T10:00:00', timeZone: 'Mars/Olympus' }, /unknown time zone/],
    [{ start: '2026-11-23T10:00:00', timeZone: 'Z=zz$DO=0' }, /unreadable Notes time zone/],
    [{ start: '2026-11-23T10:00:00Z', duration: 'an hour' }, /unreadable duration/],
  ])('unreadable %j', (entry, msg) => {
    expect(drapiEntryToBlock(entry, 'UTC')).toMatch(msg);
  });
});

describe('notesZoneOffset', () => {
  it.each([
    ['Z=5$DO=1$DL=3 2 1 11 1 1', { year: 2026, month: 3, day: 8, hour: 1 }, -300],
    ['Z=5$DO=1$DL=3 2 1 11 1 1', { year: 2026, month: 3, day: 8, hour: 3 }, -240],
    ['Z=5$DO=1$DL=3 2 1 11 1 1', { year: 2026, month: 11, day: 1, hour: 3 }, -300],
    ['Z=-1$DO=1$DL=3 -1 1 10 -1 1', { year: 2026, month: 7, day: 1, hour: 12 }, 120],
    ['Z=-1$DO=1$DL=3 -1 1 10 -1 1', { year: 2026, month: 12, day: 1, hour: 12 }, 60],
    ['Z=0$DO=0', { year: 2026, month: 7, day: 1, hour: 12 }, 0],
    ['DO=1', { year: 2026, month: 7, day: 1, hour: 12 }, undefined],
  ])('%s at %j', (zone, local, want) => {
    expect(notesZoneOffset(zone, local)).toBe(want);
  });
});

describe('DAS free/busy (das-api-specs freebusy.yaml)', () => {
  it('busyTimes to busy blocks; left out means nothing busy', () => {
    expect(dasBusyTimesToBlocks({ start: { date: '2026-11-23', time: '09:30:00', utc: true }, end: { date: '2026-12-23', time: '09:30:00', utc: true }, busyTimes: [{ start: { date: '2026-11-23', time: '10:00:00', utc: true }, end: { date: '2026-11-23', time: '10:30:00', utc: true } }] })).toEqual([{ from: utc('2026-11-23T10:00:00Z'), until: utc('2026-11-23T10:30:00Z'), status: 'busy' }]);
    expect(dasBusyTimesToBlocks({ start: { date: '2026-11-23', time: '09:30:00', utc: true }, end: { date: '2026-12-23', time: '09:30:00', utc: true } })).toEqual([]);
  });
  it.each([[null], ['text'], [{ busyTimes: 'x' }], [{ busyTimes: [{ start: { date: '2026-11-23' } }] }]])('refuses %j', (body) => {
    expect(typeof dasBusyTimesToBlocks(body)).toBe('string');
  });
  it('dates go out UTC without milliseconds', () => {
    expect(dasDate(utc('2026-11-23T10:00:00.123Z'))).toBe('2026-11-23T10:00:00Z');
  });
});

describe('DAS calendar events helpers', () => {
  it('Content-Range "items <first>-<last>" gives the last index; anything else nothing', () => {
    expect(dasRangeEnd('items 0-49')).toBe(49);
    expect(dasRangeEnd('items 100-137')).toBe(137);
    expect(dasRangeEnd(null)).toBeUndefined();
    expect(dasRangeEnd('bytes 0-10/20')).toBeUndefined();
  });
  it('the mail database: the configured one for the identity (any case), else the pattern from the mail address', () => {
    const das = { mailFile: 'mail/{local}.nsf', mailFiles: { 'domino:CN=Erin Example/O=Corp': 'mail/eexample.nsf', 'mailto:alice@corp.example': 'mail2/asmith.nsf' } };
    expect(dasMailFile('mailto:Bob.Builder@corp.example', das)).toBe('mail/bob.builder.nsf');
    expect(dasMailFile('mailto:alice@corp.example', das)).toBe('mail2/asmith.nsf');
    expect(dasMailFile('domino:cn=erin example/o=corp', das)).toBe('mail/eexample.nsf');
    expect(dasMailFile('domino:CN=Nobody/O=Corp', das)).toBeUndefined();
  });
});
