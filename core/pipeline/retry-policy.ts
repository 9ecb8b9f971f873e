import { errorMessage, isHubError, type FailureKind } from '../errors.ts';

/**
 * What a queue does with a batch whose handler threw (both pipelines use this one rule):
 * - permanent (a HubError of kind `permanent`: the batch itself is bad) goes to the dead letters
 *   at once, where an admin sees its reason and can replay it (GET /v1/pipeline);
 * - transient and throttled are retried with capped exponential backoff and jitter (throttled
 *   honours its Retry-After), never dead-lettered: an accepted signal is never dropped because a
 *   peer was briefly away;
 * - an error of unknown kind (a bug, most likely) is retried `maxUnknownAttempts` times, about two
 *   minutes with the default backoff, then dead-lettered: it neither blocks the queue forever nor
 *   loses the batch.
 */
export interface RetryPolicy {
  /** First retry delay, doubled per attempt (default 500 ms). */
  readonly baseDelayMs?: number;
  /** Largest retry delay (default 30 s). */
  readonly maxDelayMs?: number;
  /** Attempts for a failure of unknown kind before it is dead-lettered (default 10). */
  readonly maxUnknownAttempts?: number;
}

export type FailureVerdict =
  | { readonly action: 'retry'; readonly delayMs: number; readonly kind: FailureKind; readonly code: string; readonly reason: string }
  | { readonly action: 'dead-letter'; readonly kind: FailureKind | 'unknown'; readonly code: string; readonly reason: string };

/** The code recorded for a failure that is not a HubError. */
export const UNKNOWN_FAILURE = 'HUB_ERR_BATCH_FAILED';

/**
 * `attempts` counts the attempts made so far, this one included (1 after the first failure).
 * `kindOf` may name the kind of an error that is not a HubError (a Redis connection error is
 * transient); undefined leaves it unknown.
 */
export function judgeFailure(e: unknown, attempts: number, policy: RetryPolicy = {}, kindOf?: (e: unknown) => FailureKind | undefined): FailureVerdict {
  const base = policy.baseDelayMs ?? 500;
  const cap = policy.maxDelayMs ?? 30_000;
  const backoff = Math.min(base * 2 ** Math.min(Math.max(attempts - 1, 0), 16), cap) * (0.8 + Math.random() * 0.4);
  const message = errorMessage(e);
  if (isHubError(e)) {
    const reason = `${e.code} (${e.kind}): ${message}`;
    if (e.kind === 'permanent') return { action: 'dead-letter', kind: 'permanent', code: e.code, reason };
    const delayMs = e.kind === 'throttled' && e.retryAfterMs !== undefined ? Math.min(e.retryAfterMs, cap) : backoff;
    return { action: 'retry', delayMs, kind: e.kind, code: e.code, reason };
  }
  const known = kindOf?.(e);
  if (known !== undefined && known !== 'permanent') return { action: 'retry', delayMs: backoff, kind: known, code: UNKNOWN_FAILURE, reason: `${UNKNOWN_FAILURE} (${known}): ${message}` };
  if (known === 'permanent') return { action: 'dead-letter', kind: 'permanent', code: UNKNOWN_FAILURE, reason: `${UNKNOWN_FAILURE} (permanent): ${message}` };
  if (attempts >= (policy.maxUnknownAttempts ?? 10)) {
    return { action: 'dead-letter', kind: 'unknown', code: UNKNOWN_FAILURE, reason: `${UNKNOWN_FAILURE} (unknown, ${attempts} attempts): ${message}` };
  }
  return { action: 'retry', delayMs: backoff, kind: 'transient', code: UNKNOWN_FAILURE, reason: `${UNKNOWN_FAILURE} (unknown): ${message}` };
}

/** The code at the head of a recorded reason (`HUB_ERR_X (kind): message`). */
export function reasonCode(reason: string): string {
  return /^(HUB_ERR_[A-Z0-9_]+)/.exec(reason)?.[1] ?? UNKNOWN_FAILURE;
}
