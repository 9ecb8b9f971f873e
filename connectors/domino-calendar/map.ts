/**
 * Pure Domino <-> neutral mappings (no I/O). Shapes as HCL publishes them:
 * - DRAPI PIM calendar entries (openapi.pim.json v1.0.2, `GET /calendar/{calid}`, schema JSEvent):
 *   JSCalendar-like, `start` a LocalDateTime in `timeZone` (an IANA name, a Notes zone string such
 *   as `Z=5$DO=1$DL=3 2 1 11 1 1$ZX=40$ZN=Eastern`, or absent for floating time), `duration` ISO 8601,
 *   `showWithoutTime` for all-day, `privacy` public|private|secret, `freeBusyStatus` free|busy,
 *   `status` confirmed|cancelled|tentative; recurring meetings come as one entry per instance
 *   (with `recurrenceId`).
 * - DAS free/busy (das-api-specs freebusy.yaml): `{start, end, busyTimes?: [{start:{date,time,utc}, end}]}`,
 *   `busyTimes` left out when there is none.
 */
import { DateTime, Duration, FixedOffsetZone, IANAZone, type Zone } from 'luxon';
import type { BusyBlock } from '../calendar-common/blocks.ts';
import { CustomTimeZone, resolveZone, type TransitionRule } from '../calendar-common/time-zone.ts';

export interface DrapiEntry {
  readonly start?: unknown;
  readonly duration?: unknown;
  readonly timeZone?: unknown;
  readonly title?: unknown;
  readonly privacy?: unknown;
  readonly showWithoutTime?: unknown;
  readonly freeBusyStatus?: unknown;
  readonly status?: unknown;
}

/** Notes zone string -> the offset (minutes east of UTC) at a local wall time; undefined: unreadable. */
export function notesZoneOffset(zone: string, local: { year: number; month: number; day: number; hour: number }): number | undefined {
  const parts = new Map(zone.split('$').map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)] as const));
  const z = Number(parts.get('Z'));
  if (!parts.has('Z') || !Number.isFinite(z) || Math.abs(z) > 14) return undefined;
  // Notes counts hours west of Greenwich: Z=5 is UTC-5. A fraction is hours.minutes in hundredths of an hour.
  const standard = 0 - Math.round(z * 60);
  if (parts.get('DO') !== '1') return standard;
  // DL=<start month> <week> <weekday> <end month> <week> <weekday>: week -1 is the last, weekday 1 is Sunday; the change at 02:00 local.
  const dl = (parts.get('DL') ?? '').trim().split(/\s+/).map(Number);
  if (dl.length < 6 || dl.some((n) => !Number.isInteger(n))) return undefined;
  const change = (month: number, week: number, weekday: number): number => {
    const first = DateTime.utc(local.year, month, 1);
    const lastDay = first.daysInMonth ?? 28;
    const dayOf = (d: number): number => (DateTime.utc(local.year, month, d).weekday % 7) + 1; // luxon 1=Mon..7=Sun -> 1=Sun
    const days = Array.from({ length: lastDay }, (_, i) => i + 1).filter((d) => dayOf(d) === weekday);
    const d = week === -1 || week > days.length ? days.at(-1)! : days[week - 1]!;
    return Date.UTC(local.year, month - 1, d, 2);
  };
  const wall = Date.UTC(local.year, local.month - 1, local.day, local.hour);
  const from = change(dl[0]!, dl[1]!, dl[2]!);
  const until = change(dl[3]!, dl[4]!, dl[5]!);
  const summer = from < until ? wall >= from && wall < until : wall >= from || wall < until;
  return summer ? standard + 60 : standard;
}

