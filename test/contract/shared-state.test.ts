/**
 * Everything that decides what a watcher sees or what a connector does is shared by all nodes
 * (issue "High availability", item 3) and, in embedded mode with a `dataDir`, kept across a
 * restart (item 7). The same tests run on both pipelines: Redis, two nodes running at once on one
 * prefix (written on node 1, read on node 2); embedded, one node written, stopped, and a new one
 * started on the same dataDir.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { HubConfigInput } from '../../core/config/schema.ts';
import { embeddedPipeline } from '../../core/pipeline/embedded/index.ts';
import { decodeRecord, encodeRecord, recordKey, saveRecords, stateKey } from '../../core/publish/record.ts';
import { redisPipeline } from '../../core/pipeline/redis/index.ts';
import { systemClock } from '../../core/util/clock.ts';
import { silentLogger } from '../../core/util/logger.ts';
import { SESSION_COOKIE } from '../../api/session.ts';
import { dashboard } from '../../api/dashboard/plugin.ts';
import { auth, TEAM_ENV, teamConfig, testHub, type TestHub } from '../support/hub.ts';
import { capturingLogger } from '../support/log-capture.ts';
import { freshPrefix, redisUrl } from '../support/redis-url.ts';
import { until } from '../support/wait.ts';

const ADMIN = auth(TEAM_ENV.ADMIN_KEY);
/** The dashboard's routes too: sign-in and the connector switches live there. */
const plugins = (ctx: Parameters<typeof dashboard>[0]) => [dashboard(ctx, { dist: '/nonexistent' })];

interface Cluster {
  /** Node 1, where the change is made. */
  first(config?: Partial<HubConfigInput>): Promise<TestHub>;
  /** Node 2 (Redis: running beside node 1; embedded: node 1 is stopped first, then a new process-alike starts). */
  second(config?: Partial<HubConfigInput>): Promise<TestHub>;
  close(): Promise<void>;
}

function redisCluster(): Cluster {
  const prefix = freshPrefix('shared');
  const nodes: TestHub[] = [];
  const make = async (nodeId: string, config: Partial<HubConfigInput> = {}) => {
    const pipeline = await redisPipeline({ url: redisUrl(), prefix, log: silentLogger(), nodeId });
    const t = await testHub({ config: teamConfig(config), env: TEAM_ENV, clock: systemClock, pipeline, lease: pipeline.lease, nodeId, plugins });
    nodes.push(t);
    return t;
  };
  return {
    first: (c) => make('node-1', c),
    second: (c) => make('node-2', c),
    async close() {
      for (const n of nodes) await n.close();
    },
  };
}

