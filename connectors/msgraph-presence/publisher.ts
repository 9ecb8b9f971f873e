import type { HealthReporter } from '../../core/connector/contract.ts';
import type { Presence } from '../../core/model/presence.ts';
import type { Clock } from '../../core/util/clock.ts';
import { errorMessage } from '../../core/util/errors.ts';
import type { Logger } from '../../core/util/logger.ts';
import type { PresenceClient } from './client.ts';
import type { PresenceConfig } from './config.ts';
import type { LoopGuard } from './loop-guard.ts';
import { planWrite, samePair, type GraphPair, type WritePlan } from './map.ts';

type PublishConfig = PresenceConfig['publish'];

/** States a person sets by hand in Teams (setUserPreferredPresence combinations). */
const MANUAL = ['DoNotDisturb/DoNotDisturb', 'BeRightBack/BeRightBack', 'Offline/OffWork', 'Busy/Busy', 'Away/Away'];

interface UserState {
  /** `resumed`: written by the connector on another node (from the shared state), not refreshed here yet. */
  session?: { pair: GraphPair; setAt: number; resumed?: boolean };
  preferred?: GraphPair;
  lastWriteAt: number;
  desired?: WritePlan;
  timer?: NodeJS.Timeout;
  explanation?: string;
  /** A write for this user is in flight; a change meanwhile is flushed after it (no double write). */
  writing?: boolean;
  again?: boolean;
}

/**
 * Writes the merged presence into Teams through the app's own presence session (presence-
 * setpresence: sessionId = the application's client id), only on change and at most once per
 * person per `minInterval`; refreshes the session before `expirationDuration` ends (and before the
 * 5-minute fade of an Available session); clears it when the hub has nothing to say. A state Teams
 * itself reported is never written back (loop guard, DESIGN.md invariant 4).
 */
export class TeamsPublisher {
  private readonly users = new Map<string, UserState>();
  private stopped = false;
  constructor(
    private readonly o: {
      client: PresenceClient;
      sessionId: string;
      /** This connector's id: the `source` of the signals its collector emits. */
      source: string;
      config: PublishConfig;
      guard: LoopGuard;
      clock: Clock;
      log: Logger;
      report: HealthReporter;
      /** Person id -> Graph object id. */
      objectIdOf: (person: string) => string | undefined;
      /** Saves the loop guard's record to the shared state (write-through after every write or clear). */
      persist?: () => Promise<void>;
    },
  ) {}

  /** Why the last change was or was not written, per Graph user (for the explanation). */
  explain(userId: string): string | undefined {
    return this.users.get(userId)?.explanation;
  }

  async publish(changes: readonly Presence[]): Promise<void> {
    const policy = { classes: this.o.config.classes, extendedPairs: this.o.config.extendedPairs, preferredForDnd: this.o.config.preferredPresence.enabled };
    await Promise.all(
      changes.map(async (p) => {
        const userId = this.o.objectIdOf(p.person);
        if (userId === undefined) return;
        const st = this.users.get(userId) ?? this.resume(userId);
        this.users.set(userId, st);
        // A presence Teams itself decided is Teams' own state: writing it back would pin it there and
        // hide the user's next change behind the hub's session (a loop that never ends).
        st.desired =
          p.decidedBy === this.o.source
            ? { kind: 'clear', reason: 'Teams itself decided this presence; the hub does not write it back' }
            : planWrite(p, policy);
        await this.flush(userId, st);
      }),
    );
  }

  /**
   * A user this publisher has not written yet: the hub's write may still be in Teams, made by the
   * connector on another node before it moved here (lease). Taken over from the loop guard's shared
   * record, so it is cleared once the hub's presence no longer warrants it, and kept refreshed while
   * it does (DESIGN.md invariant 4: no ghost presence after a failover).
   */
  private resume(userId: string): UserState {
    const w = this.o.guard.activeRecord(userId);
    if (w === undefined) return { lastWriteAt: -Infinity };
    if (w.kind === 'preferred') return { lastWriteAt: -Infinity, preferred: w.pair };
    return { lastWriteAt: -Infinity, session: { pair: w.pair, setAt: w.at, resumed: true } };
  }

