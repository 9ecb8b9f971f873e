/**
 * The meeting plan of the calendar connectors' demo servers (ews-calendar, domino-calendar
 * simulator-demo.ts): meetings start and end all day, alice in the even slots (the first one under
 * way now), bob in the odd ones, so the hub shows them change; a new day of meetings every 12 hours
 * keeps a demo going. Each demo turns the plan into its own server's entries.
 */
import { fileURLToPath } from 'node:url';

export interface DemoMeeting {
  readonly from: number;
  readonly until: number;
  readonly subject: string;
}

const SUBJECTS = ['Stand-up', 'Customer call', 'Design review', 'One to one'];

/** Meetings of `slotMs` each from `from` for a day: the even slots, or the odd ones. */
export function meetings(from: number, slotMs: number, odd: boolean): DemoMeeting[] {
  const out: DemoMeeting[] = [];
  const slots = Math.min(2000, Math.ceil((24 * 3600_000) / slotMs));
  for (let i = odd ? 1 : 0; i < slots; i += 2) out.push({ from: from + i * slotMs, until: from + (i + 1) * slotMs, subject: SUBJECTS[i % SUBJECTS.length]! });
  return out;
}

export interface DemoServer {
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Plans alice's and bob's meetings now (from `firstFrom(now)`) and again every 12 hours; `stop`
 * ends the re-planning and the server.
 */
export function planMeetings(o: { server: DemoServer; slotMs: number; now: () => number; firstFrom: (now: number) => number; put: (alice: DemoMeeting[], bob: DemoMeeting[]) => void }): DemoServer {
  const plan = (): void => {
    const from = o.firstFrom(o.now());
    o.put(meetings(from, o.slotMs, false), meetings(from, o.slotMs, true));
  };
  plan();
  const timer = setInterval(plan, 12 * 3600_000);
  timer.unref?.();
  return {
    url: o.server.url,
    async stop() {
      clearInterval(timer);
      await o.server.stop();
    },
  };
}

/** Runs a demo when its file is the script node was started with: `[port]` from argv, the password from `passwordVar`; Ctrl-C stops it. */
export async function runWhenMain(moduleUrl: string, defaultPort: number, passwordVar: string, run: (port: number, password: string, log: (l: string) => void) => Promise<DemoServer>): Promise<void> {
  if (process.argv[1] === undefined || fileURLToPath(moduleUrl) !== process.argv[1]) return;
  const demo = await run(Number(process.argv[2] ?? defaultPort), process.env[passwordVar] ?? 'demo', (l) => console.log(l));
  setInterval(() => undefined, 1 << 30);
  process.on('SIGINT', () => void demo.stop().then(() => process.exit(0)));
}
