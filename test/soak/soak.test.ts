/**
 * Smoke test of the fault-injection run (`npm run soak -- --quick`, about 90 s): every fault once,
 * shorter outages, 300 people. Too long for `npm test`, so it runs only with SOAK=1:
 *   SOAK=1 npx vitest run test/soak
 * It also checks that the run merges its figures into an existing results file without touching
 * the other figures.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe.skipIf(process.env.SOAK !== '1')('npm run soak -- --quick', () => {
  it('passes: lost 0, diverged 0, every connector recovered; merges soak.* figures', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ph-soak-test-'));
    try {
      const results = join(dir, 'results.json');
      writeFileSync(results, JSON.stringify([{ name: 'other.figure', value: 1, unit: 'x' }, { name: 'soak.lost', value: 99, unit: 'signals' }]));
      const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/soak.ts', '--quick', '--results', results], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
      expect(r.status, `${r.stdout.slice(-4000)}\n${r.stderr.slice(-2000)}`).toBe(0);
      expect(r.stdout).toContain('SOAK PASSED');
      const figures = JSON.parse(readFileSync(results, 'utf8')) as { name: string; value: number }[];
      expect(figures.find((f) => f.name === 'other.figure')?.value).toBe(1);
      expect(figures.filter((f) => f.name === 'soak.lost')).toEqual([{ name: 'soak.lost', value: 0, unit: 'signals' }]);
      expect(figures.find((f) => f.name === 'soak.diverged')?.value).toBe(0);
      expect(figures.find((f) => f.name === 'soak.not_recovered')?.value).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 320_000);
});
