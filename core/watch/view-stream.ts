import type { Directory } from '../directory/directory.ts';
import type { Presence, PresenceView } from '../model/presence.ts';
import { containerOf, sharedView, sharedViewChange, type WatcherIdentity } from './watchers.ts';

/** What a view stream reads: the hub's directory, stored presence and change feed (core/hub.ts). */
export interface ViewSource {
  readonly directory: Directory;
  presence(people: readonly string[]): Promise<Presence[]>;
  onChange(listener: (prev: Presence | undefined, next: Presence) => void): () => void;
}

/** Where a view stream writes: one view at a time, with back-pressure between chunks. */
export interface ViewSink {
  /**
   * One view; `id` is the view's own version (never the presence's: see core/model/presence.ts).
   * `data` is the view's JSON, made once and shared by every stream that sends the same view.
   */
  send(view: PresenceView, id: number, data: string): void;
  /** Resolves when the client has read what was written (or went away). */
  drained(): Promise<void>;
  readonly closed: boolean;
}

const CHUNK = 2000;

/**
 * One watcher's live views of a set of people (everyone when `people` is undefined): the current
 * view of each first, then one view per change of what this watcher sees. The SSE route
 * (api/routes/stream.ts) is its transport only; the decisions are here:
 * - each view is the watcher's container's view (watchers.ts), and its id is that view's version,
 *   so a blocked watcher gets version 0 for ever, exactly what it gets for someone who never
 *   signed in, and a company watcher's ids do not count hidden activity changes;
 * - a change is sent only when the watcher's view differs (sharedViewChange);
 * - changes that arrive while the current views are being sent wait, then go only if newer than
 *   the view already sent, so ids never go back for a person.
 */
export class ViewStream {
  private backlog: [Presence | undefined, Presence][] | undefined = [];
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly src: ViewSource,
    private readonly watcher: WatcherIdentity,
    private readonly people: ReadonlySet<string> | undefined,
    private readonly sink: ViewSink,
  ) {}

  /** Subscribes first (nothing is missed), then sends the current views, then the changes meanwhile. */
  async start(): Promise<void> {
    this.unsubscribe = this.src.onChange((prev, next) => (this.backlog !== undefined ? this.backlog.push([prev, next]) : this.change(prev, next)));
    const dir = this.src.directory;
    const people = this.people !== undefined ? [...this.people] : [...dir.ids()];
    const sent = new Map<string, Presence>();
    for (let i = 0; i < people.length && !this.sink.closed; i += CHUNK) {
      for (const p of await this.src.presence(people.slice(i, i + CHUNK))) {
        sent.set(p.person, p);
        const v = sharedView(p, containerOf(dir, this.watcher, p.person), dir.loadedAt);
        this.sink.send(v.view, v.view.version, v.data);
      }
      // The first views of a large directory (10 000 people, ~2.5 MB) would pass the slow-client
      // limit in one go: let the client read each chunk before writing the next.
      await this.sink.drained();
    }
    const waiting = this.backlog ?? [];
    this.backlog = undefined;
    for (const [, next] of waiting) {
      const first = sent.get(next.person);
      if (first !== undefined && next.version <= first.version) continue;
      this.change(first, next);
      sent.set(next.person, next);
    }
  }

  private change(prev: Presence | undefined, next: Presence): void {
    if (this.sink.closed) return;
    if (this.people !== undefined && !this.people.has(next.person)) return;
    const dir = this.src.directory;
    if (!dir.has(next.person)) return;
    const v = sharedViewChange(dir, this.watcher, prev, next);
    if (v !== undefined) this.sink.send(v.view, v.view.version, v.data);
  }

  close(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.backlog = undefined;
  }
}
