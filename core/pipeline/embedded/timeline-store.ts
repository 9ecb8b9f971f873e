import type { TimelineStore } from '../ports.ts';

/**
 * The timelines of embedded mode: the last `perPerson` entries of at most `people` people (the
 * least recently touched person is forgotten first), so a flood of signals cannot grow memory.
 */
export class MemoryTimelineStore implements TimelineStore {
  private readonly rings = new Map<string, string[]>();

  constructor(private readonly opts: { perPerson: number; people: number } = { perPerson: 50, people: 20_000 }) {}

  async append(entries: readonly { person: string; entry: string }[]): Promise<void> {
    for (const { person, entry } of entries) {
      const ring = this.rings.get(person) ?? [];
      // Re-inserted: Map order is then the least recently touched first.
      this.rings.delete(person);
      if (this.rings.size >= this.opts.people) {
        const oldest = this.rings.keys().next();
        if (oldest.done !== true) this.rings.delete(oldest.value);
      }
      ring.unshift(entry);
      if (ring.length > this.opts.perPerson) ring.length = this.opts.perPerson;
      this.rings.set(person, ring);
    }
  }

  async read(person: string): Promise<string[]> {
    return [...(this.rings.get(person) ?? [])];
  }

  get size(): number {
    return this.rings.size;
  }
}
