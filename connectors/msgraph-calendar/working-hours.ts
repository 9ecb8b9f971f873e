import { createHash } from 'node:crypto';
import { DateTime } from 'luxon';
import type { SignalInput } from '../../core/model/signal.ts';
import type { ScheduleInformation } from '../msgraph-shared/schemas.ts';
import { minutesOf, resolveZone } from './time-zone.ts';

type WorkingHours = NonNullable<ScheduleInformation['workingHours']>;

const DAY = { monday: 1, tuesday: 2, wednesday: 3, thursday: 4, friday: 5, saturday: 6, sunday: 7 } as const;

/**
 * The windows outside a person's working hours (workingHours of scheduleInformation: daysOfWeek,
 * startTime, endTime, timeZone) that overlap [now, end), as whole gaps between two working
 * periods: Friday 17:00 to Monday 08:00 is one window. Each boundary is wall time in the schedule's
 * zone, so a DST change moves it in UTC as it should. An end time at or before the start time is a
 * shift across midnight. Working hours that cannot be read (no days, unknown zone, bad times) give
 * no windows: the hub then says nothing rather than calling a person off work.
 */
export function offWorkWindows(wh: WorkingHours | null | undefined, now: number, end: number): { from: number; until: number }[] | undefined {
  if (wh == null) return undefined;
  const zone = resolveZone(wh.timeZone as Parameters<typeof resolveZone>[0]);
  const start = minutesOf(wh.startTime);
  const stop = minutesOf(wh.endTime);
  const days = new Set<number>((wh.daysOfWeek ?? []).map((d) => DAY[d.toLowerCase() as keyof typeof DAY]).filter((d) => d !== undefined));
  if (zone === undefined || start === undefined || stop === undefined || days.size === 0) return undefined;
  const length = stop > start ? stop - start : stop + 24 * 60 - start;
  // Working periods from a week before `now` to a week after `end`, so the gaps around the window are whole.
  const first = DateTime.fromMillis(now, { zone }).startOf('day').minus({ days: 8 });
  const last = DateTime.fromMillis(end, { zone }).startOf('day').plus({ days: 8 });
  const work: [number, number][] = [];
  for (let d = first; d <= last; d = d.plus({ days: 1 })) {
    if (!days.has(d.weekday)) continue;
    const wallStart = d.set({ hour: Math.floor(start / 60), minute: Math.floor(start % 60), second: Math.round((start % 1) * 60) });
    const s = wallStart.toMillis();
    // Add wall-clock minutes, not elapsed ones: 08:00-17:00 stays 08:00-17:00 on a DST day.
    const e = wallStart.plus({ minutes: length }).toMillis();
    const prev = work.at(-1);
    if (prev !== undefined && s <= prev[1]) prev[1] = Math.max(prev[1], e);
    else work.push([s, e]);
  }
  const out: { from: number; until: number }[] = [];
  for (let i = 1; i < work.length; i++) {
    const from = work[i - 1]![1];
    const until = work[i]![0];
    if (until > from && until > now && from < end) out.push({ from, until });
  }
  return out;
}

/** The signal for one window outside working hours; the endpoint is stable for the same window. */
export function offWorkSignal(w: { from: number; until: number }, o: { identity: string; source: string; availability: 'away' | 'offline'; now: number }): SignalInput {
  return {
    identity: o.identity,
    source: o.source,
    endpoint: `off-work-${createHash('sha256').update(`${w.from}/${w.until}`).digest('hex').slice(0, 16)}`,
    category: 'calendar',
    availability: o.availability,
    activity: 'off-work',
    from: new Date(w.from).toISOString(),
    until: new Date(w.until).toISOString(),
    expireType: 'time',
    sourceTime: new Date(o.now).toISOString(),
  };
}
