/**
 * A person retired from the directory and added again (issue "High availability", item 4): the
 * store forgets them and so does every node's bus and presence cache, so the versions that start
 * again at 1 reach the watchers of every node.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { redisPipeline } from '../../core/pipeline/redis/index.ts';
import { systemClock } from '../../core/util/clock.ts';
import { silentLogger } from '../../core/util/logger.ts';
import { until } from '../support/wait.ts';
import { auth, TEAM_ENV, teamConfig, testHub } from '../support/hub.ts';
import { freshPrefix, redisUrl } from '../support/redis-url.ts';
import { sseClient } from '../support/sse.ts';

const ADMIN = auth(TEAM_ENV.ADMIN_KEY);

describe('a person retired and re-added', () => {
  it('is seen again, live, on every node', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ph-retire-'));
    const file = join(dir, 'people.csv');
    const withZoe = 'id,name,identities,teams\nzoe,Zoe Example,sip:zoe@corp.example,support\n';
    writeFileSync(file, withZoe);
    const prefix = freshPrefix('retire');
    const make = async (nodeId: string) => {
      const pipeline = await redisPipeline({ url: redisUrl(), prefix, log: silentLogger(), nodeId });
      const t = await testHub({
        config: teamConfig({ connectors: [{ id: 'people', kind: 'file-directory', path: file, debounce: '50ms' }] }),
        env: TEAM_ENV,
        clock: systemClock,
        pipeline,
        lease: pipeline.lease,
        nodeId,
      });
      return Object.assign(t, { base: await t.app.listen({ host: '127.0.0.1', port: 0 }) });
    };
    const a = await make('retire-a');
    const b = await make('retire-b');
    try {
      await until(() => a.hub.directory.has('zoe') && b.hub.directory.has('zoe'), 'zoe on both nodes', 8000);
      const post = (availability: string) => a.app.inject({ method: 'POST', url: '/v1/signals', headers: ADMIN, payload: { person: 'zoe', source: 'api', category: 'user', availability } });
      for (const av of ['busy', 'dnd', 'busy']) {
        await post(av);
        await until(async () => (await b.hub.presence(['zoe']))[0]!.class === av, `zoe ${av}`, 5000);
      }
      expect((await b.hub.presence(['zoe']))[0]!.version).toBeGreaterThanOrEqual(3);
      // Retired on both nodes, then added again.
      writeFileSync(file, 'id,name,identities,teams\n');
      await until(() => !a.hub.directory.has('zoe') && !b.hub.directory.has('zoe'), 'zoe retired on both nodes', 8000);
      await until(async () => (await b.hub.presence(['zoe']))[0]!.version === 0, 'zoe forgotten', 5000);
      writeFileSync(file, withZoe);
      await until(() => a.hub.directory.has('zoe') && b.hub.directory.has('zoe'), 'zoe back on both nodes', 8000);
      const s = await sseClient(`${b.base}/v1/stream?people=zoe`, ADMIN);
      try {
        await s.next();
        await post('dnd');
        let ev = await s.next(5000);
        while (ev.class !== 'dnd') ev = await s.next(5000);
        expect(ev.class).toBe('dnd');
        await post('away');
        ev = await s.next(5000);
        while (ev.class !== 'away') ev = await s.next(5000);
        expect(ev.class).toBe('away');
      } finally {
        s.close();
      }
    } finally {
      await a.close();
      await b.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
