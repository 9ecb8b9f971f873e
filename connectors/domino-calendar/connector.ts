import type { Connector, ConnectorContext, ConnectorReport, TestResult } from '../../core/connector/contract.ts';
import type { SignalInput } from '../../core/model/signal.ts';
import { HubError, errorMessage, failureKind, isHubError } from '../../core/errors.ts';
import { normalizeIdentity } from '../../core/directory/identity.ts';
import { CalendarEngine } from '../calendar-common/engine.ts';
import { DominoClient } from './client.ts';
import type { DominoCalendarConfig } from './config.ts';

/** One person to read: the identity the signals carry and the name Domino is asked with. */
export interface DominoPerson {
  readonly identity: string;
  readonly who: string;
}

/** Every person of the directory with a `mailto:` (preferred: DRAPI mailboxid takes an email) or `domino:` identity. */
export function personsOf(ctx: ConnectorContext<DominoCalendarConfig>): DominoPerson[] {
  const out = new Map<string, DominoPerson>();
  for (const p of ctx.directory.people()) {
    const ids = p.identities.map(normalizeIdentity);
    const id = ids.find((i) => i.startsWith('mailto:')) ?? ids.find((i) => i.startsWith('domino:'));
    if (id !== undefined) out.set(id, { identity: id, who: id.slice(id.indexOf(':') + 1) });
  }
  return [...out.values()];
}

const EMIT_CHUNK = 500;

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
  private failedBefore = false;
  private lastCycleAt: number | undefined;
  private readonly client: DominoClient;
  private readonly engine: CalendarEngine;
  private readonly problems = new Map<string, string>();

  constructor(private readonly ctx: ConnectorContext<DominoCalendarConfig>) {
    const c = ctx.config;
    this.client = new DominoClient({ config: c, clock: ctx.clock, onRequest: () => ctx.report.count('requests'), onReauth: () => ctx.report.count('reauth') });
    this.engine = new CalendarEngine({ source: ctx.id, details: c.details, lookahead: c.lookahead, interval: c.pollInterval });
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
      await this.poll();
    } catch (e) {
      this.failedBefore = true;
      this.ctx.log.warn({ code: isHubError(e) ? e.code : undefined }, `Domino poll failed: ${errorMessage(e)}`);
      this.ctx.report.error(e);
    } finally {
      this.polling = false;
    }
  }

  private async poll(): Promise<void> {
    const { ctx } = this;
    const list = personsOf(ctx);
    this.engine.retain(list.map((p) => p.identity));
    for (const key of this.problems.keys()) if (!list.some((p) => p.identity === key)) this.problems.delete(key);
    if (this.failedBefore) {
      // Recovering from a failed cycle: send every register again.
      this.engine.reset();
      ctx.report.count('resyncs');
    }
    const now = ctx.clock.now();
    const { start, end } = this.engine.window(now);
    let out: SignalInput[] = [];
    let applied: string[] = [];
    let next = 0;
    let fatal: unknown;
    const flush = async (): Promise<void> => {
      if (out.length === 0 || !this.running) return;
      const batch = out;
      const ids = applied;
      out = [];
      applied = [];
      try {
        const res = await ctx.emit(batch);
        ctx.report.count('signals', res.accepted);
      } catch (e) {
        for (const id of ids) this.engine.forget(id);
        throw e;
      }
    };
    const worker = async (): Promise<void> => {
      while (this.running && fatal === undefined && next < list.length) {
        const p = list[next++]!;
        try {
          const r = await this.client.read(p.who, start, end);
          if (r.unreadable > 0) ctx.report.count('entries_unreadable', r.unreadable);
          this.problems.delete(p.identity);
          const s = this.engine.apply(p.identity, { blocks: r.blocks }, now);
          if (s.length > 0) {
            out.push(...s);
            applied.push(p.identity);
          }
          if (out.length >= EMIT_CHUNK) await flush();
        } catch (e) {
          if (isHubError(e) && (e.code === 'HUB_ERR_DOMINO_PERSON' || e.code === 'HUB_ERR_DOMINO_MALFORMED')) this.problem(p.identity, e.message);
          else fatal ??= e;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(ctx.config.concurrency, Math.max(list.length, 1)) }, worker));
    await flush();
    if (fatal !== undefined) throw fatal;
    if (!this.running) return;
    this.failedBefore = false;
    this.lastCycleAt = ctx.clock.now();
    ctx.report.ok();
  }

  private problem(identity: string, reason: string): void {
    if (!this.problems.has(identity)) this.ctx.log.warn({ identity }, `Domino person skipped: ${reason}`);
    this.problems.set(identity, reason);
    this.ctx.report.count('person_errors');
  }

  report(): ConnectorReport {
    const r: { skipped: { entry: string; reason: string }[]; at?: number } = { skipped: [...this.problems].map(([entry, reason]) => ({ entry, reason })) };
    if (this.lastCycleAt !== undefined) r.at = this.lastCycleAt;
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
