import { afterEach } from 'vitest';

interface Stoppable {
  stop(): Promise<void>;
}

/**
 * For a test file (call once, at module level): after each case, stops every connector and then every
 * simulator the case handed over, in the order handed over, and forgets them.
 */
export function stopAfterEach<C extends Stoppable, S extends Stoppable>() {
  let sims: S[] = [];
  let conns: C[] = [];
  afterEach(async () => {
    for (const c of conns) await c.stop();
    for (const s of sims) await s.stop();
    sims = [];
    conns = [];
  });
  return {
    /** A connector to stop after the case. */
    connector<T extends C>(c: T): T {
      conns.push(c);
      return c;
    },
    /** A simulator (or other peer) to stop after the case, after the connectors. */
    simulator<T extends S>(s: T): T {
      sims.push(s);
      return s;
    },
    /** A connector the case stopped itself (one that "dies"): not stopped again. */
    forget(c: C): void {
      conns = conns.filter((x) => x !== c);
    },
  };
}
