/**
 * The signals of a BullMQ job across versions of the hub: jobs are written with one positional
 * array per signal (codec.ts signalTuple); a job queued by an earlier version holds the signal
 * objects (`{ s: [...] }`) and is still handed to the handler as it was, after an upgrade, and
 * counted in the dead letters.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { Signal } from '../../model/signal.ts';
import { silentLogger } from '../../util/logger.ts';
import { freshPrefix, redisUrl } from '../../../test/support/redis-url.ts';
import { until } from '../../../test/support/wait.ts';
import { redisPipeline, type RedisPipeline } from './index.ts';
import { keys } from './keys.ts';

const signals: Signal[] = [
  Object.freeze({ person: 'ann', source: 'teams', endpoint: 'client', category: 'user', expireType: 'user', receivedAt: 1_700_000_000_000, availability: 6500, activity: Object.freeze({ token: 'in-a-call', text: 'In a "call"' }), sourceVersion: 2 }),
  Object.freeze({ person: 'bob', source: 'desk', endpoint: 'pc', category: 'machine', expireType: 'device', machineState: 'active', sourceTime: 1_700_000_000_500, id: 'k1' }),
  Object.freeze({ person: 'cy', source: 'cal', endpoint: 'm', category: 'calendar', expireType: 'time', availability: 6500, from: 1, until: 2 }),
];

describe('Redis queue: the signals of a job', () => {
  const open: { p: RedisPipeline; extra: { close(): Promise<unknown> }[] }[] = [];
  afterEach(async () => {
    for (const o of open.splice(0)) {
      await o.p.close();
      for (const e of o.extra) await e.close();
    }
  });

  async function pipelineWith(prefix: string, handler: (batch: readonly Signal[]) => Promise<void>) {
    const p = await redisPipeline({ url: redisUrl(), prefix, log: silentLogger(), retryDelayMs: 50, maxUnknownAttempts: 1 });
    p.queue.process(handler);
    open.push({ p, extra: [] });
    return p;
  }

  it('hands the handler the signals enqueued, field for field', async () => {
    const got: Signal[] = [];
    const p = await pipelineWith(freshPrefix('queue'), async (b) => void got.push(...b));
    await p.queue.enqueue(signals);
    await until(() => got.length === signals.length);
    expect(got).toStrictEqual(signals.map((s) => ({ ...s })));
  });

  it('reads a job of the earlier form (the signal objects), and counts its signals when dead-lettered', async () => {
    const prefix = freshPrefix('queue-old');
    const got: (readonly Signal[])[] = [];
    const p = await pipelineWith(prefix, async (b) => {
      got.push(b);
      if (b[0]?.person === 'fail') throw new Error('refused');
    });
    // What a node of the earlier version queued: BullMQ job data { s: [signal objects] }.
    const connection = new Redis(redisUrl(), { maxRetriesPerRequest: null });
    const old = new Queue('signals', { connection, prefix: keys(prefix).bullPrefix });
    open.at(-1)!.extra.push(old, { close: () => connection.quit() });
    const opts = { attempts: 1_000_000, backoff: { type: 'custom' }, removeOnComplete: true, removeOnFail: false };
    await old.add('batch', { s: signals }, opts);
    await until(() => got.length === 1);
    expect(got[0]).toStrictEqual(signals.map((s) => ({ ...s })));
    await old.add('batch', { s: [{ ...signals[0]!, person: 'fail' }, signals[1]] }, opts);
    await until(async () => (await p.queue.deadLetters()).length === 1);
    expect((await p.queue.deadLetters())[0]?.signals).toBe(2);
  });
});
