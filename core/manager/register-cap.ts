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
 * always passes. Checked at ingest against the stored registers: signals for registers this node
 * knows to be stored (`seen`, KnownRegisters below) pass without asking; for the others the store
 * sends keys only for people whose count is near the cap, so a batch costs one count per person
 * with a register not known here, and none when every register is known. Two batches
 * accepted at the same instant on two nodes may pass the cap by their own new registers, at most.
 */
export async function overCap(signals: readonly Signal[], max: number, census: CensusReader, seen?: KnownRegisters): Promise<CapRefusal[]> {
  const batchKeys = new Map<string, Set<string>>();
  // Each signal's register key once; a signal for a register known to be stored passes: only the others are counted.
  const regKeys = signals.map(registerKey);
  const existing = seen === undefined ? undefined : signals.map((s, at) => seen.hasKey(s.person, regKeys[at]!));
  signals.forEach((s, at) => {
    if (existing?.[at] === true) return;
    let k = batchKeys.get(s.person);
    if (k === undefined) batchKeys.set(s.person, (k = new Set()));
    k.add(regKeys[at]!);
  });
  if (batchKeys.size === 0) return [];
  const stored = await census([...batchKeys].map(([person, keys]) => ({ person, keysAbove: max - keys.size })));
  const known = new Map<string, Set<string> | undefined>();
  const refused: CapRefusal[] = [];
  signals.forEach((s, at) => {
    if (existing?.[at] === true) return;
    const c = stored.get(s.person);
    // No keys sent: count + every new key of the batch fits under the cap.
    if (c === undefined || c.keys === undefined) return;
    let k = known.get(s.person);
    if (k === undefined) known.set(s.person, (k = new Set(c.keys)));
    const key = regKeys[at]!;
    if (k.has(key)) return;
    if (k.size < max) k.add(key);
    else refused.push({ at, person: s.person, source: s.source });
  });
  return refused;
}

/**
 * Registers this node knows to be stored: its manager applied a signal to each (every outcome,
 * applied, stale or duplicate, means the register exists). A register is removed only when its
 * person is forgotten (forget, on every node through the change bus), so a signal for a known
 * register passes the cap without asking the store; the usual stream of news for existing
 * registers then costs no census at all. Bounded to `maxPeople` people, the first noted forgotten
 * first: a person not known costs the census, as before.
 */
export class KnownRegisters {
  private readonly byPerson = new Map<string, Set<string>>();

  constructor(private readonly maxPeople = 20_000) {}

  /** Whether `person`'s register `key` (registerKey) is known to be stored. */
  hasKey(person: string, key: string): boolean {
    return this.byPerson.get(person)?.has(key) ?? false;
  }

  /** The signals a worker of this node applied to the store (any outcome). */
  note(signals: readonly Signal[]): void {
    for (const s of signals) {
      let keys = this.byPerson.get(s.person);
      if (keys === undefined) {
        if (this.byPerson.size >= this.maxPeople) {
          const first = this.byPerson.keys().next();
          if (first.done !== true) this.byPerson.delete(first.value);
        }
        this.byPerson.set(s.person, (keys = new Set()));
      }
      keys.add(registerKey(s));
    }
  }

  /** People the store forgot: their registers are gone. */
  forget(people: readonly string[]): void {
    for (const p of people) this.byPerson.delete(p);
  }

  get people(): number {
    return this.byPerson.size;
  }
}
