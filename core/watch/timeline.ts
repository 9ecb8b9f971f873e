import type { AvailabilityClass, MachineState } from '../model/availability.ts';
import type { Presence } from '../model/presence.ts';
import type { ApplyOutcome } from '../model/register.ts';
import type { Category, ExpireType, Signal } from '../model/signal.ts';
import type { TimelineStore } from '../pipeline/ports.ts';
import { errorMessage } from '../errors.ts';
import { jsonNumber, jsonText } from '../util/json-text.ts';
import type { Logger } from '../util/logger.ts';

/**
 * One line of a person's recent history: a presence change or a signal the manager applied. A
 * change read back holds what its personal view shows (api/routes/timeline.ts), with `version` the
 * full view's version; the presence's internal fields (deciding source, view stamps) are not kept.
 */
export type TimelineEntry =
  | { readonly at: number; readonly type: 'change'; readonly presence: Presence }
  | { readonly at: number; readonly type: 'signal'; readonly outcome: ApplyOutcome; readonly signal: Signal };

const opt = (t: string | undefined): string => (t === undefined ? 'null' : jsonText(t));
const optNum = (n: number | undefined): string => (n === undefined ? 'null' : jsonNumber(n));

/**
 * A stored entry is a JSON array, positional, person left out (the list is the person's), built as
 * text: a third to a fifth of the bytes of the object with its keys, and no key walk per entry.
 * Signal: `[0, at, outcome, source, endpoint, category, expireType, availability, activity token,
 * activity text, sourceVersion, machineState, from, until, sourceTime, id]`, trailing absent
 * fields left out, the others null. Change: `[1, at, availability, class, activity token, activity
 * text, since, full view version, machineState, lastActive]`, the same way. An entry written by an
 * earlier version (the object `{at, type, ...}`) is read as it is.
 */
export function signalEntry(at: number, outcome: ApplyOutcome, s: Signal): string {
  const tail = [optNum(s.sourceVersion), opt(s.machineState), optNum(s.from), optNum(s.until), optNum(s.sourceTime), opt(s.id)];
  let n = tail.length;
  while (n > 0 && tail[n - 1] === 'null') n--;
  let t = `[0,${jsonNumber(at)},${jsonText(outcome)},${jsonText(s.source)},${jsonText(s.endpoint)},${jsonText(s.category)},${jsonText(s.expireType)},${optNum(s.availability)},${opt(s.activity?.token)},${opt(s.activity?.text)}`;
  for (let i = 0; i < n; i++) t += `,${tail[i]}`;
  return `${t}]`;
}

export function changeEntry(at: number, p: Presence): string {
  let t = `[1,${jsonNumber(at)},${jsonNumber(p.availability)},${jsonText(p.class)},${jsonText(p.activity.token)},${jsonText(p.activity.text)},${jsonNumber(p.since)},${jsonNumber(p.views?.full ?? p.version)}`;
  if (p.machineState !== undefined || p.lastActive !== undefined) t += `,${opt(p.machineState)}`;
  if (p.lastActive !== undefined) t += `,${jsonNumber(p.lastActive)}`;
  return `${t}]`;
}

type Cell = string | number | null | undefined;
const text = (c: Cell): string | undefined => (typeof c === 'string' ? c : undefined);
const number = (c: Cell): number | undefined => (typeof c === 'number' ? c : undefined);

