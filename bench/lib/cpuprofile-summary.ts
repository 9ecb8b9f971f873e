/**
 * Summarises a V8 .cpuprofile (from bench/lib/storm-alone.ts STORM_PROF, or node --cpu-prof): the
 * functions with the most self time and the most inclusive time (time with everything they call),
 * as a share of all samples. `npx tsx bench/lib/cpuprofile-summary.ts <file> [rows]`.
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
const [file, rowsText] = process.argv.slice(2);
if (file === undefined) throw new Error('usage: cpuprofile-summary.ts <file.cpuprofile> [rows]');
const rows = Number(rowsText ?? 40);
const prof = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[] };
const byId = new Map(prof.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const hits = new Map<number, number>();
for (const s of prof.samples) hits.set(s, (hits.get(s) ?? 0) + 1);
const total = prof.samples.length;
const label = (n: Node): string => {
  const url = n.callFrame.url.replace(/^.*\/(node_modules\/)?/, (m) => (m.includes('node_modules') ? 'nm:' : ''));
  return `${n.callFrame.functionName || '(anonymous)'} ${url}:${n.callFrame.lineNumber + 1}`;
};
const self = new Map<string, number>();
const incl = new Map<string, number>();
for (const [id, h] of hits) {
  const n = byId.get(id)!;
  self.set(label(n), (self.get(label(n)) ?? 0) + h);
  // Each function once per sample, however deep it recurses.
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const l = label(byId.get(at)!);
    if (seen.has(l)) continue;
    seen.add(l);
    incl.set(l, (incl.get(l) ?? 0) + h);
  }
}
const show = (title: string, m: Map<string, number>): void => {
  console.log(`\n${title} (${total} samples)`);
  for (const [l, h] of [...m].sort((a, b) => b[1] - a[1]).slice(0, rows)) console.log(`${((100 * h) / total).toFixed(1).padStart(5)} %  ${l}`);
};
show('self', self);
show('inclusive', incl);
