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

/**
 * The last changes and signals per person, for the admin's person page, kept in the pipeline's
 * timeline store (bounded per person there; shared by every node in Redis mode). Fed by the node
 * that applied the signal or committed the change, so each entry is written once.
 */
export class Timeline {
  constructor(private readonly deps: { store: TimelineStore; now: () => number; log: Logger }) {}

  changes(changes: readonly Presence[]): void {
    const at = this.deps.now();
    this.write(changes.map((p) => ({ person: p.person, entry: JSON.stringify({ at, type: 'change', presence: p } satisfies TimelineEntry) })));
  }

  signals(items: readonly { signal: Signal; outcome: ApplyOutcome }[]): void {
    const at = this.deps.now();
    this.write(items.map(({ signal, outcome }) => ({ person: signal.person, entry: JSON.stringify({ at, type: 'signal', outcome, signal } satisfies TimelineEntry) })));
  }

  /** The person's entries, newest first. */
  async entries(person: string): Promise<TimelineEntry[]> {
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

  private write(entries: { person: string; entry: string }[]): void {
    if (entries.length === 0) return;
    this.deps.store.append(entries).catch((e: unknown) => this.deps.log.warn({ err: errorMessage(e) }, 'timeline entries not stored'));
  }
}
