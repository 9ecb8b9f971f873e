import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dashboard } from '../../api/dashboard/plugin.ts';
import { SESSION_COOKIE } from '../../api/session.ts';
import { redisPipeline } from '../../core/pipeline/redis/index.ts';
import { systemClock } from '../../core/util/clock.ts';
import { silentLogger } from '../../core/util/logger.ts';
import { freshPrefix, redisUrl } from '../support/redis-url.ts';
import { TEAM_ENV, teamConfig, testHub, type TestHub } from '../support/hub.ts';
import { until } from '../support/wait.ts';

/**
 * Issue 13, finding 7 (shared with the HA issue, which made revocations shared state): a signed-out
 * dashboard session stays signed out on every node and after a restart, through the public API.
 * A stolen cookie is worthless once its owner signs out.
 */
let open: TestHub[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const t of open) await t.close().catch(() => undefined);
  open = [];
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function node(opts: { prefix?: string; dataDir?: string; nodeId: string }): Promise<TestHub> {
  const pipeline = opts.prefix !== undefined ? await redisPipeline({ url: redisUrl(), prefix: opts.prefix, log: silentLogger(), nodeId: opts.nodeId }) : undefined;
  const t = await testHub({
    config: teamConfig({ server: { rateLimit: 0 }, ...(opts.dataDir !== undefined ? { dataDir: opts.dataDir } : {}) }),
    env: TEAM_ENV,
    clock: systemClock,
    nodeId: opts.nodeId,
    plugins: (ctx) => [dashboard(ctx)],
    ...(pipeline !== undefined ? { pipeline, lease: pipeline.lease } : {}),
  });
  open.push(t);
  return t;
}
const signIn = async (t: TestHub): Promise<string> => (await t.app.inject({ method: 'POST', url: '/v1/session', payload: { key: TEAM_ENV.BOB_KEY } })).cookies.find((c) => c.name === SESSION_COOKIE)!.value;
const status = async (t: TestHub, cookie: string): Promise<number> => (await t.app.inject({ url: '/v1/presence/alice', cookies: { [SESSION_COOKIE]: cookie } })).statusCode;
const signOut = async (t: TestHub, cookie: string) => expect((await t.app.inject({ method: 'DELETE', url: '/v1/session', cookies: { [SESSION_COOKIE]: cookie } })).statusCode).toBe(204);
describe('finding 7: logout is durable and shared', () => {
  it('Redis mode: signed out on node A, refused on node B and on a node started afterwards', async () => {
    const prefix = freshPrefix('logout');
    const a = await node({ prefix, nodeId: 'a' });
    const b = await node({ prefix, nodeId: 'b' });
    const cookie = await signIn(a);
    const other = await signIn(a);
    expect(await status(b, cookie)).toBe(200);
    await signOut(a, cookie);
    await until('node B to refuse the cookie', async () => (await status(b, cookie)) === 401);
    const c = await node({ prefix, nodeId: 'c' });
    expect(await status(c, cookie)).toBe(401);
    // Only that session ended.
    expect(await status(c, other)).toBe(200);
  }, 20_000);

  it('embedded mode with dataDir: a sign-out survives a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ph-logout-'));
    dirs.push(dataDir);
    const first = await node({ dataDir, nodeId: 'one' });
    const cookie = await signIn(first);
    expect(await status(first, cookie)).toBe(200);
    await signOut(first, cookie);
    expect(await status(first, cookie)).toBe(401);
    await first.close();
    open = open.filter((t) => t !== first);
    const second = await node({ dataDir, nodeId: 'two' });
    expect(await status(second, cookie)).toBe(401);
  });
});
