/**
 * Who the hub could not place: signals for unknown identities, per source, so that no one is
 * dropped silently. Conflicts and per-connector reports are added by the API from the Directory
 * and the connectors.
 *
 * Bounded twice: per source (one noisy source cannot push the others out) and overall (many
 * sources cannot grow the report without limit). At either bound the entry seen least recently
 * makes room, and `dropped` counts what was pushed out, so the report says that it is incomplete.
 */
export interface UnknownEntry {
  readonly source: string;
  readonly subject: string;
  count: number;
  lastSeen: number;
  /** Why the directory could not place it, when not simply unknown (an identity two people share). */
  reason?: string;
}

export const MAX_UNKNOWN_PER_SOURCE = 1000;
export const MAX_UNKNOWN_TOTAL = 10_000;

export class DirectoryReport {
  /** Every entry, least recently seen first (a Map keeps insertion order; a hit re-inserts). */
  private readonly all = new Map<string, UnknownEntry>();
  private readonly perSource = new Map<string, Map<string, UnknownEntry>>();
  private droppedCount = 0;

  constructor(private readonly limits: { perSource: number; total: number } = { perSource: MAX_UNKNOWN_PER_SOURCE, total: MAX_UNKNOWN_TOTAL }) {}

  unknown(source: string, subject: string, at: number, reason?: string): void {
    const key = `${source}\u0000${subject}`;
    let m = this.perSource.get(source);
    const e = this.all.get(key);
    if (e !== undefined && m !== undefined) {
      e.count++;
      e.lastSeen = at;
      if (reason !== undefined) e.reason = reason;
      else delete e.reason;
      this.all.delete(key);
      this.all.set(key, e);
      m.delete(subject);
      m.set(subject, e);
      return;
    }
    if (m === undefined) {
      m = new Map();
      this.perSource.set(source, m);
    }
    if (m.size >= this.limits.perSource) {
      const oldest = m.values().next().value;
      if (oldest !== undefined) this.evict(oldest);
    }
    if (this.all.size >= this.limits.total) {
      const oldest = this.all.values().next().value;
      if (oldest !== undefined) this.evict(oldest);
    }
    const entry: UnknownEntry = { source, subject, count: 1, lastSeen: at, ...(reason !== undefined ? { reason } : {}) };
    this.all.set(key, entry);
    m.set(subject, entry);
  }

  private evict(e: UnknownEntry): void {
    this.all.delete(`${e.source}\u0000${e.subject}`);
    const m = this.perSource.get(e.source);
    m?.delete(e.subject);
    if (m?.size === 0) this.perSource.delete(e.source);
    this.droppedCount++;
  }

  unknownEntries(): UnknownEntry[] {
    return [...this.all.values()];
  }

  /** Entries pushed out by the bounds since the hub started. */
  get dropped(): number {
    return this.droppedCount;
  }
}
