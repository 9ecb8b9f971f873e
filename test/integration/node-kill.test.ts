/**
 * docs/architecture.md invariant 3 on Redis: a node SIGKILLed right after acknowledging batches loses none of
 * them; another node processes everything that was acknowledged.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { PresenceManager } from '../../core/manager/presence-manager.ts';
import { redisPipeline, type RedisPipeline } from '../../core/pipeline/redis/index.ts';
import { DEFAULT_RULES } from '../../core/rules/rules-config.ts';
import { silentLogger } from '../../core/util/logger.ts';
import { until } from '../support/wait.ts';
import { freshPrefix, redisUrl } from '../support/redis-url.ts';

const PRODUCER = fileURLToPath(new URL('./producer-node.ts', import.meta.url));

describe('SIGKILL of a node after its acknowledgements', () => {
  let worker: RedisPipeline | undefined;
  afterAll(async () => {
    await worker?.close();
  });

  it('loses nothing it acknowledged', async () => {
    const url = redisUrl();
    const prefix = freshPrefix('nodekill');
    const child = spawn(process.execPath, ['--import', 'tsx', PRODUCER], { env: { ...process.env, PH_REDIS_URL: url, PH_PREFIX: prefix }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const acked = (): number => Math.max(0, ...[...out.matchAll(/acked (\d+)/g)].map((m) => Number(m[1])));
    await until(() => acked() >= 30, 'thirty acknowledged batches', 20_000);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const last = acked();

    // Another node, started afterwards, finds every acknowledged batch in Redis.
    worker = await redisPipeline({ url, prefix, log: silentLogger(), nodeId: 'survivor' });
    new PresenceManager({ pipeline: worker, rules: DEFAULT_RULES, log: silentLogger() }).start();
    const people = Array.from({ length: 20 }, (_, i) => `k${i}`);
    await until(async () => (await worker!.queue.depth()) === 0, 'queue drained', 20_000);
    const regs = await worker.store.getRegisters(people);
    for (const p of people) expect(regs.get(p)!.registers[0]!.sourceVersion).toBeGreaterThanOrEqual(last);
    const pres = await worker.store.getPresence(people);
    const expected = regs.get('k0')!.registers[0]!.availability === 6500 ? 'busy' : 'available';
    expect(pres.get('k0')?.class).toBe(expected);
  }, 45_000);
});
