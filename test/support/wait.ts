/**
 * Waiting in tests: the one helper for "until this holds" (docs/connectors.md "Test tiers", test
 * support). It polls `cond` until it returns a value other than undefined, null or false and
 * resolves with that value; past the time limit it throws an error naming what it waited for. An
 * exception thrown by `cond` propagates at once.
 *
 *   await until('alice is busy', () => h.signals.some((s) => s.person === 'alice'));
 *   const row = await until('the row', async () => (await list()).find((r) => r.id === id), 15_000);
 *   await until(() => server.subscribers === 1);            // the description is optional
 *   await until(() => runner.holding, 'a holds', TTL * 3);   // (cond, what, ms) reads as well
 */

export interface UntilOptions {
  /** The time limit (default 20 s: long enough for a loaded machine; a passing test never waits it out). */
  readonly ms?: number;
  /** How often `cond` is asked (default 10 ms). */
  readonly every?: number;
  /** Called at most every 200 ms while waiting, to nudge the system under test (a poll cycle); its failure is ignored. */
  readonly poke?: () => Promise<unknown>;
}

type Cond<T> = () => T | Promise<T>;
type Limit = number | UntilOptions;

export const DEFAULT_WAIT_MS = 20_000;
const POKE_EVERY_MS = 200;

export function until<T>(cond: Cond<T>, o?: Limit): Promise<NonNullable<T>>;
export function until<T>(what: string, cond: Cond<T>, o?: Limit): Promise<NonNullable<T>>;
export function until<T>(cond: Cond<T>, what: string, o?: Limit): Promise<NonNullable<T>>;
export async function until<T>(a: string | Cond<T>, b?: string | Cond<T> | Limit, c?: Limit): Promise<NonNullable<T>> {
  let what = 'a condition';
  let cond: Cond<T>;
  let limit: Limit | undefined;
  if (typeof a === 'string') {
    what = a;
    cond = b as Cond<T>;
    limit = c;
  } else if (typeof b === 'string') {
    cond = a;
    what = b;
    limit = c;
  } else {
    cond = a;
    limit = b as Limit | undefined;
  }
  const o: UntilOptions = typeof limit === 'number' ? { ms: limit } : (limit ?? {});
  const ms = o.ms ?? DEFAULT_WAIT_MS;
  const end = Date.now() + ms;
  let lastPoke = 0;
  for (;;) {
    const v = await cond();
    if (v !== undefined && v !== null && v !== false) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting until ${what}`);
    if (o.poke !== undefined && Date.now() - lastPoke >= POKE_EVERY_MS) {
      lastPoke = Date.now();
      await o.poke().catch(() => undefined);
    }
    await new Promise((r) => setTimeout(r, o.every ?? 10));
  }
}
