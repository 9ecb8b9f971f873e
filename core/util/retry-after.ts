/**
 * Retry-After (RFC 9110 section 10.2.3): delay-seconds or an HTTP-date; the wait in ms from `now`,
 * never negative, or undefined when the header is absent or unreadable (the caller picks its own
 * backoff then). One parser for every HTTP client of the hub.
 */
export function parseRetryAfter(header: string | null | undefined, now: number): number | undefined {
  if (header === null || header === undefined) return undefined;
  const s = header.trim();
  if (s === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}
