/**
 * End-to-end figures of one hub node in Redis mode, as a separate process driven over HTTP:
 * - latency.p50_ms / latency.p99_ms / latency.p999_ms: a signal accepted (202 received by the load
 *   generator) to its SSE event received (by this process), at 5 000 signals/s steady for 10 s
 *   after 2 s of warm-up. Three processes: the hub node, the load generator (bench/support/e2e-load.ts,
 *   forked) and this one reading the stream, so that neither the load nor the reader delays the
 *   other; their clocks are aligned by an IPC ping (the offset of the fastest of 20 round trips).
 *   latency.missing counts accepted signals whose event had not come 10 s after the load ended (it
 *   should be 0); latency.hub_cpu_us_per_signal is the hub node's CPU time from the start of the
 *   load until the last event was out (or those 10 s passed) divided by the signals sent (warm-up
 *   included), so a node that falls behind is charged for its backlog: above 200 us the node
 *   cannot keep 5 000 signals/s on one core;
 * - memory.rss_mb: the node's resident memory holding 100 000 people, 300 000 registers and
 *   10 000 open streams.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedis } from '../test/support/peers/redis.ts';

type Figure = { name: string; value: number; unit: string };
const BIN = join(import.meta.dirname, '../bin/presence-hub.js');

async function startNode(dir: string, redisUrl: string, people: number, prefix: string): Promise<{ url: string; child: ChildProcess }> {
  const lines = ['server: {port: 0, rateLimit: 0, maxStreamsPerKey: 20000, bodyLimit: 10485760}', `redis: {prefix: ${prefix}}`, 'people:'];
  for (let i = 0; i < people; i++) lines.push(`  - {id: p${i}}`);
  const file = join(dir, `${prefix}.yaml`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  // BENCH_CPU_PROF=<dir>: the hub node writes a CPU profile there when it stops (node --cpu-prof).
  const prof = process.env.BENCH_CPU_PROF !== undefined ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  // BENCH_HUB_FLAGS="--trace-gc ...": more node flags for the hub node; BENCH_HUB_OUT=<file>: its stdout (logs, GC trace) kept there.
  const flags = (process.env.BENCH_HUB_FLAGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...prof, ...flags, '--max-old-space-size=2048', BIN, 'start', '--config', file], {
    env: { ...process.env, REDIS_URL: redisUrl, PORT: '0', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`hub did not start: ${out.slice(-500)}`)), 120_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /presence hub listening on (http:\/\/[^"\s]+)/.exec(out);
      if (m) {
        clearTimeout(t);
        resolve(m[1]!);
      }
    });
    child.once('exit', (c) => reject(new Error(`hub exited ${c}: ${out.slice(-500)}`)));
  });
  if (process.env.BENCH_HUB_OUT !== undefined) child.stdout!.pipe(createWriteStream(`${process.env.BENCH_HUB_OUT}.${prefix}`));
  else child.stdout!.resume();
  return { url, child };
}

const post = async (url: string, body: unknown): Promise<void> => {
  const res = await fetch(`${url}/v1/signals`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status !== 202) throw new Error(`POST /v1/signals: ${res.status} ${await res.text()}`);
  await res.arrayBuffer();
};

/** Opens an SSE stream with node:http (no per-stream overhead of fetch); calls `onEvent` per event. */
function stream(url: string, agent: http.Agent, onEvent: (data: string) => void): Promise<http.ClientRequest> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`stream ${res.statusCode}`));
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buf += d;
        // One cut per chunk: re-slicing the buffer per event is quadratic on a 2.5 MB first burst.
        let start = 0;
        let i: number;
        while ((i = buf.indexOf('\n\n', start)) >= 0) {
          const block = buf.slice(start, i);
          start = i + 2;
          const line = block.split('\n').find((l) => l.startsWith('data: '));
          if (line !== undefined) onEvent(line.slice(6));
        }
        buf = buf.slice(start);
      });
      resolve(req);
    });
    req.on('error', reject);
  });
}

