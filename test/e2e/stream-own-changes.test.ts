/**
 * Two hub nodes on one real Redis (test/support/redis-hub.ts): a change committed by a node reaches
 * that node's streams from its change bus at once (core/pipeline/redis/bus.ts delivers its own
 * changes when they are published and skips its own messages coming back from Redis), and a peer's
 * change arrives over Redis. Each stream sees every change once, in version order, whichever node
 * committed it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, TEAM_ENV, teamConfig } from '../support/hub.ts';
import { redisHubNode, type RedisHubNode } from '../support/redis-hub.ts';
import { freshPrefix } from '../support/redis-url.ts';
import { sseClient } from '../support/sse.ts';

type Node = RedisHubNode & { base: string };
let a: Node;
let b: Node;

const node = async (prefix: string, nodeId: string): Promise<Node> => {
  const t = await redisHubNode({ prefix, nodeId, config: teamConfig() });
  return Object.assign(t, { base: await t.app.listen({ host: '127.0.0.1', port: 0 }) });
};

beforeAll(async () => {
  const prefix = freshPrefix('own');
  a = await node(prefix, 'own-a');
  b = await node(prefix, 'own-b');
});
afterAll(async () => {
  await a?.close();
  await b?.close();
});

const post = async (to: Node, availability: string, text: string): Promise<number> =>
  (await fetch(`${to.base}/v1/signals`, {
    method: 'POST',
    headers: { ...auth(TEAM_ENV.PUB_KEY), 'content-type': 'application/json' },
    body: JSON.stringify({ person: 'bob', source: 'api', category: 'user', availability, activity: { token: availability, text } }),
  })).status;

describe("a node's own changes and its peer's, on a real Redis bus", () => {
  it('reach the streams of both nodes once each, in version order', async () => {
    const onA = await sseClient(`${a.base}/v1/stream?people=bob`, auth(TEAM_ENV.ADMIN_KEY));
    const onB = await sseClient(`${b.base}/v1/stream?people=bob`, auth(TEAM_ENV.ADMIN_KEY));
    try {
      const first = await onA.next();
      expect(first.class).toBe('offline');
      expect((await onB.next()).version).toBe(first.version);
      // Alternately through A and B; each node's workers take batches from the one queue, so either
      // node may commit any of them. The next event on each stream is always the newest change: a
      // second copy of an earlier one (its own message back from Redis) would come first.
      const states = ['busy', 'available', 'dnd', 'away', 'busy', 'available'];
      for (const [i, availability] of states.entries()) {
        const text = `change ${i + 1}`;
        expect(await post(i % 2 === 0 ? a : b, availability, text)).toBe(202);
        for (const s of [onA, onB]) {
          const ev = await s.next(10_000);
          expect(ev).toMatchObject({ person: 'bob', activity: { text } });
          expect(ev.version).toBe(first.version + i + 1);
        }
      }
    } finally {
      onA.close();
      onB.close();
    }
  });
});
