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
  it('ignores items already over and times that are not UTC', () => {
    expect(signal({ status: 'busy', start: at('2019-03-15T06:00:00'), end: at('2019-03-15T07:00:00') })).toBeUndefined();
    expect(utcMs({ dateTime: '2019-03-15T12:00:00', timeZone: 'Pacific Standard Time' })).toBeUndefined();
  });
});

describe('automaticRepliesSetting', () => {
  it.each([
    [{ status: 'alwaysEnabled' }, { enabled: true }],
    [{ status: 'disabled' }, { enabled: false }],
    [{ status: 'scheduled', scheduledStartDateTime: at('2019-03-15T00:00:00'), scheduledEndDateTime: at('2019-03-20T00:00:00') }, { enabled: true, from: Date.parse('2019-03-15T00:00:00Z'), until: Date.parse('2019-03-20T00:00:00Z') }],
    [{ status: 'scheduled' }, { enabled: false }],
  ])('%j', (a, oof) => {
    expect(automaticRepliesToOof(a)).toEqual(oof);
  });
});
