/**
 * SIP connector family benchmarks.
 * - sip.notify_per_s: NOTIFY datagrams (PIDF + RPID body) parsed, their PIDF parsed, mapped to the
 *   neutral model and turned into signal objects, per second on one core (no network).
 * - sip.subscriptions_held: presence subscriptions the sip-presence connector holds open against a
 *   real Kamailio 5.6 on loopback (the simulator when Kamailio is not installed), with the hub
 *   process's heap growth stated in the unit.
 * Run alone: `npx tsx bench/sip.ts`.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../core/util/logger.ts';
import type { SignalInput } from '../core/model/signal.ts';
import { connectorHarness } from '../test/support/connector-harness.ts';
import { parseDatagram } from '../connectors/sip-core/parser.ts';
import { buildPidf, parsePidf } from '../connectors/sip-core/pidf.ts';
import { SimPresenceServer } from '../connectors/sip-core/simulator.ts';
import { startKamailio } from '../connectors/sip-core/testing/kamailio-peer.ts';
import { pidfToNeutral } from '../connectors/sip-presence/map.ts';
import { sipPresenceManifest } from '../connectors/sip-presence/manifest.ts';
import { sipPresenceConfigSchema } from '../connectors/sip-presence/config.ts';

const SUBSCRIPTIONS = 2000;

function notifyPerSecond(): number {
  const bodies = ['on-the-phone', 'meeting', 'away', 'vacation'].map((a, i) =>
    Buffer.from(buildPidf({ entity: `sip:user${i}@corp.example`, tupleId: `t${i}`, personId: `p${i}`, basic: 'open', activities: [a], note: 'Benchmark note', timestamp: '2026-11-22T10:00:00Z' })),
  );
  const messages = bodies.map((b, i) =>
    Buffer.concat([
      Buffer.from(
        `NOTIFY sip:hub@127.0.0.1:5070 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK${i}\r\nMax-Forwards: 70\r\nFrom: <sip:user${i}@corp.example>;tag=abc\r\nTo: <sip:presence-hub@corp.example>;tag=def\r\nCall-ID: bench-${i}@hub\r\nCSeq: ${i + 2} NOTIFY\r\nContact: <sip:127.0.0.1:5060>\r\nEvent: presence\r\nSubscription-State: active;expires=600\r\nContent-Type: application/pidf+xml\r\nContent-Length: ${b.length}\r\n\r\n`,
      ),
      b,
    ]),
  );
  const now = Date.now();
  let n = 0;
  let sink = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 3000) {
    for (let k = 0; k < 100; k++) {
      const m = parseDatagram(messages[n % messages.length]!);
      const doc = parsePidf(m.body.toString('utf8'));
      const s = pidfToNeutral(doc, now);
      const sig: SignalInput = { identity: doc.entity, source: 'bench', endpoint: 'sip-presence', category: 'user', availability: s!.availability, ...(s!.activity !== undefined ? { activity: s!.activity } : {}) };
      sink += sig.identity!.length;
      n++;
    }
  }
  const s = (performance.now() - t0) / 1000;
  if (sink === 0) throw new Error('unreachable');
  return Math.round(n / s);
}

async function subscriptionsHeld(): Promise<{ held: number; heapMb: number; rssMb: number; peer: string }> {
  const useKamailio = existsSync('/usr/sbin/kamailio') && existsSync('/usr/lib/x86_64-linux-gnu/kamailio/modules/presence.so');
  const kam = useKamailio ? await startKamailio() : undefined;
  const sim = useKamailio ? undefined : await SimPresenceServer.start({ log: silentLogger() });
  const server = kam?.uri ?? sim!.uri();
  const people = Array.from({ length: SUBSCRIPTIONS }, (_, i) => ({ id: `u${i}`, name: `User ${i}`, identities: [`sip:user${i}@corp.example`] }));
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage();
  const config = sipPresenceConfigSchema.parse({ server, watchDirectory: true, expires: 3600, publish: { enabled: false }, retry: { base: '1s', max: '10s' } });
  const h = connectorHarness({ id: 'bench', config, people, log: silentLogger() });
  const sup = h.supervisor(sipPresenceManifest);
  await sup.start();
  const t0 = Date.now();
  while ((sup.health().counts.notifies ?? 0) < SUBSCRIPTIONS && Date.now() - t0 < 45_000) await new Promise((r) => setTimeout(r, 100));
  gc?.();
  const after = process.memoryUsage();
  const held = sup.health().counts.notifies ?? 0;
  await sup.stop();
  await kam?.stop();
  await sim?.close();
  return { held: Math.min(held, SUBSCRIPTIONS), heapMb: (after.heapUsed - before.heapUsed) / 1048576, rssMb: (after.rss - before.rss) / 1048576, peer: kam !== undefined ? 'Kamailio 5.6' : 'simulator (same process)' };
}

/** Memory growth while the subscriptions were made; a collection of earlier modules' garbage in between makes it meaningless. */
function growth(heapMb: number, rssMb: number): string {
  if (heapMb < 0 || rssMb < 0) return 'memory growth not measurable in this run: a garbage collection of earlier modules came in between';
  return `hub heap +${heapMb.toFixed(1)} MB, rss +${rssMb.toFixed(1)} MB`;
}

export async function run(): Promise<{ name: string; value: number; unit: string }[]> {
  const rate = notifyPerSecond();
  const subs = await subscriptionsHeld();
  return [
    { name: 'sip.notify_per_s', value: rate, unit: 'NOTIFY/s (parse + PIDF + map to signal, one core)' },
    { name: 'sip.subscriptions_held', value: subs.held, unit: `subscriptions (of ${SUBSCRIPTIONS} requested, vs ${subs.peer}; ${growth(subs.heapMb, subs.rssMb)})` },
  ];
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const r of await run()) console.log(`${r.name} = ${r.value} ${r.unit}`);
}
