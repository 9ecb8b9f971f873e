/**
 * `npm run bench`: runs every bench/*.ts module (each exports `run()` returning figures), prints a
 * table ending with each goal of bench/goals.ts and whether it is met, and writes
 * bench/results.json as [{name, value, unit, at, load1, machine}]. `npm run bench -- core sip` runs only the
 * named modules; bench/scale.ts (ON_REQUEST below) runs only when named. `npm run bench:readme` then writes the README's performance table from it.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { goalText, judge, type Figure } from './goals.ts';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
/** Modules that take many minutes (the 1M-people scaling curve) run only when named: `npm run bench -- scale`. */
const ON_REQUEST = new Set(['scale']);
const modules = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && f !== 'goals.ts' && !f.endsWith('.test.ts'))
  .map((f) => f.replace(/\.ts$/, ''))
  .filter((m) => (only.length === 0 ? !ON_REQUEST.has(m) : only.includes(m)))
  .sort();

// The machine, as `nproc` and /proc/cpuinfo name it, recorded with every figure.
const machine = `${availableParallelism()} cores, ${cpus()[0]?.model.trim() ?? 'unknown CPU'}`;
const results: Figure[] = [];
const failures: string[] = [];
for (const m of modules) {
  const t0 = Date.now();
  const at = new Date().toISOString();
  const load1 = Math.round(loadavg()[0]! * 100) / 100;
  process.stdout.write(`bench ${m} (load ${load1}) ... `);
  try {
    const mod = (await import(join(here, `${m}.ts`))) as { run?: () => Promise<Figure[]> };
    if (typeof mod.run !== 'function') {
      console.log('no run(), skipped');
      continue;
    }
    const figures = (await mod.run()).map((f) => ({ ...f, at, load1, machine }));
    results.push(...figures);
    console.log(`${figures.length} figures in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  } catch (e) {
    failures.push(`${m}: ${(e as Error).message}`);
    console.log(`FAILED: ${(e as Error).message}`);
  }
}

const fmt = (v: number): string => (Number.isInteger(v) ? String(v) : v.toFixed(v < 10 ? 3 : 1));
const width = Math.max(...results.map((r) => r.name.length), 30);
console.log(`\n${'figure'.padEnd(width)}  ${'value'.padStart(14)}  unit`);
for (const r of results) console.log(`${r.name.padEnd(width)}  ${fmt(r.value).padStart(14)}  ${r.unit}`);
// A run of some modules updates their figures and keeps the others' (the soak adds its own too).
const file = join(here, 'results.json');
let previous: Figure[] = [];
try {
  previous = JSON.parse(readFileSync(file, 'utf8')) as Figure[];
} catch {
  previous = [];
}
const fresh = new Set(results.map((r) => r.name));
const all = [...previous.filter((p) => !fresh.has(p.name)), ...results];
writeFileSync(file, `${JSON.stringify(all, null, 2)}\n`);
// The goals, with every figure known (this run's, else the last one's in results.json).
console.log(`\n${'goal'.padEnd(width)}  ${'value'.padStart(14)}  ${'wanted'.padEnd(12)}  met`);
for (const j of judge(all)) {
  const when = fresh.has(j.goal.figure) ? '' : j.value === undefined ? '' : '  (earlier run)';
  const v = j.value === undefined ? '-' : fmt(j.value);
  const verdict = j.met === undefined ? 'not measured' : j.met ? 'yes' : 'NO';
  console.log(`${j.goal.figure.padEnd(width)}  ${v.padStart(14)}  ${goalText(j.goal).padEnd(12)}  ${verdict}${when}`);
}
console.log(`\nwrote bench/results.json (${results.length} figures)`);
if (failures.length > 0) {
  console.error(`\n${failures.length} benchmark module(s) failed:\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
process.exit(0);