function zoneOf(tz: unknown, startLocal: string, fallback: string): Zone | string {
  if (tz === undefined || tz === null || tz === '') return IANAZone.create(fallback);
  if (typeof tz !== 'string') return 'timeZone is not a string';
  if (tz.includes('Z=')) {
    const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})/.exec(startLocal);
    if (m === null) return 'start is not a local date-time';
    const off = notesZoneOffset(tz, { year: +m[1]!, month: +m[2]!, day: +m[3]!, hour: +m[4]! });
    return off === undefined ? `unreadable Notes time zone ${JSON.stringify(tz.slice(0, 80))}` : FixedOffsetZone.instance(off);
  }
  const z = IANAZone.create(tz);
  return z.isValid ? z : `unknown time zone ${JSON.stringify(tz.slice(0, 64))}`;
}

/** One PIM calendar entry -> a busy block; a string says what is wrong with it. */
export function drapiEntryToBlock(e: DrapiEntry, defaultTimeZone: string): BusyBlock | string {
  if (typeof e.start !== 'string') return 'entry without start';
  // A start with its own offset or Z is absolute; otherwise local in timeZone (JSCalendar LocalDateTime).
  const absolute = /(Z|[+-]\d{2}:?\d{2})$/.test(e.start);
  const zone = absolute ? FixedOffsetZone.utcInstance : zoneOf(e.timeZone, e.start, defaultTimeZone);
  if (typeof zone === 'string') return zone;
  const start = DateTime.fromISO(e.start, absolute ? { setZone: true } : { zone });
  if (!start.isValid) return `unreadable start ${JSON.stringify(e.start.slice(0, 40))}`;
  const dur = Duration.fromISO(typeof e.duration === 'string' ? e.duration : 'PT0S');
  if (!dur.isValid) return `unreadable duration ${JSON.stringify(String(e.duration).slice(0, 40))}`;
  // JSCalendar: days are added in local time first (a day across a DST change is 23 or 25 hours).
  const from = start.toMillis();
  const until = start.plus(dur).toMillis();
  const cancelled = e.status === 'cancelled';
  const status = cancelled || e.freeBusyStatus === 'free' ? 'free' : e.status === 'tentative' ? 'tentative' : 'busy';
  const isPrivate = e.privacy === 'private' || e.privacy === 'secret';
  return { from, until, status, isPrivate, ...(typeof e.title === 'string' && !isPrivate ? { subject: e.title } : {}) };
}

interface DasTime {
  readonly date?: unknown;
  readonly time?: unknown;
  readonly utc?: unknown;
}
function dasTime(t: DasTime | undefined): number | undefined {
  if (t === undefined || typeof t.date !== 'string') return undefined;
  const time = typeof t.time === 'string' ? t.time : '00:00:00';
  // DAS answers UTC here (`utc: true`); a local time without a zone is not something it documents.
  if (t.utc === false) return undefined;
  const ms = Date.parse(`${t.date}T${time}Z`);
  return Number.isFinite(ms) ? ms : undefined;
}

/** A DAS free/busy answer -> busy blocks; a string says what is wrong. No `busyTimes`: nothing busy. */
export function dasBusyTimesToBlocks(body: unknown): BusyBlock[] | string {
  if (typeof body !== 'object' || body === null) return 'free/busy answer is not an object';
  const list = (body as { busyTimes?: unknown }).busyTimes;
  if (list === undefined) return [];
  if (!Array.isArray(list)) return 'busyTimes is not an array';
  const out: BusyBlock[] = [];
  for (const b of list as { start?: DasTime; end?: DasTime }[]) {
    const from = dasTime(b?.start);
    const until = dasTime(b?.end);
    if (from === undefined || until === undefined) return 'a busy time without a readable UTC start and end';
    out.push({ from, until, status: 'busy' });
  }
  return out;
}

