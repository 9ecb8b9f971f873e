/**
 * `npm run bench:readme`: rewrites the README's performance table (between the `bench:table`
 * markers) from bench/results.json: every figure with its unit, its goal (bench/goals.ts),
 * whether the goal is met and the 1-minute load average when its module started, the date of the
 * run and the machine (cores, CPU model).
 * Run `npm run bench` (or some of its modules) first; nothing is measured here.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { GOALS, goalText, met, type Figure } from '../bench/goals.ts';

const BEGIN = '<!-- bench:table:begin (npm run bench:readme writes this table from bench/results.json) -->';
const END = '<!-- bench:table:end -->';

export function table(figures: readonly Figure[]): string {
  const goals = new Map(GOALS.map((g) => [g.figure, g]));
  const num = (v: number): string => (Number.isInteger(v) ? v.toLocaleString('en-US').replace(/,/g, ' ') : v.toFixed(v < 10 ? 2 : 1));
  const days = [...new Set(figures.map((f) => f.at?.slice(0, 10)).filter((d): d is string => d !== undefined))].sort();
  const machines = [...new Set(figures.map((f) => f.machine).filter((m): m is string => m !== undefined))];
  const loads = figures.map((f) => f.load1).filter((l): l is number => l !== undefined);
  const lines: string[] = [];
  lines.push(
    `Measured ${days.length === 0 ? 'on an unrecorded date' : days.length === 1 ? `on ${days[0]}` : `from ${days[0]} to ${days[days.length - 1]}`}` +
      ` on ${machines.length === 0 ? 'an unrecorded machine' : machines.join('; ')}` +
      (loads.length > 0 ? `, 1-minute load average ${Math.min(...loads)}-${Math.max(...loads)} when the modules started.` : '.'),
  );
  lines.push('');
  lines.push('| figure | value | goal | met | load |');
  lines.push('| --- | --- | --- | --- | --- |');
  for (const f of figures) {
    const g = goals.get(f.name);
    lines.push(`| \`${f.name}\` | ${num(f.value)} ${f.unit} | ${g === undefined ? '' : goalText(g)} | ${g === undefined ? '' : met(g, f.value) ? 'yes' : '**no**'} | ${f.load1 ?? ''} |`);
  }
  const missing = GOALS.filter((g) => !figures.some((f) => f.name === g.figure));
  for (const g of missing) lines.push(`| \`${g.figure}\` | not measured | ${goalText(g)} | not measured | |`);
  return lines.join('\n');
}

export function rewrite(readme: string, figures: readonly Figure[]): string {
  const a = readme.indexOf(BEGIN);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) throw new Error(`README.md has no performance table markers (${BEGIN} ... ${END})`);
  return `${readme.slice(0, a + BEGIN.length)}\n${table(figures)}\n${readme.slice(b)}`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = new URL('..', import.meta.url).pathname;
  let figures: Figure[];
  try {
    figures = JSON.parse(readFileSync(`${root}bench/results.json`, 'utf8')) as Figure[];
  } catch (e) {
    console.error(`bench/results.json cannot be read (${(e as Error).message}): run npm run bench first`);
    process.exit(1);
  }
  const readme = readFileSync(`${root}README.md`, 'utf8');
  writeFileSync(`${root}README.md`, rewrite(readme, figures));
  console.log(`README.md: performance table rewritten from bench/results.json (${figures.length} figures)`);
}
