/**
 * A change committed by this node reaches this node's streams as soon as it is committed, not
 * after its trip through the change bus (core/hub.ts); the bus's copy, when it comes, is not sent
 * again. The bus here is the real in-process one with its deliveries held back, standing for a
 * Redis round trip that has not come back yet.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Presence } from '../../core/model/presence.ts';
import { embeddedPipeline } from '../../core/pipeline/embedded/index.ts';
import type { ChangeBus } from '../../core/pipeline/ports.ts';
import { systemClock } from '../../core/util/clock.ts';
import { silentLogger } from '../../core/util/logger.ts';
import { auth, TEAM_ENV, teamConfig, testHub, type TestHub } from '../support/hub.ts';
import { sseClient } from '../support/sse.ts';

let t: TestHub;
let base: string;
const held: (readonly Presence[])[] = [];
let real: ChangeBus;

beforeAll(async () => {
  const pipeline = embeddedPipeline({ clock: systemClock, log: silentLogger() });
  real = pipeline.bus;
  const bus: ChangeBus = {
    publish: async (changes) => void held.push(changes),
    subscribe: (l) => real.subscribe(l),
    forget: (people) => real.forget(people),
    onForget: (l) => real.onForget(l),
    close: () => real.close(),
  };
  t = await testHub({ config: teamConfig(), env: TEAM_ENV, clock: systemClock, pipeline: { ...pipeline, bus } });
  base = await t.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => t?.close());

const post = async (payload: object): Promise<number> => (await t.app.inject({ method: 'POST', url: '/v1/signals', headers: auth(TEAM_ENV.PUB_KEY), payload })).statusCode;

describe("this node's own changes", () => {
  it('are streamed before the bus delivers them, and once', async () => {
    const s = await sseClient(`${base}/v1/stream?people=bob`, auth(TEAM_ENV.ADMIN_KEY));
    try {
      expect((await s.next()).class).toBe('offline');
      expect(await post({ person: 'bob', source: 'api', category: 'user', availability: 'busy', activity: { token: 'busy', text: 'first' } })).toBe(202);
      const first = await s.next();
      expect(first).toMatchObject({ person: 'bob', class: 'busy', activity: { text: 'first' } });
      // The bus still holds that change: the stream had it from the commit.
      expect(held.flat().map((p) => p.activity.text)).toContain('first');
      for (const changes of held.splice(0)) await real.publish(changes);
      expect(await post({ person: 'bob', source: 'api', category: 'user', availability: 'available', activity: { token: 'available', text: 'second' } })).toBe(202);
      // The next event is the second change: the bus's copy of the first was not sent again.
      const second = await s.next();
      expect(second).toMatchObject({ class: 'available', activity: { text: 'second' } });
      expect(second.version).toBe(first.version + 1);
    } finally {
      s.close();
    }
  });
});
