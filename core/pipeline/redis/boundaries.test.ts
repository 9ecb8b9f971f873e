/**
 * Claimed rounds of time boundaries (scripts.ts CLAIM, boundaries.ts): a round is one list and
 * one entry of the rounds, gone once released; a round its node never releases (the node died)
 * is handled by another node after the claim lease, whole; per-person claims left by an earlier
 * version are handled after their deadline too; nothing is handed out twice while claimed.
 */
import { Redis } from 'ioredis';
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../util/logger.ts';
import { freshPrefix, redisUrl } from '../../../test/support/redis-url.ts';
import { redisPipeline, type RedisPipeline } from './index.ts';

let raw: Redis;
const open: RedisPipeline[] = [];
beforeAll(() => {
  raw = new Redis(redisUrl());
});
afterAll(() => raw.disconnect());
afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()));
});

async function node(prefix: string, id: string, claimLeaseMs = 30_000, inFlight = 3): Promise<RedisPipeline> {
  const p = await redisPipeline({ url: redisUrl(), prefix, log: silentLogger(), nodeId: id, boundaries: { pollMs: 50, claimLimit: 40, claimLeaseMs, inFlight } });
  open.push(p);
  return p;
}

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const people = (n: number, tag = 'p'): string[] => Array.from({ length: n }, (_, i) => `${tag}${i}`);

describe('claimed rounds of boundaries', () => {
  it('hands each due person out once, in rounds of the claim limit, and leaves nothing claimed once released', async () => {
    const prefix = freshPrefix('rounds');
    const a = await node(prefix, 'a');
    const seen: string[] = [];
    const rounds: number[] = [];
    const recorded: string[][] = [];
    a.boundaries.start(async (due) => {
      rounds.push(due.length);
      seen.push(...due);
      // While it is handled, the round is one list of its people, named in the rounds.
      if (recorded.length === 0) for (const key of await raw.zrange(`${prefix}:bnd:rounds`, 0, -1)) recorded.push(await raw.lrange(key, 0, -1));
    });
    const all = people(100);
    await a.boundaries.schedule(all.map((person) => ({ person, at: Date.now() - 1 })));
    await until(() => seen.length >= 100, 'all 100 handed out');
    await until(async () => (await raw.zcard(`${prefix}:bnd:rounds`)) === 0, 'the rounds released');
    expect([...seen].sort()).toEqual([...all].sort());
    expect(Math.max(...rounds)).toBeLessThanOrEqual(40);
    expect(recorded.flat().length).toBeGreaterThan(0);
    expect(recorded.every((r) => r.length <= 40 && r.every((x) => all.includes(x)))).toBe(true);
    // No per-person claim is written any more.
    expect(await raw.exists(`${prefix}:bnd:claimed`)).toBe(0);
    expect(await raw.keys(`${prefix}:bnd:round:*`)).toEqual([]);
    expect(await raw.zcard(`${prefix}:bnd`)).toBe(0);
  });

  it('a round its node never releases is handled whole by another node after the claim lease', async () => {
    const prefix = freshPrefix('rounds-dead');
    // Node A claims and hangs in its handler with no other round in flight, so that it polls no
    // more: a node that died mid-round, as far as Redis can tell.
    const a = await node(prefix, 'a', 400, 1);
    const claimedByA: string[] = [];
    let wake: () => void = () => undefined;
    const stuck = new Promise<void>((r) => (wake = r));
    a.boundaries.start(async (due) => {
      claimedByA.push(...due);
      await stuck;
    });
    const all = people(30, 'd');
    await a.boundaries.schedule(all.map((person) => ({ person, at: Date.now() - 1 })));
    await until(() => claimedByA.length === 30, 'A claiming them');
    expect(await raw.zcard(`${prefix}:bnd:rounds`)).toBe(1);
    const b = await node(prefix, 'b', 400);
    const seenByB: string[] = [];
    b.boundaries.start(async (due) => {
      seenByB.push(...due);
    });
    await until(() => seenByB.length >= 30, 'B taking the round over');
    expect([...seenByB].sort()).toEqual([...all].sort());
    await until(async () => (await raw.zcard(`${prefix}:bnd:rounds`)) === 0, 'the round released by B');
    expect(await raw.keys(`${prefix}:bnd:round:*`)).toEqual([]);
    // A coming back late releases a round that is no longer there: nothing else is touched.
    await b.boundaries.schedule([{ person: 'later', at: Date.now() + 3_600_000 }]);
    wake();
    await a.close();
    expect(await raw.zrange(`${prefix}:bnd`, 0, -1)).toEqual(['later']);
    expect(claimedByA).toHaveLength(30);
  });

  it('per-person claims of an earlier version are handled after their deadline', async () => {
    const prefix = freshPrefix('rounds-old');
    // What an earlier version left: claimed people with a deadline, one past and one to come.
    await raw.zadd(`${prefix}:bnd:claimed`, Date.now() - 10, 'old-past', Date.now() + 3_600_000, 'old-future');
    const b = await node(prefix, 'b');
    const seen: string[] = [];
    b.boundaries.start(async (due) => {
      seen.push(...due);
    });
    await until(() => seen.includes('old-past'), 'the expired old claim');
    expect(seen).toEqual(['old-past']);
    expect(await raw.zrange(`${prefix}:bnd:claimed`, 0, -1)).toEqual(['old-future']);
  });

  it('a failing round stays claimed and comes back after the lease', async () => {
    const prefix = freshPrefix('rounds-fail');
    const a = await node(prefix, 'a', 300);
    let calls = 0;
    const seen: string[] = [];
    a.boundaries.start(async (due) => {
      calls++;
      if (calls === 1) throw new Error('manager failed');
      seen.push(...due);
    });
    await a.boundaries.schedule([{ person: 'f1', at: Date.now() - 1 }]);
    await until(() => seen.includes('f1'), 'f1 again after the failed round');
    expect(calls).toBe(2);
  });
});
