import { afterEach, describe, expect, it } from 'vitest';
import { redisPipeline } from '../../core/pipeline/redis/index.ts';
import { systemClock } from '../../core/util/clock.ts';
import { silentLogger } from '../../core/util/logger.ts';
import { freshPrefix, redisUrl } from '../support/redis-url.ts';
import { auth, TEAM_ENV, teamConfig, testHub, type TestHub } from '../support/hub.ts';
import { until } from '../support/wait.ts';

/**
 * Issue 13, finding 10: registers per person are capped (limits.registersPerPerson, default 64).
 * A signal that would add one more is refused with an error naming the person, reported on the
 * directory report; signals for existing registers keep flowing. Embedded and Redis mode.
 */
const PUB = auth(TEAM_ENV.PUB_KEY);
const ADMIN = auth(TEAM_ENV.ADMIN_KEY);
const sig = (endpoint: string, availability = 'busy') => ({ person: 'alice', source: 'softphone', endpoint, category: 'device', availability });
let open: TestHub[] = [];
afterEach(async () => {
  for (const t of open) await t.close();
  open = [];
});

for (const mode of ['embedded', 'redis'] as const) {
  describe(`${mode} mode`, () => {
    async function hub(limits?: { registersPerPerson: number }): Promise<TestHub> {
      const pipeline = mode === 'redis' ? await redisPipeline({ url: redisUrl(), prefix: freshPrefix('cap'), log: silentLogger(), nodeId: 'n1' }) : undefined;
      const t = await testHub({ config: teamConfig({ server: { rateLimit: 0 }, ...(limits !== undefined ? { limits } : {}) }), env: TEAM_ENV, clock: systemClock, ...(pipeline !== undefined ? { pipeline } : {}) });
      open.push(t);
      return t;
    }
    const registers = async (t: TestHub): Promise<number> => (await t.app.inject({ url: '/v1/presence/alice/explain', headers: ADMIN })).json().registers.length;

    it('refuses a batch that would give one person more than 64 registers, whole, naming the person', async () => {
      const t = await hub();
      const res = await t.app.inject({ method: 'POST', url: '/v1/signals', headers: PUB, payload: Array.from({ length: 100 }, (_, i) => sig(`call-${i}`)) });
      expect(res.statusCode).toBe(422);
      expect(res.json()).toMatchObject({ code: 'HUB_ERR_TOO_MANY_REGISTERS' });
      expect(res.json().detail).toBe('[64].endpoint: person alice already has 64 registers (limits.registersPerPerson); a new source, endpoint or category is refused');
      await t.settle();
      expect(await registers(t)).toBe(0);
    });

    it('accepts up to the cap, refuses the next new register, keeps updating existing ones, and reports it', async () => {
      const t = await hub();
      expect((await t.app.inject({ method: 'POST', url: '/v1/signals', headers: PUB, payload: Array.from({ length: 64 }, (_, i) => sig(`call-${i}`)) })).statusCode).toBe(202);
      await t.settle();
      await until('64 registers', async () => (await registers(t)) === 64);
      const more = await t.app.inject({ method: 'POST', url: '/v1/signals', headers: PUB, payload: sig('call-64') });
      expect(more.statusCode).toBe(422);
      expect(more.json().detail).toBe('endpoint: person alice already has 64 registers (limits.registersPerPerson); a new source, endpoint or category is refused');
      // An existing register still takes news, and another person is not affected.
      expect((await t.app.inject({ method: 'POST', url: '/v1/signals', headers: PUB, payload: sig('call-3', 'available') })).statusCode).toBe(202);
      expect((await t.app.inject({ method: 'POST', url: '/v1/signals', headers: PUB, payload: { ...sig('call-64'), person: 'bob' } })).statusCode).toBe(202);
      await t.settle();
      await new Promise((r) => setTimeout(r, 100));
      expect(await registers(t)).toBe(64);
      const report = (await t.app.inject({ url: '/v1/directory/report', headers: ADMIN })).json();
      expect(report.unknown).toContainEqual(expect.objectContaining({ source: 'softphone', subject: 'person alice', reason: 'more than 64 registers: signals for a new source, endpoint or category refused' }));
      // The explanation stays small.
      expect((await t.app.inject({ url: '/v1/presence/alice/explain', headers: ADMIN })).body.length).toBeLessThan(40_000);
    });

    it('takes its cap from limits.registersPerPerson', async () => {
      const t = await hub({ registersPerPerson: 2 });
      expect((await t.app.inject({ method: 'POST', url: '/v1/signals', headers: PUB, payload: [sig('a'), sig('b')] })).statusCode).toBe(202);
      await t.settle();
      await until('2 registers', async () => (await registers(t)) === 2);
      const res = await t.app.inject({ method: 'POST', url: '/v1/signals', headers: PUB, payload: [sig('a'), sig('c')] });
      expect(res.statusCode).toBe(422);
      expect(res.json().detail).toMatch(/^\[1\]\.endpoint: person alice already has 2 registers/);
    });
  });
}
