import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Signal } from '../../model/signal.ts';
import type { Logger } from '../../util/logger.ts';
import type { BatchInfo, SignalQueue } from '../ports.ts';
import { unavailable } from './connection.ts';

export interface BullQueueOptions {
  /** Signals per BullMQ job (default 1000). */
  maxJobSignals?: number;
  /** Jobs one node works on at once (default 4): the store's compare-and-set makes this safe. */
  concurrency?: number;
  /** BullMQ lock of an active job; a worker that dies loses it after this long (default 30 s). */
  lockDurationMs?: number;
  /** How often each worker looks for jobs whose lock expired (default 30 s). */
  stalledIntervalMs?: number;
  /** First retry delay of a failed batch, doubled up to 30 s (default 500 ms). */
  retryDelayMs?: number;
}

interface JobData {
  readonly s: readonly Signal[];
}

const QUEUE = 'signals';
/** Effectively unbounded: an accepted batch is retried until it succeeds, never dropped. */
const ATTEMPTS = 1_000_000;

/**
 * The queue of Redis mode on BullMQ, one job per batch of signals (not one per signal: a job costs
 * several Redis round trips, a signal in a batch costs a few bytes).
 *
 * Enqueue is a group commit: calls made while a write is in flight are merged into the next
 * addBulk, so many small API requests still become few jobs, and each caller is answered only
 * after its signals are in Redis (DESIGN.md invariant 3). The queue's connection has no offline
 * queue, so while Redis is away enqueue fails at once with HUB_ERR_UNAVAILABLE.
 *
 * Ordering across workers is NOT relied upon (BullMQ is FIFO in start order only; retries and
 * stalled recovery reorder). Convergence comes from the store instead: see redis/index.ts.
 * A job whose worker dies (SIGKILL) is found stalled by another worker after the lock expires and
 * runs again; `maxStalledCount` is high so that a batch is never moved to failed for that.
 */
export class BullSignalQueue implements SignalQueue {
  private readonly queue: Queue<JobData>;
  private worker: Worker<JobData> | undefined;
  private buffer: Signal[] = [];
  private waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private inFlight = 0;
  private scheduled = false;
  private closed = false;

  constructor(
    private readonly deps: { queueConnection: Redis; workerConnection: () => Redis; bullPrefix: string; log: Logger; ready: () => boolean },
    private readonly opts: BullQueueOptions = {},
  ) {
    this.queue = new Queue<JobData>(QUEUE, { connection: deps.queueConnection, prefix: deps.bullPrefix, skipWaitingForReady: true });
    this.queue.on('error', (e) => deps.log.debug({ err: e }, 'queue connection error'));
  }

  async enqueue(batch: readonly Signal[]): Promise<void> {
    if (this.closed) throw unavailable('queue closed: the node is shutting down');
    if (batch.length === 0) return;
    if (!this.deps.ready()) throw unavailable('Redis is unavailable: signals cannot be queued durably now');
    return new Promise<void>((resolve, reject) => {
      for (const s of batch) this.buffer.push(s);
      this.waiters.push({ resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  /** At most two writes in flight; what arrives meanwhile waits for the next one (group commit). */
  private async flush(): Promise<void> {
    if (this.inFlight >= 2 || this.buffer.length === 0) return;
    const signals = this.buffer;
    const waiters = this.waiters;
    this.buffer = [];
    this.waiters = [];
    this.inFlight++;
    const size = this.opts.maxJobSignals ?? 1000;
    const jobs = [];
    for (let i = 0; i < signals.length; i += size) {
      jobs.push({
        name: 'batch',
        data: { s: signals.slice(i, i + size) },
        opts: { attempts: ATTEMPTS, backoff: { type: 'custom' }, removeOnComplete: true, removeOnFail: 1000 },
      });
    }
    try {
      await this.queue.addBulk(jobs);
      for (const w of waiters) w.resolve();
    } catch (e) {
      const err = unavailable('Redis is unavailable: signals cannot be queued durably now', e);
      for (const w of waiters) w.reject(err);
    } finally {
      this.inFlight--;
      if (this.buffer.length > 0) this.schedule();
    }
  }

  process(handler: (batch: readonly Signal[], info?: BatchInfo) => Promise<void>): void {
    if (this.worker !== undefined) throw new Error('process() called twice');
    const base = this.opts.retryDelayMs ?? 500;
    this.worker = new Worker<JobData>(
      QUEUE,
      async (job: Job<JobData>) => {
        // A job that ran before (failed, or its worker died mid-batch) may have applied its signals
        // without committing the presence: the handler recomputes the whole batch then.
        const redelivered = job.attemptsStarted > 1 || job.attemptsMade > 0 || job.stalledCounter > 0;
        await handler(job.data.s, { redelivered });
      },
      {
        connection: this.deps.workerConnection(),
        prefix: this.deps.bullPrefix,
        concurrency: this.opts.concurrency ?? 4,
        lockDuration: this.opts.lockDurationMs ?? 30_000,
        stalledInterval: this.opts.stalledIntervalMs ?? 30_000,
        maxStalledCount: 1_000_000,
        settings: {
          backoffStrategy: (attemptsMade: number) => Math.min(base * 2 ** Math.min(attemptsMade - 1, 16), 30_000) * (0.8 + Math.random() * 0.4),
        },
      },
    );
    this.worker.on('error', (e) => this.deps.log.debug({ err: e }, 'worker connection error'));
    this.worker.on('failed', (job, e) => this.deps.log.warn({ err: e, job: job?.id, attempts: job?.attemptsMade }, 'signal batch failed, will retry'));
  }

  /** Jobs (batches) waiting, delayed for a retry, or in hand. */
  async depth(): Promise<number> {
    const c = await this.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
    return Object.values(c).reduce((a, b) => a + b, 0);
  }

  /** Waits until the queue holds no batch (tests, benchmarks). */
  async drain(pollMs = 50): Promise<void> {
    while ((await this.depth()) > 0) await new Promise((r) => setTimeout(r, pollMs));
  }

  /** Stops fetching, waits for the batches in hand (BullMQ has no timeout of its own: the caller bounds it). */
  async close(): Promise<void> {
    this.closed = true;
    while (this.inFlight > 0 || this.buffer.length > 0) await new Promise((r) => setTimeout(r, 10));
    await this.worker?.close();
    await this.queue.close();
  }
}
