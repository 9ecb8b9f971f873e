import type { ConnectorStore, HealthReporter } from '../connector/contract.ts';
import { backoffDelay, type BackoffOptions } from '../connector/backoff.ts';
import type { Presence } from '../model/presence.ts';
import type { Clock } from '../util/clock.ts';
import { errorMessage, isHubError } from '../errors.ts';
import type { Logger } from '../util/logger.ts';
import { decodeRecord, encodeRecord, INIT_KEY, RECORD_PREFIX, saveRecords, stateKey, type LastWrite } from './record.ts';
import type { PublishHandle, PublishStats, PublishTarget, WriteOutcome } from './target.ts';

/** Retries of failed and unknown writes: 1 s doubling to 60 s, with jitter. */
export const PUBLISH_BACKOFF: BackoffOptions = { baseMs: 1000, maxMs: 60_000 };
const CHUNK = 1000;
const MAX_POSSIBLY = 8;

interface Entry<D> {
  readonly person: string;
  desired: D | null;
  desiredKey: string;
  /** What the system may show from the hub; undefined: unknown (no durable record to go by). */
  last: LastWrite<D> | undefined;
  /** Written with an unknown outcome since the last confirmed write: possibly applied. */
  possibly: D[];
  attempts: number;
  retryAt: number;
  lastWriteAt: number;
  pendingSince: number | undefined;
  inFlight: boolean;
}

export interface ReconcilerDeps {
  readonly connector: string;
  readonly store: ConnectorStore;
  readonly clock: Clock;
  readonly log: Logger;
  readonly report: HealthReporter;
  /** The current merged presence of people (the hub's store). */
  readonly presence: (people: readonly string[]) => Promise<Presence[]>;
  readonly backoff?: BackoffOptions;
  readonly random?: () => number;
  /**
   * While writes fail (an outage), one pending write is tried this often whatever its backoff: the
   * probe. When it is confirmed every pending write goes at once, so the system shows the hub's
   * answer within about this long of its recovery, however long the outage was (default 1 s).
   */
  readonly probeEvery?: number;
}

/**
 * The reconciliation of one publishing connector (docs/publishing.md): per person the desired
 * state, the last write and its outcome; writes until the system confirms the hub's answer.
 * Failed and unknown writes are retried with backoff; a new desired state starts afresh. Writes
 * are coalesced to one per person per `minInterval`; clears go at once. At attach, after an
 * upstream recovery and on resync(), every person the hub may have written is reconciled.
 */
export class Reconciler<D> implements PublishHandle<D> {
  private readonly entries = new Map<string, Entry<D>>();
  private readonly pending = new Set<string>();
  private readonly refresh = new Map<string, number>();
  private readonly buffered: Presence[][] = [];
  private loading = true;
  private stopped = false;
  private initSaved = false;
  /** Entries whose system state is unknown (no record): the init marker waits for them. */
  private unknownCount = 0;
  /** When writes began to fail (an upstream outage); undefined while they succeed. */
  private failingSince: number | undefined;
  private nextProbeAt = 0;
  /** The system asked to wait (Retry-After on a refusal): no write of this connector goes before. */
  private holdUntil = 0;
  private running = 0;
  private timer: NodeJS.Timeout | undefined;
  private wakeAt = Infinity;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly counters = { writes: 0, retries: 0, confirmed: 0, failed: 0, unknownOutcomes: 0, reconciles: 0 };

  constructor(
    private readonly target: PublishTarget<D>,
    private readonly deps: ReconcilerDeps,
  ) {}