  private async flush(userId: string, st: UserState): Promise<void> {
    if (this.stopped || st.desired === undefined) return;
    if (st.writing === true) {
      st.again = true;
      return;
    }
    const now = this.o.clock.now();
    let plan = st.desired;
    const real = this.o.guard.lastReal(userId);
    // Teams already shows this state on its own: writing it would only pin it after Teams moves on.
    if (plan.kind !== 'clear' && samePair(plan.pair, real) && !samePair(plan.pair, st.session?.pair) && !samePair(plan.pair, st.preferred)) {
      plan = { kind: 'clear', reason: `Teams itself reports ${plan.pair.availability}/${plan.pair.activity}; the hub does not echo it back` };
    }
    if (plan.kind === 'preferred' && st.preferred === undefined && real !== undefined && MANUAL.includes(`${real.availability}/${real.activity}`) && !this.o.config.preferredPresence.overrideManual) {
      plan = { kind: 'clear', reason: `the user set ${real.availability}/${real.activity} by hand; not overridden (publish.preferredPresence.overrideManual)` };
    }
    const unchanged =
      (plan.kind === 'set' && samePair(plan.pair, st.session?.pair) && st.preferred === undefined) ||
      (plan.kind === 'preferred' && samePair(plan.pair, st.preferred)) ||
      (plan.kind === 'clear' && st.session === undefined && st.preferred === undefined);
    st.explanation = plan.kind === 'clear' ? plan.reason : `written as ${plan.pair.availability}/${plan.pair.activity}`;
    if (unchanged) {
      // A session taken over from another node that the hub still wants: keep it alive from here.
      if (plan.kind === 'set' && st.session?.resumed === true) {
        st.session.resumed = false;
        this.scheduleRefresh(userId, st, st.session.setAt);
      }
      return;
    }
    const wait = st.lastWriteAt + this.o.config.minInterval - now;
    if (wait > 0) {
      if (st.timer === undefined) {
        st.timer = setTimeout(() => {
          st.timer = undefined;
          void this.flush(userId, st);
        }, wait);
        st.timer.unref?.();
      }
      return;
    }
    st.writing = true;
    try {
      await this.apply(userId, st, plan, now);
      st.lastWriteAt = now;
      this.o.report.count('teams_writes');
      await this.o.persist?.();
    } catch (e) {
      this.o.log.warn({ user: userId, code: (e as { code?: string }).code }, `writing Teams presence failed: ${errorMessage(e)}`);
      this.o.report.error(e);
    } finally {
      st.writing = false;
    }
    // Changes that came while the write was in flight: planned again against the state just written.
    if (st.again === true) {
      st.again = false;
      await this.flush(userId, st);
    }
  }

  private async apply(userId: string, st: UserState, plan: WritePlan, now: number): Promise<void> {
    if (plan.kind !== 'preferred' && st.preferred !== undefined) {
      await this.o.client.clearPreferred(userId);
      st.preferred = undefined;
    }
    if (plan.kind === 'set') {
      await this.o.client.setPresence(userId, this.o.sessionId, plan.pair, this.o.config.expiration);
      st.session = { pair: plan.pair, setAt: now };
      this.o.guard.recordWrite(userId, plan.pair, now);
      this.scheduleRefresh(userId, st);
    } else if (plan.kind === 'preferred') {
      if (st.session !== undefined) await this.clearSession(userId, st, now);
      await this.o.client.setPreferred(userId, plan.pair, this.o.config.preferredPresence.expiration);
      st.preferred = plan.pair;
      this.o.guard.recordWrite(userId, plan.pair, now, 'preferred');
    } else {
      if (st.session !== undefined) await this.clearSession(userId, st, now);
      this.o.guard.recordClear(userId, now);
    }
  }

  private async clearSession(userId: string, st: UserState, now: number): Promise<void> {
    await this.o.client.clearPresence(userId, this.o.sessionId);
    st.session = undefined;
    this.o.guard.recordClear(userId, now);
  }

  /**
   * Keeps the session alive: before expiry, and before the 5-minute fade of an Available session.
   * `from`: when the session was last written, if not now (a session resumed from another node).
   */
  private scheduleRefresh(userId: string, st: UserState, from?: number): void {
    const s = st.session;
    if (s === undefined) return;
    let every = Math.max(60_000, this.o.config.expiration - this.o.config.refreshBefore);
    if (s.pair.availability === 'Available') every = Math.min(every, 4 * 60_000);
    const delay = from === undefined ? every : Math.max(0, from + every - this.o.clock.now());
    const t = setTimeout(() => {
      if (this.stopped || st.session !== s) return;
      const now = this.o.clock.now();
      this.o.client
        .setPresence(userId, this.o.sessionId, s.pair, this.o.config.expiration)
        .then(() => {
          s.setAt = now;
          this.o.report.count('teams_refreshes');
          // The shared record carries the refresh time: another node knows when the session ends.
          if (st.session === s) this.o.guard.recordWrite(userId, s.pair, now);
          this.scheduleRefresh(userId, st);
          return this.o.persist?.();
        })
        .catch((e: unknown) => this.o.report.error(e));
    }, delay);
    t.unref?.();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const st of this.users.values()) if (st.timer !== undefined) clearTimeout(st.timer);
    // Sessions are left to expire on their own (expirationDuration): a restart does not flash Teams.
  }
}
