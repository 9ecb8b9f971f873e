import { describe, expect, it } from 'vitest';
import { offWorkWindows } from '../calendar-common/working-hours.ts';
import { dayWindow, eventToBlock, mergedToBlocks, oofOf, workingHoursOf } from './map.ts';

const t = (iso: string) => Date.parse(iso);

describe('CalendarEvent to a busy block (LegacyFreeBusyStatus)', () => {
  it.each([
    [0, 'free'],
    [1, 'tentative'],
    [2, 'busy'],
    [3, 'oof'],
    [4, 'workingElsewhere'],
    [5, 'unknown'],
    [6, undefined],
    [Number.NaN, undefined],
  ])('status %s is %s', (status, expected) => {
    expect(eventToBlock({ start: t('2026-11-23T10:00:00Z'), end: t('2026-11-23T10:30:00Z'), status })?.status).toBe(expected);
  });
  it('keeps the subject and the private flag for the engine to judge; refuses an empty or reversed window', () => {
    expect(eventToBlock({ start: 0, end: 60_000, status: 2, subject: 'Secret', isPrivate: true })).toEqual({ from: 0, until: 60_000, status: 'busy', subject: 'Secret', isPrivate: true });
    expect(eventToBlock({ start: 60_000, end: 60_000, status: 2 })).toBeUndefined();
    expect(eventToBlock({ start: Number.NaN, end: 60_000, status: 2 })).toBeUndefined();
  });
});

describe('MergedFreeBusy to blocks', () => {
  const W = t('2026-11-23T00:00:00Z');
  const at = (m: number) => W + m * 60_000;
  it.each([
    ['all free', [0, 0, 0], []],
    ['one busy run', [0, 2, 2, 0], [{ from: at(30), until: at(90), status: 'busy' }]],
    ['busy then OOF', [2, 3], [{ from: at(0), until: at(30), status: 'busy' }, { from: at(30), until: at(60), status: 'oof' }]],
    ['tentative and working elsewhere', [1, 4], [{ from: at(0), until: at(30), status: 'tentative' }, { from: at(30), until: at(60), status: 'workingElsewhere' }]],
    ['no data and an unreadable digit say nothing', [5, Number.NaN, 2], [{ from: at(60), until: at(90), status: 'busy' }]],
  ])('%s', (_n, digits, blocks) => {
    expect(mergedToBlocks(digits, W, 30)).toEqual(blocks);
  });
});

describe('WorkingHours', () => {
  const pacific = { bias: 480, standard: { bias: 0, minutes: 120, dayOrder: 1, month: 11, dayOfWeek: 0 }, daylight: { bias: -60, minutes: 120, dayOrder: 2, month: 3, dayOfWeek: 0 } };
  it('Monday-Friday 08:00-17:00 Pacific, DST followed: Friday 17:00 PDT to Monday 08:00 PDT', () => {
    const wh = workingHoursOf({ days: [8], startMinutes: 480, endMinutes: 1020, zone: pacific })!;
    expect(offWorkWindows(wh, t('2019-03-15T17:00:00Z'), t('2019-03-16T01:00:00Z'))).toEqual([{ from: t('2019-03-16T00:00:00Z'), until: t('2019-03-18T15:00:00Z') }]);
  });
  it.each([
    [[7], 7],
    [[9], 2],
    [[1, 3, 5], 3],
  ])('days %j are %i days', (days, n) => {
    expect(workingHoursOf({ days, startMinutes: 480, endMinutes: 1020, zone: { bias: 0 } })!.periods[0]!.days).toHaveLength(n);
  });
  it('no working hours from the server: null (the engine says nothing)', () => {
    expect(workingHoursOf(undefined)).toBeNull();
  });
});

describe('OofSettings', () => {
  it.each([
    [{ state: 'Enabled' }, { enabled: true }],
    [{ state: 'Disabled', start: 0, end: 1 }, { enabled: false }],
    [{ state: 'Scheduled', start: 1000, end: 2000 }, { enabled: true, from: 1000, until: 2000 }],
    [{ state: 'Scheduled', start: 2000, end: 1000 }, { enabled: false }],
    [{ state: 'Scheduled' }, { enabled: false }],
  ])('%j', (o, r) => {
    expect(oofOf(o)).toEqual(r);
  });
});

describe('the TimeWindow asked for', () => {
  it('whole UTC days covering [now, now + lookahead), at most 42 days', () => {
    expect(dayWindow(t('2026-11-23T09:55:00Z'), t('2026-11-23T17:55:00Z'))).toEqual({ start: t('2026-11-23T00:00:00Z'), end: t('2026-11-24T00:00:00Z') });
    expect(dayWindow(t('2026-11-23T20:00:00Z'), t('2026-11-24T04:00:00Z'))).toEqual({ start: t('2026-11-23T00:00:00Z'), end: t('2026-11-25T00:00:00Z') });
    expect(dayWindow(0, 100 * 86_400_000).end).toBe(42 * 86_400_000);
  });
});
