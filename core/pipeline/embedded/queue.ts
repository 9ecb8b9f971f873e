import type { Signal } from '../../model/signal.ts';
import type { Logger } from '../../util/logger.ts';
import type { BatchInfo, SignalQueue } from '../ports.ts';

/**
 * The in-process queue of embedded mode: batches are coalesced and handed to one consumer at a
 * time, in order. "Durable" here means held by the process: embedded mode is one node without
 * crash durability, which is what Redis mode is for.
 */
export class MemoryQueue implements SignalQueue {
  private readonly pending: Signal[] = [];
  private handler: ((batch: readonly Signal[], info?: BatchInfo) => Promise<void>) | undefined;
  /** Signals handed to a handler that threw: their retry is a redelivery. */
  private readonly redelivered = new WeakSet<Signal>();
  private running: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly opts: { log: Logger; maxBatch?: number; retryDelayMs?: number }) {}

  async enqueue(batch: readonly Signal[]): Promise<void> {
    if (this.closed) throw new Error('queue closed');
    for (const s of batch) this.pending.push(s);
    this.kick();
  }

  process(handler: (batch: readonly Signal[], info?: BatchInfo) => Promise<void>): void {
    this.handler = handler;
    this.kick();
  }

  async depth(): Promise<number> {
    return this.pending.length;
  }

  /** Resolves once everything queued so far has been handled. */
  async drain(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }

  private kick(): void {
    if (this.running !== undefined || this.handler === undefined || this.pending.length === 0) return;
    this.running = this.loop().finally(() => {
      this.running = undefined;
      if (!this.closed) this.kick();
    });
  }

  private async loop(): Promise<void> {
    // Let producers of this tick add to the batch first: one recomputation per person per batch.
    await new Promise((r) => setImmediate(r));
    while (this.pending.length > 0 && this.handler !== undefined) {
      const batch = this.pending.splice(0, this.opts.maxBatch ?? 5000);
      try {
        await this.handler(batch, { redelivered: batch.some((s) => this.redelivered.has(s)) });
      } catch (e) {
        this.opts.log.error({ err: e }, 'batch failed, retrying');
        for (const s of batch) this.redelivered.add(s);
        this.pending.unshift(...batch);
        await new Promise((r) => setTimeout(r, this.opts.retryDelayMs ?? 200));
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.drain();
  }
}
