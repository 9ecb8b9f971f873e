import type { BusyBlock, BusyStatus } from '../calendar-common/blocks.ts';
import type { OofReading } from '../calendar-common/engine.ts';
import type { WorkingHours } from '../calendar-common/working-hours.ts';

/**
 * EWS vocabulary (as ews-javascript-api hands it over) to the calendar engine's neutral one
 * (connectors/calendar-common): CalendarEvent and MergedFreeBusy to busy blocks, WorkingHours to
 * working hours, OofSettings to out of office. Pure functions over plain shapes, so the tables in
 * map.test.ts need no server. What a block means for presence is the engine's business.
 */

/** LegacyFreeBusyStatus (EWS LegacyFreeBusyType): Free 0, Tentative 1, Busy 2, OOF 3, WorkingElsewhere 4, NoData 5. */
export const LEGACY_STATUS: readonly (BusyStatus | undefined)[] = ['free', 'tentative', 'busy', 'oof', 'workingElsewhere', 'unknown'];

/** What the library's CalendarEvent gives: times already as epoch ms, the status as its enum number. */
export interface EwsEvent {
  readonly start: number;
  readonly end: number;
  readonly status: number;
  readonly subject?: string | null | undefined;
  readonly isPrivate?: boolean | null | undefined;
}

/** CalendarEvent (Detailed view) to a busy block; an unknown status or a bad time gives none. */
export function eventToBlock(e: EwsEvent): BusyBlock | undefined {
  const status = LEGACY_STATUS[e.status];
  if (status === undefined || !Number.isFinite(e.start) || !Number.isFinite(e.end) || e.end <= e.start) return undefined;
  return { from: e.start, until: e.end, status, subject: e.subject ?? undefined, isPrivate: e.isPrivate === true };
}

/**
 * MergedFreeBusy (FreeBusyMerged view): one digit per `intervalMin` from the window start; runs of
 * the same digit become one block each. The library parses the string digit by digit with
 * Number(ch), so a character it cannot read arrives as NaN: such an interval says nothing.
 */
export function mergedToBlocks(statuses: readonly number[], windowStart: number, intervalMin: number): BusyBlock[] {
  const out: BusyBlock[] = [];
  const step = intervalMin * 60_000;
  let i = 0;
  while (i < statuses.length) {
    const s = statuses[i]!;
    let j = i + 1;
    while (j < statuses.length && statuses[j] === s) j++;
    const status = Number.isInteger(s) ? LEGACY_STATUS[s] : undefined;
    if (status !== undefined && status !== 'free' && status !== 'unknown') out.push({ from: windowStart + i * step, until: windowStart + j * step, status });
    i = j;
  }
  return out;
}

const DAY_NAMES = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

/** One SerializableTimeZoneTime (StandardTime / DaylightTime): Bias, Time, DayOrder, Month, DayOfWeek (Sunday 0), Year. */
export interface EwsZoneTime {
  readonly bias: number;
  readonly minutes: number;
  readonly dayOrder: number;
  readonly month: number;
  readonly dayOfWeek: number;
  readonly year?: number | undefined;
}

const hhmmss = (m: number): string => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(Math.floor(m % 60)).padStart(2, '0')}:00`;
const rule = (t: EwsZoneTime) => ({ time: hhmmss(t.minutes), dayOccurrence: t.dayOrder, dayOfWeek: DAY_NAMES[t.dayOfWeek] ?? 'sunday', month: t.month, year: t.year ?? 0 });

/**
 * WorkingHours (freebusyview: TimeZone, WorkingPeriodArray). The library keeps one start and end
 * time (minutes after midnight) and the days (DayOfTheWeek numbers, Sunday 0; 7 every day, 8
 * weekdays, 9 weekend days); the zone is read from its legacy time zone (Bias, StandardTime,
 * DaylightTime), in the Windows convention time-zone.ts follows: UTC = local + Bias (+ the daylight
 * Bias in summer). `undefined` input: the server sent none.
 */
export function workingHoursOf(wh: { days: readonly number[]; startMinutes: number; endMinutes: number; zone: { bias: number; standard?: EwsZoneTime | undefined; daylight?: EwsZoneTime | undefined } } | undefined): WorkingHours | null {
  if (wh === undefined) return null;
  const days = new Set<string>();
  for (const d of wh.days) {
    if (d >= 0 && d <= 6) days.add(DAY_NAMES[d]!);
    else if (d === 7) DAY_NAMES.forEach((n) => days.add(n));
    else if (d === 8) DAY_NAMES.slice(1, 6).forEach((n) => days.add(n));
    else if (d === 9) ['saturday', 'sunday'].forEach((n) => days.add(n));
  }
  const { standard, daylight } = wh.zone;
  const dst = standard !== undefined && daylight !== undefined && standard.month >= 1 && daylight.month >= 1 && daylight.bias !== standard.bias;
  const timeZone = dst
    ? { name: 'Working hours', bias: wh.zone.bias + standard.bias, standardOffset: rule(standard), daylightOffset: { ...rule(daylight), daylightBias: daylight.bias - standard.bias } }
    : { name: 'Working hours', bias: wh.zone.bias + (standard?.bias ?? 0) };
  return { timeZone, periods: [{ days: [...days], startMinutes: wh.startMinutes, endMinutes: wh.endMinutes }] };
}

/** OofSettings: OofState Enabled (on until switched off), Scheduled with its Duration, Disabled. */
export function oofOf(o: { state: string; start?: number | undefined; end?: number | undefined }): OofReading {
  const state = o.state.toLowerCase();
  if (state === 'enabled') return { enabled: true };
  if (state === 'scheduled' && o.start !== undefined && o.end !== undefined && Number.isFinite(o.start) && Number.isFinite(o.end) && o.end > o.start) return { enabled: true, from: o.start, until: o.end };
  return { enabled: false };
}

/**
 * The TimeWindow to ask for: the library sends whole dates (in the service's time zone, UTC here),
 * so [midnight of `start`, midnight after `end`), at most 42 days (the server's default limit).
 */
export function dayWindow(start: number, end: number): { start: number; end: number } {
  const DAY = 86_400_000;
  const s = Math.floor(start / DAY) * DAY;
  const e = Math.min(Math.floor(end / DAY) * DAY + DAY, s + 42 * DAY);
  return { start: s, end: e };
}
