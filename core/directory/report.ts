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
}

const MAX_PER_SOURCE = 1000;

export class DirectoryReport {
  private readonly unknownBySource = new Map<string, Map<string, UnknownEntry>>();

  unknown(source: string, subject: string, at: number): void {
    let m = this.unknownBySource.get(source);
    if (m === undefined) {
      m = new Map();
      this.unknownBySource.set(source, m);
    }
    const e = m.get(subject);
    if (e !== undefined) {
      e.count++;
      e.lastSeen = at;
      return;
    }
    if (m.size >= MAX_PER_SOURCE) {
      // Keep the report bounded: the oldest entry makes room.
      const oldest = m.keys().next().value;
      if (oldest !== undefined) m.delete(oldest);
    }
    m.set(subject, { source, subject, count: 1, lastSeen: at });
  }

  unknownEntries(): UnknownEntry[] {
    return [...this.unknownBySource.values()].flatMap((m) => [...m.values()]);
  }
}
