/**
 * End-to-end figures of one hub node in Redis mode, as a separate process driven over HTTP:
 * - latency.p50_ms / latency.p99_ms: a signal accepted (202) to its SSE event received, at 5 000
 *   signals/s steady;
 * - memory.rss_mb: the node's resident memory holding 100 000 people, 300 000 registers and
 *   10 000 open streams.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
  const child = spawn(process.execPath, ['--max-old-space-size=2048', BIN, 'start', '--config', file], {
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
  child.stdout!.resume();
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

const rssMb = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
const pct = (xs: number[], p: number): number => xs.sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

async function latency(dir: string, redisUrl: string): Promise<Figure[]> {
  const PEOPLE = 10_000;
  const node = await startNode(dir, redisUrl, PEOPLE, 'lat');
  const agent = new http.Agent({ keepAlive: true });
  try {
    const accepted = new Map<string, number>();
    const lat: number[] = [];
    let initial = 0;
    const req = await stream(`${node.url}/v1/stream`, agent, (data) => {
      const v = JSON.parse(data) as { person: string; class: string };
      const key = `${v.person}:${v.class}`;
      const t = accepted.get(key);
      if (t === undefined) {
        initial++;
        return;
      }
      accepted.delete(key);
      lat.push(performance.now() - t);
    });
    while (initial < PEOPLE) await new Promise((r) => setTimeout(r, 50));
    // 5 000 signals/s: 50 every 10 ms, each person's class flips, 10 s.
    const RATE_BATCH = 50;
    let n = 0;
    const end = performance.now() + 10_000;
    let tick = performance.now();
    const inflight: Promise<void>[] = [];
    while (performance.now() < end) {
      const batch: { person: string; source: string; category: string; availability: string; sourceVersion: number }[] = [];
      for (let i = 0; i < RATE_BATCH; i++, n++) {
        const person = `p${n % PEOPLE}`;
        const cls = Math.floor(n / PEOPLE) % 2 === 0 ? 'busy' : 'available';
        batch.push({ person, source: 'bench', category: 'phone', availability: cls, sourceVersion: n });
      }
      const sent = performance.now();
      inflight.push(
        post(node.url, batch).then(() => {
          const at = performance.now();
          for (const s of batch) accepted.set(`${s.person}:${s.availability}`, at);
          void sent;
        }),
      );
      tick += 10;
      const wait = tick - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    await Promise.all(inflight);
    await new Promise((r) => setTimeout(r, 2000));
    req.destroy();
    return [
      { name: 'latency.p50_ms', value: Math.round(pct(lat, 50) * 10) / 10, unit: 'ms' },
      { name: 'latency.p99_ms', value: Math.round(pct(lat, 99) * 10) / 10, unit: 'ms' },
      { name: 'latency.samples', value: lat.length, unit: 'events' },
    ];
  } finally {
    agent.destroy();
    node.child.kill('SIGKILL');
  }
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
      const opened = await Promise.all(Array.from({ length: 500 }, (_, k) => stream(`${node.url}/v1/stream?people=p${i + k}`, agent, () => void got++)));
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
    node.child.kill('SIGKILL');
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
