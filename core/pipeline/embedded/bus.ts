import type { Presence } from '../../model/presence.ts';
import type { Logger } from '../../util/logger.ts';
import { ChangeListeners } from '../change-listeners.ts';
import type { ChangeBus } from '../ports.ts';

/**
 * The change bus of one embedded node: `publish` delivers to the listeners at once, each person's
 * changes once and in version order (an older version published after a newer one is dropped), as
 * the Redis bus does for a node's own changes (redis/bus.ts). A listener that throws is logged and
 * the others still get the change.
 */
export class MemoryBus implements ChangeBus {
  private readonly local: ChangeListeners;
  constructor(log: Logger) {
    this.local = new ChangeListeners(log);
  }
  async publish(changes: readonly Presence[]): Promise<void> {
    if (this.local.size === 0) return;
    for (const p of changes) this.local.deliver(p);
  }
  subscribe(listener: (p: Presence) => void): () => void {
    return this.local.subscribe(listener);
  }
  async forget(people: readonly string[]): Promise<void> {
    if (people.length === 0) return;
    this.local.forgotten(people);
  }
  onForget(listener: (people: readonly string[]) => void): () => void {
    return this.local.onForget(listener);
  }
  async close(): Promise<void> {
    this.local.clear();
  }
}
