import { registerKey, type Signal } from '../model/signal.ts';

/** What the store knows of a person's registers: how many, and their keys when asked for. */
export interface RegisterCensus {
  readonly count: number;
  readonly keys?: ReadonlySet<string>;
}

/** The store's answer for the cap (PresenceStore.registerCensus): keys only for people near the cap. */
export type CensusReader = (entries: readonly { person: string; keysAbove: number }[]) => Promise<Map<string, RegisterCensus>>;

export interface CapRefusal {
  /** Index into the signals given. */
  readonly at: number;
  readonly person: string;
  readonly source: string;
}

/**
 * The registers-per-person cap (README "Security": limits). A register is one (source, endpoint,
 * category) of a person; a publisher that invents endpoints (one per call, per event, per request)
 * would otherwise grow one person's registers, each aggregation and each explanation without bound.
 * A signal that would add a register past `max` is refused; a signal for an existing register
 * always passes. Checked at ingest against the stored registers: the store sends keys only for
 * people whose count is near the cap, so the usual batch costs one count per person. Two batches
 * accepted at the same instant on two nodes may pass the cap by their own new registers, at most.
 */
export async function overCap(signals: readonly Signal[], max: number, census: CensusReader): Promise<CapRefusal[]> {
  const batchKeys = new Map<string, Set<string>>();
  for (const s of signals) {
    let k = batchKeys.get(s.person);
    if (k === undefined) batchKeys.set(s.person, (k = new Set()));
    k.add(registerKey(s));
  }
  const stored = await census([...batchKeys].map(([person, keys]) => ({ person, keysAbove: max - keys.size })));
  const known = new Map<string, Set<string> | undefined>();
  const refused: CapRefusal[] = [];
  signals.forEach((s, at) => {
    const c = stored.get(s.person);
    // No keys sent: count + every new key of the batch fits under the cap.
    if (c === undefined || c.keys === undefined) return;
    let k = known.get(s.person);
    if (k === undefined) known.set(s.person, (k = new Set(c.keys)));
    const key = registerKey(s);
    if (k.has(key)) return;
    if (k.size < max) k.add(key);
    else refused.push({ at, person: s.person, source: s.source });
  });
  return refused;
}
