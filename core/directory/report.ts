/**
 * Who the hub could not place: signals for unknown identities, per source (bounded), so that no one
 * is dropped silently. Conflicts and per-connector reports are added by the API from the Directory
 * and the connectors.
 */
export interface UnknownEntry {
  readonly source: string;
  readonly subject: string;
  count: number;
  lastSeen: number;
  /** Why the directory could not place it, when not simply unknown (an identity two people share). */
  reason?: string;
}

const MAX_PER_SOURCE = 1000;

export class DirectoryReport {
  private readonly unknownBySource = new Map<string, Map<string, UnknownEntry>>();

  unknown(source: string, subject: string, at: number, reason?: string): void {
    let m = this.unknownBySource.get(source);
    if (m === undefined) {
      m = new Map();
      this.unknownBySource.set(source, m);
    }
    const e = m.get(subject);
    if (e !== undefined) {
      e.count++;
      e.lastSeen = at;
      if (reason !== undefined) e.reason = reason;
      else delete e.reason;
      return;
    }
    if (m.size >= MAX_PER_SOURCE) {
      // Keep the report bounded: the oldest entry makes room.
      const oldest = m.keys().next().value;
      if (oldest !== undefined) m.delete(oldest);
    }
    m.set(subject, { source, subject, count: 1, lastSeen: at, ...(reason !== undefined ? { reason } : {}) });
  }

  unknownEntries(): UnknownEntry[] {
    return [...this.unknownBySource.values()].flatMap((m) => [...m.values()]);
  }
}
