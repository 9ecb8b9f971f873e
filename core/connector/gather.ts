/**
 * Names (mailboxes, people) that notifications or stream events named, gathered from the first one
 * for `ms` and then handed to `fire` together: a burst of notifications is one read, not one each.
 * While `active()` is false a name is kept but no timer starts. `cancel()` (the connector stops)
 * forgets the names and the timer.
 */
export class Gather<T> {
  private readonly pending = new Set<T>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly o: {
      ms: number;
      active: () => boolean;
      fire: (batch: T[]) => void;
    },
  ) {}

  add(items: Iterable<T>): void {
    for (const i of items) this.pending.add(i);
    if (this.timer !== undefined || !this.o.active()) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const batch = [...this.pending];
      this.pending.clear();
      this.o.fire(batch);
    }, this.o.ms);
    this.timer.unref?.();
  }

  cancel(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending.clear();
  }
}
