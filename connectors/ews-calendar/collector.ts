import type { ConnectorContext } from '../../core/connector/contract.ts';
import type { SignalInput } from '../../core/model/signal.ts';
import { HubError, errorMessage, failureKind, isHubError } from '../../core/errors.ts';
import { CalendarEngine, type OofReading } from '../calendar-common/engine.ts';
import type { EwsClient } from './client.ts';
import type { EwsCalendarConfig } from './config.ts';

/**
 * The reading half of ews-calendar: free/busy with GetUserAvailability in batches (at most
 * `batchSize` mailboxes, halved when the server refuses that many), out of office with
 * GetUserOofSettings under impersonation, each mailbox's reading turned into windowed calendar
 * signals by the shared engine (connectors/calendar-common) and emitted. Mailbox-level errors go to
 * the directory report (`skipped()`); the connector (connector.ts) owns the schedule and the streams.
 */
export class EwsCalendarCollector {
  private readonly engine: CalendarEngine;
  /** Per mailbox: the last error that concerned it alone, for the directory report. */
  private readonly problems = new Map<string, { reason: string; at: number }>();
  private readonly oofReadAt = new Map<string, number>();
  /** Mailboxes that could not be impersonated: not used to anchor a free/busy request. */
  private readonly badAnchors = new Set<string>();
  /** Mailboxes per GetUserAvailability: batchSize, lowered when the server refuses that many. */
  private batchSize: number;

  constructor(private readonly o: { ctx: ConnectorContext<EwsCalendarConfig>; client: EwsClient; active: () => boolean }) {
    const { ctx } = o;
    const c = ctx.config;
    this.batchSize = c.batchSize;
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

  /** Forgets the mailboxes no longer served. */
  retain(mailboxes: readonly string[]): void {
    this.engine.retain(mailboxes.map((m) => `mailto:${m}`));
  }

  /** The mailboxes skipped, with why (the directory report). */
  skipped(): { entry: string; reason: string }[] {
    return [...this.problems].map(([m, p]) => ({ entry: `mailto:${m}`, reason: p.reason }));
  }

  /** Reads `list` in batches and emits what changed; returns the number of failed batches. */
  async read(list: readonly string[], withOof: boolean): Promise<number> {
    const { ctx } = this.o;
    const c = ctx.config;
    const now = ctx.clock.now();
    const { start, end } = this.engine.window(now);
    let failed = 0;
    for (let i = 0; i < list.length && this.o.active(); ) {
      const batch = list.slice(i, i + this.batchSize);
      i += batch.length;
      const applied: string[] = [];
      try {
        const results = await this.availability(batch, start, end);
        const out: SignalInput[] = [];
        for (const r of results) {
          if (!this.o.active()) return failed;
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
        if (out.length > 0 && this.o.active()) {
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
        return await this.o.client.availability(batch, start, end, anchor);
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
    const c = this.o.ctx.config;
    if (!c.impersonation) return undefined;
    const last = this.oofReadAt.get(mbx);
    if (last !== undefined && now - last < c.oofInterval && now >= last) return undefined;
    try {
      const oof = await this.o.client.oof(mbx);
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

  problem(mbx: string, reason: string): void {
    if (!this.problems.has(mbx)) this.o.ctx.log.warn({ mailbox: mbx }, `EWS mailbox skipped: ${reason}`);
    this.problems.set(mbx, { reason, at: this.o.ctx.clock.now() });
    this.o.ctx.report.count('mailbox_errors');
  }
}
