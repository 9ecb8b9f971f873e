/**
 * avaya-aes benchmarks.
 * - aes.events_per_s: DMCC call-control events (framed bytes as AE Services sends them: delivered,
 *   established, held, retrieved, connection cleared, over 1 000 lines) cut by the deframer, read
 *   by the XML reader, applied to each line's tracker and turned into phone signals, per second
 *   on one core (no network).
 * - aes.monitor_start_8k_ms: one connector starting 8 000 monitors on one session against the
 *   DMCC simulator on loopback (GetThirdPartyDeviceId, MonitorStart, SnapshotDevice each) until
 *   every line has its first signal.
 * Run alone: `npx tsx bench/aes.ts`.
 */
import { fileURLToPath } from 'node:url';
import type { SignalInput } from '../core/model/signal.ts';
import { connectorHarness } from '../test/support/connector-harness.ts';
import { aesConfigSchema } from '../connectors/avaya-aes/config.ts';
import { Deframer, encodeFrame } from '../connectors/avaya-aes/framing.ts';
import { avayaAesManifest } from '../connectors/avaya-aes/manifest.ts';
import { lineSignal, LineTracker } from '../connectors/avaya-aes/map.ts';
import { parseIncoming } from '../connectors/avaya-aes/messages.ts';
import { AesSimulator } from '../connectors/avaya-aes/simulator.ts';

const NS = 'http://www.ecma-international.org/standards/ecma-323/csta/ed3';
const dev = (ext: string): string => `<deviceID typeOfNumber="other" mediaClass="notKnown">${ext}:CM1::0</deviceID>`;
const ev = (name: string, conn: string, ext: string, call: number, local: string): string =>
  `<?xml version="1.0" encoding="UTF-8"?><${name} xmlns="${NS}"><monitorCrossRefID>${ext}</monitorCrossRefID><${conn}><callID>${call}</callID>${dev(ext)}</${conn}><localConnectionInfo>${local}</localConnectionInfo><cause>normal</cause></${name}>`;

function eventsPerSecond(): number {
  const LINES = 1000;
  const frames: Buffer[] = [];
  for (let i = 0; i < LINES; i++) {
    const ext = String(4000 + i);
    frames.push(
      encodeFrame(9999, ev('DeliveredEvent', 'connection', ext, i, 'alerting')),
      encodeFrame(9999, ev('EstablishedEvent', 'establishedConnection', ext, i, 'connected')),
      encodeFrame(9999, ev('HeldEvent', 'heldConnection', ext, i, 'hold')),
      encodeFrame(9999, ev('RetrievedEvent', 'retrievedConnection', ext, i, 'connected')),
      encodeFrame(9999, ev('ConnectionClearedEvent', 'droppedConnection', ext, i, 'null')),
    );
  }
  // The stream arrives in TCP-sized reads that cut frames anywhere.
  const stream = Buffer.concat(frames);
  const chunks: Buffer[] = [];
  for (let at = 0; at < stream.length; at += 1460) chunks.push(stream.subarray(at, at + 1460));
  const trackers = new Map<string, LineTracker>();
  let events = 0;
  let signals = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 3000) {
    const d = new Deframer();
    for (const c of chunks) {
      for (const f of d.push(c)) {
        const m = parseIncoming(f.xml);
        if (m.kind !== 'event') continue;
        const x = m.event.crossRefId;
        let t = trackers.get(x);
        if (t === undefined) trackers.set(x, (t = new LineTracker(x)));
        t.apply(m.event);
        const s: SignalInput = { person: x, source: 'bench', endpoint: x, category: 'phone', ...lineSignal(t.state(), 'available') };
        signals += s.endpoint!.length > 0 ? 1 : 0;
        events++;
      }
    }
  }
  const s = (performance.now() - t0) / 1000;
  if (signals !== events) throw new Error('unreachable');
  return Math.round(events / s);
}

async function monitorStart8k(): Promise<number> {
  const N = 8000;
  const stations = Array.from({ length: N }, (_, i) => String(10000 + i));
  const sim = new AesSimulator({ stations, users: { hub: 'secret' } });
  const port = await sim.start();
  const h = connectorHarness({
    id: 'aes',
    config: aesConfigSchema.parse({ host: '127.0.0.1', port, tls: false, username: 'hub', password: 'secret', switchName: 'CM1', requestTimeout: '60s' }),
    people: stations.map((ext) => ({ id: `p${ext}`, identities: [`ext:${ext}`] })),
  });
  const connector = avayaAesManifest.create(h.ctx);
  try {
    const t0 = performance.now();
    await connector.start();
    await h.waitForSignals(N, 120_000);
    const ms = performance.now() - t0;
    if (sim.monitorCount !== N) throw new Error(`${sim.monitorCount} monitors, expected ${N}`);
    return Math.round(ms);
  } finally {
    await connector.stop();
    await sim.stop();
  }
}

export async function run(): Promise<{ name: string; value: number; unit: string }[]> {
  return [
    { name: 'aes.events_per_s', value: eventsPerSecond(), unit: 'events/s (deframe, parse, line state, signal; one core)' },
    { name: 'aes.monitor_start_8k_ms', value: await monitorStart8k(), unit: 'ms for 8 000 monitors on one session (device id, MonitorStart, SnapshotDevice; simulator on loopback)' },
  ];
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const f of await run()) console.log(`${f.name} ${f.value} ${f.unit}`);
}