/** DAS parses since/before strictly: UTC without milliseconds (toISOString() output is refused). */
export function dasDate(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** DRAPI startdate/enddate are dates (enddate inclusive), in UTC here; the engine drops what lies outside the window. */
export function drapiDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

// --- DAS calendar events (das-api-specs calendar.yaml; the DAS calendar service source) -------------

/** `exDateTime`: `date` with `time` in UTC (`utc: true`) or in `tzid`; `date` alone is an all-day date. */
export interface DasDateTime {
  readonly date?: unknown;
  readonly time?: unknown;
  readonly utc?: unknown;
  readonly tzid?: unknown;
}

/** One event of `GET /{db}/api/calendar/events` (calendar.yaml `event`); instances of a recurring event come one by one with `recurrenceId`. */
export interface DasEvent {
  readonly id?: unknown;
  readonly summary?: unknown;
  readonly start?: DasDateTime;
  readonly end?: DasDateTime;
  /** iCalendar CLASS, lower-cased: public, private, confidential. */
  readonly class?: unknown;
  /** iCalendar TRANSP, lower-cased: opaque, transparent. */
  readonly transparency?: unknown;
  /** iCalendar STATUS, lower-cased: confirmed, tentative, cancelled. */
  readonly status?: unknown;
  readonly recurrenceId?: unknown;
  readonly sequence?: unknown;
  /** Notes appointment type: 0 appointment, 1 anniversary, 2 all day event, 3 meeting, 4 reminder. */
  readonly 'x-lotus-appttype'?: { readonly data?: unknown };
  /** A notice (e.g. `I`, an invitation not yet answered) rather than an accepted entry. */
  readonly 'x-lotus-noticetype'?: { readonly data?: unknown };
}

interface DasObservance {
  readonly offsetTo?: unknown;
  readonly recurrenceRule?: unknown;
}
/** calendar.yaml `timeZone`: `tzid` with its standard and daylight observances (iCalendar VTIMEZONE). */
export interface DasTimeZone {
  readonly tzid?: unknown;
  readonly standard?: DasObservance;
  readonly daylight?: DasObservance;
}

const ICAL_DAYS: Record<string, string> = { SU: 'sunday', MO: 'monday', TU: 'tuesday', WE: 'wednesday', TH: 'thursday', FR: 'friday', SA: 'saturday' };

/** `-0500` -> -300 (minutes east of UTC). */
function icalOffset(v: unknown): number | undefined {
  const m = typeof v === 'string' ? /^([+-])(\d{2})(\d{2})$/.exec(v.trim()) : null;
  return m === null ? undefined : (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3]));
}

/** `FREQ=YEARLY;BYMONTH=3;BYDAY=2SU;BYHOUR=2;BYMINUTE=0` -> the transition rule (BYDAY -1 is the last). */
function icalRule(v: unknown): TransitionRule | undefined {
  if (typeof v !== 'string') return undefined;
  const parts = new Map(v.split(';').map((p) => p.split('=') as [string, string]));
  const day = /^(-?\d)?(SU|MO|TU|WE|TH|FR|SA)$/.exec(parts.get('BYDAY') ?? '');
  const month = Number(parts.get('BYMONTH'));
  if (parts.get('FREQ') !== 'YEARLY' || day === null || !(month >= 1 && month <= 12)) return undefined;
  const n = Number(day[1] ?? 1);
  const hh = String(Number(parts.get('BYHOUR') ?? 2)).padStart(2, '0');
  const mm = String(Number(parts.get('BYMINUTE') ?? 0)).padStart(2, '0');
  return { month, dayOccurrence: n === -1 ? 5 : n, dayOfWeek: ICAL_DAYS[day[2]!]!, time: `${hh}:${mm}` };
}

/** The `timezones` of an events answer as zones by tzid; one that cannot be read is left out. */
export function dasZones(list: unknown): Map<string, Zone> {
  const out = new Map<string, Zone>();
  if (!Array.isArray(list)) return out;
  for (const tz of list as DasTimeZone[]) {
    if (typeof tz?.tzid !== 'string') continue;
    const std = icalOffset(tz.standard?.offsetTo);
    if (std === undefined) continue;
    const dst = icalOffset(tz.daylight?.offsetTo);
    const toStandard = icalRule(tz.standard?.recurrenceRule);
    const toDaylight = icalRule(tz.daylight?.recurrenceRule);
    const rules = dst !== undefined && toStandard !== undefined && toDaylight !== undefined ? { toStandard, toDaylight } : undefined;
    out.set(tz.tzid, new CustomTimeZone(tz.tzid, -std, rules, rules !== undefined ? -(dst! - std) : 0));
  }
  return out;
}

