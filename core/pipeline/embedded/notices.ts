import type { Notices } from '../ports.ts';
import { TopicListeners } from '../topic-listeners.ts';

/** Notices of embedded mode: one node, so a notice goes to this process's listeners at once. */
export class MemoryNotices implements Notices {
  private readonly listeners = new TopicListeners();

  async publish(topic: string): Promise<void> {
    for (const l of this.listeners.of(topic)) l();
  }

  subscribe(topic: string, listener: () => void): () => void {
    return this.listeners.add(topic, listener);
  }
}
