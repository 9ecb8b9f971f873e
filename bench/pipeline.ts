/**
 * Pipeline benchmarks (issue 3 point 11), at the level of the ports, on a private redis-server:
 * - baseline.bullmq_noop_jobs_per_s: BullMQ alone on the same server, in the same run: jobs/s from
 *   the first Queue.addBulk (1 000 jobs each) until an empty handler (Worker concurrency 100) has
 *   finished the last one; what one job costs BullMQ and Redis, the engine's own limit;
 * - baseline.bullmq_noop_add_per_s: the same run, jobs/s added (addBulk alone);
 * - baseline.redis_ops_per_s: pipelined GET/SET through ioredis on the same server (1 000 per pipeline);
 * - baseline.bullmq_job_per_signal: signals/s when every signal is its own BullMQ job running the
 *   whole Presence Manager (the naive design, not an engine limit);
 * - redis.throughput: signals/s ingested and aggregated by one node with batched jobs, load in
 *   bursts of 10 signals per person (20 000 people, 400 000 signals);
 * - redis.node_cpu_us_per_signal / redis.server_cpu_us_per_signal: CPU time of this process and of
 *   redis-server during redis.throughput, per signal (load generator included in the first);
 * - redis.throughput_diffuse: the same with no two consecutive signals for one person (one
 *   recomputation per signal: the floor);
 * - redis.throughput_ratio: redis.throughput / baseline.bullmq_noop_jobs_per_s (goal >= 8);
 * - embedded.throughput: the same load on the embedded pipeline;
 * - storm.settle_ms: 100 000 people, 60 000 of them with a calendar window starting at the same
 *   instant: time from that instant until the last of the 60 000 changes reached the bus;
 * - storm.node_cpu_us_per_transition / storm.server_cpu_us_per_transition: CPU time of this process
 *   and of redis-server over that time, per transition (what the storm costs, whatever the load);
 * - pipeline.latency.p50_ms / p99_ms: enqueue of one signal to its change on the bus, light load;
 * - pipeline.rss_mb (this process) and redis.used_memory_mb after the storm.
 * Run alone: `npx tsx bench/pipeline.ts`.
 */
import { readFileSync } from 'node:fs';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { PresenceManager } from '../core/manager/presence-manager.ts';
import type { Signal } from '../core/model/signal.ts';
import { embeddedPipeline } from '../core/pipeline/embedded/index.ts';
import type { BatchInfo, Pipeline, SignalQueue } from '../core/pipeline/ports.ts';
import { redisPipeline } from '../core/pipeline/redis/index.ts';
import { DEFAULT_RULES } from '../core/rules/rules-config.ts';
import { systemClock } from '../core/util/clock.ts';
import { silentLogger } from '../core/util/logger.ts';
import { startRedis } from '../test/support/peers/redis.ts';
import { storm as stormOf } from './lib/storm.ts';

type Figure = { name: string; value: number; unit: string };
const log = silentLogger();

/**
 * A mix of user, phone and machine signals over `people` people, versions increasing. `burst`
 * consecutive signals concern the same person (a collector reporting several changes of one person
 * in one poll or reconnect); with burst 1 consecutive signals hop across people (the worst case for
 * coalescing: one recomputation per signal).
 */
export function load(n: number, people: number, burst = 1): Signal[] {
  const out: Signal[] = [];
  const version = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const person = burst === 1 ? `u${(i * 7919) % people}` : `u${Math.floor(i / burst) % people}`;
    const kind = i % 3;
    const key = `${person}/${kind}`;
    const v = (version.get(key) ?? 0) + 1;
    version.set(key, v);
    if (kind === 2) {
      out.push({ person, source: 'desktop', endpoint: 'pc', category: 'machine', expireType: 'device', machineState: v % 2 ? 'active' : 'inactive', sourceVersion: v });
    } else {
      out.push({
        person,
        source: kind === 0 ? 'teams' : 'pbx',
        endpoint: kind === 0 ? 'client' : 'line1',
        category: kind === 0 ? 'user' : 'phone',
        expireType: kind === 0 ? 'user' : 'device',
        availability: [3500, 6500, 9500][v % 3]!,
        sourceVersion: v,
      });
    }
  }
  return out;
}

