import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisPipeline } from '../../core/pipeline/redis/index.ts';
import { systemClock } from '../../core/util/clock.ts';
import { silentLogger } from '../../core/util/logger.ts';
import { freshPrefix, redisUrl } from '../support/redis-url.ts';
import { auth, TEAM_ENV, teamConfig, testHub, type TestHub } from '../support/hub.ts';
import { sseClient } from '../support/sse.ts';
import { webhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { until } from '../support/wait.ts';

/**
 * Issue 13, findings 1, 2 and 3, byte for byte through the public API, in embedded and Redis mode
 * (two nodes, then a restarted node): what a blocked watcher receives about the person who blocked
 * it (fetch, query, stream `id:` and data, directory entry and search, webhook body) is exactly what
 * it receives about a person who never signed in; its directory entry is a company entry; and a
 * company watcher's view `version` and `since` do not move when only a hidden activity changes.
 *
 * Alice blocks Mallory; Dave (another team) is in Alice's company container; Bob is in her team;
 * Erin never signs in (the baseline).
 */
const MALLORY = TEAM_ENV.MALLORY_KEY;
const DAVE = TEAM_ENV.DAVE_KEY;
const BOB = TEAM_ENV.BOB_KEY;
const ADMIN = TEAM_ENV.ADMIN_KEY;
const config = () => {
  const base = teamConfig({ server: { rateLimit: 0, heartbeat: 60 }, webhooks: { allowPrivateTargets: ['127.0.0.1'] } });
  return { ...base, people: [...base.people!, { id: 'erin', name: 'Erin Example', identities: ['sip:erin@corp.example'], teams: ['ops'] }] };
};

interface Node {
  t: TestHub;
  base: string;
}
type Stream = Awaited<ReturnType<typeof sseClient>>;

async function get(n: Node, path: string, key: string): Promise<string> {
  const res = await fetch(`${n.base}${path}`, { headers: auth(key) });
  expect(res.status, path).toBe(200);
  return res.text();
}
async function post(n: Node, path: string, key: string, body: unknown): Promise<{ status: number; text: string }> {
  const res = await fetch(`${n.base}${path}`, { method: 'POST', headers: { ...auth(key), 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, text: await res.text() };
}
/** A stream's bytes with heartbeats left out (they are timing, not content). */
const streamBytes = (s: Stream): string => s.raw().replace(/: heartbeat\n\n/g, '');
const asErin = (text: string): string => text.replaceAll('alice', 'erin');
const count = (s: Stream, re: RegExp): number => (streamBytes(s).match(re) ?? []).length;

function suite(mode: 'embedded' | 'redis'): void {
  describe(`${mode} mode`, () => {
    const nodes: Node[] = [];
    let a: Node;
    let b: Node;
    let receiver: WebhookReceiver;
    let hookUrl: string;
    let deliveries: Map<string, string[]>;
    const streams = new Map<string, Stream>();
    const hookIds = new Map<string, string>();
    const prefix = freshPrefix('blocked');
    const companyVersions: { version: number; since: string }[] = [];

    async function node(id: string): Promise<Node> {
      const pipeline = mode === 'redis' ? await redisPipeline({ url: redisUrl(), prefix, log: silentLogger(), nodeId: id }) : undefined;
      const t = await testHub({ config: config(), env: TEAM_ENV, clock: systemClock, nodeId: id, ...(pipeline !== undefined ? { pipeline, lease: pipeline.lease, leaseTtlMs: 1500 } : {}) });
      const n = { t, base: await t.app.listen({ host: '127.0.0.1', port: 0 }) };
      nodes.push(n);
      return n;
    }
    const signal = async (n: Node, s: Record<string, unknown>): Promise<void> => {
      expect((await post(n, '/v1/signals', TEAM_ENV.PUB_KEY, s)).status).toBe(202);
      await n.t.settle();
    };
    const company = async (n: Node) => JSON.parse(await get(n, '/v1/presence/alice', DAVE)) as { version: number; since: string; class: string };
    const now = Date.now();
    const meeting = (text: string) => ({ person: 'alice', source: 'exchange', endpoint: 'cal', category: 'calendar', availability: 'busy', activity: { token: 'in-a-meeting', text }, from: new Date(now - 60_000).toISOString(), until: new Date(now + 3_600_000).toISOString() });

    beforeAll(async () => {
      receiver = await webhookReceiver();
      ({ url: hookUrl, deliveries } = receiver);
      a = await node('node-a');
      b = mode === 'redis' ? await node('node-b') : a;
      for (const [name, people, watcher] of [['mallory-alice', 'alice', 'mallory'], ['mallory-erin', 'erin', 'mallory'], ['dave-alice', 'alice', 'dave']] as const) {
        const res = await post(a, '/v1/webhooks', ADMIN, { url: `${hookUrl}/${name}`, people: [people], watcher });
        expect(res.status).toBe(201);
        hookIds.set(name, JSON.parse(res.text).id);
      }
      // Streams on node B, signals to node A.
      for (const [name, key, who] of [['mallory-alice', MALLORY, 'alice'], ['mallory-erin', MALLORY, 'erin'], ['dave-alice', DAVE, 'alice'], ['bob-alice', BOB, 'alice']] as const) {
        streams.set(name, await sseClient(`${b.base}/v1/stream?people=${who}`, auth(key)));
      }
      const bob = streams.get('bob-alice')!;
      await until('the first views', () => [...streams.values()].every((s) => count(s, /event: presence/g) >= 1));
      await until('the first webhook views', () => [...hookIds.keys()].every((h) => (deliveries.get(h) ?? []).length >= 1));
      // 1. A meeting starts: every container but the blocked one sees it.
      await signal(a, meeting('Merger talks with ACME'));
      await until('busy at bob', () => count(bob, /event: presence/g) >= 2);
      await until('busy at dave', () => count(streams.get('dave-alice')!, /event: presence/g) >= 2);
      await until('busy at the webhook of dave', () => (deliveries.get('dave-alice') ?? []).length >= 2);
      companyVersions.push(await company(b));
      // 2. Only the subject changes: the team sees it, the company must not (not even by a number).
      await signal(a, meeting('Merger talks with ACME, moved to room 2'));
      await until('the new subject at bob', () => count(bob, /event: presence/g) >= 3);
      companyVersions.push(await company(b));
      // 3. The meeting ends early and Alice is available: everyone but the blocked watcher sees it.
      await signal(a, { person: 'alice', source: 'exchange', endpoint: 'cal', category: 'calendar', availability: 'available', activity: 'working-elsewhere' });
      await until('available at dave', () => count(streams.get('dave-alice')!, /event: presence/g) >= 3);
      await until('the webhook of dave', () => (deliveries.get('dave-alice') ?? []).length >= 3);
      companyVersions.push(await company(b));
      // What the blocked watcher might still receive has had the time to arrive.
      await new Promise((r) => setTimeout(r, 300));
    }, 60_000);

    afterAll(async () => {
      for (const s of streams.values()) s.close();
      for (const n of nodes) {
        n.t.app.server.closeAllConnections();
        await n.t.close().catch(() => undefined);
      }
      await receiver.close();
    });

    it('finding 1: the blocked watcher\'s stream (ids and data) is byte for byte the stream of someone who never signed in', () => {
      const blocked = streamBytes(streams.get('mallory-alice')!);
      expect(blocked).toMatch(/^retry: 2000\n\nevent: presence\nid: 0\ndata: \{"person":"alice",/);
      expect(asErin(blocked)).toBe(streamBytes(streams.get('mallory-erin')!));
      // The company watcher's ids count its own view's changes: offline, busy, available.
      expect([...streamBytes(streams.get('dave-alice')!).matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]))).toEqual([0, 1, 2]);
      expect([...streamBytes(streams.get('bob-alice')!).matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]))).toEqual([0, 1, 2, 3]);
    });

    it('finding 1: fetch and query give the blocked watcher the bytes of someone who never signed in, on every node', async () => {
      for (const n of new Set([a, b])) {
        expect(asErin(await get(n, '/v1/presence/alice', MALLORY))).toBe(await get(n, '/v1/presence/erin', MALLORY));
        const q = JSON.parse((await post(n, '/v1/presence/query', MALLORY, { people: ['alice'] })).text);
        const e = JSON.parse((await post(n, '/v1/presence/query', MALLORY, { people: ['erin'] })).text);
        expect(asErin(JSON.stringify(q))).toBe(JSON.stringify(e));
        expect(q.presence[0]).toMatchObject({ class: 'offline', version: 0 });
      }
    });

    it('finding 1: the blocked watcher\'s webhook body is the body for someone who never signed in', () => {
      const alice = (deliveries.get('mallory-alice') ?? []).map((d) => asErin(d.replace(hookIds.get('mallory-alice')!, 'ID')));
      const erin = (deliveries.get('mallory-erin') ?? []).map((d) => d.replace(hookIds.get('mallory-erin')!, 'ID'));
      expect(alice).toEqual(erin);
      expect(alice).toHaveLength(1);
    });

    it('finding 2: the blocked watcher gets the company directory entry and finds the person by name', async () => {
      const asMallory = await get(b, '/v1/people/alice', MALLORY);
      expect(JSON.parse(asMallory)).toEqual({ id: 'alice', name: 'Alice Example', teams: ['support'] });
      expect(asMallory).toBe(await get(b, '/v1/people/alice', DAVE));
      // The entry has the shape of any company entry the same watcher gets (Erin is in Mallory's company).
      expect(Object.keys(JSON.parse(await get(b, '/v1/people/erin', MALLORY)))).toEqual(Object.keys(JSON.parse(asMallory)));
      const search = await get(b, `/v1/people?q=${encodeURIComponent('Alice Example')}`, MALLORY);
      expect(JSON.parse(search).total).toBe(1);
      expect(search).toBe(await get(b, `/v1/people?q=${encodeURIComponent('Alice Example')}`, DAVE));
      // Identities stay for personal and team only.
      expect(JSON.parse(await get(b, '/v1/people?q=sip:alice', MALLORY)).total).toBe(0);
    });

    it('finding 3: a company view\'s version and since move only when that view changes', async () => {
      const [busy, subjectChanged, available] = companyVersions;
      expect(busy!.version).toBe(1);
      expect(subjectChanged).toEqual(busy);
      expect(available!.version).toBe(2);
      expect(Date.parse(available!.since)).toBeGreaterThanOrEqual(Date.parse(busy!.since));
      // The company stream and webhook were not told of the subject change either.
      expect(streamBytes(streams.get('dave-alice')!)).not.toMatch(/ACME|in-a-meeting/);
      expect((deliveries.get('dave-alice') ?? []).map((d) => JSON.parse(d).presence[0].version)).toEqual([0, 1, 2]);
      // The public view is the company view.
      const pub = JSON.parse(await get(b, '/v1/presence/alice', TEAM_ENV.PUBLIC_KEY));
      expect({ version: pub.version, since: pub.since }).toEqual({ version: available!.version, since: available!.since });
    });

    if (mode === 'redis') {
      it('keeps every view version across a node restart, and keeps counting per view', async () => {
        const before = { company: await get(b, '/v1/presence/alice', DAVE), team: await get(b, '/v1/presence/alice', BOB), blocked: await get(b, '/v1/presence/alice', MALLORY) };
        a.t.app.server.closeAllConnections();
        await a.t.close();
        const c = await node('node-c');
        expect(await get(c, '/v1/presence/alice', DAVE)).toBe(before.company);
        expect(await get(c, '/v1/presence/alice', BOB)).toBe(before.team);
        expect(asErin(await get(c, '/v1/presence/alice', MALLORY))).toBe(await get(c, '/v1/presence/erin', MALLORY));
        // An activity-only change through the new node: the team view moves, the company view does not.
        await signal(c, { person: 'alice', source: 'exchange', endpoint: 'cal', category: 'calendar', availability: 'available', activity: { token: 'working-elsewhere', text: 'At the ACME office' } });
        await until('the new text at the team', async () => JSON.parse(await get(c, '/v1/presence/alice', BOB)).version === 4);
        expect(await get(c, '/v1/presence/alice', DAVE)).toBe(before.company);
        await signal(c, { person: 'alice', source: 'exchange', endpoint: 'cal', category: 'calendar', availability: 'dnd' });
        await until('dnd at the company', async () => JSON.parse(await get(b, '/v1/presence/alice', DAVE)).class === 'dnd');
        expect(JSON.parse(await get(b, '/v1/presence/alice', DAVE)).version).toBe(3);
        expect(asErin(await get(b, '/v1/presence/alice', MALLORY))).toBe(await get(b, '/v1/presence/erin', MALLORY));
      }, 30_000);
    }
  });
}

suite('embedded');
suite('redis');
