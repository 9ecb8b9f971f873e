/**
 * The calendar engine: one implementation, shared by every calendar connector (msgraph-calendar,
 * ews-calendar, domino-calendar), of what a calendar means for presence. A connector only reads its
 * wire format and hands the engine, per mailbox, a neutral `CalendarReading`; the engine answers
 * the signals to emit. Interface (see README.md beside this file):
 *
 *   const engine = new CalendarEngine({ source: ctx.id, details: 'none', lookahead, interval });
 *   const { start, end } = engine.window(now);          // what to fetch: [now, now + lookahead)
 *   const signals = engine.apply('mailto:a@corp.example', { blocks, oof, workingHours }, now);
 *   if (signals.length > 0) await ctx.emit(signals);    // only what changed
 *   engine.forget(identity);                            // the emit failed: send it whole next time
 *   engine.retain(identities);                          // forget mailboxes no longer served
 *
 * What it guarantees:
 * - each busy block is a windowed `calendar` register (`from`/`until`, expire type `time`, endpoint
 *   `cal-<hash of from, until, status>`), so presence flips at the block's start and end by itself,
 *   with no poll at that moment;
 * - blocks are de-duplicated (normalizeBlocks in blocks.ts): overlapping blocks of one status (and
 *   one subject) are one register; a block inside a less available one is dropped;
 * - subjects reach watchers only with `details: 'subject'`, only as the activity text, never for a
 *   private block;
 * - out of office (`oof`) is one register, endpoint `mailbox-oof`; "always on" is announced up to the
 *   window's end and re-announced only when that end comes near (no churn every poll);
 * - working hours (`workingHours`, when enabled) give `off-work` registers for the gaps between
 *   working periods, in the mailbox's own time zone;
 * - refresh without churn: a register unchanged since the last reading is not sent again (unless
 *   `resendAfter` has passed since it was sent); a register that disappeared (a cancelled meeting, OOF
 *   switched off) is cleared at once with a signal whose window ends now;
 * - a part of a reading left `undefined` (`oof`, `workingHours`) was not read this time: what was
 *   said about it stands.
 * The engine holds only what it last sent, per mailbox; after a restart it sends everything once.
 */
import type { SignalInput } from '../../core/model/signal.ts';
import { blockEndpoint, DEFAULT_STATUS_MAP, normalizeBlocks, type BusyBlock, type StatusMap, type StatusMapping } from './blocks.ts';
import { offWorkWindows, type Window, type WorkingHours } from './working-hours.ts';
import { createHash } from 'node:crypto';

export type OofReading = { readonly enabled: false } | { readonly enabled: true; readonly from?: number | undefined; readonly until?: number | undefined };

export interface CalendarReading {
  readonly blocks: readonly BusyBlock[];
  /** Out of office; `undefined`: not read this time. Enabled without a window: on until switched off. */
  readonly oof?: OofReading | undefined;
  /** `null`: the source says nothing about working hours; `undefined`: not read this time. */
  readonly workingHours?: WorkingHours | null | undefined;
}

export interface CalendarEngineOptions {
  /** The connector instance id: the `source` of every signal. */
  readonly source: string;
  /** What may reach watchers: `subject` shows non-private subjects as the activity text. */
  readonly details: 'none' | 'subject';
  /** How far ahead to read. */
  readonly lookahead: number;
  /** The poll interval: an open-ended OOF is re-announced when its window ends within two polls. */
  readonly interval: number;
  readonly statusMap?: Partial<StatusMap> | undefined;
  readonly oof?: StatusMapping | undefined;
  /** Off-work registers outside working hours; undefined: none. */
  readonly workingHours?: { readonly outsideAvailability: 'away' | 'offline' } | undefined;
  /** Re-send an unchanged register when it was last sent this long ago; default never. */
  readonly resendAfter?: number | undefined;
  /** Counters for health (working_hours_unreadable). */
  readonly count?: ((name: string, n?: number) => void) | undefined;
}

interface Sent {
  readonly signal: SignalInput;
  readonly at: number;
}

const OOF_ENDPOINT = 'mailbox-oof';
const iso = (ms: number): string => new Date(ms).toISOString();
const sameContent = (a: SignalInput, b: SignalInput): boolean => JSON.stringify({ ...a, sourceTime: 0 }) === JSON.stringify({ ...b, sourceTime: 0 });

export class CalendarEngine {
  private readonly map: StatusMap;
  private readonly oofMapping: StatusMapping;
  /** Per identity: endpoint -> the signal last sent and when. */
  private readonly known = new Map<string, Map<string, Sent>>();

  constructor(private readonly o: CalendarEngineOptions) {
    this.map = { ...DEFAULT_STATUS_MAP, ...o.statusMap };
    this.oofMapping = o.oof === undefined ? { availability: 'away', activity: 'out-of-office' } : o.oof;
  }