/** CPU time (user + system) of a process so far, from /proc (clock ticks of 10 ms). */
const cpuMs = (pid: number): number => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
};
/**
 * A stream whose connection was reset before it was answered (a loaded machine overflows the
 * listen backlog when 500 connect at once) is opened again, up to 5 times; nothing was received on it.
 */
async function streamRetrying(url: string, agent: http.Agent, onEvent: (data: string) => void): Promise<http.ClientRequest> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await stream(url, agent, onEvent);
    } catch (e) {
      if (attempt >= 5 || (e as NodeJS.ErrnoException).code !== 'ECONNRESET') throw e;
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  }
}

const rssMb = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
const pct = (xs: number[], p: number): number => xs.sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

type LoadMessage = { ready?: true; pong?: number; done?: { accepted: [string, number][]; sent: number }; error?: string };

/** Forks the load generator and measures its clock offset (its clock minus ours) over IPC. */
async function loadGenerator(): Promise<{ child: ChildProcess; offset: number; next: () => Promise<LoadMessage> }> {
  const child = fork(join(import.meta.dirname, 'support/e2e-load.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const queue: LoadMessage[] = [];
  let wake: (() => void) | undefined;
  child.on('message', (m: LoadMessage) => {
    queue.push(m);
    wake?.();
  });
  const next = async (): Promise<LoadMessage> => {
    while (queue.length === 0) {
      if (child.exitCode !== null) throw new Error(`load generator exited ${child.exitCode}`);
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 200);
      });
    }
    return queue.shift()!;
  };
  if ((await next()).ready !== true) throw new Error('load generator did not start');
  let best = { rtt: Infinity, offset: 0 };
  for (let i = 0; i < 20; i++) {
    const t0 = performance.timeOrigin + performance.now();
    child.send({ ping: true });
    const m = await next();
    const t1 = performance.timeOrigin + performance.now();
    if (m.pong !== undefined && t1 - t0 < best.rtt) best = { rtt: t1 - t0, offset: m.pong - (t0 + t1) / 2 };
  }
  return { child, offset: best.offset, next };
}

async function latency(dir: string, redisUrl: string): Promise<Figure[]> {
  const PEOPLE = 10_000;
  const node = await startNode(dir, redisUrl, PEOPLE, 'lat');
  const agent = new http.Agent({ keepAlive: true });
  let gen: Awaited<ReturnType<typeof loadGenerator>> | undefined;
  let req: http.ClientRequest | undefined;
  try {
    // When each signal's event arrived, by its unique activity text, on this process's clock.
    const seen = new Map<string, number>();
    let initial = 0;
    req = await stream(`${node.url}/v1/stream`, agent, (data) => {
      const at = performance.timeOrigin + performance.now();
      const text = (JSON.parse(data) as { activity?: { text?: string } }).activity?.text;
      if (text !== undefined && text.startsWith('s')) seen.set(text, at);
      else initial++;
    });
    while (initial < PEOPLE) await new Promise((r) => setTimeout(r, 50));
    gen = await loadGenerator();
    const cpu0 = cpuMs(node.child.pid!);
    gen.child.send({ start: { url: node.url, people: PEOPLE, rate: 5000, ms: 10_000, warmupMs: 2000 } });
    const m = await gen.next();
    if (m.error !== undefined || m.done === undefined) throw new Error(`load generator: ${m.error ?? 'no result'}`);
    // Events of the last batches are still on their way: wait for them (at most 10 s), so that a
    // node that fell behind is charged for its backlog too.
    const deadline = performance.now() + 10_000;
    const accepted = m.done.accepted;
    while (performance.now() < deadline && accepted.some(([text]) => !seen.has(text))) await new Promise((r) => setTimeout(r, 50));
    // The hub's CPU over warm-up and load (12 s, 60 000 signals) and until their events were out: what one signal costs the node.
    const hubCpuMs = cpuMs(node.child.pid!) - cpu0;
    const lat: number[] = [];
    let missing = 0;
    for (const [text, acceptedAt] of m.done.accepted) {
      const at = seen.get(text);
      if (at === undefined) missing++;
      // Its clock to ours: subtract the offset.
      else lat.push(at - (acceptedAt - gen.offset));
    }
    if (lat.length === 0) throw new Error('no stream event matched an accepted signal');
    return [
      { name: 'latency.p50_ms', value: Math.round(pct(lat, 50) * 10) / 10, unit: 'ms' },
      { name: 'latency.p99_ms', value: Math.round(pct(lat, 99) * 10) / 10, unit: 'ms' },
      { name: 'latency.p999_ms', value: Math.round(pct(lat, 99.9) * 10) / 10, unit: 'ms' },
      { name: 'latency.samples', value: lat.length, unit: 'events' },
      { name: 'latency.missing', value: missing, unit: 'events' },
      { name: 'latency.hub_cpu_us_per_signal', value: Math.round((hubCpuMs * 1000) / (m.done.sent * 1.2)), unit: 'us' },
    ];
  } finally {
    req?.destroy();
    agent.destroy();
    if (gen !== undefined && gen.child.exitCode === null) gen.child.kill('SIGKILL');
    await stopNode(node.child);
  }
}