/** CPU time (user + system) of a process so far, from /proc (clock ticks of 10 ms). */
function cpuMs(pid: number | 'self'): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

/** Counts signals through the manager's handler. */
function counting(p: Pipeline): { pipeline: Pipeline; done: () => number } {
  let done = 0;
  const q = p.queue;
  const queue: SignalQueue = {
    enqueue: (b) => q.enqueue(b),
    depth: () => q.depth(),
    stats: () => q.stats(),
    deadLetters: (n) => q.deadLetters(n),
    replay: (id) => q.replay(id),
    pause: () => q.pause(),
    close: () => q.close(),
    process: (h) =>
      q.process(async (b, info?: BatchInfo) => {
        await h(b, info);
        done += b.length;
      }),
  };
  return { pipeline: { ...p, queue, ready: () => p.ready(), close: () => p.close() }, done: () => done };
}

async function until(cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('benchmark timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Signals/s from the first enqueue until the last signal is aggregated and committed. */
export async function throughput(p: Pipeline, signals: Signal[], batch = 1000): Promise<number> {
  const c = counting(p);
  new PresenceManager({ pipeline: c.pipeline, rules: DEFAULT_RULES, log }).start();
  const t0 = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < signals.length; i += batch) {
    inFlight.push(c.pipeline.queue.enqueue(signals.slice(i, i + batch)));
    if (inFlight.length >= 8) await inFlight.shift();
  }
  await Promise.all(inFlight);
  await until(() => c.done() >= signals.length, 120_000);
  return signals.length / ((performance.now() - t0) / 1000);
}

/** The naive design: one BullMQ job per signal, processed one by one by the same manager. */
async function jobPerSignal(url: string, signals: Signal[]): Promise<number> {
  const p = await redisPipeline({ url, prefix: 'bench-base', log });
  const manager = new PresenceManager({ pipeline: p, rules: DEFAULT_RULES, log });
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const workerConnection = new Redis(url, { maxRetriesPerRequest: null });
  const queue = new Queue('one', { connection, prefix: 'bench-base-q' });
  let done = 0;
  const worker = new Worker(
    'one',
    async (job) => {
      await manager.handleBatch([job.data as Signal]);
      done++;
    },
    { connection: workerConnection, prefix: 'bench-base-q', concurrency: 16 },
  );
  const t0 = performance.now();
  const adds: Promise<unknown>[] = [];
  for (const s of signals) {
    adds.push(queue.add('s', s, { removeOnComplete: true }));
    if (adds.length >= 64) await adds.shift();
  }
  await Promise.all(adds);
  await until(() => done >= signals.length, 120_000);
  const rate = signals.length / ((performance.now() - t0) / 1000);
  // BullMQ closes only the connections it made itself: the two given here are closed after it.
  await worker.close();
  await queue.close();
  await Promise.all([connection.quit(), workerConnection.quit()]);
  await p.close();
  return rate;
}

/**
 * BullMQ's own rate on this server: addBulk of 1 000 jobs at a time (two in flight), a Worker with
 * an empty handler and concurrency 100, jobs removed on completion. Processed jobs/s from the first
 * add to the last completion, and added jobs/s over the adds alone.
 */
export async function bullmqNoop(url: string, jobs = 30_000): Promise<{ processed: number; added: number }> {
  const qc = new Redis(url, { maxRetriesPerRequest: null });
  const wc = new Redis(url, { maxRetriesPerRequest: null });
  const queue = new Queue('noop', { connection: qc, prefix: 'bench-noop' });
  let done = 0;
  const worker = new Worker('noop', async () => undefined, { connection: wc, prefix: 'bench-noop', concurrency: 100, autorun: false });
  worker.on('completed', () => void done++);
  await worker.waitUntilReady();
  void worker.run();
  const payload = { person: 'u1', source: 'teams', endpoint: 'client', category: 'user', availability: 6500, sourceVersion: 1 };
  const t0 = performance.now();
  const adds: Promise<unknown>[] = [];
  for (let i = 0; i < jobs; i += 1000) {
    adds.push(queue.addBulk(Array.from({ length: Math.min(1000, jobs - i) }, () => ({ name: 'n', data: payload, opts: { removeOnComplete: true } }))));
    if (adds.length >= 2) await adds.shift();
  }
  await Promise.all(adds);
  const addedMs = performance.now() - t0;
  await until(() => done >= jobs, 120_000);
  const processed = jobs / ((performance.now() - t0) / 1000);
  // Close in order: the worker (and its blocking connection) first, then the queue, then the connections.
  await worker.close();
  await queue.close();
  await Promise.all([qc.quit(), wc.quit()]);
  return { processed, added: jobs / (addedMs / 1000) };
}

/** Pipelined GET/SET through ioredis (1 000 commands per pipeline, two pipelines in flight): Redis's own rate for small commands. */
export async function redisOps(url: string, ops = 400_000): Promise<number> {
  const r = new Redis(url);
  const t0 = performance.now();
  const inFlight: Promise<unknown>[] = [];
  for (let i = 0; i < ops; i += 1000) {
    const pipe = r.pipeline();
    for (let j = i; j < i + 1000; j += 2) {
      pipe.set(`bench-ops:${j % 10_000}`, 'v'.repeat(64));
      pipe.get(`bench-ops:${(j + 1) % 10_000}`);
    }
    inFlight.push(pipe.exec());
    if (inFlight.length >= 2) await inFlight.shift();
  }
  await Promise.all(inFlight);
  const rate = ops / ((performance.now() - t0) / 1000);
  await r.quit();
  return rate;
}

/** 100 000 people; 60 000 get a calendar window starting at the same instant S (bench/lib/storm.ts). */
async function storm(url: string, redisPid: number): Promise<{ settleMs: number; redisMb: number; nodeUs: number; redisUs: number }> {
  // A clean server, so that the memory figure is the storm's 100 000 people alone.
  const admin = new Redis(url);
  await admin.flushall();
  const p = await redisPipeline({ url, prefix: 'bench-storm', log, boundaries: { pollMs: 100 } });
  const transitions = 60_000;
  // CPU of this node and of redis-server from the instant S until the last change arrived.
  let cpu0 = { node: 0, redis: 0 };
  const { settleMs } = await stormOf(p, { people: 100_000, transitions, onInstant: () => (cpu0 = { node: cpuMs('self'), redis: cpuMs(redisPid) }) });
  const nodeUs = ((cpuMs('self') - cpu0.node) * 1000) / transitions;
  const redisUs = ((cpuMs(redisPid) - cpu0.redis) * 1000) / transitions;
  await p.close();
  const info = await admin.info('memory');
  const used = Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
  admin.disconnect();
  return { settleMs, redisMb: used / 2 ** 20, nodeUs, redisUs };
}

async function latency(url: string): Promise<{ p50: number; p99: number }> {
  const p = await redisPipeline({ url, prefix: 'bench-lat', log });
  new PresenceManager({ pipeline: p, rules: DEFAULT_RULES, log }).start();
  const waiting = new Map<string, () => void>();
  p.bus.subscribe((x) => waiting.get(x.person)?.());
  const samples: number[] = [];
  for (let i = 0; i < 400; i++) {
    const person = `l${i}`;
    const t0 = performance.now();
    const seen = new Promise<void>((r) => waiting.set(person, r));
    await p.queue.enqueue([{ person, source: 'api', endpoint: 'x', category: 'user', expireType: 'user', availability: 6500 }]);
    await seen;
    samples.push(performance.now() - t0);
  }
  await p.close();
  samples.sort((a, b) => a - b);
  return { p50: samples[Math.floor(samples.length * 0.5)]!, p99: samples[Math.floor(samples.length * 0.99)]! };
}

export async function run(): Promise<Figure[]> {
  const redis = await startRedis();
  try {
    // The engine's own limits on this server, in this run: BullMQ with an empty handler, and Redis.
    const noop = await bullmqNoop(redis.url);
    const ops = await redisOps(redis.url);
    const base = await jobPerSignal(redis.url, load(20_000, 20_000));
    // Bursts of 10 signals per person (a poll or reconnect reporting a person's devices and lines).
    const rp = await redisPipeline({ url: redis.url, prefix: 'bench-tp', log, concurrency: 4 });
    const tpLoad = load(400_000, 20_000, 10);
    // CPU time per signal of this node and of redis-server: what the figure costs, whatever the machine's load.
    const admin = new Redis(redis.url);
    const redisPid = Number(/process_id:(\d+)/.exec(await admin.info('server'))?.[1]);
    await admin.quit();
    const cpu0 = { node: cpuMs('self'), redis: cpuMs(redisPid) };
    const rate = await throughput(rp, tpLoad);
    const cpuUs = { node: ((cpuMs('self') - cpu0.node) * 1000) / tpLoad.length, redis: ((cpuMs(redisPid) - cpu0.redis) * 1000) / tpLoad.length };
    await rp.close();
    // No two consecutive signals for one person: one recomputation per signal, the worst case.
    const rd = await redisPipeline({ url: redis.url, prefix: 'bench-diffuse', log, concurrency: 4 });
    const diffuse = await throughput(rd, load(200_000, 50_000));
    await rd.close();
    const emb = await throughput(embeddedPipeline({ clock: systemClock, log }), load(400_000, 20_000, 10));
    const lat = await latency(redis.url);
    const st = await storm(redis.url, redisPid);
    return [
      { name: 'baseline.bullmq_noop_jobs_per_s', value: Math.round(noop.processed), unit: 'jobs/s' },
      { name: 'baseline.bullmq_noop_add_per_s', value: Math.round(noop.added), unit: 'jobs/s' },
      { name: 'baseline.redis_ops_per_s', value: Math.round(ops), unit: 'ops/s' },
      { name: 'baseline.bullmq_job_per_signal', value: Math.round(base), unit: 'signals/s' },
      { name: 'redis.throughput', value: Math.round(rate), unit: 'signals/s' },
      { name: 'redis.node_cpu_us_per_signal', value: Math.round(cpuUs.node * 10) / 10, unit: 'us' },
      { name: 'redis.server_cpu_us_per_signal', value: Math.round(cpuUs.redis * 10) / 10, unit: 'us' },
      { name: 'redis.throughput_ratio', value: Math.round((rate / noop.processed) * 10) / 10, unit: 'x' },
      { name: 'redis.throughput_diffuse', value: Math.round(diffuse), unit: 'signals/s' },
      { name: 'embedded.throughput', value: Math.round(emb), unit: 'signals/s' },
      { name: 'pipeline.latency.p50_ms', value: Math.round(lat.p50 * 10) / 10, unit: 'ms' },
      { name: 'pipeline.latency.p99_ms', value: Math.round(lat.p99 * 10) / 10, unit: 'ms' },
      { name: 'storm.settle_ms', value: Math.round(st.settleMs), unit: 'ms' },
      { name: 'storm.node_cpu_us_per_transition', value: Math.round(st.nodeUs * 10) / 10, unit: 'us' },
      { name: 'storm.server_cpu_us_per_transition', value: Math.round(st.redisUs * 10) / 10, unit: 'us' },
      { name: 'pipeline.rss_mb', value: Math.round(process.memoryUsage().rss / 2 ** 20), unit: 'MB' },
      { name: 'redis.used_memory_mb', value: Math.round(st.redisMb), unit: 'MB' },
    ];
  } finally {
    await redis.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const figures = await run();
  for (const f of figures) console.log(`${f.name} ${f.value} ${f.unit}`);
  process.exit(0);
}

/** For profiling one figure alone. */
export function throughputFor(p: Pipeline, n: number, people: number, burst = 1): Promise<number> {
  return throughput(p, load(n, people, burst));
}
