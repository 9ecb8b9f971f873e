import { errorMessage, failureKind, isHubError } from '../../core/errors.ts';
import type { Logger } from '../../core/util/logger.ts';

const MAX_RETRY_MS = 600_000;

const stoppedByStop = (e: unknown): boolean => isHubError(e) && e.code === 'HUB_ERR_CONNECTOR_STOPPED';

export interface SyncJob<R> {
  full(): Promise<R>;
  incremental(): Promise<R>;
  /** A full sync has completed once: an incremental one has something to build on. */
  readonly synced: boolean;
}

/**
 * When a directory connector syncs: a full sync at start and every `fullInterval`, incremental
 * ones every `incrementalInterval` in between, one at a time (a tick while a sync runs is skipped,
 * an explicit request waits), and a failed sync retried with a growing delay (never a permanent
 * failure: bad credentials wait for the operator). After a failed full sync the hub keeps the
 * previous people and the retry is a full sync again.
 */
export class SyncSchedule<R> {
  private running = false;
  private busy: Promise<R> | undefined;
  private fullTimer: NodeJS.Timeout | undefined;
  private incTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;

  constructor(
    private readonly o: {
      name: string;
      job: SyncJob<R>;
      fullInterval: number;
      incrementalInterval: number;
      retryDelay: number;
      log: Logger;
      /** A sync completed. */
      onDone: (kind: 'full' | 'incremental', result: R) => void;
      /** A sync failed (reported to health by the caller). */
      onError: (e: unknown) => void;
    },
  ) {}

  start(): void {
    this.running = true;
    this.fullTimer = setInterval(() => void this.runSafely('full'), this.o.fullInterval);
    this.fullTimer.unref?.();
    if (this.o.incrementalInterval > 0) {
      this.incTimer = setInterval(() => void this.runSafely('incremental'), this.o.incrementalInterval);
      this.incTimer.unref?.();
    }
    void this.runSafely('full');
  }

  /** Stops the timers and waits for the sync in hand. */
  async stop(): Promise<void> {
    this.running = false;
    for (const t of [this.fullTimer, this.incTimer]) if (t !== undefined) clearInterval(t);
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.fullTimer = this.incTimer = this.retryTimer = undefined;
    await this.busy?.catch(() => undefined);
  }

  /** Runs a sync now (after the one running, if any) and returns its result; rejects on failure. */
  async run(kind: 'full' | 'incremental'): Promise<R> {
    while (this.busy !== undefined) await this.busy.catch(() => undefined);
    const job = kind === 'full' ? this.o.job.full() : this.o.job.incremental();
    this.busy = job;
    try {
      const r = await job;
      this.failures = 0;
      this.o.onDone(kind, r);
      return r;
    } catch (e) {
      // A sync cut short by the connector's stop (HUB_ERR_CONNECTOR_STOPPED) is no failure to report.
      if (!stoppedByStop(e)) this.o.onError(e);
      throw e;
    } finally {
      this.busy = undefined;
    }
  }

  private async runSafely(kind: 'full' | 'incremental'): Promise<void> {
    if (!this.running || this.busy !== undefined) return;
    try {
      await this.run(kind);
    } catch (e) {
      if (stoppedByStop(e)) return;
      this.failures++;
      this.o.log.warn({ code: isHubError(e) ? e.code : undefined }, `${this.o.name}: ${kind} sync failed: ${errorMessage(e)}`);
      if (!this.running || failureKind(e) === 'permanent') return;
      const delay = Math.min(MAX_RETRY_MS, this.o.retryDelay * 2 ** (this.failures - 1));
      if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        void this.runSafely(this.o.job.synced ? kind : 'full');
      }, delay);
      this.retryTimer.unref?.();
    }
  }
}
