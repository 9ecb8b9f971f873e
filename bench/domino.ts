/**
 * domino.poll_cycle_10k_ms: the wall time of one poll cycle of the domino-calendar connector (DRAPI,
 * one PIM calendar request a person, `concurrency` 8) over 10 000 people against the loopback
 * Domino simulator, two entries a person; the second cycle (nothing changed: no signal) as
 * domino.poll_cycle_10k_unchanged_ms; domino.das_poll_cycle_10k_ms the same over DAS free/busy.
 * Sized for a 60 s poll interval. Run alone: `npm run bench -- domino`.
 */
import { dominoCalendarConfigSchema, type DominoCalendarConfig } from '../connectors/domino-calendar/config.ts';
import { DominoCalendarConnector } from '../connectors/domino-calendar/connector.ts';
import { DominoSimulator } from '../connectors/domino-calendar/simulator.ts';
import { connectorHarness } from '../test/support/connector-harness.ts';

const N = 10_000;
const ACCOUNT = { username: 'bench', password: 'bench-secret' };

async function cycle(api: 'drapi' | 'das'): Promise<{ first: number; unchanged: number }> {
  const sim = new DominoSimulator(ACCOUNT);
  await sim.start();
  const start = Math.ceil(Date.now() / 3_600_000) * 3_600_000;
  const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const people = [];
  for (let i = 0; i < N; i++) {
    const mbx = `user${i}@corp.example`;
    sim.addPerson([mbx], { entries: [{ start: iso(start), duration: 'PT30M', title: 'Sync' }, { start: iso(start + 3_600_000), duration: 'PT1H', privacy: 'private' }] });
    people.push({ id: `user${i}`, identities: [`mailto:${mbx}`] });
  }
  const config = dominoCalendarConfigSchema.parse({ url: sim.url, api, ...ACCOUNT, pollInterval: '1h', timeout: '60s' });
  const h = connectorHarness<DominoCalendarConfig>({ id: 'domino', config, people });
  const c = new DominoCalendarConnector(h.ctx);
  try {
    const t0 = performance.now();
    await c.start();
    await c.firstCycle();
    const first = performance.now() - t0;
    if (h.signals.length !== 2 * N) throw new Error(`expected ${2 * N} signals, got ${h.signals.length}`);
    const t1 = performance.now();
    await c.runCycle();
    const unchanged = performance.now() - t1;
    if (h.signals.length !== 2 * N) throw new Error('an unchanged cycle sent signals');
    return { first, unchanged };
  } finally {
    await c.stop();
    await sim.stop();
  }
}

export async function run(): Promise<{ name: string; value: number; unit: string }[]> {
  const drapi = await cycle('drapi');
  const das = await cycle('das');
  return [
    { name: 'domino.poll_cycle_10k_ms', value: Math.round(drapi.first), unit: 'ms' },
    { name: 'domino.poll_cycle_10k_unchanged_ms', value: Math.round(drapi.unchanged), unit: 'ms' },
    { name: 'domino.das_poll_cycle_10k_ms', value: Math.round(das.first), unit: 'ms' },
  ];
}
