import type { Redis } from 'ioredis';
import type { TimelineStore } from '../ports.ts';
import { execOrThrow } from './store.ts';

/**
 * Timelines in Redis: a capped list per person (LPUSH then LTRIM), expiring after a week without
 * news, written in one pipeline per batch. Every node reads the same history.
 */
export function redisTimelineStore(deps: { redis: Redis; key: (person: string) => string }, opts: { perPerson?: number; ttlSeconds?: number } = {}): TimelineStore {
  const cap = opts.perPerson ?? 50;
  const ttl = opts.ttlSeconds ?? 7 * 86_400;
  return {
    async append(entries) {
      if (entries.length === 0) return;
      const pipe = deps.redis.pipeline();
      const touched = new Set<string>();
      for (const { person, entry } of entries) {
        pipe.lpush(deps.key(person), entry);
        touched.add(person);
      }
      for (const person of touched) {
        pipe.ltrim(deps.key(person), 0, cap - 1);
        pipe.expire(deps.key(person), ttl);
      }
      await execOrThrow(pipe);
    },
    async read(person) {
      return deps.redis.lrange(deps.key(person), 0, cap - 1);
    },
  };
}