function embeddedCluster(): Cluster {
  const dataDir = mkdtempSync(join(tmpdir(), 'ph-data-'));
  let current: TestHub | undefined;
  const make = async (config: Partial<HubConfigInput> = {}) => {
    await current?.close();
    const pipeline = embeddedPipeline({ clock: systemClock, log: silentLogger(), dataDir });
    current = await testHub({ config: teamConfig({ ...config, dataDir }), env: TEAM_ENV, clock: systemClock, pipeline, plugins });
    return current;
  };
  return {
    first: make,
    second: make,
    async close() {
      await current?.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

describe.each([
  ['redis (two nodes at once)', redisCluster],
  ['embedded (a restart on the same dataDir)', embeddedCluster],
] as const)('shared state: %s', (_name, makeCluster) => {
  let cluster: Cluster;
  afterEach(async () => {
    await cluster.close();
  });

  it('a watcher blocked through node 1 is blocked on node 2', async () => {
    cluster = makeCluster();
    const one = await cluster.first();
    const before = await one.app.inject({ method: 'GET', url: '/v1/people/dave', headers: auth(TEAM_ENV.BOB_KEY) });
    expect(before.statusCode).toBe(200);
    const put = await one.app.inject({ method: 'PUT', url: '/v1/people/dave/relationships', headers: ADMIN, payload: { personal: [], blocked: ['bob'] } });
    expect(put.statusCode).toBe(200);
    const two = await cluster.second();
    await until(() => two.hub.directory.person('dave')?.blocked.includes('bob'), 'the block on node 2', 3000);
    await two.app.inject({ method: 'POST', url: '/v1/signals', headers: ADMIN, payload: { person: 'dave', source: 'api', category: 'user', availability: 'busy' } });
    await until(async () => (await two.hub.presence(['dave']))[0]!.class === 'busy', 'dave busy', 5000);
    // Bob, blocked, sees Dave as someone who never signed in; Carol still sees him busy.
    const bob = (await two.app.inject({ method: 'GET', url: '/v1/presence/dave', headers: auth(TEAM_ENV.BOB_KEY) })).json() as { class: string };
    expect(bob.class).toBe('offline');
    const carol = (await two.app.inject({ method: 'GET', url: '/v1/presence/dave', headers: auth(TEAM_ENV.CAROL_KEY) })).json() as { class: string };
    expect(carol.class).toBe('busy');
  }, 20_000);

  it('a trigger created through node 1 is known on node 2, with its owner, state and firings', async () => {
    cluster = makeCluster();
    const one = await cluster.first();
    const created = await one.app.inject({ method: 'POST', url: '/v1/triggers', headers: auth(TEAM_ENV.BOB_KEY), payload: { people: ['alice'], hysteresis: 0, action: { type: 'sse' } } });
    expect(created.statusCode).toBe(201);
    const id = (created.json() as { id: string }).id;
    await one.app.inject({ method: 'POST', url: '/v1/signals', headers: ADMIN, payload: { person: 'alice', source: 'api', category: 'user', availability: 'available' } });
    await until(async () => ((await one.app.inject({ method: 'GET', url: `/v1/triggers/${id}`, headers: ADMIN })).json() as { fired: number }).fired === 1, 'the trigger fired on node 1', 5000);
    const two = await cluster.second();
    const seen = await two.app.inject({ method: 'GET', url: `/v1/triggers/${id}`, headers: auth(TEAM_ENV.BOB_KEY) });
    expect(seen.statusCode).toBe(200);
    // (After an embedded restart Alice is offline again until her sources report: `met` follows, the firings stay.)
    expect(seen.json()).toMatchObject({ id, owner: 'bob', people: ['alice'], fired: 1 });
    // Still Bob's only.
    expect((await two.app.inject({ method: 'GET', url: `/v1/triggers/${id}`, headers: auth(TEAM_ENV.CAROL_KEY) })).statusCode).toBe(404);
  }, 20_000);

  it('a cookie signed out on node 1 is refused by node 2', async () => {
    cluster = makeCluster();
    const one = await cluster.first();
    const signIn = async () => (await one.app.inject({ method: 'POST', url: '/v1/session', payload: { key: TEAM_ENV.ADMIN_KEY } })).cookies.find((c) => c.name === SESSION_COOKIE)!.value;
    const cookie = await signIn();
    const kept = await signIn();
    const who = (t: TestHub, c: string) => t.app.inject({ method: 'GET', url: '/v1/session', cookies: { [SESSION_COOKIE]: c } });
    expect((await who(one, cookie)).statusCode).toBe(200);
    expect((await one.app.inject({ method: 'DELETE', url: '/v1/session', cookies: { [SESSION_COOKIE]: cookie } })).statusCode).toBe(204);
    const two = await cluster.second();
    await until(async () => (await who(two, cookie)).statusCode === 401, 'the cookie refused on node 2', 3000);
    // The session that was not signed out still works there.
    expect((await who(two, kept)).statusCode).toBe(200);
  }, 20_000);

  it('a connector disabled through node 1 stays disabled on node 2, and enabled again runs', async () => {
    cluster = makeCluster();
    const connectors = { connectors: [{ id: 'demo', kind: 'demo', interval: 3600, perTick: 1 }] };
    const one = await cluster.first(connectors);
    expect((await one.app.inject({ method: 'POST', url: '/v1/connectors/demo/disable', headers: ADMIN })).statusCode).toBeLessThan(300);
    const two = await cluster.second(connectors);
    const listed = async (t: TestHub) => ((await t.app.inject({ method: 'GET', url: '/v1/connectors', headers: ADMIN })).json() as { connectors: { id: string; enabled: boolean }[] }).connectors[0];
    await until(async () => (await listed(two))?.enabled === false, 'disabled on node 2', 3000);
    expect(two.hub.supervisors.has('demo')).toBe(false);
    expect((await two.app.inject({ method: 'POST', url: '/v1/connectors/demo/enable', headers: ADMIN })).statusCode).toBeLessThan(300);
    // Runs on one node (its lease), and every node lists it enabled.
    await until(async () => [one, two].some((t) => t.hub.supervisors.get('demo')?.health().state === 'running'), 'running again', 8000);
    await until(async () => (await listed(two))?.enabled === true, 'enabled on node 2', 3000);
    // Both switches are in the audit list every node reads, with the key that made them.
    const audit = ((await two.app.inject({ url: '/v1/audit', headers: ADMIN })).json() as { entries: { action: string; target: string; by: { name: string } }[] }).entries;
    expect(audit.slice(0, 2).map((e) => [e.action, e.target, e.by.name])).toEqual([
      ['connector.enable', 'demo', 'admin'],
      ['connector.disable', 'demo', 'admin'],
    ]);
  }, 30_000);

  it('a connector\'s state (a publisher\'s reconciliation records) and the webhooks are kept for node 2', async () => {
    cluster = makeCluster();
    const one = await cluster.first();
    // What core/publish writes ahead of a write whose outcome is unknown (possibly applied).
    const record = { last: { d: 'busy', key: stateKey('busy'), outcome: 'unknown' as const, at: 1_700_000_000_000 }, possibly: ['busy'] };
    await saveRecords(one.hub.pipeline.connectorStore!('teams'), [['alice', encodeRecord(record)]]);
    const created = await one.app.inject({ method: 'POST', url: '/v1/webhooks', headers: ADMIN, payload: { url: 'http://127.0.0.1:9/hook', people: ['carol'], container: 'company' } });
    expect(created.statusCode).toBe(201);
    const id = (created.json() as { id: string }).id;
    const two = await cluster.second();
    const raw = (await two.hub.pipeline.connectorStore!('teams').get([recordKey('alice')])).get(recordKey('alice'));
    expect(raw).toBeDefined();
    expect(decodeRecord(raw!)).toEqual(record);
    const got = await two.app.inject({ method: 'GET', url: `/v1/webhooks/${id}`, headers: ADMIN });
    expect(got.statusCode).toBe(200);
    expect(got.json()).toMatchObject({ id, url: 'http://127.0.0.1:9/hook' });
  }, 20_000);
});

describe('embedded mode without dataDir', () => {
  it('keeps what the API configured in memory only, and says so at start', async () => {
    const { log, lines } = capturingLogger('info');
    const t = await testHub({ config: teamConfig(), env: TEAM_ENV, clock: systemClock, log });
    try {
      expect(t.hub.pipeline.durable).toBe(false);
      expect(lines.some((l) => /without dataDir: .*kept in memory only and lost at restart/.test(l.raw))).toBe(true);
    } finally {
      await t.close();
    }
  });
});
