import { z } from 'zod';
import type { ConnectorStore } from '../connector/contract.ts';

/** Keys of the reconciliation in the connector's durable state. */
export const RECORD_PREFIX = 'pub:';
/**
 * Set once a start-up reconcile has covered every person: from then on the absence of a record
 * means "the hub wrote nothing there". A store without it (first run, embedded restart, lost
 * state) knows nothing, so every person is reconciled, clears included.
 */
export const INIT_KEY = 'pub:~init';
export const recordKey = (person: string): string => `${RECORD_PREFIX}${person}`;

/**
 * What the system may show from the hub for one person, durable (ConnectorContext.state, a Redis
 * hash in Redis mode): `l` the last write sent (its state, `null` for a clear; `o` its outcome,
 * confirmed or unknown; `at` when), `p` states written with an unknown outcome since the last
 * confirmed one (possibly applied). Written ahead of each write and after its outcome, so that a
 * node dying mid-write leaves a record that says "possibly applied".
 */
const savedSchema = z.strictObject({
  l: z.strictObject({ d: z.unknown(), o: z.enum(['c', 'u']), at: z.number() }).optional(),
  p: z.array(z.unknown()).max(16).optional(),
});

export interface LastWrite<D> {
  readonly d: D | null;
  readonly key: string;
  readonly outcome: 'confirmed' | 'unknown';
  readonly at: number;
}

export interface Saved<D> {
  last?: LastWrite<D>;
  possibly: D[];
}

export const stateKey = (d: unknown): string => JSON.stringify(d ?? null);

export function encodeRecord<D>(r: Saved<D>): string | undefined {
  if ((r.last === undefined || (r.last.d === null && r.last.outcome === 'confirmed')) && r.possibly.length === 0) return undefined;
  return JSON.stringify({
    ...(r.last !== undefined ? { l: { d: r.last.d, o: r.last.outcome === 'confirmed' ? 'c' : 'u', at: r.last.at } } : {}),
    ...(r.possibly.length > 0 ? { p: r.possibly } : {}),
  });
}

/** undefined: not a record this version wrote (counted, treated as "unknown": reconciled). */
export function decodeRecord<D>(raw: string): Saved<D> | undefined {
  try {
    const r = savedSchema.safeParse(JSON.parse(raw));
    if (!r.success) return undefined;
    const l = r.data.l;
    return {
      ...(l !== undefined ? { last: { d: (l.d ?? null) as D | null, key: stateKey(l.d), outcome: l.o === 'c' ? 'confirmed' : 'unknown', at: l.at } } : {}),
      possibly: (r.data.p ?? []) as D[],
    };
  } catch {
    return undefined;
  }
}

/** Saves records (undefined value: nothing left to remember, the key is deleted). */
export async function saveRecords(store: ConnectorStore, records: readonly (readonly [string, string | undefined])[]): Promise<void> {
  const set = records.filter((r): r is [string, string] => r[1] !== undefined).map(([p, v]) => [recordKey(p), v] as const);
  const del = records.filter((r) => r[1] === undefined).map(([p]) => recordKey(p));
  if (set.length > 0) await store.set(set);
  if (del.length > 0) await store.delete(del);
}
