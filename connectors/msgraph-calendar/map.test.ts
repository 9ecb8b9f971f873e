import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CalendarEngine } from '../calendar-common/engine.ts';
import { automaticRepliesToOof, scheduleItemToBlock, utcMs } from './map.ts';

const at = (iso: string) => ({ dateTime: iso, timeZone: 'UTC' });
const now = Date.parse('2019-03-15T08:00:00Z');
const engine = (o: { details?: 'none' | 'subject'; tentativeAsBusy?: boolean } = {}) =>
  new CalendarEngine({ source: 'cal', details: o.details ?? 'none', lookahead: 8 * 3_600_000, interval: 60_000, statusMap: o.tentativeAsBusy === true ? { tentative: { availability: 'busy', activity: 'in-a-meeting' } } : {} });
/** One scheduleItem read by map.ts and judged by the calendar engine, as the collector does. */
const signal = (item: Parameters<typeof scheduleItemToBlock>[0], o: Parameters<typeof engine>[0] = {}) => {
  const b = scheduleItemToBlock(item);
  return b === undefined ? undefined : engine(o).apply('mailto:adelev@contoso.onmicrosoft.com', { blocks: [b] }, now)[0];
};

describe('scheduleItem through the calendar engine', () => {
  it.each([
    ['busy', 'busy', 'in-a-meeting'],
    ['Busy', 'busy', 'in-a-meeting'],
    ['oof', 'away', 'out-of-office'],
    ['workingElsewhere', 'available', 'working-elsewhere'],
    ['free', undefined, undefined],
    ['tentative', undefined, undefined],
    ['unknown', undefined, undefined],
    ['somethingNew', undefined, undefined],
  ])('%s', (status, availability, token) => {
    const s = signal({ status, start: at('2019-03-15T12:00:00.0000000'), end: at('2019-03-15T14:00:00.0000000'), subject: "Let's go for lunch", location: "Harry's Bar" });
    if (availability === undefined) return expect(s).toBeUndefined();
    expect(s).toMatchObject({ category: 'calendar', availability, activity: token, from: '2019-03-15T12:00:00.000Z', until: '2019-03-15T14:00:00.000Z', expireType: 'time' });
  });
  it('tentative counts as busy when configured', () => {
    expect(signal({ status: 'tentative', start: at('2019-03-15T12:00:00'), end: at('2019-03-15T13:00:00') }, { tentativeAsBusy: true })).toMatchObject({ availability: 'busy' });
  });
  it('exposes the subject only when configured and never for private items, never the location', () => {
    const item = { status: 'busy', start: at('2019-03-15T12:00:00'), end: at('2019-03-15T13:00:00'), subject: 'Merger talks', location: 'Room 1' };
    expect(signal(item)?.activity).toBe('in-a-meeting');
    expect(signal(item, { details: 'subject' })?.activity).toEqual({ token: 'in-a-meeting', text: 'Merger talks' });
    expect(signal({ ...item, isPrivate: true }, { details: 'subject' })?.activity).toBe('in-a-meeting');
    expect(JSON.stringify(signal(item, { details: 'subject' }))).not.toContain('Room 1');
  });
  it('ignores items already over and times in a zone nothing knows', () => {
    expect(signal({ status: 'busy', start: at('2019-03-15T06:00:00'), end: at('2019-03-15T07:00:00') })).toBeUndefined();
    expect(utcMs({ dateTime: '2019-03-15T12:00:00', timeZone: 'Martian Standard Time' })).toBeUndefined();
    expect(utcMs({ dateTime: 'soon', timeZone: 'UTC' })).toBeUndefined();
  });
  it('reads a wall time in the zone it names (Windows or IANA), as the published getSchedule example answers', () => {
    // fixtures/get-schedule.response.json: Microsoft's example answers in Pacific Standard Time (PDT on 15 March 2019).
    const doc = JSON.parse(readFileSync(new URL('./fixtures/get-schedule.response.json', import.meta.url), 'utf8')) as { value: { scheduleItems: Parameters<typeof scheduleItemToBlock>[0][] }[] };
    const first = doc.value[0]!.scheduleItems[0]!;
    expect(scheduleItemToBlock(first)).toMatchObject({ from: Date.parse('2019-03-15T19:00:00Z'), until: Date.parse('2019-03-15T21:00:00Z'), status: 'busy' });
    expect(utcMs({ dateTime: '2019-01-15T12:00:00.0000000', timeZone: 'Pacific Standard Time' })).toBe(Date.parse('2019-01-15T20:00:00Z'));
    expect(utcMs({ dateTime: '2019-07-01T09:30:00', timeZone: 'W. Europe Standard Time' })).toBe(Date.parse('2019-07-01T07:30:00Z'));
    expect(utcMs({ dateTime: '2019-07-01T09:30:00', timeZone: 'Europe/Berlin' })).toBe(Date.parse('2019-07-01T07:30:00Z'));
    expect(utcMs({ dateTime: '2019-07-01T09:30:00.0000000', timeZone: 'UTC' })).toBe(Date.parse('2019-07-01T09:30:00Z'));
  });
});

describe('automaticRepliesSetting', () => {
  it.each([
    [{ status: 'alwaysEnabled' }, { enabled: true }],
    [{ status: 'disabled' }, { enabled: false }],
    [{ status: 'scheduled', scheduledStartDateTime: at('2019-03-15T00:00:00'), scheduledEndDateTime: at('2019-03-20T00:00:00') }, { enabled: true, from: Date.parse('2019-03-15T00:00:00Z'), until: Date.parse('2019-03-20T00:00:00Z') }],
    [{ status: 'scheduled' }, { enabled: false }],
    // Scheduled times come in the zone they were set in.
    [{ status: 'Scheduled', scheduledStartDateTime: { dateTime: '2019-03-15T09:00:00.0000000', timeZone: 'Pacific Standard Time' }, scheduledEndDateTime: { dateTime: '2019-03-20T17:00:00.0000000', timeZone: 'Pacific Standard Time' } }, { enabled: true, from: Date.parse('2019-03-15T16:00:00Z'), until: Date.parse('2019-03-21T00:00:00Z') }],
  ])('%j', (a, oof) => {
    expect(automaticRepliesToOof(a)).toEqual(oof);
  });
});
