import { describe, expect, it } from 'vitest';
import { CalendarEngine } from '../calendar-common/engine.ts';
import { resolveZone, windowsToIana } from '../calendar-common/time-zone.ts';
import { offWorkWindows as neutralWindows } from '../calendar-common/working-hours.ts';
import type { ScheduleInformation } from '../msgraph-shared/schemas.ts';
import { graphWorkingHours } from './map.ts';

/** Graph's workingHours read by map.ts, the windows computed by the calendar engine's working-hours module. */
function offWorkWindows(wh: ScheduleInformation['workingHours'], now: number, end: number) {
  const n = graphWorkingHours(wh);
  return n === null ? undefined : neutralWindows(n, now, end);
}

const WEEK = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'];
const t = (iso: string) => Date.parse(iso);
const H = 3_600_000;
/** Microsoft's getSchedule example: "Customized Time Zone", bias 480, US daylight rules. */
const MS_CUSTOM = {
  '@odata.type': '#microsoft.graph.customTimeZone',
  bias: 480,
  name: 'Customized Time Zone',
  standardOffset: { time: '02:00:00.0000000', dayOccurrence: 1, dayOfWeek: 'sunday', month: 11, year: 0 },
  daylightOffset: { daylightBias: -60, time: '02:00:00.0000000', dayOccurrence: 2, dayOfWeek: 'sunday', month: 3, year: 0 },
};
const SYDNEY_CUSTOM = {
  '@odata.type': '#microsoft.graph.customTimeZone',
  bias: -600,
  name: 'Customized Time Zone',
  standardOffset: { time: '03:00:00.0000000', dayOccurrence: 1, dayOfWeek: 'sunday', month: 4, year: 0 },
  daylightOffset: { daylightBias: -60, time: '02:00:00.0000000', dayOccurrence: 1, dayOfWeek: 'sunday', month: 10, year: 0 },
};

describe('offWorkWindows', () => {
  it.each([
    // name, time zone, days, start, end, now, lookahead, expected windows [from, until][]
    ['Friday afternoon in Pacific time (PDT), the weekend is one window', { name: 'Pacific Standard Time' }, WEEK, '08:00:00.0000000', '17:00:00.0000000', '2019-03-15T17:00:00Z', 8 * H, [['2019-03-16T00:00:00.000Z', '2019-03-18T15:00:00.000Z']]],
    ['a Wednesday evening, already outside hours', { name: 'Pacific Standard Time' }, WEEK, '08:00:00.0000000', '17:00:00.0000000', '2019-03-14T03:00:00Z', 8 * H, [['2019-03-14T00:00:00.000Z', '2019-03-14T15:00:00.000Z']]],
    ['the weekend DST starts in the US (PST Friday, PDT Monday)', { name: 'Pacific Standard Time' }, WEEK, '08:00:00.0000000', '17:00:00.0000000', '2019-03-08T20:00:00Z', 8 * H, [['2019-03-09T01:00:00.000Z', '2019-03-11T15:00:00.000Z']]],
    ['the weekend DST ends in the US (PDT Friday, PST Monday)', { name: 'Pacific Standard Time' }, WEEK, '08:00:00.0000000', '17:00:00.0000000', '2019-11-01T20:00:00Z', 8 * H, [['2019-11-02T00:00:00.000Z', '2019-11-04T16:00:00.000Z']]],
    ['Windows name in another case', { name: 'pacific standard time' }, WEEK, '08:00:00', '17:00:00', '2019-03-15T17:00:00Z', 8 * H, [['2019-03-16T00:00:00.000Z', '2019-03-18T15:00:00.000Z']]],
    ['Berlin across the European DST change', { name: 'W. Europe Standard Time' }, WEEK, '09:00:00.0000000', '18:00:00.0000000', '2019-03-29T12:00:00Z', 8 * H, [['2019-03-29T17:00:00.000Z', '2019-04-01T07:00:00.000Z']]],
    ['an IANA name, no DST', { name: 'Asia/Tokyo' }, WEEK, '09:00:00.0000000', '17:30:00.0000000', '2019-03-12T10:00:00Z', 8 * H, [['2019-03-12T08:30:00.000Z', '2019-03-13T00:00:00.000Z']]],
    ['a half-hour offset (India)', { name: 'India Standard Time' }, WEEK, '09:00:00.0000000', '18:00:00.0000000', '2019-03-11T14:00:00Z', 8 * H, [['2019-03-11T12:30:00.000Z', '2019-03-12T03:30:00.000Z']]],
    ['southern hemisphere: Sydney leaves DST over the weekend', { name: 'AUS Eastern Standard Time' }, WEEK, '08:00:00.0000000', '17:00:00.0000000', '2019-04-05T03:00:00Z', 8 * H, [['2019-04-05T06:00:00.000Z', '2019-04-07T22:00:00.000Z']]],
    ['a night shift across midnight', { name: 'UTC' }, WEEK, '22:00:00.0000000', '06:00:00.0000000', '2019-03-12T12:00:00Z', 8 * H, [['2019-03-12T06:00:00.000Z', '2019-03-12T22:00:00.000Z']]],
    ['a six-day week: Saturday afternoon to Monday', { name: 'UTC' }, [...WEEK, 'saturday'], '08:00:00.0000000', '13:00:00.0000000', '2019-03-16T10:00:00Z', 8 * H, [['2019-03-16T13:00:00.000Z', '2019-03-18T08:00:00.000Z']]],
    ['two windows inside a long lookahead', { name: 'UTC' }, WEEK, '08:00:00.0000000', '17:00:00.0000000', '2019-03-12T12:00:00Z', 30 * H, [['2019-03-12T17:00:00.000Z', '2019-03-13T08:00:00.000Z'], ['2019-03-13T17:00:00.000Z', '2019-03-14T08:00:00.000Z']]],
    ['inside working hours with nothing ahead in the lookahead', { name: 'Pacific Standard Time' }, WEEK, '08:00:00.0000000', '17:00:00.0000000', '2019-03-13T17:00:00Z', 2 * H, []],
    ["Microsoft's customTimeZone (bias 480, US rules) in summer", MS_CUSTOM, WEEK, '08:00:00.0000000', '17:00:00.0000000', '2019-03-15T17:00:00Z', 8 * H, [['2019-03-16T00:00:00.000Z', '2019-03-18T15:00:00.000Z']]],
    ["Microsoft's customTimeZone over the DST start weekend", MS_CUSTOM, WEEK, '08:00:00.0000000', '17:00:00.0000000', '2019-03-08T20:00:00Z', 8 * H, [['2019-03-09T01:00:00.000Z', '2019-03-11T15:00:00.000Z']]],
    ['a customTimeZone with a bias only (fixed UTC-8)', { '@odata.type': '#microsoft.graph.customTimeZone', bias: 480, name: 'Customized Time Zone' }, WEEK, '08:00:00.0000000', '17:00:00.0000000', '2019-03-15T17:00:00Z', 9 * H, [['2019-03-16T01:00:00.000Z', '2019-03-18T16:00:00.000Z']]],
    ['a southern customTimeZone (summer wraps the new year)', SYDNEY_CUSTOM, WEEK, '08:00:00.0000000', '17:00:00.0000000', '2019-04-05T03:00:00Z', 8 * H, [['2019-04-05T06:00:00.000Z', '2019-04-07T22:00:00.000Z']]],
  ])('%s', (_name, timeZone, daysOfWeek, startTime, endTime, now, lookahead, expected) => {
    const w = offWorkWindows({ daysOfWeek, startTime, endTime, timeZone }, t(now), t(now) + lookahead);
    expect(w?.map((x) => [new Date(x.from).toISOString(), new Date(x.until).toISOString()])).toEqual(expected);
  });

  it.each([
    ['no working hours', undefined],
    ['an unknown zone', { daysOfWeek: WEEK, startTime: '08:00:00', endTime: '17:00:00', timeZone: { name: 'Mars Standard Time' } }],
    ['no working days', { daysOfWeek: [], startTime: '08:00:00', endTime: '17:00:00', timeZone: { name: 'UTC' } }],
    ['an unreadable time', { daysOfWeek: WEEK, startTime: '8am', endTime: '17:00:00', timeZone: { name: 'UTC' } }],
  ])('says nothing for %s', (_name, wh) => {
    expect(offWorkWindows(wh, t('2019-03-15T20:00:00Z'), t('2019-03-16T04:00:00Z'))).toBeUndefined();
  });

  it('gives no window when every day is worked around the clock', () => {
    const all = [...WEEK, 'saturday', 'sunday'];
    expect(offWorkWindows({ daysOfWeek: all, startTime: '00:00:00', endTime: '00:00:00', timeZone: { name: 'UTC' } }, t('2019-03-15T20:00:00Z'), t('2019-03-16T04:00:00Z'))).toEqual([]);
  });
});

