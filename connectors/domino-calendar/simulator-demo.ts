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
import { planMeetings, runWhenMain, type DemoMeeting, type DemoServer } from '../calendar-common/demo-meetings.ts';
import type { DrapiEntry } from './map.ts';
import { DominoSimulator } from './simulator.ts';

export const DEMO_USER = 'presence';
const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const entries = (list: DemoMeeting[]): DrapiEntry[] => list.map((m) => ({ start: iso(m.from), duration: `PT${Math.round((m.until - m.from) / 1000)}S`, title: m.subject, privacy: 'public' }));

export async function runDemo(port: number, password: string, log: (line: string) => void, slotMs = 120_000, now: () => number = Date.now): Promise<DemoServer> {
  const sim = new DominoSimulator({ username: DEMO_USER, password });
  await sim.start(port);
  const demo = planMeetings({
    server: { url: sim.url, stop: () => sim.stop() },
    slotMs,
    now,
    // DRAPI lists entries starting on the days asked: the first meeting began a little before now,
    // but not before today (UTC), so the very first read shows alice in it.
    firstFrom: (t) => Math.max(t - Math.floor(slotMs / 4), t - (t % 86_400_000)),
    put: (alice, bob) => {
      sim.addPerson(['alice@corp.example'], { entries: entries(alice) });
      sim.addPerson(['bob@corp.example'], { entries: entries(bob) });
    },
  });
  log(`Domino (DRAPI simulator) on ${sim.url}, account ${DEMO_USER}, mailboxes alice@corp.example and bob@corp.example, a meeting every ${Math.round(slotMs / 1000)}s`);
  return demo;
}

await runWhenMain(import.meta.url, 14880, 'DOMINO_PASSWORD', runDemo);
