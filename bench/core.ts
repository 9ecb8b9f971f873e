/**
 * Embedded-mode figures: the cost of one aggregation (aggregate() with its explanation, as the
 * explain route asks for it, and judge() without, as each recomputation runs), in-process ingest
 * throughput, and HTTP API throughput with batches (a real listening socket on loopback).
 */
import { manifestsByKind } from '../connectors/index.ts';
import { parseConfig } from '../core/config/load.ts';
import { Hub } from '../core/hub.ts';
import type { Register } from '../core/model/register.ts';
import type { MemoryQueue } from '../core/pipeline/embedded/queue.ts';
import { aggregate, judge } from '../core/rules/aggregate.ts';
import { DEFAULT_RULES } from '../core/rules/rules-config.ts';
import { systemClock } from '../core/util/clock.ts';
import { silentLogger } from '../core/util/logger.ts';
import { buildApp } from '../api/app.ts';

type Figure = { name: string; value: number; unit: string };
const PEOPLE = 10_000;

function registers(): Register[] {
  const t = Date.now();
  return [
    { person: 'p', source: 'teams', endpoint: 'laptop', category: 'machine', machineState: 'active', sourceTime: t - 60_000, expireType: 'device', publishedAt: t - 60_000 },
    { person: 'p', source: 'teams', endpoint: 'mobile', category: 'machine', machineState: 'away', expireType: 'device', publishedAt: t - 90_000 },
    { person: 'p', source: 'pbx', endpoint: 'line-1', category: 'phone', availability: 6500, activity: { token: 'on-the-phone' }, expireType: 'device', publishedAt: t - 30_000 },
    { person: 'p', source: 'cal', endpoint: 'm1', category: 'calendar', availability: 6500, activity: { token: 'in-a-meeting' }, from: t - 600_000, until: t + 600_000, expireType: 'time', publishedAt: t - 3_600_000 },
    { person: 'p', source: 'teams', endpoint: 'client', category: 'user', availability: 9500, expireType: 'user', publishedAt: t - 120_000 },
  ];
}

async function hub() {
  const people = Array.from({ length: PEOPLE }, (_, i) => ({ id: `p${i}` }));
  const loaded = parseConfig({ people, server: { rateLimit: 0 } }, { env: {}, manifests: manifestsByKind });
  const h = new Hub({ loaded, manifests: manifestsByKind, clock: systemClock, log: silentLogger() });
  await h.start();
  return { h, loaded };
}

function signals(n: number, offset: number) {
  return Array.from({ length: n }, (_, i) => ({ person: `p${(offset + i) % PEOPLE}`, source: 'bench', endpoint: `e${i % 3}`, category: 'phone', availability: (offset + i) % 2 === 0 ? 'busy' : 'available', sourceVersion: offset + i }));
}

export async function run(): Promise<Figure[]> {
  const out: Figure[] = [];
  // One aggregation of five registers.
  const regs = registers();
  const now = Date.now();
  for (let i = 0; i < 20_000; i++) aggregate(regs, now, DEFAULT_RULES);
  const N = 200_000;
  let t0 = performance.now();
  for (let i = 0; i < N; i++) aggregate(regs, now, DEFAULT_RULES);
  out.push({ name: 'aggregate.cost_us', value: ((performance.now() - t0) * 1000) / N, unit: 'us' });
  // The same judgement without the explanation: what each recomputation of the pipeline costs.
  for (let i = 0; i < 20_000; i++) judge(regs, now, DEFAULT_RULES);
  t0 = performance.now();
  for (let i = 0; i < N; i++) judge(regs, now, DEFAULT_RULES);
  out.push({ name: 'aggregate.judge_cost_us', value: ((performance.now() - t0) * 1000) / N, unit: 'us' });

  // In-process ingest: validate, resolve, queue, apply, aggregate, commit.
  {
    const { h } = await hub();
    const total = 200_000;
    t0 = performance.now();
    for (let i = 0; i < total; i += 1000) await h.ingest.submit(signals(1000, i));
    await (h.pipeline.queue as MemoryQueue).drain();
    out.push({ name: 'embedded.ingest_throughput', value: Math.round(total / ((performance.now() - t0) / 1000)), unit: 'signals/s' });
    await h.stop();
  }

  // HTTP API with batches of 1 000, 4 concurrent clients.
  {
    const { h, loaded } = await hub();
    const app = await buildApp({ hub: h, loaded, log: silentLogger(), clock: systemClock });
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    const total = 100_000;
    const bodies = Array.from({ length: total / 1000 }, (_, k) => JSON.stringify(signals(1000, 1_000_000 + k * 1000)));
    t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < bodies.length) {
          const body = bodies[next++]!;
          const res = await fetch(`${base}/v1/signals`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
          if (res.status !== 202) throw new Error(`bench: ${res.status} ${await res.text()}`);
          await res.arrayBuffer();
        }
      }),
    );
    await (h.pipeline.queue as MemoryQueue).drain();
    out.push({ name: 'embedded.http_throughput', value: Math.round(total / ((performance.now() - t0) / 1000)), unit: 'signals/s' });
    await app.close();
    await h.stop();
  }
  return out;
}
