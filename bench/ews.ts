/**
 * ews.poll_cycle_10k_ms: the wall time of one poll cycle of the ews-calendar connector over 10 000
 * mailboxes against the loopback EWS simulator (GetUserAvailability in batches of 100, Detailed
 * view, two meetings a mailbox), the second cycle (nothing changed: no signal) as
 * ews.poll_cycle_10k_unchanged_ms, and ews.requests_per_cycle_10k, the EWS requests one cycle needs
 * (free/busy only; out of office adds one request a mailbox every oofInterval with impersonation).
 * Sized for a 60 s poll interval. Run alone: `npx tsx bench/ews.ts`.
 */
import { ewsCalendarConfigSchema, type EwsCalendarConfig } from '../connectors/ews-calendar/config.ts';
import { EwsCalendarConnector } from '../connectors/ews-calendar/connector.ts';
import { EwsSimulator } from '../connectors/ews-calendar/simulator.ts';
import { connectorHarness } from '../test/support/connector-harness.ts';

const N = 10_000;
const BASIC = { username: 'bench', password: 'bench-secret' };

export async function run(): Promise<{ name: string; value: number; unit: string }[]> {
  const sim = new EwsSimulator({ basic: BASIC });
  await sim.start();
  const start = Math.ceil(Date.now() / 3_600_000) * 3_600_000;
  const people = [];
  for (let i = 0; i < N; i++) {
    const mbx = `user${i}@corp.example`;
    sim.addMailbox(mbx, { events: [{ start, end: start + 1_800_000, busyType: 'Busy' }, { start: start + 3_600_000, end: start + 5_400_000, busyType: i % 2 === 0 ? 'Busy' : 'OOF' }] });
    people.push({ id: `user${i}`, identities: [`mailto:${mbx}`] });
  }
  const config = ewsCalendarConfigSchema.parse({ url: sim.url, auth: { type: 'basic', ...BASIC }, pollInterval: '1h', timeout: '60s' });
  const h = connectorHarness<EwsCalendarConfig>({ id: 'exchange', config, people });
  const c = new EwsCalendarConnector(h.ctx);
  try {
    // The first cycle sends every meeting (after the one-mailbox credentials probe of start()).
    const t0 = performance.now();
    await c.start();
    await c.firstCycle();
    const ms = performance.now() - t0;
    if (h.signals.length !== 2 * N) throw new Error(`expected ${2 * N} signals, got ${h.signals.length}`);
    const before = sim.requests.length;
    const t1 = performance.now();
    await c.runCycle();
    const unchanged = performance.now() - t1;
    const requests = sim.requests.length - before;
    if (h.signals.length !== 2 * N) throw new Error('an unchanged cycle sent signals');
    return [
      { name: 'ews.poll_cycle_10k_ms', value: Math.round(ms), unit: 'ms' },
      { name: 'ews.poll_cycle_10k_unchanged_ms', value: Math.round(unchanged), unit: 'ms' },
      { name: 'ews.requests_per_cycle_10k', value: requests, unit: 'requests' },
    ];
  } finally {
    await c.stop();
    await sim.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run().then((r) => console.log(JSON.stringify(r)));
}
