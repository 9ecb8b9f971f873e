/**
 * docs/triggers.md "Delivery: at least once": a firing whose record the store refuses is tried
 * again while this node evaluates; a node that stops evaluating meanwhile leaves the firing to the
 * next one, which goes on from what was stored. So a retry whose wait ends after the stop writes
 * nothing: written then, it would overwrite what the next holder stored since (its count, its log).
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectorStore } from '../connector/contract.ts';
import { embeddedPipeline } from '../pipeline/embedded/index.ts';
import { systemClock } from '../util/clock.ts';
import { createLogger, silentLogger } from '../util/logger.ts';
import { auth, TEAM_ENV, teamConfig, testHub, type TestHub } from '../../test/support/hub.ts';
import { storeWith } from '../../test/support/trigger-hub.ts';
import { until } from '../../test/support/wait.ts';

describe('a refused firing record whose retry comes after the node stopped evaluating', () => {
  let t: TestHub;
  let inner: ConnectorStore;
  let refusing = true;
  let attempts = 0;
  const lines: string[] = [];
  beforeAll(async () => {
    const p = embeddedPipeline({ clock: systemClock, log: silentLogger() });
    inner = p.connectorStore!('hub:triggers');
    const store = storeWith(inner, {
      set: async (entries) => {
        if (entries.some(([k]) => k === 'last:bob-on')) {
          attempts++;
          if (refusing) throw new Error('connection lost (injected)');
        }
        return inner.set(entries);
      },
    });
    const log = createLogger({
      level: 'warn',
      destination: new Writable({
        write(chunk: Buffer, _enc, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    });
    t = await testHub({
      config: { ...teamConfig(), triggers: { rules: [{ id: 'bob-on', people: ['bob'], hysteresis: '0ms', action: { type: 'sse' } }] } },
      env: TEAM_ENV,
      clock: systemClock,
      log,
      pipeline: { ...p, connectorStore: (id: string) => (id === 'hub:triggers' ? store : p.connectorStore!(id)) },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('writes nothing: the firing is left to the next holder', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/signals', headers: auth(TEAM_ENV.PUB_KEY), payload: { person: 'bob', source: 'teams', category: 'user', availability: 'available' } });
    expect(res.statusCode).toBe(202);
    await t.settle();
    await until(() => attempts >= 2, 'the record refused and tried again');
    // The lease is lost (as the hub's runner does it), then the store answers again.
    t.hub.triggers.deactivate();
    refusing = false;
    const attemptsAtStop = attempts;
    const landed = async () => (await inner.get(['last:bob-on'])).get('last:bob-on') !== undefined;
    // Either the record is given up (logged) or it lands after all, which it must not.
    await until(async () => lines.some((l) => JSON.parse(l).msg === 'trigger state not stored') || (await landed()), 'the record given up');
    // At most the attempt under way when the node stopped (it was refused); none after it.
    expect(attempts - attemptsAtStop).toBeLessThanOrEqual(1);
    expect(await landed()).toBe(false);
  });
});
