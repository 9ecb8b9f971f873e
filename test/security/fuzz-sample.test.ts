import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCases, setSlowCaseLimit } from '../../scripts/fuzz-harness.ts';
import { runTarget, targets } from '../../scripts/fuzz.ts';

/**
 * The fuzz sample in `npm test`. The owners of the SIP, Graph and directory targets run their own
 * samples beside their code; this file runs the signal ingest's sample (scripts/fuzz/signals.ts,
 * through the runner) and checks that every target
 * in scripts/fuzz/ has a sample somewhere, so a new target cannot go untested. The full run
 * (100 000 cases per target) is `npm run fuzz`.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    if (n === 'node_modules' || n === 'dist') return [];
    const p = join(dir, n);
    return statSync(p).isDirectory() ? testFiles(p) : n.endsWith('.test.ts') ? [p] : [];
  });
}

describe('fuzz samples', () => {
  it('the runner finds the targets the issue names', () => {
    expect(targets()).toEqual(expect.arrayContaining(['signals', 'sip', 'graph', 'directory']));
  });

  it('every target has a sample test', () => {
    const tests = ['connectors', 'core', 'api', 'test'].flatMap((d) => testFiles(join(ROOT, d))).map((f) => readFileSync(f, 'utf8'));
    const untested = targets().filter((t) => !tests.some((src) => src.includes(`scripts/fuzz/${t}.ts`)));
    expect(untested).toEqual([]);
  });

  it.each([1, 2])('signals: 300 mutated bodies through POST /v1/signals (seed %i) are accepted or refused cleanly, never a 500', async (seed) => {
    // Through the runner, so the runner's own checks (case count, unhandled rejections) are exercised too.
    const row = await runTarget('signals', 300, seed);
    expect(row.error).toBeUndefined();
    expect(row).toMatchObject({ ok: true, cases: 300 });
    // The mutations reach both sides: some bodies are accepted, most are refused.
    const statuses = JSON.parse(row.extra!).statuses as Record<string, number>;
    expect(statuses['202']).toBeGreaterThan(0);
    expect(statuses['400']).toBeGreaterThan(0);
  });

  it('a case slower than the limit fails only where `npm run fuzz` sets one; the samples here have none', () => {
    const spin = (): void => {
      const until = performance.now() + 20;
      while (performance.now() < until);
    };
    const one = () => ({ kind: 0, input: Buffer.from('x'), run: spin });
    expect(runCases(1, 7, () => false, one).cases).toBe(1);
    setSlowCaseLimit(5);
    try {
      expect(() => runCases(1, 7, () => false, one)).toThrow(/fuzz case 0 \(seed 7\) took \d+ ms/);
    } finally {
      setSlowCaseLimit(undefined);
    }
  });
});
