import type { ConnectorContext } from '../../core/connector/contract.ts';
import type { SignalInput } from '../../core/model/signal.ts';
import { isHubError } from '../../core/errors.ts';
import { normalizeIdentity } from '../../core/directory/identity.ts';
import type { CalendarEngine } from '../calendar-common/engine.ts';
import type { DominoClient } from './client.ts';
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
 * One poll cycle: every person read `concurrency` at a time, each reading through the engine, the
 * signals emitted in chunks. A person-level error goes to `problems` (the directory report); any
 * other error stops the cycle and is thrown (the server is down or refuses the account).
 */
export class DominoCollector {
  /** Per identity: why it could not be read, for the directory report. */
  readonly problems = new Map<string, string>();
  private failedBefore = false;
  lastCycleAt: number | undefined;

  constructor(
    private readonly ctx: ConnectorContext<DominoCalendarConfig>,
    private readonly client: DominoClient,
    private readonly engine: CalendarEngine,
    private readonly isRunning: () => boolean,
  ) {}

  /** A failed cycle: the next good one is a resync. */
  failed(): void {
    this.failedBefore = true;
  }

  async poll(): Promise<void> {
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
      if (out.length === 0 || !this.isRunning()) return;
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
      while (this.isRunning() && fatal === undefined && next < list.length) {
        const p = list[next++]!;
        try {
          const r = await this.client.read(p.who, start, end, p.identity);
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
    if (!this.isRunning()) return;
    this.failedBefore = false;
    this.lastCycleAt = ctx.clock.now();
    ctx.report.ok();
  }

  private problem(identity: string, reason: string): void {
    if (!this.problems.has(identity)) this.ctx.log.warn({ identity }, `Domino person skipped: ${reason}`);
    this.problems.set(identity, reason);
    this.ctx.report.count('person_errors');
  }

}
