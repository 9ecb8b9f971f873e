/**
 * The Redis-mode storm of bench/pipeline.ts (storm.settle_ms and its CPU figures) alone, for
 * profiling and for comparing code in turn without the rest of the module:
 *   npx tsx bench/lib/storm-alone.ts [people] [transitions] [runs]
 *   STORM_PROF=/tmp/storm.cpuprofile npx tsx bench/lib/storm-alone.ts
 * The latter profiles the storm alone (node:inspector, from the instant S until the last change
 * arrived, not the loading before it); `npx tsx bench/lib/cpuprofile-summary.ts /tmp/storm.cpuprofile`
 * summarises it by self and inclusive time per function; STORM_REDIS_STATS=1 prints Redis's time
 * per command over the storm. Defaults: 100 000
 * people, 60 000 transitions, one run; each run on a fresh private redis-server. Prints per run the
 * settle time and the CPU of this process and of redis-server per transition, from the instant S
 * until the last change reached the bus (/proc clock ticks, as bench/pipeline.ts measures them).
 * Not a bench module (bench/run.ts runs only bench/*.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { Redis } from 'ioredis';
import { redisPipeline } from '../../core/pipeline/redis/index.ts';
import { silentLogger } from '../../core/util/logger.ts';
import { startRedis } from '../../test/support/peers/redis.ts';
import { storm } from './storm.ts';

function cpuMs(pid: number | 'self'): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

const people = Number(process.argv[2] ?? 100_000);
const transitions = Number(process.argv[3] ?? 60_000);
const runs = Number(process.argv[4] ?? 1);
const profile = process.env.STORM_PROF;
// STORM_REDIS_STATS=1 prints Redis's time per command over the storm (INFO commandstats).
const redisStats = process.env.STORM_REDIS_STATS === '1';
// STORM_BALLAST=n keeps n benchmark signals alive through the storm (as bench/pipeline.ts's earlier
// modules may), to see what a larger heap costs the storm's garbage collection.
const ballast = process.env.STORM_BALLAST !== undefined ? (await import('../pipeline.ts')).load(Number(process.env.STORM_BALLAST), 20_000, 10) : [];
const session = profile !== undefined ? new Session() : undefined;
if (session !== undefined) {
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
}

for (let run = 0; run < runs; run++) {
  const redis = await startRedis();
  try {
    const admin = new Redis(redis.url);
    const redisPid = Number(/process_id:(\d+)/.exec(await admin.info('server'))?.[1]);
    const p = await redisPipeline({ url: redis.url, prefix: 'bench-storm', log: silentLogger(), boundaries: { pollMs: 100 } });
    let cpu0 = { node: 0, redis: 0 };
    const { settleMs } = await storm(p, {
      people,
      transitions,
      onInstant: () => {
        cpu0 = { node: cpuMs('self'), redis: cpuMs(redisPid) };
        if (redisStats) void admin.config('RESETSTAT');
        void session?.post('Profiler.start');
      },
    });
    const nodeUs = ((cpuMs('self') - cpu0.node) * 1000) / transitions;
    const redisUs = ((cpuMs(redisPid) - cpu0.redis) * 1000) / transitions;
    if (redisStats) {
      // Where Redis spent the storm, by command (a script's own commands are counted under their names too).
      const stats = [...(await admin.info('commandstats')).matchAll(/cmdstat_(\w+):calls=(\d+),usec=(\d+)/g)].map((m) => ({ cmd: m[1]!, calls: Number(m[2]), usec: Number(m[3]) }));
      for (const x of stats.sort((a, b) => b.usec - a.usec).slice(0, 12)) console.log(`  ${x.cmd.padEnd(18)} calls=${x.calls} us_per_transition=${(x.usec / transitions).toFixed(2)}`);
    }
    if (session !== undefined && run === runs - 1) {
      const { profile: prof } = await session.post('Profiler.stop');
      writeFileSync(profile!, JSON.stringify(prof));
    }
    await p.close();
    await admin.quit();
    console.log(`${ballast.length > 0 ? `ballast=${ballast.length} ` : ''}storm people=${people} transitions=${transitions} settle_ms=${Math.round(settleMs)} node_us=${nodeUs.toFixed(1)} redis_us=${redisUs.toFixed(1)}`);
  } finally {
    await redis.stop();
  }
}
process.exit(0);
