/** The listeners of each notice topic, for the Notices of both modes (embedded/, redis/). */
export class TopicListeners {
  private readonly byTopic = new Map<string, Set<() => void>>();

  /** Adds `listener` to `topic`; the function returned removes it again. */
  add(topic: string, listener: () => void): () => void {
    let set = this.byTopic.get(topic);
    if (set === undefined) {
      set = new Set();
      this.byTopic.set(topic, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  of(topic: string): Iterable<() => void> {
    return this.byTopic.get(topic) ?? [];
  }

  all(): (() => void)[] {
    return [...this.byTopic.values()].flatMap((s) => [...s]);
  }
}
