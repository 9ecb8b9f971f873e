import type { BusyBlock } from '../calendar-common/blocks.ts';
import { busyStatusOf } from '../calendar-common/blocks.ts';
import type { OofReading } from '../calendar-common/engine.ts';
import { DateTime } from 'luxon';
import { minutesOf, resolveZone, type WindowsTimeZone } from '../calendar-common/time-zone.ts';
import type { WorkingHours } from '../calendar-common/working-hours.ts';
import type { ScheduleInformation, ScheduleItem } from '../msgraph-shared/schemas.ts';

/**
 * Graph's calendar vocabulary to the calendar engine's neutral one (connectors/calendar-common):
 * scheduleItem (freeBusyStatus: free, tentative, busy, oof, workingElsewhere, unknown) to a busy
 * block, scheduleInformation.workingHours to working hours, automaticRepliesSetting to out of
 * office. What a block means for presence (mapping, privacy, de-duplication) is the engine's.
 */

/**
 * dateTimeTimeZone to epoch ms. getSchedule is asked for UTC (Prefer outlook.timezone="UTC"), but
 * a dateTimeTimeZone names its own zone and Graph's answers are not all in UTC: getSchedule's own
 * published example answers in "Pacific Standard Time", and automaticRepliesSetting's scheduled
 * times come in the zone they were set in. So the wall time is read in the zone it names (a
 * Windows or IANA name, windowsZones as calendar-common maps it); undefined for a zone nothing
 * knows or a time that is not one.
 */
export function utcMs(d: { dateTime: string; timeZone?: string | null | undefined }): number | undefined {
  if (/[zZ]|[+-]\d\d:\d\d$/.test(d.dateTime)) {
    const ms = Date.parse(d.dateTime);
    return Number.isFinite(ms) ? ms : undefined;
  }
  const zone = resolveZone({ name: d.timeZone == null || d.timeZone.trim() === '' ? 'UTC' : d.timeZone });
  if (zone === undefined) return undefined;
  const t = DateTime.fromISO(d.dateTime, { zone });
  return t.isValid ? t.toMillis() : undefined;
}

/** A scheduleItem as a busy block; undefined for an unknown status or a time in no known zone. */
export function scheduleItemToBlock(item: ScheduleItem): BusyBlock | undefined {
  const status = busyStatusOf(item.status);
  const from = utcMs(item.start);
  const until = utcMs(item.end);
  if (status === undefined || from === undefined || until === undefined || until <= from) return undefined;
  return { from, until, status, subject: item.subject ?? undefined, isPrivate: item.isPrivate === true };
}

type GraphWorkingHours = NonNullable<ScheduleInformation['workingHours']>;

/** workingHours (daysOfWeek, startTime, endTime, timeZone) as one working period; null when absent. */
export function graphWorkingHours(wh: GraphWorkingHours | null | undefined): WorkingHours | null {
  if (wh == null) return null;
  const start = minutesOf(wh.startTime);
  const stop = minutesOf(wh.endTime);
  // Unreadable times: no period, so the engine reports the hours unreadable and says nothing.
  const periods = start === undefined || stop === undefined ? [] : [{ days: wh.daysOfWeek ?? [], startMinutes: start, endMinutes: stop }];
  return { timeZone: (wh.timeZone ?? {}) as WindowsTimeZone, periods };
}

/** automaticRepliesSetting: alwaysEnabled, or scheduled with its window; anything else is off. */
export function automaticRepliesToOof(a: { status: string; scheduledStartDateTime?: { dateTime: string; timeZone?: string | undefined } | null | undefined; scheduledEndDateTime?: { dateTime: string; timeZone?: string | undefined } | null | undefined }): OofReading {
  const status = a.status.toLowerCase();
  if (status === 'alwaysenabled') return { enabled: true };
  if (status === 'scheduled' && a.scheduledStartDateTime != null && a.scheduledEndDateTime != null) {
    const from = utcMs(a.scheduledStartDateTime);
    const until = utcMs(a.scheduledEndDateTime);
    if (from !== undefined && until !== undefined) return { enabled: true, from, until };
  }
  return { enabled: false };
}
