import type { Presence } from '../model/presence.ts';
import type { ApplyOutcome } from '../model/register.ts';
import type { Signal } from '../model/signal.ts';
import type { TimelineStore } from '../pipeline/ports.ts';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../util/logger.ts';

/** One line of a person's recent history: a presence change or a signal the manager applied. */
export type TimelineEntry =
  | { readonly at: number; readonly type: 'change'; readonly presence: Presence }
  | { readonly at: number; readonly type: 'signal'; readonly outcome: ApplyOutcome; readonly signal: Signal };

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
    for (const p of changes) this.pending.push({ person: p.person, entry: JSON.stringify({ at, type: 'change', presence: p } satisfies TimelineEntry) });
    this.gathered();
  }

  signals(items: readonly { signal: Signal; outcome: ApplyOutcome }[]): void {
    const at = this.deps.now();
    for (const { signal, outcome } of items) this.pending.push({ person: signal.person, entry: JSON.stringify({ at, type: 'signal', outcome, signal } satisfies TimelineEntry) });
    this.gathered();
  }

  /** The person's entries, newest first (what gathered on this node is written first). */
  async entries(person: string): Promise<TimelineEntry[]> {
    await this.flush();
    const out: TimelineEntry[] = [];
    for (const raw of await this.deps.store.read(person)) {
      try {
        out.push(JSON.parse(raw) as TimelineEntry);
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