  /** Loads the durable record and reconciles every person the hub may have written. */
  async start(): Promise<void> {
    const saved = await this.deps.store.entries(RECORD_PREFIX);
    this.initSaved = saved.has(INIT_KEY);
    const people = new Set(this.target.people());
    for (const [key, raw] of saved) {
      if (key === INIT_KEY) continue;
      const person = key.slice(RECORD_PREFIX.length);
      const r = decodeRecord<D>(raw);
      if (r === undefined) this.deps.report.count('publish_state_invalid');
      people.add(person);
      this.entry(person, r?.last, r?.possibly ?? []);
    }
    // A fresh store knows nothing: whatever a previous run left in the system may still be there.
    for (const p of people) if (!this.entries.has(p)) this.entry(p, this.initSaved ? NOTHING : undefined, []);
    for (const e of this.entries.values()) if (e.last === undefined) this.unknownCount++;
    const ids = [...people];
    for (let i = 0; i < ids.length; i += CHUNK) for (const p of await this.deps.presence(ids.slice(i, i + CHUNK))) this.setDesired(p);
    this.counters.reconciles++;
    for (const e of this.entries.values()) this.check(e);
    this.loading = false;
    for (const b of this.buffered.splice(0)) this.offer(b);
    this.kick();
  }

  /** Presence changes from the hub (full views). */
  offer(changes: readonly Presence[]): void {
    if (this.stopped) return;
    if (this.loading) {
      this.buffered.push([...changes]);
      return;
    }
    for (const p of changes) this.check(this.setDesired(p));
    this.kick();
  }

  resync(reason: string): void {
    this.resyncBefore(Infinity, reason);
  }

  /**
   * Plans again from the hub's current presence: for a target whose plan depends on more than the
   * presence (which people a directory holds). `people` absent: everyone known and `target.people()`.
   */
  async replan(people?: readonly string[]): Promise<void> {
    if (this.stopped || this.loading) return;
    const ids = people !== undefined ? [...new Set(people)] : [...new Set([...this.entries.keys(), ...this.target.people()])];
    for (let i = 0; i < ids.length && !this.stopped; i += CHUNK) for (const p of await this.deps.presence(ids.slice(i, i + CHUNK))) this.check(this.setDesired(p));
    this.kick();
  }

  /** Reconciles every person the hub may have written before `before` (what the system may have lost). */
  private resyncBefore(before: number, reason: string): void {
    if (this.stopped) return;
    this.deps.log.info({ connector: this.deps.connector, reason }, 'publisher reconciles every person it may have written');
    this.counters.reconciles++;
    for (const e of this.entries.values()) {
      if (e.inFlight || (e.last !== undefined && e.last.d === null && e.last.outcome === 'confirmed' && e.possibly.length === 0)) continue;
      if (e.last !== undefined && e.last.at >= before) continue;
      if (e.last !== undefined) e.last = { ...e.last, outcome: 'unknown' };
      this.check(e);
    }
    this.kick();
  }

  mayShow(person: string): readonly D[] {
    const e = this.entries.get(person);
    if (e === undefined) return [];
    const out: D[] = e.last !== undefined && e.last.d !== null ? [e.last.d] : [];
    for (const d of e.possibly) if (!out.some((x) => stateKey(x) === stateKey(d))) out.push(d);
    return out;
  }

  mayHold(person: string): readonly (D | null)[] | undefined {
    const last = this.entries.get(person)?.last;
    if (last === undefined) return undefined;
    if (last.outcome !== 'unknown') return [last.d];
    const out: (D | null)[] = [...this.mayShow(person)];
    if (last.d !== null && !out.some((x) => x !== null && stateKey(x) === last.key)) out.push(last.d);
    out.push(null);
    return out;
  }

  stats(): PublishStats {
    const now = this.deps.clock.now();
    let oldest = 0;
    for (const p of this.pending) {
      const since = this.entries.get(p)?.pendingSince;
      if (since !== undefined) oldest = Math.max(oldest, now - since);
    }
    return { ...this.counters, pending: this.pending.size, oldestPendingMs: oldest };
  }

