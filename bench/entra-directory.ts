/**
 * directory.entra_sync_100k_ms: a full Entra sync of 100 000 users (users delta, 200 users a page,
 * 20 groups as teams) against the loopback Graph simulator, through the shared Graph client, with
 * the connector's own pacing lifted (the real limit is Graph's throttling, not measured here).
 * Also directory.entra_incremental_1k_ms: the next incremental round after 1 000 changes.
 * Run alone: `npx tsx bench/entra-directory.ts`.
 */
import { entraConfigSchema, type EntraConfig } from '../connectors/entra-directory/config.ts';
import { EntraDirectoryConnector } from '../connectors/entra-directory/connector.ts';
import { GraphSimulator } from '../connectors/msgraph-shared/simulator.ts';
import { connectorHarness } from '../test/support/connector-harness.ts';

const N = 100_000;
const GROUPS = 20;
const oid = (i: number): string => `00000000-0000-4000-a000-${String(i).padStart(12, '0')}`;
const gid = (i: number): string => `00000000-0000-4000-b000-${String(i).padStart(12, '0')}`;

export async function run(): Promise<{ name: string; value: number; unit: string }[]> {
  const sim = new GraphSimulator();
  const app = { clientId: 'bench-entra', clientSecret: 'bench-secret' };
  sim.addApp(app);
  await sim.start();
  sim.directory.deltaPageSize = 200;
  for (let i = 0; i < N; i++) {
    sim.directory.addUser({ id: oid(i), userPrincipalName: `user${i}@corp.example`, displayName: `User ${i}`, mail: `user${i}@corp.example`, businessPhones: [`+1 555 ${String(i).padStart(7, '0')}`], proxyAddresses: [`SMTP:user${i}@corp.example`, `SIP:user${i}@corp.example`] });
  }
  for (let g = 0; g < GROUPS; g++) sim.directory.addGroup({ id: gid(g), displayName: `Team ${g}`, members: Array.from({ length: N / GROUPS }, (_, k) => oid(g * (N / GROUPS) + k)) });
  const config = entraConfigSchema.parse({ tenantId: sim.tenantId, clientId: app.clientId, clientSecret: app.clientSecret, graphBaseUrl: sim.url, tokenEndpoint: sim.tokenEndpoint(), groups: Array.from({ length: GROUPS }, (_, g) => gid(g)), requests: { perWindow: 1_000_000, window: '1s' } });
  const h = connectorHarness<EntraConfig>({ id: 'entra', config });
  const c = new EntraDirectoryConnector(h.ctx);
  try {
    let t0 = performance.now();
    const full = await c.fullSync();
    const fullMs = performance.now() - t0;
    if (full.people !== N) throw new Error(`expected ${N} people, got ${full.people}`);
    for (let i = 0; i < 1000; i++) sim.directory.updateUser(oid(i * 97), { displayName: `Changed ${i}` });
    t0 = performance.now();
    const inc = await c.incrementalSync();
    const incMs = performance.now() - t0;
    if (inc.changed !== 1000) throw new Error(`expected 1000 changes, got ${inc.changed}`);
    return [
      { name: 'directory.entra_sync_100k_ms', value: Math.round(fullMs), unit: 'ms' },
      { name: 'directory.entra_incremental_1k_ms', value: Math.round(incMs), unit: 'ms' },
    ];
  } finally {
    await c.stop();
    await sim.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run().then((r) => console.log(JSON.stringify(r)));
}
