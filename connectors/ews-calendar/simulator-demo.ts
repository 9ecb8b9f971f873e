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
import { planMeetings, runWhenMain, type DemoServer } from '../calendar-common/demo-meetings.ts';
import { EwsSimulator } from './simulator.ts';

export const DEMO_USER = 'svc-presence';

export async function runDemo(port: number, password: string, log: (line: string) => void, slotMs = 120_000, now: () => number = Date.now): Promise<DemoServer> {
  const sim = new EwsSimulator({ basic: { username: DEMO_USER, password } });
  await sim.start(port);
  const demo = planMeetings({
    server: { url: sim.url, stop: () => sim.stop() },
    slotMs,
    now,
    // The first meeting began a little before now, so the very first read shows someone in a meeting.
    firstFrom: (t) => t - Math.floor(slotMs / 4),
    put: (alice, bob) => {
      for (const [mailbox, list] of [['alice@corp.example', alice], ['bob@corp.example', bob]] as const) {
        sim.addMailbox(mailbox, { events: list.map((m) => ({ start: m.from, end: m.until, busyType: 'Busy', subject: m.subject })) });
      }
    },
  });
  log(`Exchange (EWS simulator) on ${sim.url}, user ${DEMO_USER}, mailboxes alice@corp.example and bob@corp.example, a meeting every ${Math.round(slotMs / 1000)}s`);
  return demo;
}

await runWhenMain(import.meta.url, 14780, 'EWS_PASSWORD', runDemo);