  async detach(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.inFlight]);
  }

  /** Sends every write that is due now (tests with an injected clock call it after advancing). */
  async tick(): Promise<void> {
    this.timer = undefined;
    this.wakeAt = Infinity;
    this.kick();
    await Promise.allSettled([...this.inFlight]);
  }

  // --- internals -------------------------------------------------------------------------------

  private entry(person: string, last: LastWrite<D> | undefined, possibly: D[]): Entry<D> {
    const e: Entry<D> = { person, desired: null, desiredKey: 'null', last, possibly, attempts: 0, retryAt: 0, lastWriteAt: -Infinity, pendingSince: undefined, inFlight: false };
    this.entries.set(person, e);
    return e;
  }

  private setDesired(p: Presence): Entry<D> {
    const e = this.entries.get(p.person) ?? this.entry(p.person, NOTHING, []);
    const d = this.target.plan(p);
    const key = stateKey(d);
    if (key !== e.desiredKey) {
      e.desired = d;
      e.desiredKey = key;
      // A new answer is not a retry: it goes out as soon as coalescing allows.
      e.attempts = 0;
      e.retryAt = 0;
    }
    return e;
  }

  /** Whether the system shows the hub's answer; updates the pending and refresh sets. */
  private check(e: Entry<D>): void {
    const settled = e.last !== undefined && e.last.outcome === 'confirmed' && e.last.key === e.desiredKey;
    if (settled) {
      this.pending.delete(e.person);
      e.pendingSince = undefined;
      const every = e.desired !== null ? this.target.refreshAfter?.(e.desired) : undefined;
      if (every !== undefined) this.refresh.set(e.person, e.last!.at + every);
      else this.refresh.delete(e.person);
    } else {
      this.refresh.delete(e.person);
      if (!this.pending.has(e.person)) {
        this.pending.add(e.person);
        e.pendingSince = this.deps.clock.now();
      }
    }
  }

  private dueAt(e: Entry<D>): number {
    // A clear is never held back: removing the hub's answer only lets the system show its own.
    const coalesce = e.desired === null ? -Infinity : e.lastWriteAt + (this.target.minInterval ?? 0);
    return Math.max(e.retryAt, coalesce);
  }

  private kick(): void {
    if (this.stopped || this.loading) return;
    const now = this.deps.clock.now();
    const limit = this.target.concurrency ?? 8;
    let next = Infinity;
    if (now < this.holdUntil) {
      // Throttled: nothing goes (no probe, no new state) until the system's Retry-After has passed.
      this.wake(this.holdUntil, now);
      return;
    }
    const consider = (e: Entry<D>, at: number): void => {
      if (e.inFlight) return;
      if (at <= now && this.running < limit) this.send(e);
      else next = Math.min(next, Math.max(at, now + 1));
    };
    let probe = this.failingSince !== undefined && now >= this.nextProbeAt;
    for (const p of this.pending) {
      const e = this.entries.get(p)!;
      const at = this.dueAt(e);
      if (probe && at > now && e.attempts > 0 && !e.inFlight && this.running < limit) {
        probe = false;
        this.nextProbeAt = now + (this.deps.probeEvery ?? 1000);
        this.send(e);
        continue;
      }
      consider(e, at);
    }
    if (this.failingSince !== undefined && this.pending.size > 0) next = Math.min(next, Math.max(this.nextProbeAt, now + 1));
    for (const [p, at] of this.refresh) consider(this.entries.get(p)!, at);
    if (this.running >= limit) return; // the end of a write kicks again
    if (!this.initSaved && this.unknownCount === 0) this.saveInit();
    this.wake(next, now);
  }

  private wake(next: number, now: number): void {
    if (next < this.wakeAt) {
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.wakeAt = next;
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.wakeAt = Infinity;
        this.kick();
      }, next - now);
      this.timer.unref?.();
    }
  }

  private saveInit(): void {
    this.initSaved = true;
    this.deps.store.set([[INIT_KEY, '1']]).catch((err: unknown) => {
      this.initSaved = false;
      this.deps.log.warn({ connector: this.deps.connector, err: errorMessage(err) }, 'saving the publish state failed');
    });
  }

  private send(e: Entry<D>): void {
    e.inFlight = true;
    this.running++;
    const p = this.write(e).finally(() => {
      e.inFlight = false;
      this.running--;
      this.inFlight.delete(p);
      this.check(e);
      this.kick();
    });
    this.inFlight.add(p);
  }

  private async write(e: Entry<D>): Promise<void> {
    const d = e.desired;
    const key = e.desiredKey;
    const wasUnknown = e.last === undefined;
    const shown = e.last === undefined || e.last.outcome === 'unknown' ? undefined : e.last.d;
    const retry = e.attempts > 0;
    // Written ahead: a node dying mid-write leaves "possibly applied" behind for the next one.
    if (d !== null && !e.possibly.some((x) => stateKey(x) === key)) {
      e.possibly = [...e.possibly, d].slice(-MAX_POSSIBLY);
      await this.save(e);
    }
    const now = this.deps.clock.now();
    // Coalescing counts writes of a state; a clear neither waits nor holds the next write back.
    if (d !== null) e.lastWriteAt = now;
    this.counters.writes++;
    if (retry) this.counters.retries++;
    let out: WriteOutcome;
    try {
      out = d === null ? await this.target.clear(e.person, shown) : await this.target.write(e.person, d, shown);
    } catch (err) {
      out = { outcome: 'unknown', error: err };
    }
    if (out.outcome === 'confirmed') {
      this.counters.confirmed++;
      e.last = { d, key, outcome: 'confirmed', at: now };
      e.possibly = [];
      e.attempts = 0;
      e.retryAt = 0;
      const since = this.failingSince;
      if (since !== undefined) {
        this.failingSince = undefined;
        this.deps.report.ok();
        // The system is back: what waited out its backoff goes now.
        for (const p of this.pending) {
          const x = this.entries.get(p)!;
          x.attempts = 0;
          x.retryAt = 0;
        }
        // During the outage the system may have lost or kept anything the hub wrote before it.
        this.resyncBefore(since, 'the system accepts writes again');
      }
    } else {
      if (out.outcome === 'unknown') {
        this.counters.unknownOutcomes++;
        // The write may not have been applied: what was confirmed before it may still be shown.
        const before = e.last;
        if (before !== undefined && before.outcome === 'confirmed' && before.d !== null && !e.possibly.some((x) => stateKey(x) === before.key)) {
          e.possibly = [before.d, ...e.possibly].slice(-MAX_POSSIBLY);
        }
        e.last = { d, key, outcome: 'unknown', at: now };
      } else this.counters.failed++;
      e.attempts++;
      const wait = out.outcome === 'failed' && out.retryAfterMs !== undefined ? out.retryAfterMs : backoffDelay(e.attempts, this.deps.backoff ?? PUBLISH_BACKOFF, this.deps.random);
      // Waits count from the answer, not from the send (a Retry-After is relative to the response).
      const answered = this.deps.clock.now();
      e.retryAt = answered + wait;
      if (out.outcome === 'failed' && out.retryAfterMs !== undefined) this.holdUntil = Math.max(this.holdUntil, answered + out.retryAfterMs);
      if (this.failingSince === undefined) {
        this.failingSince = now;
        this.nextProbeAt = now + (this.deps.probeEvery ?? 1000);
      }
      const code = isHubError(out.error) ? out.error.code : undefined;
      this.deps.log.warn({ connector: this.deps.connector, person: e.person, outcome: out.outcome, code, attempt: e.attempts }, `${d === null ? 'clear' : 'write'} ${out.outcome}, retried in ${wait} ms: ${errorMessage(out.error)}`);
      this.deps.report.error(out.error);
    }
    if (wasUnknown && e.last !== undefined) this.unknownCount--;
    await this.save(e);
  }

  private async save(e: Entry<D>): Promise<void> {
    const record = encodeRecord({ ...(e.last !== undefined ? { last: e.last } : {}), possibly: e.possibly });
    try {
      await saveRecords(this.deps.store, [[e.person, record]]);
    } catch (err) {
      this.deps.report.count('publish_state_save_failed');
      this.deps.log.warn({ connector: this.deps.connector, err: errorMessage(err) }, 'saving the publish state failed');
    }
  }
}

/** "The hub wrote nothing there": a confirmed clear. */
const NOTHING: LastWrite<never> = { d: null, key: 'null', outcome: 'confirmed', at: 0 };
