/**
 * Writes of the hub's reconciliation (core/publish) gathered into batches, for targets where one
 * request carries many people (one LDAP session with many modifies, one webhook POST with many
 * changes): every `write()`/`clear()` the reconciliation sends joins the next batch and gets its
 * own outcome back. A batch leaves at most once per `interval` (the rate limit a directory asks
 * for) and carries at most `batchSize` writes. Retries, coalescing per person and reconciling are
 * the reconciliation's; this only shapes the traffic.
 */
import { HubError } from '../../core/errors.ts';
import type { WriteOutcome } from '../../core/publish/target.ts';
import type { Clock } from '../../core/util/clock.ts';

export interface WriteBatchOptions<T> {
  readonly clock: Clock;
  /** Most writes per batch. */
  readonly batchSize: number;
  /** Least time between the start of two batches, ms. */
  readonly interval: number;
  /** Sends one batch; one outcome per item, in order (a throw is an unknown outcome for all). */
  send(items: readonly T[]): Promise<readonly WriteOutcome[]>;
}

export class WriteBatches<T> {
  private readonly queue: { item: T; resolve: (o: WriteOutcome) => void }[] = [];
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;
  private lastAt = -Infinity;
  private stopped = false;

  constructor(private readonly o: WriteBatchOptions<T>) {}

  /** Writes waiting for their batch. */
  get waiting(): number {
    return this.queue.length;
  }

  submit(item: T): Promise<WriteOutcome> {
    if (this.stopped) return Promise.resolve(notSent());
    return new Promise((resolve) => {
      this.queue.push({ item, resolve });
      this.schedule();
    });
  }

  /** Starts taking writes again after stop(). */
  start(): void {
    this.stopped = false;
  }

  /** Writes still waiting are not sent (failed: the reconciliation keeps them pending); waits for a batch in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    for (const w of this.queue.splice(0)) w.resolve(notSent());
    await this.sending;
  }

  private schedule(): void {
    if (this.stopped || this.timer !== undefined || this.sending !== undefined || this.queue.length === 0) return;
    // Even with no wait the batch leaves on a timer: the reconciliation sends every due write in
    // one pass, and they all join this batch.
    const wait = Math.max(0, this.lastAt + this.o.interval - this.o.clock.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, wait);
    this.timer.unref?.();
  }

  private flush(): void {
    const batch = this.queue.splice(0, this.o.batchSize);
    if (batch.length === 0) return;
    this.lastAt = this.o.clock.now();
    this.sending = (async () => {
      let outs: readonly WriteOutcome[];
      try {
        outs = await this.o.send(batch.map((b) => b.item));
      } catch (e) {
        outs = batch.map(() => ({ outcome: 'unknown', error: e }) as const);
      }
      batch.forEach((b, i) => b.resolve(outs[i] ?? { outcome: 'unknown', error: new HubError('HUB_ERR_INTERNAL', 'a batched write got no outcome') }));
    })().finally(() => {
      this.sending = undefined;
      this.schedule();
    });
  }
}

const notSent = (): WriteOutcome => ({ outcome: 'failed', error: new HubError('HUB_ERR_CONNECTOR_STOPPED', 'the connector stopped before this write was sent') });
