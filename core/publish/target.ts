import type { Presence } from '../model/presence.ts';

/**
 * What a connector's publisher implements so that the hub's reconciliation (reconciler.ts) can
 * drive it: docs/publishing.md describes the contract and the guarantees around it.
 *
 * `D` is the publisher's own notion of "what the system should show for this person" (a Teams
 * availability/activity pair, a PIDF state, a directory attribute value). It must be plain JSON:
 * the reconciler compares desired states by their JSON text and keeps what it wrote in the
 * connector's durable state (ConnectorContext.state), so that nothing depends on memory surviving
 * a restart or a lease handover.
 */
export interface PublishTarget<D> {
  /**
   * The state the system should show for this merged presence, or `null` when the hub has nothing
   * to say there (the hub's write is removed and the system shows its own state). Called for every
   * change and at reconcile time; it must not write anything.
   */
  plan(p: Presence): D | null;
  /**
   * Writes `desired`. `shown` is what the reconciler believes the system shows from the hub:
   * a state, `null` (nothing of the hub's), or `undefined` (unknown: the durable record is gone or
   * the last write's outcome is unknown). Must be idempotent: the same write may be sent again.
   */
  write(person: string, desired: D, shown: D | null | undefined): Promise<WriteOutcome>;
  /** Removes whatever the hub wrote for the person (`shown` as for write). Idempotent; "nothing there" is confirmed. */
  clear(person: string, shown: D | null | undefined): Promise<WriteOutcome>;
  /**
   * Everyone the hub may have written into this system (e.g. every Teams user of the directory):
   * reconciled at start, so that what a previous run left there is removed even when the durable
   * record is gone (embedded mode after a restart).
   */
  people(): Iterable<string>;
  /** At most one write per person per this many ms; a clear is never held back (default 0). */
  readonly minInterval?: number;
  /** Writes in flight at once for this connector (default 8). */
  readonly concurrency?: number;
  /**
   * A confirmed write that fades in the system unless written again (a Teams session's
   * expirationDuration, a SIP publication's Expires) is re-sent this long after it was confirmed.
   */
  refreshAfter?(d: D): number | undefined;
}

/**
 * The outcome of one write or clear:
 * - `confirmed`: the system answered that it applied it (any 2xx, a 200 OK to PUBLISH);
 * - `failed`: the system answered that it did not (a refusal, throttling); nothing changed there;
 * - `unknown`: no answer (timeout, dropped connection, a server error after which it may have
 *   applied). Counts as possibly applied: the loop guard treats a read-back of it as the hub's own.
 * Failed and unknown writes are retried with capped exponential backoff and jitter until the
 * system confirms or the desired state changes.
 */
export type WriteOutcome =
  | { readonly outcome: 'confirmed' }
  | { readonly outcome: 'failed'; readonly error: unknown; readonly retryAfterMs?: number }
  | { readonly outcome: 'unknown'; readonly error: unknown };

export const CONFIRMED: WriteOutcome = { outcome: 'confirmed' };

/** What the hub's reconciliation of one connector shows on GET /v1/connectors and /metrics. */
export interface PublishStats {
  /** Writes and clears sent (retries and refreshes included). */
  readonly writes: number;
  /** Of those, re-sent after a failed or unknown outcome. */
  readonly retries: number;
  readonly confirmed: number;
  readonly failed: number;
  /** Writes whose outcome was unknown (timeout, dropped connection, 5xx). */
  readonly unknownOutcomes: number;
  /** People whose system does not (yet) show the hub's answer. */
  readonly pending: number;
  /** Age of the oldest pending answer, ms (0 when nothing is pending). */
  readonly oldestPendingMs: number;
  /** Full reconciles run (start, upstream recovery, resync on request). */
  readonly reconciles: number;
}

/** What a connector gets back when it attaches its target (ConnectorContext.publishing). */
export interface PublishHandle<D> {
  /**
   * The system may have forgotten the hub's writes (it restarted, a subscription was lost): every
   * person the hub may have written is written again or cleared, as the desired state says.
   */
  resync(reason: string): void;
  /**
   * Plans these people again (everyone the hub may write when absent) from their current presence:
   * for a target whose `plan()` depends on more than the presence (which people a directory holds),
   * after that changed.
   */
  replan(people?: readonly string[]): Promise<void>;
  /**
   * States the system may show from the hub for this person: the last confirmed write and every
   * write whose outcome is unknown. A loop guard treats a reading equal to one of them as the hub's own.
   */
  mayShow(person: string): readonly D[];
  /**
   * What the system may hold from the hub for this person when the last outcome is not known (an
   * unknown write, or every write after an outage): the last state written, every possibly applied
   * one, and `null` (nothing); `[shown]` when it is known; undefined when the record knows nothing
   * (no record: first run, embedded restart). A target that checks for someone else's change of
   * its value before overwriting it (ldap-directory) compares against this.
   */
  mayHold(person: string): readonly (D | null)[] | undefined;
  stats(): PublishStats;
  /** Stops the reconciliation (the connector stops); writes already in the system stay there. */
  detach(): Promise<void>;
}

/** The hub side of ConnectorContext.publishing. */
export interface PublishingPort {
  /** Reconciles at once (start, lease takeover), then follows every presence change. */
  attach<D>(target: PublishTarget<D>): Promise<PublishHandle<D>>;
}
