import type { Signal } from '../../core/model/signal.ts';

/** An instant (epoch ms) as the API writes it: ISO 8601 in UTC; none stays none. */
export function iso(ms: number): string;
export function iso(ms: number | undefined): string | undefined;
export function iso(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toISOString();
}

/**
 * A signal as the explain and timeline answers show it: its fields with instants as ISO strings,
 * an absent field left out; `publishedAt` (when the store applied it) for a register.
 */
export function signalJson(s: Signal, publishedAt?: number): Record<string, unknown> {
  const o: Record<string, unknown> = { source: s.source, endpoint: s.endpoint, category: s.category, expireType: s.expireType };
  if (publishedAt !== undefined) o.publishedAt = iso(publishedAt);
  if (s.availability !== undefined) o.availability = s.availability;
  if (s.activity !== undefined) o.activity = s.activity;
  if (s.machineState !== undefined) o.machineState = s.machineState;
  if (s.from !== undefined) o.from = iso(s.from);
  if (s.until !== undefined) o.until = iso(s.until);
  if (s.sourceTime !== undefined) o.sourceTime = iso(s.sourceTime);
  if (s.sourceVersion !== undefined) o.sourceVersion = s.sourceVersion;
  if (s.id !== undefined) o.id = s.id;
  return o;
}
