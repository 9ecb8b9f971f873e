import type { Connector, ConnectorContext, ConnectorReport, TestResult } from '../../core/connector/contract.ts';
import type { SignalInput } from '../../core/model/signal.ts';
import { HubError, errorMessage, failureKind, isHubError } from '../../core/errors.ts';
import { CalendarEngine, type OofReading } from '../calendar-common/engine.ts';
import { EwsClient } from './client.ts';
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
  private readonly engine: CalendarEngine;
  private streams: CalendarStreams | undefined;
  /** Per mailbox: the last error that concerned it alone, for the directory report. */
  private readonly problems = new Map<string, { reason: string; at: number }>();
  private readonly oofReadAt = new Map<string, number>();
  /** Mailboxes that could not be impersonated: not used to anchor a free/busy request. */
  private readonly badAnchors = new Set<string>();
  private readonly pending = new Set<string>();
  private debounce: NodeJS.Timeout | undefined;
  private reread: Promise<void> = Promise.resolve();
  private lastCycleAt: number | undefined;
  /** The mailboxes the streams were set up for. */
  private streamedKey = '';
  private polling = false;
  /** Mailboxes per GetUserAvailability: batchSize, lowered when the server refuses that many. */
  private batchSize: number;

  constructor(private readonly ctx: ConnectorContext<EwsCalendarConfig>) {
    const c = ctx.config;
    this.batchSize = c.batchSize;
    this.client = new EwsClient({ config: c, clock: ctx.clock, onRequest: () => ctx.report.count('requests'), onBusy: () => ctx.report.count('throttled') });
    const map = Object.fromEntries(Object.entries(c.statusMap).filter(([, v]) => v !== undefined));
    this.engine = new CalendarEngine({
      source: ctx.id,
      details: c.details,
      lookahead: c.lookahead,
      interval: c.pollInterval,
      statusMap: map,
      workingHours: c.workingHours ? { outsideAvailability: c.outsideWorkingHours } : undefined,
      count: (name, n) => ctx.report.count(name, n),
    });
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
      onMailboxError: (mbx, e) => this.problem(mbx, e.message),
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
    this.engine.retain(list.map((m) => `mailto:${m}`));
    // The directory changed (people joined or left): the streams follow at this poll.
    if (this.streams !== undefined && this.streamedKey !== list.join(',')) await this.restartStreams();
    if ((await this.read(list, true)) === 0) this.ctx.report.ok();
    this.lastCycleAt = this.ctx.clock.now();
  }

  /** Reads `list` in batches and emits what changed; returns the number of failed batches. */
  private async read(list: readonly string[], withOof: boolean): Promise<number> {
    const { ctx } = this;
    const c = ctx.config;
    const now = ctx.clock.now();
    const { start, end } = this.engine.window(now);
    let failed = 0;
    for (let i = 0; i < list.length && this.running; ) {
      const batch = list.slice(i, i + this.batchSize);
      i += batch.length;
      const applied: string[] = [];
      try {
        const results = await this.availability(batch, start, end);
        const out: SignalInput[] = [];
        for (const r of results) {
          if (!this.running) return failed;
          if (!r.ok) {
            this.problem(r.mailbox, `${r.code}: ${r.message}`);
            continue;
          }
          // Read fine as an attendee: it stays on the report only while it cannot be impersonated.
          if (!this.badAnchors.has(r.mailbox)) this.problems.delete(r.mailbox);
          const oof = withOof ? await this.readOof(r.mailbox, now) : undefined;
          const identity = `mailto:${r.mailbox}`;
          applied.push(identity);
          out.push(...this.engine.apply(identity, { blocks: r.blocks, oof, workingHours: c.workingHours ? r.workingHours : undefined }, now));
        }
        if (out.length > 0 && this.running) {
          const res = await ctx.emit(out);
          ctx.report.count('signals', res.accepted);
        }
      } catch (e) {
        for (const id of applied) this.engine.forget(id);
        // The server allows fewer mailboxes a request than batchSize: halve it and read this batch again.
        if (isHubError(e) && e.message.startsWith('ErrorMailboxDataArrayTooBig') && batch.length > 1) {
          this.batchSize = Math.ceil(batch.length / 2);
          ctx.log.warn({ batchSize: this.batchSize }, `EWS refused ${batch.length} mailboxes in one request: batches of ${this.batchSize} from now on (set batchSize)`);
          ctx.report.count('batch_size_lowered');
          i -= batch.length;
          continue;
        }
        failed++;
        ctx.log.warn({ code: (e as HubError).code, mailboxes: batch.length }, `EWS free/busy batch failed: ${errorMessage(e)}`);
        ctx.report.error(e);
        // Bad credentials now: every further batch would be refused the same way.
        if (failureKind(e) === 'permanent' && !(isHubError(e) && e.code === 'HUB_ERR_EWS_MAILBOX')) break;
      }
    }
    return failed;
  }

  /**
   * GetUserAvailability impersonates one mailbox of the batch (with impersonation, and always with
   * app-only OAuth): one that cannot be impersonated (gone, denied) fails the whole request, so it is
   * reported and the next one anchors the request; it is still asked about, as an attendee.
   */
  private async availability(batch: readonly string[], start: number, end: number) {
    for (const anchor of batch) {
      if (this.badAnchors.has(anchor) && anchor !== batch.at(-1)) continue;
      try {
        return await this.client.availability(batch, start, end, anchor);
      } catch (e) {
        if (!(isHubError(e) && e.code === 'HUB_ERR_EWS_MAILBOX')) throw e;
        this.badAnchors.add(anchor);
        this.problem(anchor, e.message);
      }
    }
    throw new HubError('HUB_ERR_EWS_MAILBOX', `no mailbox of this batch of ${batch.length} can be impersonated`, { kind: 'transient' });
  }

  /** Out of office with impersonation, at most every oofInterval per mailbox; undefined: not read now (what was said stands). */
  private async readOof(mbx: string, now: number): Promise<OofReading | undefined> {
    const c = this.ctx.config;
    if (!c.impersonation) return undefined;
    const last = this.oofReadAt.get(mbx);
    if (last !== undefined && now - last < c.oofInterval && now >= last) return undefined;
    try {
      const oof = await this.client.oof(mbx);
      this.oofReadAt.set(mbx, now);
      if (this.badAnchors.delete(mbx)) this.problems.delete(mbx);
      return oof;
    } catch (e) {
      if (isHubError(e) && e.code === 'HUB_ERR_EWS_MAILBOX') {
        this.problem(mbx, e.message);
        return undefined;
      }
      throw e;
    }
  }

  private problem(mbx: string, reason: string): void {
    if (!this.problems.has(mbx)) this.ctx.log.warn({ mailbox: mbx }, `EWS mailbox skipped: ${reason}`);
    this.problems.set(mbx, { reason, at: this.ctx.clock.now() });
    this.ctx.report.count('mailbox_errors');
  }

  /** Stream events: the named mailboxes are read again together after `debounce`. */
  private queue(list: readonly string[]): void {
    for (const m of list) this.pending.add(m);
    if (this.debounce !== undefined || !this.running) return;
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      const batch = [...this.pending];
      this.pending.clear();
      this.reread = this.reread.then(async () => {
        if (!this.running) return;
        if ((await this.read(batch, false)) === 0) this.ctx.report.ok();
        this.ctx.report.count('resyncs');
      });
    }, this.ctx.config.debounce);
    this.debounce.unref?.();
  }

  report(): ConnectorReport {
    const r: { skipped: { entry: string; reason: string }[]; at?: number } = { skipped: [...this.problems].map(([m, p]) => ({ entry: `mailto:${m}`, reason: p.reason })) };
    if (this.lastCycleAt !== undefined) r.at = this.lastCycleAt;
    return r;
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== undefined) clearInterval(this.timer);
    if (this.debounce !== undefined) clearTimeout(this.debounce);
    this.timer = this.debounce = undefined;
    this.pending.clear();
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
