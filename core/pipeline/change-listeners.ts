import type { Presence } from '../model/presence.ts';
import type { Logger } from '../util/logger.ts';

/**
 * The listeners of one node's change bus (embedded/bus.ts, redis/bus.ts) and the highest version
 * delivered per person: a change not newer than that is dropped, so listeners see each person's
 * changes once and in version order, whether they come from this node's own `publish` or from a
 * peer. `forgotten` drops the versions of people the store forgot (they start again at 1) and tells
 * the `onForget` listeners.
 */
export class ChangeListeners {
  private readonly listeners = new Set<(p: Presence) => void>();
  private readonly forgetListeners = new Set<(people: readonly string[]) => void>();
  private readonly seen = new Map<string, number>();

  constructor(private readonly log: Logger) {}

  get size(): number {
    return this.listeners.size;
  }

  /** Delivers `p` to every listener unless a version as new was delivered already. */
  deliver(p: Presence): void {
    const last = this.seen.get(p.person);
    if (last !== undefined && p.version <= last) return;
    this.seen.set(p.person, p.version);
    for (const l of this.listeners) {
      try {
        l(p);
      } catch (e) {
        this.log.error({ err: e }, 'change listener threw');
      }
    }
  }

  forgotten(people: readonly string[]): void {
    for (const p of people) this.seen.delete(p);
    for (const l of this.forgetListeners) {
      try {
        l(people);
      } catch (e) {
        this.log.error({ err: e }, 'forget listener threw');
      }
    }
  }

  subscribe(listener: (p: Presence) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onForget(listener: (people: readonly string[]) => void): () => void {
    this.forgetListeners.add(listener);
    return () => this.forgetListeners.delete(listener);
  }

  clear(): void {
    this.listeners.clear();
    this.forgetListeners.clear();
  }
}
