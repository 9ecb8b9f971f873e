import type { Signal } from './signal.ts';

/**
 * The latest signal for one (person, source, endpoint, category), with the publication time stamped
 * by the store (one clock for the whole cluster; docs/architecture.md invariant 2). Aggregation reads registers
 * only.
 */
export interface Register extends Signal {
  /** Epoch ms stamped by the store when the signal was applied. */
  readonly publishedAt: number;
}

/** Two signals carry the same observation (fields, source time and version, idempotency key). */
export function sameObservation(a: Signal, b: Signal): boolean {
  return (
    a.availability === b.availability &&
    a.activity?.token === b.activity?.token &&
    a.activity?.text === b.activity?.text &&
    a.machineState === b.machineState &&
    a.from === b.from &&
    a.until === b.until &&
    a.expireType === b.expireType &&
    a.sourceTime === b.sourceTime &&
    a.sourceVersion === b.sourceVersion &&
    a.id === b.id
  );
}

export type ApplyOutcome = 'applied' | 'stale' | 'duplicate';

/**
 * Whether `incoming` may replace `current` in the same register. A stale signal (older
 * sourceVersion, or older sourceTime from the same source) never overwrites a newer one; versions,
 * when both sides carry one, decide before times. A duplicate, which changes nothing (not even the
 * publication stamp), is only: a signal with the `id` (idempotency key) of the stored one, or the
 * same observation carrying the same sourceVersion or the same sourceTime. A signal without any of
 * them is a new observation, stamped again, even if it reads the same: a heartbeat keeps a machine
 * active, a re-asserted user state drops what was published before it (aggregation step 3).
 */
export function judgeIncoming(current: Register | undefined, incoming: Signal): ApplyOutcome {
  if (current === undefined) return 'applied';
  if (incoming.id !== undefined && incoming.id === current.id) return 'duplicate';
  if (incoming.sourceVersion !== undefined && current.sourceVersion !== undefined) {
    if (incoming.sourceVersion < current.sourceVersion) return 'stale';
  } else if (incoming.sourceTime !== undefined && current.sourceTime !== undefined && incoming.sourceTime < current.sourceTime) {
    return 'stale';
  }
  const keyed = (incoming.sourceVersion !== undefined && incoming.sourceVersion === current.sourceVersion) || (incoming.sourceTime !== undefined && incoming.sourceTime === current.sourceTime);
  return keyed && sameObservation(current, incoming) ? 'duplicate' : 'applied';
}

/**
 * The register a signal becomes when the store stamps it: the signal's fields without
 * `receivedAt`, plus `publishedAt`. Built field by field (not `{ ...rest }` after a rest
 * destructuring, which V8 runs through a slow generic copy), absent fields left absent.
 */
export function registerOf(s: Signal, publishedAt: number): Register {
  // The field order of the signal (core/manager/ingest.ts normalize), the stamp last.
  const r = { person: s.person, source: s.source, endpoint: s.endpoint, category: s.category, expireType: s.expireType } as { -readonly [K in keyof Register]: Register[K] };
  if (s.availability !== undefined) r.availability = s.availability;
  if (s.activity !== undefined) r.activity = s.activity;
  if (s.machineState !== undefined) r.machineState = s.machineState;
  if (s.from !== undefined) r.from = s.from;
  if (s.until !== undefined) r.until = s.until;
  if (s.sourceTime !== undefined) r.sourceTime = s.sourceTime;
  if (s.sourceVersion !== undefined) r.sourceVersion = s.sourceVersion;
  if (s.id !== undefined) r.id = s.id;
  r.publishedAt = publishedAt;
  return Object.freeze(r);
}
