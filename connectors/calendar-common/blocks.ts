import { createHash } from 'node:crypto';
import { CLASS_MIDPOINT } from '../../core/model/availability.ts';

/**
 * Busy blocks as every calendar source reports them (Graph scheduleItem, EWS CalendarEvent or
 * MergedFreeBusy, Domino free time), the status in the vocabulary Exchange and Graph share
 * (LegacyFreeBusyStatus / freeBusyStatus: Free, Tentative, Busy, OOF, WorkingElsewhere, NoData).
 */
export const BUSY_STATUSES = ['free', 'tentative', 'busy', 'oof', 'workingElsewhere', 'unknown'] as const;
export type BusyStatus = (typeof BUSY_STATUSES)[number];

export interface BusyBlock {
  readonly from: number;
  readonly until: number;
  readonly status: BusyStatus;
  /** Only ever shown with `details: subject`, and never when `isPrivate`. */
  readonly subject?: string | undefined;
  readonly isPrivate?: boolean | undefined;
}

export type AvailabilityInput = 'available' | 'busy' | 'dnd' | 'away' | 'offline' | number;
/** What one status becomes: an availability and an activity token; `null` says nothing. */
export type StatusMapping = { readonly availability: AvailabilityInput; readonly activity: string } | null;
export type StatusMap = Readonly<Record<BusyStatus, StatusMapping>>;

/**
 * The default mapping (the hub's activity rules: in-a-meeting 6500, out-of-office 15500). Tentative
 * says nothing by default: a meeting not yet accepted does not make anyone busy; configure it as busy
 * where the organisation wants that.
 */
export const DEFAULT_STATUS_MAP: StatusMap = {
  free: null,
  tentative: null,
  busy: { availability: 'busy', activity: 'in-a-meeting' },
  oof: { availability: 'away', activity: 'out-of-office' },
  workingElsewhere: { availability: 'available', activity: 'working-elsewhere' },
  unknown: null,
};

/** A status word from any source (any case) to the shared vocabulary; undefined when unknown. */
export function busyStatusOf(word: string): BusyStatus | undefined {
  const w = word.trim().toLowerCase();
  if (w === 'nodata') return 'unknown';
  return BUSY_STATUSES.find((s) => s.toLowerCase() === w);
}

/** One block as it will be sent: its mapping applied, the text (subject) decided. */
export interface MappedBlock {
  readonly from: number;
  readonly until: number;
  readonly status: BusyStatus;
  readonly availability: AvailabilityInput;
  readonly activity: string;
  readonly text?: string;
}

const rank = (a: AvailabilityInput): number => (typeof a === 'number' ? a : CLASS_MIDPOINT[a]);

/**
 * The blocks to send, de-duplicated: blocks already over, empty or unmapped are dropped; blocks of
 * the same status and the same subject (or none) that overlap or touch become one; blocks at
 * exactly the same time with different subjects become one without a subject; a block wholly
 * inside a less available one is dropped, since it can never decide.
 * Private blocks never carry a subject; with `details: none` no block does.
 */
export function normalizeBlocks(blocks: readonly BusyBlock[], o: { map: StatusMap; details: 'none' | 'subject'; now: number }): MappedBlock[] {
  const mapped: MappedBlock[] = [];
  for (const b of blocks) {
    const m = o.map[b.status];
    if (m === null || !Number.isFinite(b.from) || !Number.isFinite(b.until) || b.until <= b.from || b.until <= o.now) continue;
    const subject = o.details === 'subject' && b.isPrivate !== true ? b.subject?.trim().slice(0, 256) : undefined;
    mapped.push({ from: b.from, until: b.until, status: b.status, availability: m.availability, activity: m.activity, ...(subject ? { text: subject } : {}) });
  }
  mapped.sort((a, b) => a.from - b.from || a.until - b.until);
  // Same status, overlapping or touching, same text: one block.
  const merged: MappedBlock[] = [];
  for (const b of mapped) {
    const i = merged.findIndex((m) => m.status === b.status && m.text === b.text && b.from <= m.until);
    if (i < 0) {
      merged.push(b);
      continue;
    }
    const m = merged[i]!;
    merged[i] = { ...m, until: Math.max(m.until, b.until) };
  }
  // Exact duplicates with different texts: one block without a text (which subject would be true?).
  const byKey = new Map<string, MappedBlock>();
  for (const b of merged) {
    const k = `${b.from}/${b.until}/${b.status}`;
    const prev = byKey.get(k);
    if (prev === undefined) byKey.set(k, b);
    else if (prev.text !== b.text) byKey.set(k, { from: b.from, until: b.until, status: b.status, availability: b.availability, activity: b.activity });
  }
  const unique = [...byKey.values()];
  return unique.filter((b) => !unique.some((o2) => o2 !== b && rank(o2.availability) > rank(b.availability) && o2.from <= b.from && o2.until >= b.until));
}

/** A stable endpoint per block: the same block read twice replaces its own register. */
export function blockEndpoint(from: number, until: number, status: string): string {
  return `cal-${createHash('sha256').update(`${from}/${until}/${status.toLowerCase()}`).digest('hex').slice(0, 16)}`;
}
