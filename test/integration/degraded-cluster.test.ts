/**
 * docs/api.md "Failing connectors and whom they feed" on two Redis nodes: the failing connector runs
 * (under its lease) on one node, and the board's mark (GET /v1/degraded, explain's `degraded`) is
 * the same on the node that does not run it, as long as it fails, and gone on both once it
 * recovers. Real domino-calendar connector, real Domino simulator that starts answering 503.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DominoSimulator } from '../../connectors/domino-calendar/simulator.ts';
import { auth, TEAM_ENV, teamConfig, withHelpdesk } from '../support/hub.ts';
import { freshPrefix } from '../support/redis-url.ts';
import { redisHubNode, type RedisHubNode } from '../support/redis-hub.ts';
import { until } from '../support/wait.ts';

const HELPDESK = auth(TEAM_ENV.HELPDESK_KEY);
const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

describe('the degraded mark of a connector that runs on the other node', () => {
  let sim: DominoSimulator;
  const nodes: RedisHubNode[] = [];

  beforeAll(async () => {
    sim = new DominoSimulator({ username: 'presence', password: 'domino-pw-0042' });
    await sim.start();
    const start = Math.floor((Date.now() - 60_000) / 1000) * 1000;
    sim.addPerson(['alice@corp.example'], { entries: [{ start: iso(start), duration: 'PT1H', title: 'Customer call', privacy: 'public' }] });
    const prefix = freshPrefix('degraded-cluster');
    for (const nodeId of ['mark-a', 'mark-b']) {
      nodes.push(
        await redisHubNode({
          prefix,
          nodeId,
          config: teamConfig({ ...withHelpdesk(), connectors: [{ id: 'notes', kind: 'domino-calendar', url: sim.url, username: 'presence', password: '${DOMINO_PW}', pollInterval: '1s' }] }),
          env: { ...TEAM_ENV, DOMINO_PW: 'domino-pw-0042' },
        }),
      );
    }
  });
  afterAll(async () => {
    for (const n of nodes) await n.close();
    await sim?.stop();
  });

  const get = async (n: RedisHubNode, url: string) => (await n.app.inject({ method: 'GET', url, headers: HELPDESK })).json();

  it('is shown by both nodes while it fails, and by neither once it recovers', async () => {
    const holderId = await until(() => nodes[0]!.hub.connectorNode('notes'), 'a node running notes');
    const runner = nodes.find((n) => n.hub.nodeId === holderId)!;
    const other = nodes.find((n) => n.hub.nodeId !== holderId)!;
    await until(async () => (await get(other, '/v1/presence/alice')).class === 'busy', 'alice in her meeting');
    for (const n of nodes) expect(await get(n, '/v1/degraded')).toEqual({ connectors: [] });

    sim.failNext(1_000_000);
    const mark = await until(async () => ((await get(runner, '/v1/degraded')).connectors.length === 1 ? await get(runner, '/v1/degraded') : undefined), 'the mark on the running node');
    expect(mark.connectors).toEqual([{ id: 'notes', kind: 'domino-calendar', state: 'degraded', since: expect.any(String), people: ['alice'] }]);
    // The node that does not run it answers the same, for the board and for the explanation.
    await until(async () => (await get(other, '/v1/degraded')).connectors.length === 1, 'the mark on the other node');
    expect(await get(other, '/v1/degraded')).toEqual(mark);
    expect((await get(other, '/v1/presence/alice/explain')).degraded).toEqual([{ id: 'notes', kind: 'domino-calendar', state: 'degraded', since: mark.connectors[0].since }]);
    expect((await get(other, '/v1/presence/bob/explain')).degraded).toEqual([]);

    sim.failNext(0);
    await until(async () => (await get(runner, '/v1/degraded')).connectors.length === 0, 'the running node healthy again');
    await until(async () => (await get(other, '/v1/degraded')).connectors.length === 0, 'the other node healthy again');
    expect((await get(other, '/v1/presence/alice/explain')).degraded).toEqual([]);
  }, 60_000);
});
