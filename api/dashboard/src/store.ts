import { api, type Entry, type View } from './api.ts';
import { naturalCompare } from './sort.ts';

export type LinkState = 'connecting' | 'live' | 'reconnecting' | 'signed-out';

/**
 * The people the signed-in key may see and their live views, fed by the SSE stream. Events are
 * applied to the map at once and announced to the page at most every `flushMs`, so 200 changes a
 * second cost a few renders, not 200. The stream reconnects by itself (the browser's EventSource
 * retry, then our own backoff when the hub answered with an error, e.g. while it restarts).
 */
export class PresenceStore {
  people: Entry[] = [];
  readonly views = new Map<string, View>();
  /**
   * The connectors failing now that feed each person (GET /v1/degraded: admin and helpdesk keys
   * only, the roles that may see connector names); empty for other keys.
   */
  degraded = new Map<string, string[]>();
  /** Confidence (0..1) of the views fetched for the rows on screen (the stream does not carry it). */
  readonly confidence = new Map<string, number>();
  /** Increases at each announced batch; components re-derive from it. */
  rev = 0;
  state: LinkState = 'connecting';
  /**
   * When the stream dropped after it had been live (ms since the epoch): the views are what they
   * were at that moment, no newer. Undefined while live or before the first connection.
   */
  droppedAt: number | undefined;
  private es: EventSource | undefined;
  private timer: number | undefined;
  private retry: number | undefined;
  private feedsTimer: number | undefined;
  private backoff = 1000;
  private closed = false;
  private opened = false;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly opts: { flushMs: number; onSignedOut: () => void; feeds?: boolean; feedsMs?: number }) {}

  subscribe(l: () => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  async start(): Promise<void> {
    await this.loadPeople();
    this.connect();
    if (this.opts.feeds === true) void this.pollFeeds();
  }

  /** Which failing connector feeds whom, every `feedsMs` (10 s). */
  private async pollFeeds(): Promise<void> {
    if (this.closed) return;
    try {
      const { connectors } = await api<{ connectors: { id: string; people: string[] }[] }>('/v1/degraded');
      const m = new Map<string, string[]>();
      for (const c of connectors) for (const p of c.people) m.set(p, [...(m.get(p) ?? []), c.id]);
      const same = m.size === this.degraded.size && [...m].every(([p, ids]) => this.degraded.get(p)?.join() === ids.join());
      if (!same) {
        this.degraded = m;
        this.announce();
      }
    } catch {
      // Unreachable or refused: keep what was known; the stream banner says when the hub is away.
    }
    if (!this.closed) this.feedsTimer = window.setTimeout(() => void this.pollFeeds(), this.opts.feedsMs ?? 10_000);
  }

  /** The confidence of these people's views now (POST /v1/presence/query; containers apply). */
  async loadConfidence(people: readonly string[]): Promise<void> {
    if (people.length === 0) return;
    const { presence } = await api<{ presence: (View & { confidence?: number })[] }>('/v1/presence/query', { method: 'POST', body: { people } });
    let changed = false;
    for (const v of presence) {
      if (v.confidence === undefined) {
        changed ||= this.confidence.delete(v.person);
      } else if (this.confidence.get(v.person) !== v.confidence) {
        this.confidence.set(v.person, v.confidence);
        changed = true;
      }
    }
    if (changed) this.announce();
  }

  close(): void {
    this.closed = true;
    this.es?.close();
    clearTimeout(this.timer);
    clearTimeout(this.retry);
    clearTimeout(this.feedsTimer);
  }

  private async loadPeople(): Promise<void> {
    const { people } = await api<{ people: Entry[] }>('/v1/people?limit=100000');
    // Natural order: "Anna Berg 494" before "Anna Berg 1014".
    people.sort((a, b) => naturalCompare(a.name ?? a.id, b.name ?? b.id));
    this.people = people;
    this.announce();
  }

  private connect(): void {
    if (this.closed) return;
    const es = new EventSource('/v1/stream');
    this.es = es;
    es.addEventListener('open', () => {
      this.backoff = 1000;
      const again = this.opened;
      this.opened = true;
      this.droppedAt = undefined;
      this.setState('live');
      // After a restart the directory may have changed: refresh the rows too.
      if (again) void this.loadPeople().catch(() => undefined);
    });
    es.addEventListener('presence', (ev) => {
      const v = JSON.parse((ev as MessageEvent<string>).data) as View;
      this.views.set(v.person, v);
      this.schedule();
    });
    es.addEventListener('error', () => {
      if (this.closed) return;
      if (this.state === 'live') this.droppedAt = Date.now();
      this.setState('reconnecting');
      if (es.readyState !== EventSource.CLOSED) return; // the browser retries by itself
      es.close();
      this.retry = window.setTimeout(() => void this.recover(), this.backoff);
      this.backoff = Math.min(this.backoff * 2, 30_000);
    });
  }

  /** The hub refused the stream: signed out, or not ready yet (restarting). */
  private async recover(): Promise<void> {
    try {
      await api('/v1/session');
    } catch (e) {
      if ((e as { status?: number }).status === 401) {
        this.setState('signed-out');
        this.opts.onSignedOut();
        return;
      }
    }
    this.connect();
  }

  private setState(s: LinkState): void {
    if (this.state === s) return;
    this.state = s;
    this.announce();
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    this.timer = window.setTimeout(() => {
      this.timer = undefined;
      this.announce();
    }, this.opts.flushMs);
  }

  private announce(): void {
    this.rev++;
    for (const l of this.listeners) l();
  }
}
