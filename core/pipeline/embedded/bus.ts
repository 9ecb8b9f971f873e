import type { Presence } from '../../model/presence.ts';
import type { ChangeBus } from '../ports.ts';

export class MemoryBus implements ChangeBus {
  private readonly listeners = new Set<(p: Presence) => void>();
  async publish(changes: readonly Presence[]): Promise<void> {
    for (const p of changes) for (const l of this.listeners) l(p);
  }
  subscribe(listener: (p: Presence) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  async close(): Promise<void> {
    this.listeners.clear();
  }
}