  /** The window ahead to fetch. */
  window(now: number): { start: number; end: number } {
    return { start: now, end: now + this.o.lookahead };
  }

  /** The signals that bring the hub's registers for `identity` to what `reading` says. */
  apply(identity: string, reading: CalendarReading, now: number): SignalInput[] {
    const before = this.known.get(identity) ?? new Map<string, Sent>();
    const end = now + this.o.lookahead;
    const wanted = new Map<string, SignalInput>();
    const base = { identity, source: this.o.source, category: 'calendar' as const, expireType: 'time' as const, sourceTime: iso(now) };
    for (const b of normalizeBlocks(reading.blocks, { map: this.map, details: this.o.details, now })) {
      const endpoint = blockEndpoint(b.from, b.until, b.status);
      wanted.set(endpoint, { ...base, endpoint, availability: b.availability, activity: b.text !== undefined ? { token: b.activity, text: b.text } : b.activity, from: iso(b.from), until: iso(b.until) });
    }
    // OOF: read now, or as said before.
    if (reading.oof === undefined) {
      const prev = before.get(OOF_ENDPOINT);
      if (prev !== undefined) wanted.set(OOF_ENDPOINT, prev.signal);
    } else {
      const w = this.oofWindow(reading.oof, before.get(OOF_ENDPOINT)?.signal, now, end);
      if (w !== undefined && this.oofMapping !== null) wanted.set(OOF_ENDPOINT, { ...base, endpoint: OOF_ENDPOINT, availability: this.oofMapping.availability, activity: this.oofMapping.activity, from: iso(w.from), until: iso(w.until) });
    }
    // Working hours: read now, or as said before.
    if (this.o.workingHours !== undefined) {
      if (reading.workingHours === undefined) {
        for (const [ep, s] of before) if (ep.startsWith('off-work-')) wanted.set(ep, s.signal);
      } else if (reading.workingHours !== null) {
        const windows = offWorkWindows(reading.workingHours, now, end);
        if (windows === undefined) this.o.count?.('working_hours_unreadable');
        for (const w of windows ?? []) {
          const endpoint = offWorkEndpoint(w);
          wanted.set(endpoint, { ...base, endpoint, availability: this.o.workingHours.outsideAvailability, activity: 'off-work', from: iso(w.from), until: iso(w.until) });
        }
      }
    }
    return this.diff(identity, before, wanted, now);
  }

  /** Forgets every mailbox not in `identities` (it left the directory): nothing more is sent for it. */
  retain(identities: Iterable<string>): void {
    const keep = new Set(identities);
    for (const id of this.known.keys()) if (!keep.has(id)) this.known.delete(id);
  }

  /** Forgets one mailbox (its signals could not be emitted): its next reading is sent whole. */
  forget(identity: string): void {
    this.known.delete(identity);
  }

  /** Forgets everything: the next reading of each mailbox is sent whole (after the hub may have lost registers). */
  reset(): void {
    this.known.clear();
  }

  private oofWindow(oof: OofReading, prev: SignalInput | undefined, now: number, end: number): Window | undefined {
    if (!oof.enabled) return undefined;
    if (oof.from === undefined && oof.until === undefined) {
      // On until switched off: keep the window already announced while it covers the next polls.
      if (prev !== undefined && Date.parse(prev.until!) > now + 2 * this.o.interval) return { from: Date.parse(prev.from!), until: Date.parse(prev.until!) };
      return { from: now, until: end };
    }
    const from = oof.from ?? now;
    const until = oof.until ?? end;
    return until > now && until > from ? { from, until } : undefined;
  }

  private diff(identity: string, before: Map<string, Sent>, wanted: Map<string, SignalInput>, now: number): SignalInput[] {
    const out: SignalInput[] = [];
    const after = new Map<string, Sent>();
    for (const [ep, s] of wanted) {
      const prev = before.get(ep);
      const stale = this.o.resendAfter !== undefined && prev !== undefined && now - prev.at >= this.o.resendAfter;
      if (prev !== undefined && sameContent(prev.signal, s) && !stale) {
        after.set(ep, prev);
        continue;
      }
      out.push(s);
      after.set(ep, { signal: s, at: now });
    }
    for (const [ep, old] of before) {
      if (wanted.has(ep) || Date.parse(old.signal.until!) <= now) continue;
      // Gone (cancelled, switched off): a window that ends now, so the register stops counting at once.
      out.push({ identity, source: this.o.source, endpoint: ep, category: 'calendar', availability: 'available', from: iso(now - 1), until: iso(now), expireType: 'time', sourceTime: iso(now) });
    }
    this.known.set(identity, after);
    return out;
  }
}

/** The endpoint of one window outside working hours: stable for the same window. */
export function offWorkEndpoint(w: Window): string {
  return `off-work-${createHash('sha256').update(`${w.from}/${w.until}`).digest('hex').slice(0, 16)}`;
}
