/**
 * Poison batches through the public API, on both pipelines: a handler error injected for one
 * batch puts it in the dead letters with its reason (GET /v1/pipeline), later batches flow, and
 * POST /v1/pipeline/dead-letters/{id}/replay applies it.
 */
import { describe, expect, it } from 'vitest';
import { embeddedPipeline } from '../../core/pipeline/embedded/index.ts';
import { redisPipeline } from '../../core/pipeline/redis/index.ts';
import { systemClock } from '../../core/util/clock.ts';
import { silentLogger } from '../../core/util/logger.ts';
import { until } from '../support/wait.ts';
import { auth, TEAM_ENV, teamConfig, testHub } from '../support/hub.ts';
import { freshPrefix, redisUrl } from '../support/redis-url.ts';
import { injecting } from '../support/poisoned-store.ts';

const ADMIN = auth(TEAM_ENV.ADMIN_KEY);

describe.each([
  ['embedded', async () => embeddedPipeline({ clock: systemClock, log: silentLogger() })],
  ['redis', async () => redisPipeline({ url: redisUrl(), prefix: freshPrefix('dead'), log: silentLogger() })],
] as const)('dead letters (%s)', (_mode, make) => {
  it('keeps the poison batch with its reason, lets later batches flow, and replays it', async () => {
    const { pipeline, heal } = injecting(await make());
    const t = await testHub({ config: teamConfig(), env: TEAM_ENV, clock: systemClock, pipeline });
    try {
      const post = (body: unknown) => t.app.inject({ method: 'POST', url: '/v1/signals', headers: ADMIN, payload: body as object });
      const cls = async (person: string) => (t.app.inject({ method: 'GET', url: `/v1/presence/${person}`, headers: ADMIN }).then((r) => (r.json() as { class: string }).class));
      expect((await post({ person: 'dave', source: 'api', category: 'user', availability: 'dnd' })).statusCode).toBe(202);
      const dl = await until(async () => {
        const body = (await t.app.inject({ method: 'GET', url: '/v1/pipeline', headers: ADMIN })).json() as { deadLetterCount: number; deadLetters: { id: string; reason: string; code: string; signals: number }[] };
        return body.deadLetterCount === 1 ? body : undefined;
      }, 'a dead letter');
      expect(dl.deadLetters[0]).toMatchObject({ code: 'HUB_ERR_SIGNAL_INVALID', signals: 1 });
      expect(dl.deadLetters[0]!.reason).toContain('injected handler failure');
      // Later batches flow.
      expect((await post({ person: 'bob', source: 'api', category: 'user', availability: 'busy' })).statusCode).toBe(202);
      await until(async () => (await cls('bob')) === 'busy', 'bob busy');
      expect(await cls('dave')).toBe('offline');
      const metrics = (await t.app.inject({ method: 'GET', url: '/metrics', headers: ADMIN })).body;
      expect(metrics).toMatch(/presence_hub_queue_dead_letters 1/);
      expect((await t.app.inject({ method: 'POST', url: '/v1/pipeline/dead-letters/nope/replay', headers: ADMIN })).statusCode).toBe(404);
      // Watchers may not see or replay dead letters.
      expect((await t.app.inject({ method: 'GET', url: '/v1/pipeline', headers: auth(TEAM_ENV.BOB_KEY) })).statusCode).toBe(403);
      heal();
      const replay = await t.app.inject({ method: 'POST', url: `/v1/pipeline/dead-letters/${encodeURIComponent(dl.deadLetters[0]!.id)}/replay`, headers: ADMIN });
      expect(replay.statusCode).toBe(202);
      await until(async () => (await cls('dave')) === 'dnd', 'the replayed batch applied');
      const after = (await t.app.inject({ method: 'GET', url: '/v1/pipeline', headers: ADMIN })).json() as { deadLetterCount: number; depth: number };
      expect(after.deadLetterCount).toBe(0);
    } finally {
      await t.close();
    }
  }, 30_000);
});
