import type { Presence } from '../../core/model/presence.ts';
import { CONFIRMED, type PublishTarget, type WriteOutcome } from '../../core/publish/target.ts';
import type { Clock } from '../../core/util/clock.ts';
import { failureKind, isHubError } from '../../core/errors.ts';
import { isStopped } from '../msgraph-shared/pacer.ts';
import type { PresenceClient } from './client.ts';
import type { PresenceConfig } from './config.ts';
import type { LoopGuard } from './loop-guard.ts';
import { planWrite, samePair, type GraphPair } from './map.ts';

type PublishConfig = PresenceConfig['publish'];

/** States a person sets by hand in Teams (setUserPreferredPresence combinations). */
const MANUAL = ['DoNotDisturb/DoNotDisturb', 'BeRightBack/BeRightBack', 'Offline/OffWork', 'Busy/Busy', 'Away/Away'];

/** What the hub wants Teams to show: an app session (`s`) or the user's preferred presence (`p`). */
export interface TeamsState {
  readonly k: 's' | 'p';
  readonly a: string;
  readonly ac: string;
}
const pairOf = (d: TeamsState): GraphPair => ({ availability: d.a, activity: d.ac });

/**
 * The Teams side of the hub's reconciliation (core/publish, docs/publishing.md): the merged
 * presence becomes the app's presence session (presence-setpresence: sessionId = the application's
 * client id) or, for DND with `preferredPresence`, the preferred presence; `null` clears it so
 * that Teams shows the user's own state. The reconciler decides when to write, retries failed and
 * unknown writes, coalesces them (`minInterval`), refreshes the session before its
 * `expirationDuration` ends and reconciles at start, after an outage and after a lease handover.
 * A state Teams itself reported is never written back (loop guard, docs/architecture.md invariant 4).
 */
export class TeamsTarget implements PublishTarget<TeamsState> {
  private readonly explanations = new Map<string, string>();
  readonly minInterval: number;
  constructor(
    private readonly o: {
      client: PresenceClient;
      sessionId: string;
      /** This connector's id: the `source` of the signals its collector emits. */
      source: string;
      config: PublishConfig;
      guard: LoopGuard;
      clock: Clock;
      /** Person id -> Graph object id. */
      objectIdOf: (person: string) => string | undefined;
      /** People with a Graph object id (everyone the hub may have written). */
      people: () => Iterable<string>;
      /** Saves the loop guard's record to the shared state (after every write or clear). */
      persist?: () => Promise<void>;
    },
  ) {
    this.minInterval = o.config.minInterval;
  }

  /** Why the last change was or was not written, per Graph user (for the explanation). */
  explain(userId: string): string | undefined {
    return this.explanations.get(userId);
  }

  people(): Iterable<string> {
    return this.o.people();
  }

  plan(p: Presence): TeamsState | null {
    const userId = this.o.objectIdOf(p.person);
    if (userId === undefined) return null;
    const why = (reason: string): null => (this.explanations.set(userId, reason), null);
    // A presence Teams itself decided is Teams' own state: writing it back would pin it there and
    // hide the user's next change behind the hub's session (a loop that never ends).
    if (p.decidedBy === this.o.source) return why('Teams itself decided this presence; the hub does not write it back');
    const policy = { classes: this.o.config.classes, extendedPairs: this.o.config.extendedPairs, preferredForDnd: this.o.config.preferredPresence.enabled };
    const plan = planWrite(p, policy);
    if (plan.kind === 'clear') return why(plan.reason);
    const real = this.o.guard.lastReal(userId);
    const mine = this.o.guard.activeWrite(userId);
    // Teams already shows this state on its own: writing it would only pin it after Teams moves on.
    if (samePair(plan.pair, real) && !samePair(plan.pair, mine)) return why(`Teams itself reports ${plan.pair.availability}/${plan.pair.activity}; the hub does not echo it back`);
    if (plan.kind === 'preferred' && mine === undefined && real !== undefined && MANUAL.includes(`${real.availability}/${real.activity}`) && !this.o.config.preferredPresence.overrideManual) {
      return why(`the user set ${real.availability}/${real.activity} by hand; not overridden (publish.preferredPresence.overrideManual)`);
    }
    this.explanations.set(userId, `written as ${plan.pair.availability}/${plan.pair.activity}`);
    return { k: plan.kind === 'set' ? 's' : 'p', a: plan.pair.availability, ac: plan.pair.activity };
  }

