/**
 * The Domino simulator as a stand-alone Domino REST API (DRAPI) for the demo: HTTP on 127.0.0.1
 * (default port 14880), the account `presence` with the password in DOMINO_PASSWORD (default
 * `demo`), the mail databases of alice@corp.example and bob@corp.example (the `mailto:` identities
 * in examples/domino-calendar.yaml), and calendars where meetings start and end all day: alice is in
 * a meeting now and every other slot, bob in the slots between, so the hub shows them change.
 *
 *   npx tsx connectors/domino-calendar/simulator-demo.ts [port]
 *   DOMINO_PASSWORD=demo HUB_ADMIN_KEY=$(openssl rand -hex 16) presence-hub start --config examples/domino-calendar.yaml
 */
import { fileURLToPath } from 'node:url';
import type { DrapiEntry } from './map.ts';
import { DominoSimulator } from './simulator.ts';

export const DEMO_USER = 'presence';
const TITLES = ['Stand-up', 'Customer call', 'Design review', 'One to one'];
const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** JSEvent entries of `slotMs` each from `from` for a day: alice in the even slots (the first one now), bob in the odd ones. */
function meetings(from: number, slotMs: number, odd: boolean): DrapiEntry[] {
  const out: DrapiEntry[] = [];
  const slots = Math.min(2000, Math.ceil((24 * 3600_000) / slotMs));
  for (let i = odd ? 1 : 0; i < slots; i += 2) out.push({ start: iso(from + i * slotMs), duration: `PT${Math.round(slotMs / 1000)}S`, title: TITLES[i % TITLES.length]!, privacy: 'public' });
  return out;
}

export async function runDemo(port: number, password: string, log: (line: string) => void, slotMs = 120_000, now: () => number = Date.now): Promise<{ url: string; stop(): Promise<void> }> {
  const sim = new DominoSimulator({ username: DEMO_USER, password });
  await sim.start(port);
  // DRAPI lists entries starting on the days asked: the first meeting began a little before now,
  // but not before today (UTC), so the very first read shows alice in it.
  const plan = (): void => {
    const t = now();
    const from = Math.max(t - Math.floor(slotMs / 4), t - (t % 86_400_000));
    sim.addPerson(['alice@corp.example'], { entries: meetings(from, slotMs, false) });
    sim.addPerson(['bob@corp.example'], { entries: meetings(from, slotMs, true) });
  };
  plan();
  log(`Domino (DRAPI simulator) on ${sim.url}, account ${DEMO_USER}, mailboxes alice@corp.example and bob@corp.example, a meeting every ${Math.round(slotMs / 1000)}s`);
  // A new day of meetings every 12 hours keeps the demo going.
  const timer = setInterval(plan, 12 * 3600_000);
  timer.unref?.();
  return {
    url: sim.url,
    async stop() {
      clearInterval(timer);
      await sim.stop();
    },
  };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const demo = await runDemo(Number(process.argv[2] ?? 14880), process.env.DOMINO_PASSWORD ?? 'demo', (l) => console.log(l));
  setInterval(() => undefined, 1 << 30);
  process.on('SIGINT', () => void demo.stop().then(() => process.exit(0)));
}
