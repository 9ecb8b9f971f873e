/**
 * The scaling curve (`npm run bench -- scale`; not part of a plain `npm run bench`, it takes many
 * minutes): embedded and Redis mode at 10 000, 100 000 and 1 000 000 people, each case in its own
 * process (so that one case's memory is not the next one's), the storm of bench/lib/storm.ts with
 * 60 % of the people starting a meeting at one instant. Per case:
 * - scale.<mode>.<n>.bytes_per_person: what one person costs where the state is kept (embedded: this
 *   process's heap after a GC; Redis: redis-server's used_memory), divided by the people;
 * - scale.<mode>.<n>.storm_ms_per_10k: the storm's settle time per 10 000 transitions;
 * - scale.<mode>.<n>.rss_mb: the hub process's RSS at the end (1M people must stay within 4 GiB).
 * Linear cost shows as flat bytes per person and flat storm time per 10 000 across the sizes.
 * One case alone: `npx tsx bench/scale.ts one embedded 100000`.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { embeddedPipeline } from '../core/pipeline/embedded/index.ts';
import type { Pipeline } from '../core/pipeline/ports.ts';
import { redisPipeline } from '../core/pipeline/redis/index.ts';
import { systemClock } from '../core/util/clock.ts';
import { silentLogger } from '../core/util/logger.ts';
import { startRedis } from '../test/support/peers/redis.ts';
import { storm } from './lib/storm.ts';

type Figure = { name: string; value: number; unit: string };
const SIZES = [10_000, 100_000, 1_000_000];
const SHARE = 0.6;

interface Case {
  readonly bytesPerPerson: number;
  readonly settleMs: number;
  readonly transitions: number;
  readonly rssMb: number;
}

function heap(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

async function usedMemory(admin: Redis): Promise<number> {
  return Number(/used_memory:(\d+)/.exec(await admin.info('memory'))?.[1] ?? 0);
}

/** One case, in this process. */
async function one(mode: 'embedded' | 'redis', people: number): Promise<Case> {
  const transitions = Math.round(people * SHARE);
  const log = silentLogger();
  if (mode === 'embedded') {
    const before = heap();
    const p = embeddedPipeline({ clock: systemClock, log });
    const r = await storm(p, { people, transitions });
    const bytes = (heap() - before) / people;
    const rss = process.memoryUsage().rss;
    await p.close();
    return { bytesPerPerson: bytes, settleMs: r.settleMs, transitions, rssMb: rss / 2 ** 20 };
  }
  const redis = await startRedis();
  const admin = new Redis(redis.url);
  let p: Pipeline | undefined;
  try {
    await admin.flushall();
    const before = await usedMemory(admin);
    p = await redisPipeline({ url: redis.url, prefix: 'scale', log, boundaries: { pollMs: 100 } });
    const r = await storm(p, { people, transitions });
    const bytes = ((await usedMemory(admin)) - before) / people;
    return { bytesPerPerson: bytes, settleMs: r.settleMs, transitions, rssMb: process.memoryUsage().rss / 2 ** 20 };
  } finally {
    await p?.close();
    admin.disconnect();
    await redis.stop();
  }
}

const label = (n: number): string => (n >= 1_000_000 ? `${n / 1_000_000}m` : `${n / 1000}k`);

export async function run(): Promise<Figure[]> {
  const out: Figure[] = [];
  for (const mode of ['embedded', 'redis'] as const) {
    for (const n of SIZES) {
      // Its own process, with room for a million people's heap and a GC to measure after.
      const text = execFileSync(process.execPath, ['--expose-gc', '--max-old-space-size=3584', '--import', 'tsx', fileURLToPath(import.meta.url), 'one', mode, String(n)], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
        maxBuffer: 1 << 20,
      });
      const c = JSON.parse(text.trim().split('\n').pop()!) as Case;
      const at = `scale.${mode}.${label(n)}`;
      // Progress as each case ends (the table comes at the end of the whole run).
      process.stderr.write(`${at}: ${JSON.stringify(c)}\n`);
      out.push(
        { name: `${at}.bytes_per_person`, value: Math.round(c.bytesPerPerson), unit: mode === 'embedded' ? 'bytes of heap per person' : 'bytes of Redis used_memory per person' },
        { name: `${at}.storm_ms_per_10k`, value: Math.round((c.settleMs / c.transitions) * 10_000), unit: `ms per 10 000 transitions (${c.transitions} at one instant, settled in ${Math.round(c.settleMs)} ms)` },
        { name: `${at}.rss_mb`, value: Math.round(c.rssMb), unit: 'MB (hub process)' },
      );
    }
  }
  return out;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv[2] === 'one') {
    const c = await one(process.argv[3] === 'redis' ? 'redis' : 'embedded', Number(process.argv[4]));
    console.log(JSON.stringify(c));
  } else for (const f of await run()) console.log(`${f.name} = ${f.value} ${f.unit}`);
  process.exit(0);
}
