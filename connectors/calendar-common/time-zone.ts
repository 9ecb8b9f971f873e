import { FixedOffsetZone, IANAZone, Zone } from 'luxon';
import { WINDOWS_TO_IANA_MAP, findIana } from 'windows-iana';

/**
 * Time zones of calendar working hours, in the Windows convention every Exchange API shares: a
 * Windows name ("Pacific Standard Time", mapped to IANA with the CLDR windowsZones table that
 * `windows-iana` ships), an IANA name, or a bias with daylight rules: Graph's customTimeZone
 * (calendar: getSchedule, Microsoft's own example returns one, "Customized Time Zone") and EWS's
 * SerializableTimeZone (WorkingHours/TimeZone: Bias, StandardTime, DaylightTime) carry the same
 * fields under other names; each connector's map.ts fills this shape.
 */
export interface TransitionRule {
  time?: string | null | undefined;
  dayOccurrence?: number | null | undefined;
  dayOfWeek?: string | null | undefined;
  month?: number | null | undefined;
  year?: number | null | undefined;
}
export interface WindowsTimeZone {
  name?: string | null | undefined;
  '@odata.type'?: string | undefined;
  bias?: number | null | undefined;
  standardOffset?: TransitionRule | null | undefined;
  daylightOffset?: (TransitionRule & { daylightBias?: number | null | undefined }) | null | undefined;
}

const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

const windowsNames = new Map<string, string>(WINDOWS_TO_IANA_MAP.map((e) => [e.windowsName.toLowerCase(), e.windowsName]));

/** The IANA zone for a Windows zone name (territory 001, the CLDR "golden" zone), any case. */
export function windowsToIana(name: string): string | undefined {
  const canonical = windowsNames.get(name.trim().toLowerCase());
  if (canonical === undefined) return undefined;
  return findIana(canonical, '001')[0] ?? findIana(canonical)[0];
}

/** `"02:00:00.0000000"` to minutes after midnight. */
export function minutesOf(t: string | null | undefined): number | undefined {
  const m = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/.exec(t ?? '');
  if (m === null) return undefined;
  const v = Number(m[1]) * 60 + Number(m[2]) + Number(m[3] ?? 0) / 60;
  return v <= 24 * 60 ? v : undefined;
}

/** The UTC instant of a recurring rule in `year`, as local wall time minus `offsetMin` (offset east of UTC). */
function transitionUtc(r: TransitionRule, year: number, offsetMin: number): number | undefined {
  const month = r.month ?? 0;
  const dow = WEEKDAYS.indexOf((r.dayOfWeek ?? '').toLowerCase());
  const occ = r.dayOccurrence ?? 0;
  const at = minutesOf(r.time) ?? 0;
  if (month < 1 || month > 12 || dow < 0 || occ < 1 || occ > 5) return undefined;
  // dayOccurrence 5 means the last such weekday of the month (Windows SYSTEMTIME convention).
  const first = new Date(Date.UTC(year, month - 1, 1)).getUTCDay();
  let day = 1 + ((dow - first + 7) % 7) + (occ - 1) * 7;
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  while (day > days) day -= 7;
  return Date.UTC(year, month - 1, day) + (at - offsetMin) * 60_000;
}

/**
 * A customTimeZone as a luxon Zone. Windows convention, which Microsoft's example follows
 * (bias 480 with daylightBias -60 is Pacific time): UTC = local + bias (+ daylightBias in summer).
 * Rules with a non-zero `year` (absolute, one-off dates) are not followed: the bias alone applies.
 */
export class CustomTimeZone extends Zone {
  private readonly std: number;
  private readonly dst: number | undefined;
  constructor(
    private readonly label: string,
    bias: number,
    private readonly rules?: { toStandard: TransitionRule; toDaylight: TransitionRule },
    daylightBias = 0,
  ) {
    super();
    this.std = -bias;
    this.dst = rules === undefined ? undefined : -(bias + daylightBias);
  }
  override get type(): string {
    return 'custom';
  }
  override get name(): string {
    return this.label;
  }
  override get isUniversal(): boolean {
    return this.dst === undefined;
  }
  override get isValid(): true {
    return true;
  }
  override offsetName(): string {
    return this.label;
  }
  override formatOffset(ts: number): string {
    const o = this.offset(ts);
    const a = Math.abs(o);
    return `${o < 0 ? '-' : '+'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
  }
  override offset(ts: number): number {
    if (this.rules === undefined || this.dst === undefined) return this.std;
    const year = new Date(ts + this.std * 60_000).getUTCFullYear();
    const toDst = transitionUtc(this.rules.toDaylight, year, this.std);
    const toStd = transitionUtc(this.rules.toStandard, year, this.dst);
    if (toDst === undefined || toStd === undefined) return this.std;
    // Northern hemisphere: summer between the two; southern: summer wraps the new year.
    const summer = toDst < toStd ? ts >= toDst && ts < toStd : ts >= toDst || ts < toStd;
    return summer ? this.dst : this.std;
  }
  override equals(other: Zone): boolean {
    return other === this;
  }
}

/** The luxon zone a Windows-convention time zone stands for; undefined when it names nothing known. */
export function resolveZone(tz: WindowsTimeZone | null | undefined): Zone | undefined {
  if (tz == null) return undefined;
  const isCustom = (tz['@odata.type'] ?? '').toLowerCase().endsWith('customtimezone') || (tz.bias != null && typeof tz.bias === 'number');
  if (isCustom && typeof tz.bias === 'number') {
    const d = tz.daylightOffset;
    const s = tz.standardOffset;
    const hasDst = d != null && s != null && (d.month ?? 0) > 0 && (s.month ?? 0) > 0 && (d.year ?? 0) === 0 && (s.year ?? 0) === 0 && (d.daylightBias ?? 0) !== 0;
    return new CustomTimeZone(tz.name ?? 'Customized Time Zone', tz.bias, hasDst ? { toStandard: s, toDaylight: d } : undefined, d?.daylightBias ?? 0);
  }
  const name = (tz.name ?? '').trim();
  if (name === '') return undefined;
  const upper = name.toUpperCase();
  if (upper === 'UTC' || upper === 'COORDINATED UNIVERSAL TIME' || upper === 'GMT') return FixedOffsetZone.utcInstance;
  const iana = windowsToIana(name) ?? (IANAZone.isValidZone(name) ? name : undefined);
  return iana === undefined ? undefined : IANAZone.create(iana);
}
