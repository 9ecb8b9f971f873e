import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Signal } from '../../model/signal.ts';
import type { FailureKind } from '../../errors.ts';
import type { Logger } from '../../util/logger.ts';
import type { BatchInfo, DeadLetter, QueueStats, SignalQueue } from '../ports.ts';
import { judgeFailure, reasonCode, type RetryPolicy } from '../retry-policy.ts';
import { signalOfTuple, signalTuple, type SignalTuple } from './codec.ts';
import { unavailable } from './connection.ts';

export interface BullQueueOptions {
  /** Signals per BullMQ job (default 1000). */
  maxJobSignals?: number;
  /** Jobs one node works on at once (default 4): the store's compare-and-set makes this safe. */
  concurrency?: number;
  /**
   * BullMQ lock of an active job, renewed every half of it; a worker that dies loses it after
   * this long (default 2.5 s). Together with `stalledIntervalMs` it bounds how long a batch held
   * by a dead node waits: lock + one stalled check, about 3.5 s (docs/architecture.md invariant 8).
   */
  lockDurationMs?: number;
  /** How often the workers look for jobs whose lock expired (default 1 s; one check runs per interval cluster-wide). */
  stalledIntervalMs?: number;
  /** First retry delay of a failed batch, doubled up to 30 s (default 500 ms). */
  retryDelayMs?: number;
  /** Attempts for a failure of unknown kind before the batch is dead-lettered (default 10). */
  maxUnknownAttempts?: number;
  /**
   * Replicas that must hold a batch before it is acknowledged (Redis WAIT, default 1 with
   * Sentinel, else 0). When fewer replicas are connected, or they do not answer within
   * `replicaWaitMs` (default 500 ms), the batch is still accepted and a warning logged: refusing
   * every signal because a replica is down would turn a lost replica into an outage.
   */
  minReplicas?: number;
  replicaWaitMs?: number;
}

export const DEFAULT_LOCK_DURATION_MS = 2500;
export const DEFAULT_STALLED_INTERVAL_MS = 1000;

/** Carries the retry delay the policy chose to BullMQ's backoff strategy. */
class RetryLater extends Error {
  constructor(
    message: string,
    readonly delayMs: number,
  ) {
    super(message);
    this.name = 'RetryLater';
  }
}

/**
 * A job's signals: `t`, one positional array per signal (codec.ts signalTuple); `s`, the signal
 * objects, as jobs queued by an earlier version hold them (still read, so that an upgrade loses
 * nothing queued).
 */
interface JobData {
  readonly t?: readonly SignalTuple[];
  readonly s?: readonly Signal[];
}

function signalsOf(data: JobData): readonly Signal[] {
  const t = data.t;
  if (t === undefined) return data.s ?? [];
  const out: Signal[] = new Array(t.length);
  for (let i = 0; i < t.length; i++) out[i] = signalOfTuple(t[i]!);
  return out;
}

function countOf(data: JobData | undefined): number | undefined {
  return data?.t?.length ?? data?.s?.length;
}

const QUEUE = 'signals';

function tuplesOf(signals: readonly Signal[], from: number, to: number): SignalTuple[] {
  const out: SignalTuple[] = new Array(to - from);
  for (let i = from; i < to; i++) out[i - from] = signalTuple(signals[i]!);
  return out;
}
/** Effectively unbounded: the retry policy, not the attempt count, decides when a batch is dead-lettered. */
const ATTEMPTS = 1_000_000;

