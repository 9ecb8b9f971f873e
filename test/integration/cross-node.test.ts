/**
 * Two hub nodes on one Redis (issue 3 points 5 and 8): a watcher on node B sees, in version order,
 * the changes caused by signals posted to node A; a time boundary due for many people is handled
 * exactly once across the nodes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PresenceManager } from '../../core/manager/presence-manager.ts';
import type { Presence } from '../../core/model/presence.ts';
import { redisPipeline, type RedisPipeline } from '../../core/pipeline/redis/index.ts';
import { DEFAULT_RULES } from '../../core/rules/rules-config.ts';
import { silentLogger } from '../../core/util/logger.ts';
import { sig } from '../contract/pipeline-contract.ts';
import { until } from '../support/wait.ts';
import { freshPrefix, redisUrl } from '../support/redis-url.ts';

describe('two nodes on one Redis', () => {
  const open: RedisPipeline[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((p) => p.close()));
  });
  const node = async (prefix: string, id: string): Promise<RedisPipeline> => {
    const p = await redisPipeline({ url: redisUrl(), prefix, log: silentLogger(), nodeId: id, boundaries: { pollMs: 100 } });
    open.push(p);
    return p;
  };

  it('a watcher on node B sees the changes of signals posted to node A, in version order', async () => {
    const prefix = freshPrefix('xnode');
    const a = await node(prefix, 'a');
    const b = await node(prefix, 'b');
    // Both nodes work the queue, so the changes of one person are committed by either.
    for (const p of [a, b]) new PresenceManager({ pipeline: p, rules: DEFAULT_RULES, log: silentLogger() }).start();
    const seen: Presence[] = [];
    b.bus.subscribe((p) => seen.push(p));
    for (let v = 1; v <= 30; v++) {
      await a.queue.enqueue([sig({ person: 'alice', sourceVersion: v, availability: v % 2 === 0 ? 6500 : 3500 })]);
    }
    // Every other signal is busy too: wait for the last register, and for B to have seen what the
    // store holds, then once more after a pause (a commit of the last register may still land).
    const settled = async (): Promise<boolean> => {
      const regs = (await b.store.getRegisters(['alice'])).get('alice');
      const stored = (await b.store.getPresence(['alice'])).get('alice');
      return regs?.registers[0]?.sourceVersion === 30 && stored?.class === 'busy' && seen.at(-1)?.version === stored.version;
    };
    await until(settled, 'final state on B');
    await new Promise((r) => setTimeout(r, 500));
    await until(settled, 'final state on B, settled');
    const versions = seen.filter((p) => p.person === 'alice').map((p) => p.version);
    expect(versions.length).toBeGreaterThan(0);
    for (let i = 1; i < versions.length; i++) expect(versions[i]!).toBeGreaterThan(versions[i - 1]!);
    expect(seen.at(-1)).toEqual((await b.store.getPresence(['alice'])).get('alice'));
  });

  it('boundaries due at one instant are handled once across nodes', async () => {
    const prefix = freshPrefix('xbnd');
    const a = await node(prefix, 'a');
    const b = await node(prefix, 'b');
    const fired = new Map<string, number>();
    for (const p of [a, b]) {
      p.boundaries.start(async (people) => {
        for (const x of people) fired.set(x, (fired.get(x) ?? 0) + 1);
      });
    }
    const at = (await a.store.now()) + 300;
    const people = Array.from({ length: 3000 }, (_, i) => `p${i}`);
    await a.boundaries.schedule(people.map((person) => ({ person, at })));
    await until(() => fired.size === people.length, 'all fired', 10_000);
    await new Promise((r) => setTimeout(r, 400));
    expect([...fired.values()].every((n) => n === 1)).toBe(true);
    expect(await a.boundaries.pendingFor('p1')).toBeUndefined();
  });
});
