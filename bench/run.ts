/**
 * `npm run bench`: runs every bench/*.ts module (each exports `run()` returning figures), prints a
 * table, and writes bench/results.json as [{name, value, unit}]. `npm run bench -- core sip` runs
 * only the named modules.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

type Figure = { name: string; value: number; unit: string };
const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const modules = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.endsWith('.test.ts'))
  .map((f) => f.replace(/\.ts$/, ''))
  .filter((m) => only.length === 0 || only.includes(m))
  .sort();

const results: Figure[] = [];
const failures: string[] = [];
for (const m of modules) {
  const t0 = Date.now();
  process.stdout.write(`bench ${m} ... `);
  try {
    const mod = (await import(join(here, `${m}.ts`))) as { run?: () => Promise<Figure[]> };
    if (typeof mod.run !== 'function') {
      console.log('no run(), skipped');
      continue;
    }
    const figures = await mod.run();
    results.push(...figures);
    console.log(`${figures.length} figures in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  } catch (e) {
    failures.push(`${m}: ${(e as Error).message}`);
    console.log(`FAILED: ${(e as Error).message}`);
  }
}

const width = Math.max(...results.map((r) => r.name.length), 10);
console.log(`\n${'figure'.padEnd(width)}  ${'value'.padStart(14)}  unit`);
for (const r of results) {
  const v = Number.isInteger(r.value) ? String(r.value) : r.value.toFixed(r.value < 10 ? 3 : 1);
  console.log(`${r.name.padEnd(width)}  ${v.padStart(14)}  ${r.unit}`);
}
// A run of some modules updates their figures and keeps the others' (the soak adds its own too).
const file = join(here, 'results.json');
let previous: Figure[] = [];
try {
  previous = JSON.parse(readFileSync(file, 'utf8')) as Figure[];
} catch {
  previous = [];
}
const fresh = new Set(results.map((r) => r.name));
writeFileSync(file, `${JSON.stringify([...previous.filter((p) => !fresh.has(p.name)), ...results], null, 2)}\n`);
console.log(`\nwrote bench/results.json (${results.length} figures)`);
if (failures.length > 0) {
  console.error(`\n${failures.length} benchmark module(s) failed:\n  ${failures.join('\n  ')}`);
  process.exit(1);
}
process.exit(0);