/**
 * The queue of Redis mode on BullMQ, one job per batch of signals (not one per signal: a job costs
 * several Redis round trips, a signal in a batch costs a few bytes).
 *
 * Enqueue is a group commit: calls made while a write is in flight are merged into the next
 * addBulk, so many small API requests still become few jobs, and each caller is answered only
 * after its signals are in Redis (docs/architecture.md invariant 3). The queue's connection has no offline
 * queue, so while Redis is away enqueue fails at once with HUB_ERR_UNAVAILABLE.
 *
 * Ordering across workers is NOT relied upon (BullMQ is FIFO in start order only; retries and
 * stalled recovery reorder). Convergence comes from the store instead: see redis/index.ts.
 * A job whose worker dies (SIGKILL) is found stalled by another worker after the lock expires and
 * runs again; `maxStalledCount` is high so that a batch is never moved to failed for that.
 * A batch that fails is judged by retry-policy.ts: retried with capped backoff, or moved to
 * BullMQ's failed set, which is the dead-letter list (kept until replayed, never trimmed).
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
    private readonly deps: {
      queueConnection: Redis;
      workerConnection: () => Redis;
      bullPrefix: string;
      log: Logger;
      ready: () => boolean;
      /** Names the kind of an error that is not a HubError (Redis connection errors are transient). */
      kindOf?: (e: unknown) => FailureKind | undefined;
      /** Replicas to WAIT for after each write (see BullQueueOptions.minReplicas). */
      replicas?: number;
    },
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
        data: { t: tuplesOf(signals, i, Math.min(signals.length, i + size)) },
        // Failed jobs are the dead letters: accepted signals, never removed but by a replay.
        opts: { attempts: ATTEMPTS, backoff: { type: 'custom' }, removeOnComplete: true, removeOnFail: false },
      });
    }
    try {
      await this.queue.addBulk(jobs);
      await this.waitForReplicas();
      for (const w of waiters) w.resolve();
    } catch (e) {
      const err = unavailable('Redis is unavailable: signals cannot be queued durably now', e);
      for (const w of waiters) w.reject(err);
    } finally {
      this.inFlight--;
      if (this.buffer.length > 0) this.schedule();
    }
  }

  private replicaWarned = false;
  private nextReplicaTry = 0;
  private waitRunning: Promise<void> | undefined;
  private waitNext: Promise<void> | undefined;
  /** WAIT commands sent (tests: writes share them). */
  waitsSent = 0;

  /**
   * Resolves once a WAIT sent after the caller's write was answered. WAIT covers every earlier write
   * of this connection (BullMQ uses the instance it is given), so writes share one: at most one
   * WAIT is in flight; a write done meanwhile joins the next one, sent when it returns (it may have
   * been sent before that write). Under load many batches pay for one WAIT, never for none.
   */
  private waitForReplicas(): Promise<void> {
    if ((this.deps.replicas ?? 0) <= 0) return Promise.resolve();
    if (this.waitRunning === undefined) {
      const run = this.replicaWait().finally(() => {
        if (this.waitRunning === run) this.waitRunning = undefined;
      });
      this.waitRunning = run;
      return run;
    }
    this.waitNext ??= this.waitRunning
      .catch(() => undefined)
      .then(() => {
        this.waitNext = undefined;
        return this.waitForReplicas();
      });
    return this.waitNext;
  }

  private async replicaWait(): Promise<void> {
    const want = this.deps.replicas ?? 0;
    // While replicas are missing, only one write a second pays for finding out whether they are back.
    if (this.replicaWarned && Date.now() < this.nextReplicaTry) return;
    this.waitsSent++;
    const got = Number(await this.deps.queueConnection.call('WAIT', want, this.opts.replicaWaitMs ?? 500));
    if (got >= want) {
      if (this.replicaWarned) this.deps.log.info({ replicas: got }, 'accepted signals are replicated again');
      this.replicaWarned = false;
      return;
    }
    this.nextReplicaTry = Date.now() + 1000;
    if (!this.replicaWarned) {
      this.replicaWarned = true;
      this.deps.log.warn({ replicas: got, wanted: want }, 'accepted signals are not on a replica: a Redis failover now could lose them');
    }
  }

  process(handler: (batch: readonly Signal[], info?: BatchInfo) => Promise<void>): void {
    if (this.worker !== undefined) throw new Error('process() called twice');
    const policy: RetryPolicy = { baseDelayMs: this.opts.retryDelayMs ?? 500, ...(this.opts.maxUnknownAttempts !== undefined ? { maxUnknownAttempts: this.opts.maxUnknownAttempts } : {}) };
    this.worker = new Worker<JobData>(
      QUEUE,
      async (job: Job<JobData>) => {
        // A job that ran before (failed, or its worker died mid-batch) may have applied its signals
        // without committing the presence: the handler recomputes the whole batch then.
        const redelivered = job.attemptsStarted > 1 || job.attemptsMade > 0 || job.stalledCounter > 0;
        try {
          await handler(signalsOf(job.data), { redelivered });
        } catch (e) {
          const verdict = judgeFailure(e, job.attemptsMade + 1, policy, this.deps.kindOf);
          // UnrecoverableError moves the job to the failed set (the dead letters) at once.
          if (verdict.action === 'dead-letter') throw new UnrecoverableError(verdict.reason);
          throw new RetryLater(verdict.reason, verdict.delayMs);
        }
      },
      {
        connection: this.deps.workerConnection(),
        prefix: this.deps.bullPrefix,
        concurrency: this.opts.concurrency ?? 4,
        lockDuration: this.opts.lockDurationMs ?? DEFAULT_LOCK_DURATION_MS,
        stalledInterval: this.opts.stalledIntervalMs ?? DEFAULT_STALLED_INTERVAL_MS,
        maxStalledCount: 1_000_000,
        settings: {
          backoffStrategy: (_attempts: number, _type?: string, err?: Error) => (err instanceof RetryLater ? Math.round(err.delayMs) : 1000),
        },
      },
    );
    this.worker.on('error', (e) => this.deps.log.debug({ err: e }, 'worker connection error'));
    this.worker.on('failed', (job, e) => {
      if (e instanceof UnrecoverableError || e.name === 'UnrecoverableError') this.deps.log.error({ job: job?.id, reason: e.message, signals: countOf(job?.data) }, 'signal batch dead-lettered');
      else this.deps.log.warn({ job: job?.id, reason: e.message, attempts: job?.attemptsMade }, 'signal batch failed, will retry');
    });
  }

  async pause(): Promise<void> {
    // doNotWaitActive: stop fetching now; close() waits for the jobs in hand.
    await this.worker?.pause(true);
  }

  /** Takes jobs again after pause() (tests). */
  resume(): void {
    this.worker?.resume();
  }

  async stats(): Promise<QueueStats> {
    const c = await this.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed');
    const [oldest] = await this.queue.getJobs(['waiting', 'prioritized'], 0, 0, true);
    const now = Date.now();
    return {
      depth: (c.waiting ?? 0) + (c.active ?? 0) + (c.delayed ?? 0) + (c.prioritized ?? 0),
      oldestWaitingMs: oldest === undefined ? undefined : Math.max(0, now - oldest.timestamp),
      retrying: c.delayed ?? 0,
      deadLetters: c.failed ?? 0,
    };
  }

  async deadLetters(limit = 100): Promise<DeadLetter[]> {
    const jobs = await this.queue.getJobs(['failed'], 0, Math.max(0, limit - 1), true);
    return jobs
      .filter((j) => j.id !== undefined)
      .map((j) => {
        const reason = j.failedReason ?? 'unknown';
        return { id: j.id!, reason, code: reasonCode(reason), signals: countOf(j.data) ?? 0, attempts: j.attemptsMade, failedAt: j.finishedOn ?? j.timestamp, acceptedAt: j.timestamp };
      });
  }

  async replay(id: string): Promise<boolean> {
    const job = await this.queue.getJob(id);
    if (job === undefined || !(await job.isFailed())) return false;
    // Back to waiting with its attempts reset; it counts as a redelivery (attemptsStarted stays).
    await job.retry('failed', { resetAttemptsMade: true });
    return true;
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
