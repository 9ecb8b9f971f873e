/**
 * What the byte-level fuzz targets fuzz/dmcc.ts and fuzz/sip.ts share: the mutator and the case
 * loop with its failure rules (an exception the target does not allow, a case longer than a
 * second in `npm run fuzz`, heap growth beyond 512 MB). Not a target itself: `npm run fuzz` runs fuzz/*.ts.
 */

let slowCaseMs: number | undefined;

/**
 * The wall time beyond which a case counts as a failure (a parser that backtracks or loops).
 * `npm run fuzz` sets one second; the samples in the test suites set none, since a timed assertion
 * in a test fails on a loaded machine, not on a slow parser (vitest's own timeout still ends a hang).
 */
export function setSlowCaseLimit(ms: number | undefined): void {
  slowCaseMs = ms;
}

/** Throws `fail(why)` when a case took longer than the limit `npm run fuzz` set. */
export function checkCaseTime(ms: number, fail: (why: string) => Error): void {
  if (slowCaseMs !== undefined && ms > slowCaseMs) throw fail(`took ${ms.toFixed(0)} ms`);
}

export interface Mutation {
  /** Tokens inserted at random places. */
  readonly dictionary: readonly string[];
  /** How a dictionary token becomes bytes. */
  readonly encoding: BufferEncoding;
  /** The small token repeated many times (deep nesting, many headers) besides `<a>`, and at most how often. */
  readonly repeat: string;
  readonly maxRepeat: number;
  /** Inputs are cut to this length. */
  readonly maxBytes: number;
}

export function mutate(input: Buffer, r: () => number, m: Mutation): Buffer {
  let b = Buffer.from(input);
  const n = 1 + Math.floor(r() * 6);
  for (let k = 0; k < n; k++) {
    const at = Math.floor(r() * (b.length + 1));
    switch (Math.floor(r() * 7)) {
      case 0: // flip a byte
        if (b.length > 0) b[Math.min(at, b.length - 1)] = Math.floor(r() * 256);
        break;
      case 1: // delete a run
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + Math.floor(r() * 32))]);
        break;
      case 2: // insert a dictionary token
        b = Buffer.concat([b.subarray(0, at), Buffer.from(m.dictionary[Math.floor(r() * m.dictionary.length)]!, m.encoding), b.subarray(at)]);
        break;
      case 3: // duplicate a slice (bounded, so inputs stay near the limits, not beyond memory)
        b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + Math.floor(r() * 512)), b.subarray(at)]);
        break;
      case 4: // truncate
        b = b.subarray(0, at);
        break;
      case 5: // repeat a small token many times
        b = Buffer.concat([b.subarray(0, at), Buffer.from((r() < 0.5 ? '<a>' : m.repeat).repeat(Math.floor(r() * m.maxRepeat))), b.subarray(at)]);
        break;
      default: // swap case
        b = Buffer.from(b.toString('latin1').replace(/[a-z]/g, (c) => (r() < 0.1 ? c.toUpperCase() : c)), 'latin1');
    }
    if (b.length > m.maxBytes) b = b.subarray(0, m.maxBytes);
  }
  return b;
}

/** Runs `iterations` cases: `next` draws a case (its kind when the target has several, the mutated input, how to run it). */
export function runCases(iterations: number, seed: number, allowed: (e: unknown) => boolean, next: () => { kind?: number; input: Buffer; run: () => void }): { cases: number } {
  const heapStart = process.memoryUsage().heapUsed;
  for (let i = 0; i < iterations; i++) {
    const { kind, input, run } = next();
    const t0 = performance.now();
    try {
      run();
    } catch (e) {
      if (!allowed(e)) throw new Error(`fuzz case ${i} (seed ${seed}${kind !== undefined ? `, kind ${kind}` : ''}) crashed: ${e instanceof Error ? e.stack : String(e)}\ninput (base64): ${input.toString('base64')}`);
    }
    const ms = performance.now() - t0;
    checkCaseTime(ms, (why) => new Error(`fuzz case ${i} (seed ${seed}) ${why}\ninput (base64): ${input.toString('base64')}`));
    if (i % 1000 === 999 && process.memoryUsage().heapUsed - heapStart > 512 * 1024 * 1024) throw new Error(`heap grew by more than 512 MB after ${i} cases`);
  }
  return { cases: iterations };
}