/** An entry as stored (either form) read back for `person`; undefined when it is neither. */
export function readEntry(person: string, raw: string): TimelineEntry | undefined {
  const v = JSON.parse(raw) as unknown;
  if (!Array.isArray(v)) return typeof v === 'object' && v !== null && 'type' in v ? (v as TimelineEntry) : undefined;
  const a = v as Cell[];
  const at = number(a[1]) ?? 0;
  if (a[0] === 1) {
    const presence: { -readonly [K in keyof Presence]: Presence[K] } = {
      person,
      availability: number(a[2]) ?? 0,
      class: text(a[3]) as AvailabilityClass,
      activity: { token: text(a[4]) ?? '', text: text(a[5]) ?? '' },
      since: number(a[6]) ?? 0,
      version: number(a[7]) ?? 0,
    };
    const ms = text(a[8]);
    if (ms !== undefined) presence.machineState = ms as MachineState;
    const la = number(a[9]);
    if (la !== undefined) presence.lastActive = la;
    return { at, type: 'change', presence };
  }
  if (a[0] !== 0) return undefined;
  const signal: { -readonly [K in keyof Signal]: Signal[K] } = {
    person,
    source: text(a[3]) ?? '',
    endpoint: text(a[4]) ?? '',
    category: text(a[5]) as Category,
    expireType: text(a[6]) as ExpireType,
  };
  const availability = number(a[7]);
  if (availability !== undefined) signal.availability = availability;
  const token = text(a[8]);
  const t = text(a[9]);
  if (token !== undefined || t !== undefined) signal.activity = t === undefined ? { token } : token === undefined ? { text: t } : { token, text: t };
  const sv = number(a[10]);
  if (sv !== undefined) signal.sourceVersion = sv;
  const ms = text(a[11]);
  if (ms !== undefined) signal.machineState = ms as MachineState;
  const from = number(a[12]);
  if (from !== undefined) signal.from = from;
  const until = number(a[13]);
  if (until !== undefined) signal.until = until;
  const st = number(a[14]);
  if (st !== undefined) signal.sourceTime = st;
  const id = text(a[15]);
  if (id !== undefined) signal.id = id;
  return { at, type: 'signal', outcome: text(a[2]) as ApplyOutcome, signal };
}

/** How long entries gather before they are written together (signals and the changes they caused: one write). */
export const TIMELINE_GATHER_MS = 25;

/**
 * The last changes and signals per person, for the admin's person page, kept in the pipeline's
 * timeline store (bounded per person there; shared by every node in Redis mode). Fed by the node
 * that applied the signal or committed the change, so each entry is written once. Entries gather
 * for TIMELINE_GATHER_MS and go to the store in one append, in the order they came: a batch's
 * signals and the changes they caused (a few Redis round trips apart) are one script call, not two
 * or more per batch. A read on this node writes what gathered first; once closed (the hub
 * stopping) each entry is written at once, while the store can still take it.
 */
export class Timeline {
  private pending: { person: string; entry: string }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private written: Promise<void> = Promise.resolve();

  constructor(private readonly deps: { store: TimelineStore; now: () => number; log: Logger; gatherMs?: number }) {}

  changes(changes: readonly Presence[]): void {
    const at = this.deps.now();
    for (const p of changes) this.pending.push({ person: p.person, entry: changeEntry(at, p) });
    this.gathered();
  }

  signals(items: readonly { signal: Signal; outcome: ApplyOutcome }[]): void {
    const at = this.deps.now();
    for (const { signal, outcome } of items) this.pending.push({ person: signal.person, entry: signalEntry(at, outcome, signal) });
    this.gathered();
  }

  /** The person's entries, newest first (what gathered on this node is written first). */
  async entries(person: string): Promise<TimelineEntry[]> {
    await this.flush();
    const out: TimelineEntry[] = [];
    for (const raw of await this.deps.store.read(person)) {
      try {
        const e = readEntry(person, raw);
        if (e !== undefined) out.push(e);
      } catch {
        // An unreadable line is skipped: the history is informative, never authoritative.
      }
    }
    return out;
  }

  /** Writes what gathered; from now on every entry is written at once. */
  close(): Promise<void> {
    this.closed = true;
    return this.flush();
  }

  private gathered(): void {
    if (this.pending.length === 0) return;
    if (this.closed) void this.flush();
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => void this.flush(), this.deps.gatherMs ?? TIMELINE_GATHER_MS);
      this.timer.unref?.();
    }
  }

  /** Resolves once everything gathered so far is written (or its failure logged). */
  private flush(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return this.written;
    const entries = this.pending;
    this.pending = [];
    this.written = this.deps.store.append(entries).catch((e: unknown) => this.deps.log.warn({ err: errorMessage(e), entries: entries.length }, 'timeline entries not stored'));
    return this.written;
  }
}
