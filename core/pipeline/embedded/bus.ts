import type { Presence } from '../../model/presence.ts';
import type { ChangeBus } from '../ports.ts';

export class MemoryBus implements ChangeBus {
  private readonly listeners = new Set<(p: Presence) => void>();
  private readonly forgetListeners = new Set<(people: readonly string[]) => void>();
  async publish(changes: readonly Presence[]): Promise<void> {
    for (const p of changes) for (const l of this.listeners) l(p);
  }
  subscribe(listener: (p: Presence) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  async forget(people: readonly string[]): Promise<void> {
    if (people.length === 0) return;
    for (const l of this.forgetListeners) l(people);
  }
  onForget(listener: (people: readonly string[]) => void): () => void {
    this.forgetListeners.add(listener);
    return () => this.forgetListeners.delete(listener);
  }
  async close(): Promise<void> {
    this.listeners.clear();
    this.forgetListeners.clear();
  }
}
