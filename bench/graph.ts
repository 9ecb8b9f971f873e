/**
 * graph.poll_requests_per_s_100k: Graph requests per second needed to keep 100 000 Teams users
 * fresh every 10 s with getPresencesByUserId (650 ids a request), measured by running one real poll
 * cycle of the msgraph-presence connector against the loopback simulator. The published budget is
 * 1 500 requests per 30 s (50/s) per app per tenant. Also graph.poll_cycle_100k_ms, the wall time of
 * that cycle here. Run alone: `npx tsx bench/graph.ts`.
 */
import { MsGraphPresenceConnector } from '../connectors/msgraph-presence/connector.ts';
import { setup } from '../connectors/msgraph-presence/test-support.ts';

const N = 100_000;
const FRESH_S = 10;

export async function run(): Promise<{ name: string; value: number; unit: string }[]> {
  const { sim, h } = await setup(N, { poll: { interval: '1h', concurrency: 8 } });
  const c = new MsGraphPresenceConnector(h.ctx);
  try {
    const t0 = performance.now();
    await c.start();
    await c.firstCycle();
    const ms = performance.now() - t0;
    const requests = sim.requests.filter((r) => r.path === '/communications/getPresencesByUserId' && r.status === 200).length;
    if (h.signals.length !== N) throw new Error(`expected ${N} signals, got ${h.signals.length}`);
    return [
      { name: 'graph.poll_requests_per_s_100k', value: Math.round((requests / FRESH_S) * 10) / 10, unit: 'req/s' },
      { name: 'graph.poll_cycle_100k_ms', value: Math.round(ms), unit: 'ms' },
    ];
  } finally {
    await c.stop();
    await sim.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run().then((r) => console.log(JSON.stringify(r)));
}
