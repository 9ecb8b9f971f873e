import type { Signal } from '../../model/signal.ts';
import type { Logger } from '../../util/logger.ts';
import type { BatchInfo, DeadLetter, QueueStats, SignalQueue } from '../ports.ts';
import { judgeFailure, reasonCode, type RetryPolicy } from '../retry-policy.ts';

interface Retry {
  readonly id: string;
  readonly signals: readonly Signal[];
  readonly acceptedAt: number;
  attempts: number;
  dueAt: number;
}

/**
 * The in-process queue of embedded mode: batches are coalesced and handed to one consumer at a
 * time, in order. "Durable" here means held by the process: embedded mode is one node without
 * crash durability, which is what Redis mode is for.
 *
 * A batch whose handler throws leaves the line (retry-policy.ts): it waits for its retry on the
 * side, or goes to the dead letters, so the batches behind it flow on. The dead letters are kept in
 * memory until replayed (GET /v1/pipeline).
 */
export class MemoryQueue implements SignalQueue {
  /** Accepted batches in order, each with its acceptance time; `taken` of the first are handed out already. */
  private pending: { signals: readonly Signal[]; at: number }[] = [];
  private taken = 0;
  private pendingCount = 0;
  private handler: ((batch: readonly Signal[], info?: BatchInfo) => Promise<void>) | undefined;
  private readonly retries = new Map<string, Retry>();
  private readonly dead = new Map<string, DeadLetter & { batch: readonly Signal[] }>();
  private retryTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private closed = false;
  private paused = false;
  private seq = 0;

  constructor(
    private readonly opts: {
      log: Logger;
      maxBatch?: number;
      retryDelayMs?: number;
      maxUnknownAttempts?: number;
      now?: () => number;
    },
  ) {}

  private now(): number {
    return this.opts.now?.() ?? Date.now();
  }

  async enqueue(batch: readonly Signal[]): Promise<void> {
    if (this.closed) throw new Error('queue closed');
    if (batch.length === 0) return;
    // The caller's array may be reused by it after this call: keep a copy.
    this.pending.push({ signals: batch.slice(), at: this.now() });
    this.pendingCount += batch.length;
    this.kick();
  }

  process(handler: (batch: readonly Signal[], info?: BatchInfo) => Promise<void>): void {
    this.handler = handler;
    this.kick();
  }

  async depth(): Promise<number> {
    let n = this.pendingCount;
    for (const r of this.retries.values()) n += r.signals.length;
    return n;
  }

  async stats(): Promise<QueueStats> {
    const first = this.pending[0];
    return {
      depth: await this.depth(),
      oldestWaitingMs: first === undefined ? undefined : Math.max(0, this.now() - first.at),
      retrying: this.retries.size,
      deadLetters: this.dead.size,
    };
  }

  async deadLetters(limit = 100): Promise<DeadLetter[]> {
    return [...this.dead.values()].slice(0, limit).map(({ batch: _b, ...d }) => d);
  }

  async replay(id: string): Promise<boolean> {
    const d = this.dead.get(id);
    if (d === undefined) return false;
    this.dead.delete(id);
    this.retries.set(id, { id, signals: d.batch, acceptedAt: d.acceptedAt, attempts: 0, dueAt: this.now() });
    this.kick();
    return true;
  }

  async pause(): Promise<void> {
    this.paused = true;
  }

  /** Resolves once everything queued so far has been handled (retries waiting for their delay excepted). */
  async drain(): Promise<void> {
    while (this.running !== undefined) await this.running;
  }

  private kick(): void {
    if (this.running !== undefined || this.handler === undefined || this.paused) return;
    if (this.pendingCount === 0 && this.dueRetry() === undefined) {
      this.armRetry();
      return;
    }
    this.running = this.loop().finally(() => {
      this.running = undefined;
      if (!this.closed) this.kick();
    });
  }

  private dueRetry(): Retry | undefined {
    const now = this.now();
    for (const r of this.retries.values()) if (r.dueAt <= now) return r;
    return undefined;
  }

  private armRetry(): void {
    if (this.retryTimer !== undefined || this.retries.size === 0 || this.closed) return;
    const next = Math.min(...[...this.retries.values()].map((r) => r.dueAt));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.kick();
    }, Math.max(0, next - this.now()));
    this.retryTimer.unref?.();
  }

  private async loop(): Promise<void> {
    // Let producers of this tick add to the batch first: one recomputation per person per batch.
    await new Promise((r) => setImmediate(r));
    while (this.handler !== undefined && !this.paused) {
      const retry = this.dueRetry();
      if (retry !== undefined) {
        this.retries.delete(retry.id);
        await this.run(retry.signals, retry.acceptedAt, retry);
        continue;
      }
      if (this.pendingCount === 0) break;
      const at = this.pending[0]!.at;
      await this.run(this.take(this.opts.maxBatch ?? 5000), at, undefined);
    }
  }

  /** The next `max` pending signals, in order, across accepted batches. */
  private take(max: number): Signal[] {
    const out: Signal[] = [];
    while (out.length < max && this.pending.length > 0) {
      const first = this.pending[0]!;
      const n = Math.min(max - out.length, first.signals.length - this.taken);
      for (let i = 0; i < n; i++) out.push(first.signals[this.taken + i]!);
      this.taken += n;
      if (this.taken === first.signals.length) {
        this.pending.shift();
        this.taken = 0;
      }
    }
    this.pendingCount -= out.length;
    return out;
  }

  private async run(batch: readonly Signal[], acceptedAt: number, retry: Retry | undefined): Promise<void> {
    try {
      await this.handler!(batch, { redelivered: retry !== undefined });
    } catch (e) {
      const attempts = (retry?.attempts ?? 0) + 1;
      const policy: RetryPolicy = { baseDelayMs: this.opts.retryDelayMs ?? 200, ...(this.opts.maxUnknownAttempts !== undefined ? { maxUnknownAttempts: this.opts.maxUnknownAttempts } : {}) };
      const verdict = judgeFailure(e, attempts, policy);
      const id = retry?.id ?? `b${++this.seq}`;
      if (verdict.action === 'dead-letter') {
        this.opts.log.error({ batch: id, reason: verdict.reason, signals: batch.length }, 'signal batch dead-lettered');
        this.dead.set(id, { id, reason: verdict.reason, code: reasonCode(verdict.reason), signals: batch.length, attempts, failedAt: this.now(), acceptedAt, batch });
      } else {
        this.opts.log.warn({ batch: id, reason: verdict.reason, attempts }, 'signal batch failed, will retry');
        this.retries.set(id, { id, signals: batch, acceptedAt, attempts, dueAt: this.now() + verdict.delayMs });
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    await this.drain();
  }
}
