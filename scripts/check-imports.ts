/**
 * Rejects import cycles and wrong-way imports (docs/connectors.md "Lifecycle, errors, health"): `core` imports neither `connectors`
 * nor `api`; `connectors` do not import `api`; a connector imports no other connector except the
 * shared family folders (`*-shared`, `*-core`, `*-common`); production code does not import `test/`
 * (a connector's simulator.ts may start a real peer from test/support/peers).
 */
import madge from 'madge';

const roots = ['core', 'connectors', 'api'];
const res = await madge(roots, { fileExtensions: ['ts'], tsConfig: 'tsconfig.json', excludeRegExp: [/\.test\.ts$/, /test-support\.ts$/, /node_modules/, /dashboard\/(src|dist)\//],
  // Type-only imports vanish at run time: they make no cycle.
  detectiveOptions: { ts: { skipTypeImports: true }, tsx: { skipTypeImports: true } },
});
const graph = res.obj();
const problems: string[] = [];

const top = (f: string): string => f.split('/')[0]!;
const connectorOf = (f: string): string | undefined => (f.startsWith('connectors/') ? f.split('/')[1] : undefined);
const shared = (c: string): boolean => /-(shared|core|common)$/.test(c);

for (const [from, deps] of Object.entries(graph)) {
  for (const to of deps) {
    const a = top(from);
    const b = top(to);
    if (a === 'core' && (b === 'connectors' || b === 'api')) problems.push(`${from} -> ${to}: core must not import ${b}`);
    if (a === 'connectors' && b === 'api') problems.push(`${from} -> ${to}: connectors must not import api`);
    // A connector's simulator.ts is a test and demo stand-in; where the stand-in is a real peer (slapd) it starts it with test/support/peers.
    const standIn = /^connectors\/[^/]+\/simulator\.ts$/.test(from) && to.startsWith('test/support/peers/');
    if (a !== 'test' && b === 'test' && !standIn) problems.push(`${from} -> ${to}: production code must not import test/`);
    const ca = connectorOf(from);
    const cb = connectorOf(to);
    if (ca !== undefined && cb !== undefined && ca !== cb && cb !== 'index.ts' && !shared(cb) && from !== 'connectors/index.ts') {
      problems.push(`${from} -> ${to}: a connector must not import another connector (${cb})`);
    }
  }
}
for (const cycle of res.circular()) problems.push(`import cycle: ${cycle.join(' -> ')}`);

if (problems.length > 0) {
  console.error(`check-imports: ${problems.length} problem(s)\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`check-imports: ${Object.keys(graph).length} files, no cycles, no wrong-way imports`);
