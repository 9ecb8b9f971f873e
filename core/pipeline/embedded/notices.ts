import type { Notices } from '../ports.ts';

/** Notices of embedded mode: one node, so a notice goes to this process's listeners at once. */
export class MemoryNotices implements Notices {
  private readonly listeners = new Map<string, Set<() => void>>();

  async publish(topic: string): Promise<void> {
    for (const l of this.listeners.get(topic) ?? []) l();
  }

  subscribe(topic: string, listener: () => void): () => void {
    let set = this.listeners.get(topic);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(topic, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }
}