describe('time zones', () => {
  it.each([
    ['Pacific Standard Time', 'America/Los_Angeles'],
    ['W. Europe Standard Time', 'Europe/Berlin'],
    ['GMT Standard Time', 'Europe/London'],
    ['Tokyo Standard Time', 'Asia/Tokyo'],
    ['Not A Zone', undefined],
  ])('Windows %s is IANA %s', (win, iana) => {
    expect(windowsToIana(win)).toBe(iana);
  });
  it('a customTimeZone has its summer and winter offsets', () => {
    const z = resolveZone(MS_CUSTOM)!;
    expect(z.offset(t('2019-01-15T12:00:00Z'))).toBe(-480);
    expect(z.offset(t('2019-07-15T12:00:00Z'))).toBe(-420);
    // Second Sunday of March 2019 is the 10th: 02:00 PST = 10:00Z.
    expect(z.offset(t('2019-03-10T09:59:00Z'))).toBe(-480);
    expect(z.offset(t('2019-03-10T10:00:00Z'))).toBe(-420);
  });
});

describe('off-work signals', () => {
  it('are calendar signals with the configured availability and a stable endpoint', () => {
    const wh = graphWorkingHours({ daysOfWeek: WEEK, startTime: '08:00:00', endTime: '17:00:00', timeZone: { name: 'UTC' } });
    const engine = (availability: 'away' | 'offline') => new CalendarEngine({ source: 'exchange', details: 'none', lookahead: 8 * H, interval: 60_000, workingHours: { outsideAvailability: availability } });
    const [a] = engine('away').apply('mailto:adelev@contoso.onmicrosoft.com', { blocks: [], workingHours: wh }, t('2019-03-15T17:00:00Z'));
    expect(a).toMatchObject({ category: 'calendar', availability: 'away', activity: 'off-work', from: '2019-03-15T17:00:00.000Z', until: '2019-03-18T08:00:00.000Z', expireType: 'time' });
    const [b] = engine('offline').apply('mailto:adelev@contoso.onmicrosoft.com', { blocks: [], workingHours: wh }, t('2019-03-15T17:05:00Z'));
    expect(b!.endpoint).toBe(a!.endpoint);
    expect(b!.availability).toBe('offline');
  });
});
