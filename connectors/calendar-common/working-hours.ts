import { DateTime } from 'luxon';
import { resolveZone, type WindowsTimeZone } from './time-zone.ts';

/**
 * Working hours in one neutral shape: a time zone (Windows convention, see time-zone.ts) and the
 * working periods of the week. Graph's workingHours (daysOfWeek, startTime, endTime, timeZone) is
 * one period; EWS's WorkingHours (WorkingPeriodArray of DayOfWeek lists, StartTimeInMinutes,
 * EndTimeInMinutes) may be several. Each connector's map.ts converts its wire shape to this one.
 */
export interface WorkingPeriod {
  /** Day names, any case: monday ... sunday. */
  readonly days: readonly string[];
  /** Minutes after local midnight. An end at or before the start is a shift across midnight. */
  readonly startMinutes: number;
  readonly endMinutes: number;
}
export interface WorkingHours {
  readonly timeZone: WindowsTimeZone;
  readonly periods: readonly WorkingPeriod[];
}
export interface Window {
  readonly from: number;
  readonly until: number;
}

const DAY = { monday: 1, tuesday: 2, wednesday: 3, thursday: 4, friday: 5, saturday: 6, sunday: 7 } as const;
const dayNumber = (d: string): number | undefined => DAY[d.trim().toLowerCase() as keyof typeof DAY];

/**
 * The windows outside a person's working hours that overlap [now, end), as whole gaps between two
 * working periods: Friday 17:00 to Monday 08:00 is one window. Each boundary is wall time in the
 * schedule's zone, so a DST change moves it in UTC as it should. Working hours that cannot be read
 * (no days, unknown zone) give `undefined`: the hub then says nothing rather than calling a person
 * off work on a guess.
 */
export function offWorkWindows(wh: WorkingHours | undefined, now: number, end: number): Window[] | undefined {
  if (wh === undefined) return undefined;
  const zone = resolveZone(wh.timeZone);
  const periods = wh.periods
    .map((p) => ({ days: new Set(p.days.map(dayNumber).filter((d) => d !== undefined)), start: p.startMinutes, stop: p.endMinutes }))
    .filter((p) => p.days.size > 0 && Number.isFinite(p.start) && Number.isFinite(p.stop) && p.start >= 0 && p.start <= 1440 && p.stop >= 0 && p.stop <= 1440);
  if (zone === undefined || periods.length === 0) return undefined;
  // Working periods from a week before `now` to a week after `end`, so the gaps around the window are whole.
  const first = DateTime.fromMillis(now, { zone }).startOf('day').minus({ days: 8 });
  const last = DateTime.fromMillis(end, { zone }).startOf('day').plus({ days: 8 });
  const work: [number, number][] = [];
  for (let d = first; d <= last; d = d.plus({ days: 1 })) {
    for (const p of periods) {
      if (!p.days.has(d.weekday)) continue;
      const length = p.stop > p.start ? p.stop - p.start : p.stop + 24 * 60 - p.start;
      const wallStart = d.set({ hour: Math.floor(p.start / 60), minute: Math.floor(p.start % 60), second: Math.round((p.start % 1) * 60) });
      // Add wall-clock minutes, not elapsed ones: 08:00-17:00 stays 08:00-17:00 on a DST day.
      work.push([wallStart.toMillis(), wallStart.plus({ minutes: length }).toMillis()]);
    }
  }
  work.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const w of work) {
    const prev = merged.at(-1);
    if (prev !== undefined && w[0] <= prev[1]) prev[1] = Math.max(prev[1], w[1]);
    else merged.push([...w]);
  }
  const out: Window[] = [];
  for (let i = 1; i < merged.length; i++) {
    const from = merged[i - 1]![1];
    const until = merged[i]![0];
    if (until > from && until > now && from < end) out.push({ from, until });
  }
  return out;
}
