import type { Presence } from '../model/presence.ts';
import type { Clock } from '../util/clock.ts';
import { HubError, errorMessage, failureKind, isHubError } from '../errors.ts';
import type { Logger } from '../util/logger.ts';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.ts';
import type { PublishStats } from '../publish/target.ts';
import type { Connector, ConnectorManifest, ConnectorReport, ConnectorState, Health, HealthReporter, TestResult } from './contract.ts';
import { connectionTest } from './test-connection.ts';

const RECENT = 10;
/** Emits in a row with refused signals after which the connector shows degraded. */
export const REFUSALS_DEGRADE = 3;

/**
 * Runs one connector instance: lifecycle (stopped -> starting -> running <-> degraded -> stopping),
 * retries of failed starts with capped exponential backoff and jitter, health, and the outage
 * logged once and its recovery once. The connector itself never retries its start.
 */
export class ConnectorSupervisor {
  private state: ConnectorState = 'stopped';
  private lastOkAt: number | undefined;
  private lastError: Health['lastError'];
  private readonly recent: { at: number; ok: boolean; code?: string; message?: string }[] = [];
  /** The first failure after the last success (cleared when the connector is healthy again). */
  private failingSince: number | undefined;
  private nextRetryAt: number | undefined;
  /** The running connector's own next reconnect (HealthReporter.retryAt). */
  private reconnectAt: number | undefined;
  private readonly counts: Record<string, number> = {};
  private readonly refusedBy: Record<string, number> = {};
  private refusalStreak = 0;
  private progressValue: Health['progress'];
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private wanted = false;
  private outage = false;
  private stopping: Promise<void> | undefined;
  readonly reporter: HealthReporter;

  constructor(
    readonly id: string,
    readonly manifest: ConnectorManifest,
    private readonly connector: Connector,
    private readonly deps: {
      log: Logger;
      clock: Clock;
      backoff?: BackoffOptions;
      random?: () => number;
      publishStats?: () => PublishStats | undefined;
      /** Told after anything that may change health() (state, an outcome): the hub shares it (core/connector/cluster-health.ts). */
      onHealth?: () => void;
    },
  ) {
    this.reporter = {
      ok: () => {
        this.onOk();
        this.changed();
      },
      error: (e) => {
        this.onError(e);
        this.changed();
      },
      count: (name, n = 1) => {
        this.counts[name] = (this.counts[name] ?? 0) + n;
      },
      retryAt: (at) => {
        this.reconnectAt = at;
      },
    };
  }

  get kind(): string {
    return this.manifest.kind;
  }

  /**
   * Starts the connector; a failed start is retried in the background unless it is permanent.
   * The supervisor owns the lifecycle guards: a second start is refused here, a start during a
   * stop waits for it, so a connector's start() is never called while it runs.
   */
  async start(): Promise<void> {
    if (this.wanted) throw new HubError('HUB_ERR_CONNECTOR_RUNNING', `connector ${this.id} is already started`);
    this.wanted = true;
    if (this.stopping !== undefined) await this.stopping;
    if (!this.wanted) return;
    this.attempt = 0;
    await this.tryStart();
  }

