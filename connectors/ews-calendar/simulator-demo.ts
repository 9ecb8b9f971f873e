/**
 * The EWS simulator as a stand-alone Exchange for the demo: HTTP on 127.0.0.1 (default port 14780),
 * POST /EWS/Exchange.asmx with Basic sign-in as `svc-presence` and the password in EWS_PASSWORD
 * (default `demo`), the mailboxes alice@corp.example and bob@corp.example (the `mailto:` identities
 * in examples/ews-calendar.yaml), and calendars where meetings start and end all day: alice is in a
 * meeting now and every other slot, bob in the slots between, so the hub shows them change.
 *
 *   npx tsx connectors/ews-calendar/simulator-demo.ts [port]
 *   EWS_USER=svc-presence EWS_PASSWORD=demo presence-hub start --config examples/ews-calendar.yaml
 */
import { fileURLToPath } from 'node:url';
import { EwsSimulator, type SimEvent } from './simulator.ts';

export const DEMO_USER = 'svc-presence';
const SUBJECTS = ['Stand-up', 'Customer call', 'Design review', 'One to one'];

/** Meetings of `slotMs` each from `from` for a day: alice in the even slots (the first one now), bob in the odd ones. */
function meetings(from: number, slotMs: number, odd: boolean): SimEvent[] {
  const out: SimEvent[] = [];
  const slots = Math.min(2000, Math.ceil((24 * 3600_000) / slotMs));
  for (let i = odd ? 1 : 0; i < slots; i += 2) out.push({ start: from + i * slotMs, end: from + (i + 1) * slotMs, busyType: 'Busy', subject: SUBJECTS[i % SUBJECTS.length]! });
  return out;
}

export async function runDemo(port: number, password: string, log: (line: string) => void, slotMs = 120_000, now: () => number = Date.now): Promise<{ url: string; stop(): Promise<void> }> {
  const sim = new EwsSimulator({ basic: { username: DEMO_USER, password } });
  await sim.start(port);
  // The first meeting began a little before now, so the very first read shows someone in a meeting.
  const plan = (): void => {
    const from = now() - Math.floor(slotMs / 4);
    sim.addMailbox('alice@corp.example', { events: meetings(from, slotMs, false) });
    sim.addMailbox('bob@corp.example', { events: meetings(from, slotMs, true) });
  };
  plan();
  log(`Exchange (EWS simulator) on ${sim.url}, user ${DEMO_USER}, mailboxes alice@corp.example and bob@corp.example, a meeting every ${Math.round(slotMs / 1000)}s`);
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
  const demo = await runDemo(Number(process.argv[2] ?? 14780), process.env.EWS_PASSWORD ?? 'demo', (l) => console.log(l));
  setInterval(() => undefined, 1 << 30);
  process.on('SIGINT', () => void demo.stop().then(() => process.exit(0)));
}