/** SIGKILL, and wait until the process is gone (so that its connections are closed before Redis stops). */
async function stopNode(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  // A profiled node stops cleanly (SIGTERM) so that it writes its profile.
  child.kill(process.env.BENCH_CPU_PROF !== undefined ? 'SIGTERM' : 'SIGKILL');
  await gone;
}

async function memory(dir: string, redisUrl: string): Promise<Figure[]> {
  const PEOPLE = 100_000;
  const node = await startNode(dir, redisUrl, PEOPLE, 'mem');
  const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
  const reqs: http.ClientRequest[] = [];
  try {
    // 300 000 registers: a machine, a phone and a calendar register per person.
    for (let i = 0; i < PEOPLE; i += 5000) {
      const batch = [];
      for (let j = i; j < i + 5000; j++) {
        batch.push({ person: `p${j}`, source: 'teams', endpoint: 'laptop', category: 'machine', machineState: 'active' });
        batch.push({ person: `p${j}`, source: 'pbx', endpoint: 'line', category: 'phone', availability: 'available' });
        batch.push({ person: `p${j}`, source: 'cal', endpoint: 'm1', category: 'calendar', availability: 'busy', activity: 'in-a-meeting', from: new Date(Date.now() + 3_600_000).toISOString() });
      }
      await post(node.url, batch.slice(0, 7500));
      await post(node.url, batch.slice(7500));
    }
    // 10 000 open streams, one person each.
    let got = 0;
    for (let i = 0; i < 10_000; i += 500) {
      const opened = await Promise.all(Array.from({ length: 500 }, (_, k) => streamRetrying(`${node.url}/v1/stream?people=p${i + k}`, agent, () => void got++)));
      reqs.push(...opened);
    }
    while (got < 10_000) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 3000));
    return [
      { name: 'memory.rss_mb', value: Math.round(rssMb(node.child.pid!)), unit: 'MB' },
      { name: 'memory.streams_open', value: reqs.length, unit: 'streams' },
    ];
  } finally {
    for (const r of reqs) r.destroy();
    agent.destroy();
    await stopNode(node.child);
  }
}

export async function run(): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'ph-bench-e2e-'));
  const redis = await startRedis();
  try {
    return [...(await latency(dir, redis.url)), ...(await memory(dir, redis.url))];
  } finally {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The latency figures alone, on a private Redis (for profiling: `npx tsx -e` or a script). */
export async function latencyOnly(): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'ph-bench-e2e-'));
  const redis = await startRedis();
  try {
    return await latency(dir, redis.url);
  } finally {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