  async write(person: string, d: TeamsState, shown: TeamsState | null | undefined): Promise<WriteOutcome> {
    const userId = this.o.objectIdOf(person);
    if (userId === undefined) return CONFIRMED; // no longer a Teams user: nothing to show there
    const { client, config, sessionId } = this.o;
    const pair = pairOf(d);
    return this.outcome(async () => {
      if (d.k === 's') {
        if (shown?.k === 'p' || (shown === undefined && config.preferredPresence.enabled)) await client.clearPreferred(userId);
        await this.guarded(userId, pair, 'session', () => client.setPresence(userId, sessionId, pair, config.expiration));
      } else {
        if (shown?.k !== 'p') await client.clearPresence(userId, sessionId);
        await this.guarded(userId, pair, 'preferred', () => client.setPreferred(userId, pair, config.preferredPresence.expiration));
      }
    });
  }

  async clear(person: string, shown: TeamsState | null | undefined): Promise<WriteOutcome> {
    const userId = this.o.objectIdOf(person);
    if (userId === undefined) return CONFIRMED;
    const { client, config, sessionId } = this.o;
    const out = await this.outcome(async () => {
      // Unknown (the durable record is gone): the app session is cleared, a harmless call when
      // there is none (404); the preferred presence only when the hub may have set it.
      if (shown?.k === 'p' || (shown === undefined && config.preferredPresence.enabled)) await client.clearPreferred(userId);
      if (shown?.k !== 'p') await client.clearPresence(userId, sessionId);
    });
    if (out.outcome === 'confirmed') {
      this.o.guard.recordClear(userId, this.o.clock.now());
      await this.o.persist?.();
    }
    return out;
  }

  refreshAfter(d: TeamsState): number | undefined {
    if (d.k !== 's') return undefined;
    // Before expiry, and before the 5-minute fade of an Available session (presence-setpresence).
    const every = Math.max(60_000, this.o.config.expiration - this.o.config.refreshBefore);
    return d.a === 'Available' ? Math.min(every, 4 * 60_000) : every;
  }

  /**
   * Records the write in the loop guard unless Teams answered that it did not apply it: an
   * unknown outcome (timeout, dropped connection, 5xx) may have applied, and a reading of it is
   * the hub's own, not the user's.
   */
  private async guarded(userId: string, pair: GraphPair, kind: 'session' | 'preferred', call: () => Promise<void>): Promise<void> {
    try {
      await call();
    } catch (e) {
      if (unknownOutcome(e)) this.o.guard.recordWrite(userId, pair, this.o.clock.now(), kind);
      throw e;
    }
    this.o.guard.recordWrite(userId, pair, this.o.clock.now(), kind);
  }

  private async outcome(steps: () => Promise<void>): Promise<WriteOutcome> {
    try {
      await steps();
      return CONFIRMED;
    } catch (error) {
      if (unknownOutcome(error)) return { outcome: 'unknown', error };
      const retryAfterMs = isHubError(error) ? error.retryAfterMs : undefined;
      return { outcome: 'failed', error, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
    } finally {
      await this.o.persist?.();
    }
  }
}

/**
 * No answer, or a server error: Graph may have applied the write. A refusal (4xx, 429) did not, nor
 * did a request the stopping connector refused before sending it (isStopped): nothing reached Teams.
 */
function unknownOutcome(e: unknown): boolean {
  return !isStopped(e) && failureKind(e) === 'transient';
}
