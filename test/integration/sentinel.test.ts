/**
 * The hub on Redis Sentinel (real redis-server + redis-sentinel: one primary, one replica, three
 * sentinels on loopback): the primary is SIGKILLed under a load of 2 000 signals/s. Every signal the
 * hub acknowledged (202) is applied after the failover; the hub refuses only with 503 +
 * Retry-After, and only between the kill and the promotion of the replica (plus the time its
 * connections take to find the new primary).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisPipeline } from '../../core/pipeline/redis/index.ts';
import { systemClock } from '../../core/util/clock.ts';
import { silentLogger } from '../../core/util/logger.ts';
import { until } from '../support/wait.ts';
import { auth, TEAM_ENV, teamConfig, testHub, type TestHub } from '../support/hub.ts';
import { startSentinels, type SentinelPeer } from '../support/peers/sentinel.ts';

const PEOPLE = Array.from({ length: 100 }, (_, i) => ({ id: `s${i}`, name: `Sentinel Person ${i}`, identities: [`sip:s${i}@corp.example`] }));
const PUB = auth(TEAM_ENV.PUB_KEY);

describe('Redis Sentinel failover under load', () => {
  let peer: SentinelPeer;
  let hub: TestHub;
  beforeAll(async () => {
    peer = await startSentinels();
    const pipeline = await redisPipeline({ sentinels: peer.sentinels, name: peer.name, prefix: 'sentinel', log: silentLogger(), nodeId: 'sentinel-node' });
    // Every signal has its own endpoint (e<n>): lift the register cap so that load, not the cap, is tested.
    const base = teamConfig({ limits: { registersPerPerson: 100_000 } });
    hub = await testHub({ config: { ...base, people: [...(base.people ?? []), ...PEOPLE] }, env: TEAM_ENV, clock: systemClock, pipeline, lease: pipeline.lease, nodeId: 'sentinel-node' });
  }, 60_000);
  afterAll(async () => {
    await hub?.close();
    await peer?.stop();
  });

  it('applies every accepted signal and answers 503 + Retry-After only while there is no primary', async () => {
    const before = await peer.currentPrimary();
    let seq = 0;
    let accepted = 0;
    const refusals: { at: number; status: number; retryAfter: string | undefined }[] = [];
    const send = async (): Promise<void> => {
      const batch = Array.from({ length: 100 }, () => {
        const n = seq++;
        return { person: `s${n % 100}`, source: 'load', endpoint: `e${n}`, category: 'device', availability: 'busy' };
      });
      const res = await hub.app.inject({ method: 'POST', url: '/v1/signals', headers: PUB, payload: batch });
      if (res.statusCode === 202) accepted += batch.length;
      else refusals.push({ at: Date.now(), status: res.statusCode, retryAfter: res.headers['retry-after'] as string | undefined });
    };
    // 2 000 signals/s: a batch of 100 every 50 ms, each request on its own (a slow one does not hold the next back).
    const inFlight: Promise<void>[] = [];
    const tick = setInterval(() => inFlight.push(send()), 50);
    let killedAt = 0;
    let promotedAt = 0;
    try {
      await new Promise((r) => setTimeout(r, 2000));
      await peer.killPrimary();
      killedAt = Date.now();
      await until(async () => (await peer.currentPrimary().catch(() => before)) !== before, 'the sentinels to promote the replica', 20_000);
      promotedAt = Date.now();
      await new Promise((r) => setTimeout(r, 4000));
    } finally {
      clearInterval(tick);
    }
    await Promise.all(inFlight);
    expect(await peer.currentPrimary()).toBe(`127.0.0.1:${peer.replica.port}`);
    expect(accepted).toBeGreaterThan(2000);
    // Refused only with 503 + Retry-After, never before the kill, and not once the hub found the new primary.
    for (const r of refusals) {
      expect(r.status).toBe(503);
      expect(r.retryAfter).toMatch(/^\d+$/);
      expect(r.at).toBeGreaterThanOrEqual(killedAt);
      expect(r.at).toBeLessThanOrEqual(promotedAt + 3000);
    }
    // Every accepted signal is applied: one register per signal (distinct endpoints).
    const ids = PEOPLE.map((p) => p.id);
    const count = async () => [...(await hub.hub.pipeline.store.getRegisters(ids)).values()].reduce((n, r) => n + r.registers.length, 0);
    await until(async () => (await count()) >= accepted, `all ${accepted} accepted signals applied`, 30_000);
    expect(await hub.hub.pipeline.queue.stats()).toMatchObject({ deadLetters: 0 });
  }, 90_000);
});
