/**
 * Sorts the test files into the three tiers (docs/connectors.md "Test tiers"): a test is
 * `integration` when it, or any repository module it imports (transitively), starts a real peer;
 * `e2e` when it lives under test/e2e/; `unit` otherwise (pure and in-process, only Node needed).
 * A new peer is one more entry in PEER_MODULES.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** Modules that start or reach a real peer process (Redis, Sentinel, slapd, Kamailio, sipp, Prosody, Chromium). */
export const PEER_MODULES = [/^test\/support\/peers\//, /^test\/support\/redis-url\.ts$/, /^test\/support\/chromium\.ts$/, /^connectors\/[^/]+\/testing\//];

const ROOTS = ['core', 'connectors', 'api', 'test'];

function testFiles(root: string, dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const rel = join(dir, name);
    if (name === 'node_modules' || name === 'dist') return [];
    if (statSync(join(root, rel)).isDirectory()) return testFiles(root, rel);
    return name.endsWith('.test.ts') ? [rel] : [];
  });
}

function localImports(root: string, file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const out: string[] = [];
  for (const [, spec] of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
    const target = relative(root, resolve(root, dirname(file), spec!));
    if (existsSync(join(root, target))) out.push(target);
  }
  return out;
}

export function tiers(root: string): { unit: string[]; integration: string[]; e2e: string[] } {
  const memo = new Map<string, boolean>();
  const needsPeer = (file: string, seen: Set<string>): boolean => {
    const known = memo.get(file);
    if (known !== undefined) return known;
    if (seen.has(file)) return false;
    seen.add(file);
    const r = PEER_MODULES.some((re) => re.test(file)) || localImports(root, file).some((f) => needsPeer(f, seen));
    memo.set(file, r);
    return r;
  };
  const out = { unit: [] as string[], integration: [] as string[], e2e: [] as string[] };
  for (const f of ROOTS.flatMap((d) => testFiles(root, d))) {
    if (f.startsWith('test/e2e/')) out.e2e.push(f);
    else if (needsPeer(f, new Set())) out.integration.push(f);
    else out.unit.push(f);
  }
  return out;
}
