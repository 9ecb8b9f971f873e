/**
 * docs/triggers.md "SSE": a trigger stream that reconnects with Last-Event-ID gets the firings it
 * missed from the trigger's stored log (two Redis nodes: the stream is on the node that does not
 * evaluate), and a `trigger-gap` event when they cannot be replayed: a stream of several triggers
 * (the id cannot say which one it counts) or firings older than the log keeps. A live stream on a
 * node that missed the notices of some firings (pub/sub forgets) gets them at the next one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HubConfigInput } from '../../core/config/schema.ts';
import { redisPipeline } from '../../core/pipeline/redis/index.ts';
import type { Notices } from '../../core/pipeline/ports.ts';
import { TRIGGER_BACKLOG } from '../../core/trigger/model.ts';
import { systemClock } from '../../core/util/clock.ts';
import { silentLogger } from '../../core/util/logger.ts';
import { auth, TEAM_ENV, teamConfig, testHub, type TestHub } from '../support/hub.ts';
import { freshPrefix, redisUrl } from '../support/redis-url.ts';
import { redisHubNode, type RedisHubNode } from '../support/redis-hub.ts';
import { sseLog } from '../support/sse.ts';
import { until } from '../support/wait.ts';

type Node = RedisHubNode & { base: string };
const ADMIN = auth(TEAM_ENV.ADMIN_KEY);

function config(): HubConfigInput {
  const cfg = teamConfig();
  return {
    ...cfg,
    people: [...(cfg.people ?? []), { id: 'p1', teams: ['conf'] }, { id: 'p2', teams: ['conf'] }],
    triggers: {
      rules: [
        { id: 'p1-on', people: ['p1'], hysteresis: '0ms', action: { type: 'sse' } },
        { id: 'p2-on', people: ['p2'], hysteresis: '0ms', action: { type: 'sse' } },
      ],
    },
  };
}

async function node(prefix: string, nodeId: string): Promise<Node> {
  const t = await redisHubNode({ prefix, nodeId, config: config() });
  return Object.assign(t, { base: await t.app.listen({ host: '127.0.0.1', port: 0 }) });
}

describe('a trigger stream that reconnects with Last-Event-ID', () => {
  let a: Node;
  let b: Node;
  let other: Node;
  let prefix: string;
  const closers: (() => void)[] = [];
  beforeAll(async () => {
    prefix = freshPrefix('trigger-resume');
    a = await node(prefix, 'resume-a');
    b = await node(prefix, 'resume-b');
    const holder = await until(() => a.pipeline.lease.holder!('hub:triggers'), 'a node evaluating the triggers');
    other = holder === 'resume-a' ? b : a;
  });
  afterAll(async () => {
    for (const c of closers) c();
    await a?.close();
    await b?.close();
  });

  const trigger = async (id: string) => (await other.app.inject({ url: `/v1/triggers/${id}`, headers: ADMIN })).json();
  /** Sets `person` to `availability` and waits until the trigger's stored state says `met`. */
  const set = async (person: string, availability: string): Promise<void> => {
    const res = await other.app.inject({ method: 'POST', url: '/v1/signals', headers: auth(TEAM_ENV.PUB_KEY), payload: { person, source: 'teams', category: 'user', availability } });
    expect(res.statusCode).toBe(202);
    await until(async () => (await trigger(`${person}-on`)).met === (availability === 'available'), `${person}-on met while ${availability}`);
  };
  /** One more firing of `person`-on: away, then available. */
  const fire = async (person: string): Promise<void> => {
    await set(person, 'away');
    await set(person, 'available');
  };
  const stream = async (query: string, lastEventId?: string) => {
    const s = await sseLog(`${other.base}/v1/stream?${query}`, ADMIN, lastEventId);
    closers.push(s.close);
    return s;
  };

  it('replays the firings after the last one it got, then goes on live', async () => {
    const first = await stream('triggers=p1-on');
    await set('p1', 'available');
    await until(() => first.events.length === 1, 'the first firing on the stream');
    expect(first.events[0]).toMatchObject({ event: 'trigger', id: '1', data: { trigger: 'p1-on', seq: 1, people: ['p1'] } });
    first.close();

    // Two firings while the client is away.
    await fire('p1');
    await fire('p1');
    await until(async () => (await trigger('p1-on')).fired === 3, 'three firings stored');

    const again = await stream('triggers=p1-on', '1');
    await until(() => again.events.length === 2, 'the two missed firings');
    expect(again.events.map((e) => [e.event, e.id, e.data.seq])).toEqual([
      ['trigger', '2', 2],
      ['trigger', '3', 3],
    ]);
    const ids = new Set([first.events[0]!.data.firing, ...again.events.map((e) => e.data.firing)]);
    expect(ids.size).toBe(3);
    // Then the live ones, each once.
    await fire('p1');
    await until(() => again.events.length === 3, 'the next firing, live');
    expect(again.events[2]).toMatchObject({ event: 'trigger', id: '4', data: { seq: 4 } });

    // Up to date: nothing replayed, nothing to re-read.
    const current = await stream('triggers=p1-on', '4');
    await fire('p1');
    await until(() => current.events.length >= 1, 'the live firing');
    expect(current.events.map((e) => [e.event, e.id])).toEqual([['trigger', '5']]);
  }, 60_000);

  it('says to re-read when the id cannot be placed: several triggers on one stream', async () => {
    const s = await stream('triggers=p1-on,p2-on', '3');
    const fired = (await trigger('p1-on')).fired as number;
    await until(() => s.events.length >= 1, 'the gap event');
    // p2-on never fired: nothing to miss.
    expect(s.events).toEqual([{ event: 'trigger-gap', data: { trigger: 'p1-on', after: null, fired, lastFiredAt: (await trigger('p1-on')).lastFiredAt } }]);
  }, 30_000);

  it('says to re-read when the firings after the id are no longer kept', async () => {
    await set('p2', 'available');
    for (let i = 1; i <= TRIGGER_BACKLOG + 1; i++) await fire('p2');
    const fired = TRIGGER_BACKLOG + 2;
    await until(async () => (await trigger('p2-on')).fired === fired, 'the firings stored');
    const s = await stream('triggers=p2-on', '0');
    await until(() => s.events.length === TRIGGER_BACKLOG + 1, 'the gap and the kept firings');
    expect(s.events[0]).toEqual({ event: 'trigger-gap', data: { trigger: 'p2-on', after: 0, fired, lastFiredAt: (await trigger('p2-on')).lastFiredAt } });
    expect(s.events.slice(1).map((e) => Number(e.id))).toEqual(Array.from({ length: TRIGGER_BACKLOG }, (_, i) => fired - TRIGGER_BACKLOG + 1 + i));
  }, 90_000);

  it('a live stream on a node that missed notices gets every firing at the next one', async () => {
    // A third node whose notices of firings go unheard while `deaf` (a pub/sub message lost).
    const p = await redisPipeline({ url: redisUrl(), prefix, log: silentLogger(), nodeId: 'resume-c' });
    let deaf = false;
    const notices: Notices = {
      publish: (topic) => p.notices!.publish(topic),
      subscribe: (topic, listener) => p.notices!.subscribe(topic, () => (deaf && topic === 'triggers:fired' ? undefined : listener())),
    };
    const c: TestHub = await testHub({ config: config(), env: TEAM_ENV, clock: systemClock, pipeline: { ...p, notices }, lease: p.lease, nodeId: 'resume-c' });
    try {
      const base = await c.app.listen({ host: '127.0.0.1', port: 0 });
      const s = await sseLog(`${base}/v1/stream?triggers=p1-on`, ADMIN);
      closers.push(s.close);
      const before = (await trigger('p1-on')).fired as number;
      deaf = true;
      await fire('p1');
      await fire('p1');
      await until(async () => (await trigger('p1-on')).fired === before + 2, 'two firings stored');
      deaf = false;
      await fire('p1');
      await until(() => s.events.length === 3, 'the three firings on the stream');
      expect(s.events.map((e) => Number(e.id))).toEqual([before + 1, before + 2, before + 3]);
    } finally {
      await c.close();
    }
  }, 60_000);
});
