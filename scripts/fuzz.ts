/**
 * `npm run fuzz`: every fuzz target in scripts/fuzz/*.ts (each exports `fuzz(iterations, seed)`,
 * synchronous or async, that throws on a crash or unbounded behaviour), 100 000 cases each by
 * default. Prints a table and exits non-zero if any target failed.
 *
 *   npm run fuzz -- [--cases N] [--seed S] [--only name[,name...]]
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { setSlowCaseLimit } from './fuzz-harness.ts';

type Target = (iterations: number, seed: number) => { cases: number } | Promise<{ cases: number }>;

const DIR = fileURLToPath(new URL('./fuzz/', import.meta.url));

export function targets(): string[] {
  return readdirSync(DIR)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
}

export async function runTarget(name: string, cases: number, seed: number): Promise<{ name: string; cases: number; seconds: number; ok: boolean; error?: string; extra?: string }> {
  const t0 = performance.now();
  // A crash inside a target may surface as an unhandled rejection rather than a throw.
  let unhandled: unknown;
  const onUnhandled = (e: unknown): void => {
    unhandled ??= e;
  };
  process.on('unhandledRejection', onUnhandled);
  try {
    const mod = (await import(pathToFileURL(`${DIR}${name}.ts`).href)) as { fuzz?: Target };
    if (typeof mod.fuzz !== 'function') throw new Error(`scripts/fuzz/${name}.ts exports no fuzz(iterations, seed)`);
    const res = await mod.fuzz(cases, seed);
    if (unhandled !== undefined) throw unhandled;
    if (res.cases < cases) throw new Error(`ran ${res.cases} of ${cases} cases`);
    const { cases: done, ...rest } = res as { cases: number } & Record<string, unknown>;
    const extra = Object.keys(rest).length > 0 ? JSON.stringify(rest) : undefined;
    return { name, cases: done, seconds: (performance.now() - t0) / 1000, ok: true, ...(extra !== undefined ? { extra } : {}) };
  } catch (e) {
    return { name, cases: 0, seconds: (performance.now() - t0) / 1000, ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { cases: { type: 'string', default: '100000' }, seed: { type: 'string', default: '1' }, only: { type: 'string' } } });
  const cases = Number(values.cases);
  const seed = Number(values.seed);
  if (!Number.isInteger(cases) || cases < 1 || !Number.isInteger(seed)) {
    console.error('usage: npm run fuzz -- [--cases N] [--seed S] [--only name,...]');
    return 2;
  }
  // A case over a second is a failure here; the test suites' samples have no time limit (scripts/fuzz-harness.ts).
  setSlowCaseLimit(1000);
  const all = targets();
  const only = values.only?.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = (only ?? []).filter((n) => !all.includes(n));
  if (unknown.length > 0) {
    console.error(`unknown fuzz target(s): ${unknown.join(', ')} (known: ${all.join(', ')})`);
    return 2;
  }
  const chosen = only ?? all;
  console.log(`fuzzing ${chosen.join(', ')}: ${cases} cases each, seed ${seed}`);
  const rows = [];
  for (const name of chosen) {
    const row = await runTarget(name, cases, seed);
    console.log(`  ${row.ok ? 'ok  ' : 'FAIL'} ${name} (${row.seconds.toFixed(1)} s)`);
    rows.push(row);
  }
  console.log('');
  console.log(`${'target'.padEnd(16)} ${'cases'.padStart(9)} ${'seconds'.padStart(8)}  result`);
  for (const r of rows) console.log(`${r.name.padEnd(16)} ${String(r.cases).padStart(9)} ${r.seconds.toFixed(1).padStart(8)}  ${r.ok ? `ok${r.extra !== undefined ? ` ${r.extra}` : ''}` : 'FAILED'}`);
  const failed = rows.filter((r) => !r.ok);
  for (const r of failed) console.error(`\n${r.name} failed:\n${r.error}`);
  return failed.length === 0 ? 0 : 1;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
