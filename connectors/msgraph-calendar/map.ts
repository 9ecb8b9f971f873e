import { createHash } from 'node:crypto';
import type { SignalInput } from '../../core/model/signal.ts';
import type { ScheduleItem } from '../msgraph-shared/schemas.ts';

/**
 * scheduleItem.status (freeBusyStatus: free, tentative, busy, oof, workingElsewhere, unknown;
 * Graph scheduleItem resource) to the neutral calendar signal. Private items never carry subject
 * or location: only the activity token. Unknown statuses say nothing (no signal).
 */
export const STATUS: Record<string, { availability: 'available' | 'busy' | 'away'; token: string } | undefined> = {
  busy: { availability: 'busy', token: 'in-a-meeting' },
  tentative: { availability: 'busy', token: 'in-a-meeting' },
  oof: { availability: 'away', token: 'out-of-office' },
  workingelsewhere: { availability: 'available', token: 'working-elsewhere' },
  free: undefined,
  unknown: undefined,
};

/** dateTimeTimeZone in UTC (we ask for UTC: Prefer outlook.timezone="UTC") to epoch ms. */
export function utcMs(d: { dateTime: string; timeZone?: string | undefined }): number | undefined {
  const tz = (d.timeZone ?? 'UTC').toUpperCase();
  if (tz !== 'UTC' && tz !== 'COORDINATED UNIVERSAL TIME') return undefined;
  const ms = Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(d.dateTime) ? d.dateTime : `${d.dateTime}Z`);
  return Number.isFinite(ms) ? ms : undefined;
}

/** A stable endpoint per meeting: the same item read twice replaces its own register. */
export function eventEndpoint(from: number, until: number, status: string): string {
  return `cal-${createHash('sha256').update(`${from}/${until}/${status.toLowerCase()}`).digest('hex').slice(0, 16)}`;
}

export function scheduleItemToSignal(
  item: ScheduleItem,
  o: { identity: string; source: string; exposeSubjects: boolean; tentativeAsBusy: boolean; now: number },
): SignalInput | undefined {
  const status = item.status.toLowerCase();
  if (status === 'tentative' && !o.tentativeAsBusy) return undefined;
  const m = STATUS[status];
  const from = utcMs(item.start);
  const until = utcMs(item.end);
  if (m === undefined || from === undefined || until === undefined || until <= from || until <= o.now) return undefined;
  const s: SignalInput = {
    identity: o.identity,
    source: o.source,
    endpoint: eventEndpoint(from, until, status),
    category: 'calendar',
    availability: m.availability,
    from: new Date(from).toISOString(),
    until: new Date(until).toISOString(),
    expireType: 'time',
    sourceTime: new Date(o.now).toISOString(),
  };
  const subject = item.subject?.trim();
  s.activity = item.isPrivate !== true && o.exposeSubjects && subject ? { token: m.token, text: subject.slice(0, 256) } : m.token;
  return s;
}
