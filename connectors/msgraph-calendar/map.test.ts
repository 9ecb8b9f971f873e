import { describe, expect, it } from 'vitest';
import { scheduleItemToSignal, utcMs } from './map.ts';

const at = (iso: string) => ({ dateTime: iso, timeZone: 'UTC' });
const base = { identity: 'mailto:adelev@contoso.onmicrosoft.com', source: 'cal', exposeSubjects: false, tentativeAsBusy: false, now: Date.parse('2019-03-15T08:00:00Z') };

describe('scheduleItemToSignal', () => {
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
    const s = scheduleItemToSignal({ status, start: at('2019-03-15T12:00:00.0000000'), end: at('2019-03-15T14:00:00.0000000'), subject: "Let's go for lunch", location: "Harry's Bar" }, base);
    if (availability === undefined) return expect(s).toBeUndefined();
    expect(s).toMatchObject({ category: 'calendar', availability, activity: token, from: '2019-03-15T12:00:00.000Z', until: '2019-03-15T14:00:00.000Z', expireType: 'time' });
  });
  it('tentative counts as busy when configured', () => {
    expect(scheduleItemToSignal({ status: 'tentative', start: at('2019-03-15T12:00:00'), end: at('2019-03-15T13:00:00') }, { ...base, tentativeAsBusy: true })).toMatchObject({ availability: 'busy' });
  });
  it('exposes the subject only when configured and never for private items, never the location', () => {
    const item = { status: 'busy', start: at('2019-03-15T12:00:00'), end: at('2019-03-15T13:00:00'), subject: 'Merger talks', location: 'Room 1' };
    expect(scheduleItemToSignal(item, base)?.activity).toBe('in-a-meeting');
    expect(scheduleItemToSignal(item, { ...base, exposeSubjects: true })?.activity).toEqual({ token: 'in-a-meeting', text: 'Merger talks' });
    expect(scheduleItemToSignal({ ...item, isPrivate: true }, { ...base, exposeSubjects: true })?.activity).toBe('in-a-meeting');
    expect(JSON.stringify(scheduleItemToSignal(item, { ...base, exposeSubjects: true }))).not.toContain('Room 1');
  });
  it('ignores items already over and times that are not UTC', () => {
    expect(scheduleItemToSignal({ status: 'busy', start: at('2019-03-15T06:00:00'), end: at('2019-03-15T07:00:00') }, base)).toBeUndefined();
    expect(utcMs({ dateTime: '2019-03-15T12:00:00', timeZone: 'Pacific Standard Time' })).toBeUndefined();
  });
});
