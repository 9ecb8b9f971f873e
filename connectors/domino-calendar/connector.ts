import type { Connector, ConnectorContext, ConnectorReport, TestResult } from '../../core/connector/contract.ts';
import { HubError, errorMessage, failureKind, isHubError } from '../../core/errors.ts';
import { CalendarEngine } from '../calendar-common/engine.ts';
import { DominoClient } from './client.ts';
import type { DominoCalendarConfig } from './config.ts';
import { DominoCollector } from './collector.ts';


/**
 * domino-calendar: each poll reads every person's calendar (DRAPI PIM calendar, or DAS free/busy)
 * `concurrency` at a time; the shared calendar engine (connectors/calendar-common) turns each
 * reading into windowed calendar registers, so presence flips at an entry's start and end with no
 * poll then. A person-level refusal (no ACL, not found, homed on another server) goes to the
 * directory report and the others go on; the server failing (down, 5xx, account refused) fails the
 * cycle: health degrades, and the first good cycle after it sends every person's registers whole
 * (a resync: the hub may have lost them meanwhile).
 */
export class DominoCalendarConnector implements Connector {
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private cycle: Promise<void> | undefined;
  private polling = false;
  private readonly collector: DominoCollector;
  private readonly client: DominoClient;
  private readonly engine: CalendarEngine;

  constructor(private readonly ctx: ConnectorContext<DominoCalendarConfig>) {
    const c = ctx.config;
    this.client = new DominoClient({ config: c, clock: ctx.clock, onRequest: () => ctx.report.count('requests'), onReauth: () => ctx.report.count('reauth') });
    this.engine = new CalendarEngine({ source: ctx.id, details: c.details, lookahead: c.lookahead, interval: c.pollInterval });
    this.collector = new DominoCollector(ctx, this.client, this.engine, () => this.running);
  }

  async start(): Promise<void> {
    if (this.running) throw new HubError('HUB_ERR_CONNECTOR_RUNNING', `connector ${this.ctx.id} is already running`);
    this.running = true;
    // Credentials and endpoint first: a refusal here is permanent and stops the connector with its cause.
    try {
      await this.client.probe();
    } catch (e) {
      this.running = false;
      throw e;
    }
    this.cycle = this.runCycle();
    this.timer = setInterval(() => {
      // A cycle longer than the interval is not overlapped: that tick is skipped.
      if (this.running && !this.polling) this.cycle = this.runCycle();
    }, this.ctx.config.pollInterval);
    this.timer.unref?.();
  }

  /** Resolves when the cycle under way (the first one after start) is done. */
  async firstCycle(): Promise<void> {
    await this.cycle;
  }

  async runCycle(): Promise<void> {
    if (this.polling) return this.cycle;
    this.polling = true;
    try {
      await this.collector.poll();
    } catch (e) {
      this.collector.failed();
      this.ctx.log.warn({ code: isHubError(e) ? e.code : undefined }, `Domino poll failed: ${errorMessage(e)}`);
      this.ctx.report.error(e);
    } finally {
      this.polling = false;
    }
  }

  report(): ConnectorReport {
    const r: { skipped: { entry: string; reason: string }[]; at?: number } = { skipped: [...this.collector.problems].map(([entry, reason]) => ({ entry, reason })) };
    if (this.collector.lastCycleAt !== undefined) r.at = this.collector.lastCycleAt;
    return r;
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.allSettled([this.cycle]);
  }

  async testConnection(): Promise<TestResult> {
    try {
      this.client.invalidateToken();
      await this.client.probe();
      return { ok: true, message: `Domino ${this.ctx.config.api === 'drapi' ? 'REST API signed in' : 'Access Services answered'} with these credentials` };
    } catch (e) {
      return { ok: false, kind: failureKind(e), code: isHubError(e) ? e.code : 'HUB_ERR_DOMINO_UNREACHABLE', message: errorMessage(e) };
    }
  }
}
