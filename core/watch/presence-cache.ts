import type { Presence } from '../model/presence.ts';

/**
 * The latest presence per person as seen on this node's change bus, with the previous one, so
 * watchers can tell whether their view changed. Changes older than the cached version (a bus may
 * deliver out of order across nodes) are ignored: watchers see versions in order per person.
 */
export class PresenceCache {
  private readonly latest = new Map<string, Presence>();

  /** Returns the previous presence when `p` is newer, `false` when it is stale. */
  accept(p: Presence): Presence | undefined | false {
    const prev = this.latest.get(p.person);
    if (prev !== undefined && prev.version >= p.version) return false;
    this.latest.set(p.person, p);
    return prev;
  }

  get(person: string): Presence | undefined {
    return this.latest.get(person);
  }

  delete(person: string): void {
    this.latest.delete(person);
  }
}
