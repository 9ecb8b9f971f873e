/** Capped exponential backoff with full jitter (AWS architecture blog "Exponential Backoff And Jitter"). */
export interface BackoffOptions {
  readonly baseMs: number;
  readonly maxMs: number;
}
export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1000, maxMs: 60_000 };

export function backoffDelay(attempt: number, opts: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const cap = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.max(0, attempt - 1));
  // Half fixed, half random: never zero, never above the cap.
  return Math.round(cap / 2 + (random() * cap) / 2);
}
