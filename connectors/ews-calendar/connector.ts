import type { Connector, ConnectorContext, ConnectorReport, TestResult } from '../../core/connector/contract.ts';
import { errorMessage } from '../../core/errors.ts';
import { Gather } from '../../core/connector/gather.ts';
import { EwsClient } from './client.ts';
import { EwsCalendarCollector } from './collector.ts';
import type { EwsCalendarConfig } from './config.ts';
import { CalendarStreams } from './streaming.ts';

/** The mailboxes served: the configured list, else every `mailto:` identity in the directory. */
export function mailboxesOf(ctx: ConnectorContext<EwsCalendarConfig>): string[] {
  const list = ctx.config.mailboxes ?? [...ctx.directory.people()].flatMap((p) => p.identities.filter((i) => i.toLowerCase().startsWith('mailto:')).map((i) => i.slice(7)));
  return [...new Set(list.map((m) => m.toLowerCase()))];
}

/**
 * ews-calendar: Exchange calendars through EWS. Each poll reads free/busy with GetUserAvailability
 * in batches (at most 100 mailboxes a request, the server's default limit) and, with impersonation,
 * out of office with GetUserOofSettings (every `oofInterval`); the shared calendar engine
 * (connectors/calendar-common) turns each mailbox's reading into windowed calendar signals, so
 * presence flips at a meeting's start and end with no poll then. With streaming, an event on a
 * mailbox's calendar reads that mailbox again within `debounce`. A mailbox-level error
 * (ErrorMailRecipientNotFound, impersonation denied) goes to the directory report for that mailbox;
 * the others go on. Bad credentials at start are a permanent error: the supervisor stops.
 */
export class EwsCalendarConnector implements Connector {
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private cycle: Promise<void> | undefined;
  private readonly client: EwsClient;
  private readonly collector: EwsCalendarCollector;
  private streams: CalendarStreams | undefined;
  /** Mailboxes stream events named, read again together after `debounce`. */
  private readonly gathered: Gather<string>;
  private reread: Promise<void> = Promise.resolve();
  private lastCycleAt: number | undefined;
  /** The mailboxes the streams were set up for. */
  private streamedKey = '';
  private polling = false;

  constructor(private readonly ctx: ConnectorContext<EwsCalendarConfig>) {
    this.client = new EwsClient({ config: ctx.config, clock: ctx.clock, onRequest: () => ctx.report.count('requests'), onBusy: () => ctx.report.count('throttled') });
    this.collector = new EwsCalendarCollector({ ctx, client: this.client, active: () => this.running });
    this.gathered = new Gather({ ms: ctx.config.debounce, active: () => this.running, fire: (batch) => this.rereadMailboxes(batch) });
  }

  async start(): Promise<void> {
    this.running = true;
    // Credentials and endpoint first: a refusal here is permanent and stops the connector with its cause.
    await this.client.probe(mailboxesOf(this.ctx)[0]);
    this.cycle = this.runCycle().then(() => this.startStreams());
    this.timer = setInterval(() => {
      // A cycle longer than the interval is not overlapped by the next one: that tick is skipped.
      if (this.running && !this.polling) this.cycle = this.runCycle();
    }, this.ctx.config.pollInterval);
    this.timer.unref?.();
  }

  private async startStreams(): Promise<void> {
    const c = this.ctx.config;
    if (!c.streaming || !this.running) return;
    this.streams = new CalendarStreams({
      client: this.client,
      lifetime: c.streamLifetime,
      groupSize: c.streamGroupSize,
      retryAfter: Math.max(c.pollInterval, 60_000) * 5,
      log: this.ctx.log,
      report: this.ctx.report,
      onChange: (list) => this.queue(list),
      onMailboxError: (mbx, e) => this.collector.problem(mbx, e.message),
    });
    const list = mailboxesOf(this.ctx);
    this.streamedKey = list.join(',');
    await this.streams.start(list);
  }

  private async restartStreams(): Promise<void> {
    await this.streams?.stop();
    this.streams = undefined;
    await this.startStreams();
  }

  /** Resolves when the first poll (and the streaming setup after it) is done. */
  async firstCycle(): Promise<void> {
    await this.cycle;
  }

  /** Resolves when the re-reads queued by stream events so far are done. */
  async settled(): Promise<void> {
    await this.reread;
  }

  /** Mailboxes with streaming subscriptions in force. */
  streamed(): string[] {
    return this.streams?.subscribed() ?? [];
  }

  async runCycle(): Promise<void> {
    this.polling = true;
    // Polls and stream re-reads take turns: an older reading never lands after a newer one.
    const turn = this.reread.then(() => this.poll());
    this.reread = turn.catch(() => undefined);
    try {
      await turn;
    } finally {
      this.polling = false;
    }
  }

  private async poll(): Promise<void> {
    const list = mailboxesOf(this.ctx);
    this.collector.retain(list);
    // The directory changed (people joined or left): the streams follow at this poll.
    if (this.streams !== undefined && this.streamedKey !== list.join(',')) await this.restartStreams();
    if ((await this.collector.read(list, true)) === 0) this.ctx.report.ok();
    this.lastCycleAt = this.ctx.clock.now();
  }

  /** Stream events: the named mailboxes are read again together after `debounce`. */
  private queue(list: readonly string[]): void {
    this.gathered.add(list);
  }

  private rereadMailboxes(batch: readonly string[]): void {
    this.reread = this.reread.then(async () => {
      if (!this.running) return;
      if ((await this.collector.read(batch, false)) === 0) this.ctx.report.ok();
      this.ctx.report.count('resyncs');
    });
  }

  report(): ConnectorReport {
    const r: { skipped: { entry: string; reason: string }[]; at?: number } = { skipped: this.collector.skipped() };
    if (this.lastCycleAt !== undefined) r.at = this.lastCycleAt;
    return r;
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.gathered.cancel();
    const steps = [() => this.streams?.stop(), () => Promise.allSettled([this.cycle, this.reread])];
    for (const step of steps) await Promise.resolve(step()).catch((e: unknown) => this.ctx.log.warn(`stopping ${this.ctx.id}: ${errorMessage(e)}`));
    this.streams = undefined;
  }

  async testConnection(): Promise<TestResult> {
    // A rejection is the failed result (the supervisor's connectionTest turns it into one).
    this.client.invalidateToken();
    await this.client.probe(mailboxesOf(this.ctx)[0]);
    return { ok: true, message: 'EWS answered GetUserAvailability with these credentials' };
  }
}
