import type { Redis } from 'ioredis';
import type { TimelineStore } from '../ports.ts';

/**
 * Timelines in Redis: a capped list per person (LPUSH then LTRIM), expiring after a week without
 * news, written in one script call per batch. Every node reads the same history.
 */
export function redisTimelineStore(deps: { redis: Redis; key: (person: string) => string }, opts: { perPerson?: number; ttlSeconds?: number } = {}): TimelineStore {
  const cap = opts.perPerson ?? 50;
  const ttl = opts.ttlSeconds ?? 7 * 86_400;
  return {
    async append(entries) {
      if (entries.length === 0) return;
      // One script call for the batch with four arguments (scripts.ts TIMELINE_APPEND): per person its entries in order.
      const byPerson = new Map<string, string[]>();
      for (const { person, entry } of entries) {
        const list = byPerson.get(person);
        if (list === undefined) byPerson.set(person, [entry]);
        else list.push(entry);
      }
      const keys: string[] = [];
      const counts: number[] = [];
      const lines: string[] = [];
      for (const [person, list] of byPerson) {
        keys.push(deps.key(person));
        counts.push(list.length);
        for (const entry of list) {
          if (entry.includes('\n')) throw new Error(`timeline entry of ${person}: a newline inside (entries are one line of JSON text)`);
          lines.push(entry);
        }
      }
      lines.push('');
      const args = [cap, ttl, counts.join(','), lines.join('\n')];
      await deps.redis.phTimeline(keys.length, keys, args);
    },
    async read(person) {
      return deps.redis.lrange(deps.key(person), 0, cap - 1);
    },
  };
}
