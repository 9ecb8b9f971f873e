/** Failures carry a stable code that tests assert on and the API returns (CONVENTIONS.md). */
export type FailureKind = 'transient' | 'permanent' | 'throttled';

export class HubError extends Error {
  readonly code: `HUB_ERR_${string}`;
  readonly kind: FailureKind;
  readonly retryAfterMs?: number;
  readonly status?: number;
  constructor(code: `HUB_ERR_${string}`, message: string, opts: { kind?: FailureKind; retryAfterMs?: number; status?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'HubError';
    this.code = code;
    this.kind = opts.kind ?? 'permanent';
    if (opts.retryAfterMs !== undefined) this.retryAfterMs = opts.retryAfterMs;
    if (opts.status !== undefined) this.status = opts.status;
  }
}

export function isHubError(e: unknown): e is HubError {
  return e instanceof HubError;
}

/** A failure of unknown kind counts as transient: retrying is the safe default. */
export function failureKind(e: unknown): FailureKind {
  return isHubError(e) ? e.kind : 'transient';
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
