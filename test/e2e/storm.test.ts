/**
 * The boundary storm at small scale (bench/lib/storm.ts measures it at 60 000): many people's
 * meetings start at the same instant, with watchers on SSE streams. Through the real hub, its API
 * and both pipelines (Redis with small claims, so that several rounds are claimed and recomputed
 * at once): every person ends right, and every watcher gets each change it may see exactly once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { embeddedPipeline } from '../../core/pipeline/embedded/index.ts';
import type { Pipeline } from '../../core/pipeline/ports.ts';
import { redisPipeline } from '../../core/pipeline/redis/index.ts';
import { systemClock } from '../../core/util/clock.ts';
import { silentLogger } from '../../core/util/logger.ts';
import { auth, TEAM_ENV, teamConfig, testHub, type TestHub } from '../support/hub.ts';
import { freshPrefix, redisUrl } from '../support/redis-url.ts';
import { sseClient } from '../support/sse.ts';

const MEETINGS = 240;
const OTHERS = 60;
const storm = [...Array.from({ length: MEETINGS }, (_, i) => `m${i}`), ...Array.from({ length: OTHERS }, (_, i) => `o${i}`)];

let t: TestHub | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

type Client = Awaited<ReturnType<typeof sseClient>>;

/** Every `presence` event of a stream until `count` have come (or the timeout). */
async function collect(s: Client, count: number, timeoutMs: number): Promise<any[]> {
  const out: any[] = [];
  const deadline = Date.now() + timeoutMs;
  while (out.length < count) out.push(await s.next(Math.max(1, deadline - Date.now())));
  return out;
}

describe.each<[string, () => Promise<Pipeline>]>([
  ['embedded', async () => embeddedPipeline({ clock: systemClock, log: silentLogger() })],
  // Claims of 25 with three in flight: the 240 transitions take ten rounds, overlapping.
  ['redis', async () => redisPipeline({ url: redisUrl(), prefix: freshPrefix('storm'), log: silentLogger(), boundaries: { pollMs: 50, claimLimit: 25, inFlight: 3 } })],
])('a boundary storm (%s)', (_mode, pipeline) => {
  it('brings every person to the right state and tells each watcher each change once', async () => {
    const base = teamConfig();
    // Half of the storm in Bob's team (he sees activities), half in another (he sees classes).
    const people = [...base.people!, ...storm.map((id, i) => ({ id, name: `Storm ${id}`, teams: [i % 2 === 0 ? 'support' : 'ops'] }))];
    t = await testHub({ config: { ...base, people }, env: TEAM_ENV, clock: systemClock, pipeline: await pipeline() });
    const url = await t.app.listen({ host: '127.0.0.1', port: 0 });
    const watched = `${url}/v1/stream?people=${storm.join(',')}`;
    const watchers = {
      admin: await sseClient(watched, auth(TEAM_ENV.ADMIN_KEY)),
      bob: await sseClient(watched, auth(TEAM_ENV.BOB_KEY)),
      public: await sseClient(watched, auth(TEAM_ENV.PUBLIC_KEY)),
    };
    try {
      // The current views first: everyone offline, version 0.
      for (const s of Object.values(watchers)) {
        const first = await collect(s, storm.length, 10_000);
        expect(new Set(first.map((v) => v.person)).size).toBe(storm.length);
        expect(first.every((v) => v.class === 'offline' && v.version === 0)).toBe(true);
      }
      const start = Date.now() + 2000;
      const signals = storm.map((person) =>
        person.startsWith('m')
          ? { person, source: 'exchange', endpoint: 'calendar', category: 'calendar', availability: 'busy', activity: 'in-a-meeting', from: new Date(start).toISOString(), until: new Date(start + 600_000).toISOString() }
          : { person, source: 'teams', endpoint: 'client', category: 'user', availability: 'available' },
      );
      // Real ingest, in batches as a collector sends them.
      for (let i = 0; i < signals.length; i += 50) await t.hub.ingest.submit(signals.slice(i, i + 50));
      expect(Date.now(), 'the signals were accepted before the meetings start').toBeLessThan(start);

      // Each watcher: one event per person (available for the others, busy for the meetings), no more.
      for (const [name, s] of Object.entries(watchers)) {
        const events = await collect(s, storm.length, 20_000);
        const byPerson = new Map<string, any[]>();
        for (const e of events) byPerson.set(e.person, [...(byPerson.get(e.person) ?? []), e]);
        expect(byPerson.size, `${name} heard of every person`).toBe(storm.length);
        for (const [person, evs] of byPerson) {
          expect(evs, `${name}: one event for ${person}`).toHaveLength(1);
          const v = evs[0]!;
          expect(v.version, `${name}: ${person}'s view moved by one`).toBe(1);
          if (person.startsWith('o')) expect(v.class).toBe('available');
          else {
            expect(v.class).toBe('busy');
            expect(Date.parse(v.since)).toBeGreaterThanOrEqual(start - 1);
            const seesActivity = name === 'admin' || (name === 'bob' && storm.indexOf(person) % 2 === 0);
            expect(v.activity.token, `${name} sees ${person}'s activity as allowed`).toBe(seesActivity ? 'in-a-meeting' : 'busy');
          }
        }
        // Nothing follows: no change is told twice.
        await expect(s.next(300)).rejects.toThrow(/timed out/);
      }

      // The stored state agrees: meetings busy from the instant, the others available.
      const stored = await t.hub.presence(storm);
      for (const p of stored) {
        if (p.person.startsWith('m')) expect(p, p.person).toMatchObject({ class: 'busy', version: 1, activity: { token: 'in-a-meeting' } });
        else expect(p, p.person).toMatchObject({ class: 'available', version: 1 });
      }
    } finally {
      for (const s of Object.values(watchers)) s.close();
    }
  }, 60_000);
});
