import type { Redis } from 'ioredis';
import type { ConnectorStore } from '../../connector/contract.ts';
import type { Keys } from './keys.ts';
import { execOrThrow } from './store.ts';

/** Fields per command: long enough to amortize the round trip, short enough not to stall Redis. */
const CHUNK = 500;

/**
 * Connector state of Redis mode (ConnectorContext.state): one hash per connector id under the
 * hub's prefix, shared by every node, so a connector that moves to another node (lease) finds
 * what it knew. A batch goes out as one pipeline of chunked HMGET/HSET/HDEL.
 */
export function redisConnectorStore(deps: { redis: Redis; keys: Keys }, connectorId: string): ConnectorStore {
  const key = deps.keys.connectorState(connectorId);
  const chunks = <T>(xs: readonly T[]): T[][] => {
    const out: T[][] = [];
    for (let i = 0; i < xs.length; i += CHUNK) out.push(xs.slice(i, i + CHUNK));
    return out;
  };
  return {
    async get(keys) {
      const out = new Map<string, string>();
      if (keys.length === 0) return out;
      const pipe = deps.redis.pipeline();
      for (const c of chunks(keys)) pipe.hmget(key, ...c);
      const values = ((await execOrThrow(pipe)) as (string | null)[][]).flat();
      keys.forEach((k, i) => {
        const v = values[i];
        if (v != null) out.set(k, v);
      });
      return out;
    },
    async set(entries) {
      if (entries.length === 0) return;
      const pipe = deps.redis.pipeline();
      for (const c of chunks(entries)) pipe.hset(key, ...c.flat());
      await execOrThrow(pipe);
    },
    async delete(keys) {
      if (keys.length === 0) return;
      const pipe = deps.redis.pipeline();
      for (const c of chunks(keys)) pipe.hdel(key, ...c);
      await execOrThrow(pipe);
    },
    async setIfAbsent(field, value) {
      // One pipeline: the HGET runs right after the HSETNX, and a field once set stays, so it answers the winner's value.
      const replies = (await execOrThrow(deps.redis.pipeline().hsetnx(key, field, value).hget(key, field))) as [number, string | null];
      return replies[1] ?? value;
    },
    async entries(prefix) {
      // HSCAN with MATCH: never one reply holding a whole large hash.
      const out = new Map<string, string>();
      const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
      let cursor = '0';
      do {
        const [next, flat] = await deps.redis.hscan(key, cursor, 'MATCH', pattern, 'COUNT', CHUNK);
        for (let i = 0; i + 1 < flat.length; i += 2) out.set(flat[i]!, flat[i + 1]!);
        cursor = next;
      } while (cursor !== '0');
      return out;
    },
  };
}