  private async tryStart(): Promise<void> {
    if (!this.wanted) return;
    this.state = 'starting';
    this.changed();
    this.attempt += 1;
    try {
      await this.connector.start();
      if (!this.wanted) {
        await this.connector.stop().catch(() => undefined);
        return;
      }
      this.state = 'running';
      this.attempt = 0;
      this.onOk();
      this.changed();
    } catch (e) {
      this.onError(e);
      await this.connector.stop().catch(() => undefined);
      if (!this.wanted) return;
      const kind = failureKind(e);
      if (kind === 'permanent') {
        this.state = 'stopped';
        this.wanted = false;
        this.changed();
        this.deps.log.error({ connector: this.id, code: this.lastError?.code }, `connector ${this.id} failed permanently, not retrying: ${this.lastError?.message}`);
        return;
      }
      const waitOut = kind === 'throttled' && isHubError(e) && e.retryAfterMs !== undefined ? e.retryAfterMs : undefined;
      // Honouring Retry-After burns no attempt (docs/connectors.md "Lifecycle, errors, health"): the next transient failure's backoff does not grow.
      if (waitOut !== undefined) this.attempt -= 1;
      const delay = waitOut ?? backoffDelay(this.attempt, this.connector.backoff ?? this.deps.backoff ?? DEFAULT_BACKOFF, this.deps.random);
      this.state = 'degraded';
      this.nextRetryAt = this.deps.clock.now() + delay;
      this.changed();
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.nextRetryAt = undefined;
        void this.tryStart();
      }, delay);
      this.retryTimer.unref?.();
    }
  }

  async stop(): Promise<void> {
    this.wanted = false;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.nextRetryAt = undefined;
    this.reconnectAt = undefined;
    if (this.state === 'stopped') return;
    if (this.stopping) return this.stopping;
    this.state = 'stopping';
    this.stopping = this.connector
      .stop()
      .catch((e) => this.deps.log.warn({ connector: this.id, err: errorMessage(e) }, 'connector stop step failed'))
      .finally(() => {
        this.state = 'stopped';
        this.stopping = undefined;
        this.changed();
      });
    return this.stopping;
  }

  /** The connector's check; a rejection is a failed result (connectors do not catch their own). */
  testConnection(): Promise<TestResult> {
    return connectionTest(this.connector);
  }

  async publish(changes: readonly Presence[]): Promise<void> {
    if (this.connector.publish === undefined || (this.state !== 'running' && this.state !== 'degraded')) return;
    try {
      await this.connector.publish(changes);
    } catch (e) {
      this.onError(e);
      this.changed();
    }
  }

  /**
   * What ingest did with a batch the connector emitted. A refused signal counts against the
   * connector (by reason, GET /v1/connectors and /metrics) and sets lastError; emits with refusals
   * REFUSALS_DEGRADE times in a row make it degraded, until an emit is accepted whole.
   */
  emitted(accepted: number, refused: readonly { code: string; detail: string }[]): void {
    this.emittedNow(accepted, refused);
    this.changed();
  }

  private emittedNow(accepted: number, refused: readonly { code: string; detail: string }[]): void {
    if (refused.length === 0) {
      if (accepted > 0 && this.refusalStreak > 0) {
        this.refusalStreak = 0;
        if (this.state === 'degraded' && this.lastError !== undefined && this.refusedBy[this.lastError.code] !== undefined) this.state = 'running';
        if (this.state === 'running') this.failingSince = undefined;
      }
      return;
    }
    const at = this.deps.clock.now();
    for (const r of refused) this.refusedBy[r.code] = (this.refusedBy[r.code] ?? 0) + 1;
    const first = refused[0]!;
    this.lastError = { code: first.code, message: `ingest refused ${refused.length} signal(s) of ${this.id}: ${first.detail}`, at };
    this.push({ at, ok: false, code: first.code, message: this.lastError.message });
    this.failingSince ??= at;
    this.refusalStreak += 1;
    if (this.refusalStreak === 1) this.deps.log.warn({ connector: this.id, code: first.code }, this.lastError.message);
    if (this.refusalStreak >= REFUSALS_DEGRADE && this.state === 'running') this.state = 'degraded';
  }

  report(): ConnectorReport | undefined {
    return this.connector.report?.();
  }

  setProgress(done: number, total: number | undefined): void {
    this.progressValue = total === undefined ? { done } : { done, total };
  }

  /** What decides whether the connector is failing (core/connector/feeds.ts failingOf), without health()'s copies and publishing stats. */
  failureState(): Pick<Health, 'state' | 'lastOkAt' | 'lastError' | 'failingSince'> {
    return {
      state: this.state,
      ...(this.lastOkAt !== undefined ? { lastOkAt: this.lastOkAt } : {}),
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
      ...(this.failingSince !== undefined ? { failingSince: this.failingSince } : {}),
    };
  }

  health(): Health {
    const h: {
      state: ConnectorState;
      recent: Health['recent'];
      failingSince?: number;
      nextRetryAt?: number;
      counts: Health['counts'];
      refused: Health['refused'];
      lastOkAt?: number;
      lastError?: Health['lastError'];
      progress?: Health['progress'];
      publishing?: Health['publishing'];
    } = { state: this.state, recent: [...this.recent], counts: { ...this.counts }, refused: { ...this.refusedBy } };
    if (this.lastOkAt !== undefined) h.lastOkAt = this.lastOkAt;
    if (this.lastError !== undefined) h.lastError = this.lastError;
    if (this.failingSince !== undefined) h.failingSince = this.failingSince;
    const next = this.nextRetryAt ?? (this.state === 'running' || this.state === 'degraded' ? this.reconnectAt : undefined);
    if (next !== undefined) h.nextRetryAt = next;
    if (this.progressValue !== undefined) h.progress = this.progressValue;
    const pub = this.deps.publishStats?.();
    if (pub !== undefined) h.publishing = pub;
    return h;
  }

  private changed(): void {
    try {
      this.deps.onHealth?.();
    } catch (e) {
      this.deps.log.warn({ connector: this.id, err: errorMessage(e) }, 'health listener failed');
    }
  }

  private push(entry: { at: number; ok: boolean; code?: string; message?: string }): void {
    this.recent.unshift(entry);
    if (this.recent.length > RECENT) this.recent.length = RECENT;
  }

  private onOk(): void {
    const at = this.deps.clock.now();
    this.lastOkAt = at;
    this.reconnectAt = undefined;
    this.push({ at, ok: true });
    // Repeated refusals keep it degraded: the upstream answers, but what the connector makes of it is refused.
    if (this.state === 'degraded' && this.refusalStreak < REFUSALS_DEGRADE) this.state = 'running';
    if (this.refusalStreak < REFUSALS_DEGRADE) this.failingSince = undefined;
    if (this.outage) {
      this.outage = false;
      this.deps.log.info({ connector: this.id }, `connector ${this.id} recovered`);
    }
  }

  private onError(e: unknown): void {
    const at = this.deps.clock.now();
    const code = isHubError(e) ? e.code : 'HUB_ERR_CONNECTOR';
    this.lastError = { code, message: errorMessage(e), at };
    this.push({ at, ok: false, code, message: this.lastError.message });
    this.failingSince ??= at;
    this.counts.errors = (this.counts.errors ?? 0) + 1;
    if (this.state === 'running') this.state = 'degraded';
    if (!this.outage) {
      this.outage = true;
      this.deps.log.warn({ connector: this.id, code }, `connector ${this.id} failing: ${this.lastError.message}`);
    }
  }
}