function dasInstant(t: DasDateTime | undefined, zones: ReadonlyMap<string, Zone>, defaultTimeZone: string): { dt: DateTime; allDay: boolean } | string {
  if (t === undefined || typeof t.date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(t.date)) return 'a start or end without a date';
  if (t.time === undefined || t.time === null) {
    const dt = DateTime.fromISO(t.date, { zone: IANAZone.create(defaultTimeZone) });
    return dt.isValid ? { dt, allDay: true } : `unreadable date ${JSON.stringify(t.date)}`;
  }
  if (typeof t.time !== 'string') return 'time is not a string';
  let zone: Zone;
  if (t.utc === true) zone = FixedOffsetZone.utcInstance;
  else if (typeof t.tzid === 'string' && t.tzid !== '') {
    const z = zones.get(t.tzid) ?? resolveZone({ name: t.tzid });
    if (z === undefined) return `unknown time zone ${JSON.stringify(t.tzid.slice(0, 64))}`;
    zone = z;
  } else zone = IANAZone.create(defaultTimeZone);
  const dt = DateTime.fromISO(`${t.date}T${t.time}`, { zone });
  return dt.isValid ? { dt, allDay: false } : `unreadable time ${JSON.stringify(`${t.date}T${t.time}`.slice(0, 40))}`;
}

/**
 * One DAS event -> a busy block; a string says what is wrong with it. Private and confidential
 * entries (CLASS) reveal no subject; transparent entries, cancelled ones, anniversaries and
 * reminders are free; a tentative one or an invitation not yet answered is tentative. An all-day
 * entry (dates without times) runs from midnight of its first day to midnight after its last in
 * `defaultTimeZone` (the end date is exclusive, as iCalendar's DTEND;VALUE=DATE).
 */
export function dasEventToBlock(e: DasEvent, zones: ReadonlyMap<string, Zone>, defaultTimeZone: string): BusyBlock | string {
  const s = dasInstant(e.start, zones, defaultTimeZone);
  if (typeof s === 'string') return s;
  let until: number;
  if (e.end === undefined) until = s.allDay ? s.dt.plus({ days: 1 }).toMillis() : s.dt.toMillis();
  else {
    const en = dasInstant(e.end, zones, defaultTimeZone);
    if (typeof en === 'string') return en;
    until = en.dt.toMillis();
  }
  const from = s.dt.toMillis();
  if (until < from) return 'ends before it starts';
  const appt = String(e['x-lotus-appttype']?.data ?? '');
  const free = e.transparency === 'transparent' || e.status === 'cancelled' || appt === '1' || appt === '4';
  const tentative = e.status === 'tentative' || e['x-lotus-noticetype']?.data !== undefined;
  const status = free ? 'free' : tentative ? 'tentative' : 'busy';
  const isPrivate = e.class === 'private' || e.class === 'confidential';
  return { from, until, status, isPrivate, ...(typeof e.summary === 'string' && e.summary !== '' && !isPrivate ? { subject: e.summary } : {}) };
}

/** `Content-Range: items 0-49` -> the last index; undefined when absent or unreadable. */
export function dasRangeEnd(header: string | null): number | undefined {
  const m = /^items\s+(\d+)-(\d+)/.exec(header ?? '');
  return m === null ? undefined : Number(m[2]);
}

/** The mail database of a person: the configured one for the identity, else the pattern with `{local}`. */
export function dasMailFile(identity: string, das: { mailFile: string; mailFiles: Readonly<Record<string, string>> }): string | undefined {
  const own = Object.entries(das.mailFiles).find(([k]) => k.toLowerCase() === identity.toLowerCase())?.[1];
  if (own !== undefined) return own;
  if (!identity.toLowerCase().startsWith('mailto:')) return undefined;
  const local = identity.slice('mailto:'.length).split('@')[0]!.toLowerCase();
  return das.mailFile.replaceAll('{local}', local);
}
