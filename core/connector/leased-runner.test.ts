import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../util/logger.ts';
import { EmbeddedLease, type LeasePort } from './lease.ts';
import { LeasedRunner } from './leased-runner.ts';
import { until } from '../../test/support/wait.ts';

/** A lease whose answers the test sets. */
class FakeLease implements LeasePort {
  grant = true;
  renewal: 'ok' | 'lost' | 'error' = 'ok';
  released = 0;
  async acquire(): Promise<boolean> {
    return this.grant;
  }
  async renew(): Promise<boolean> {
    if (this.renewal === 'error') throw new Error('connection is closed');
    return this.renewal === 'ok';
  }
  async release(): Promise<void> {
    this.released++;
  }
}

function make(lease: LeasePort, ttlMs = 300) {
  const events: string[] = [];
  const runner = new LeasedRunner({
    lease,
    name: 'c1',
    owner: 'n1',
    ttlMs,
    log: silentLogger(),
    task: {
      start: async () => void events.push('start'),
      stop: async () => void events.push('stop'),
    },
  });
  return { runner, events };
}

describe('LeasedRunner', () => {
  const runners: LeasedRunner[] = [];
  afterEach(async () => {
    for (const r of runners.splice(0)) await r.stop();
  });

  it.each([
    ['renewal says the lease is gone', 'lost' as const, 150],
    ['renewal keeps failing until the deadline', 'error' as const, 400],
  ])('stops the task when %s', async (_why, renewal, within) => {
    const lease = new FakeLease();
    const { runner, events } = make(lease);
    runners.push(runner);
    runner.start();
    await until(() => runner.holding);
    lease.renewal = renewal;
    const t0 = Date.now();
    await until(() => events.includes('stop'));
    expect(Date.now() - t0).toBeLessThan(within);
    expect(runner.holding).toBe(false);
    expect(events).toEqual(['start', 'stop']);
  });

  it('does not start without the lease and retries until granted', async () => {
    const lease = new FakeLease();
    lease.grant = false;
    const { runner, events } = make(lease);
    runners.push(runner);
    runner.start();
    await new Promise((r) => setTimeout(r, 250));
    expect(events).toEqual([]);
    lease.grant = true;
    await until(() => events.includes('start'), 500);
  });

  it('stop() stops the task and releases the lease', async () => {
    const lease = new FakeLease();
    const { runner, events } = make(lease);
    runner.start();
    await until(() => runner.holding);
    await runner.stop();
    await runner.stop();
    expect(events).toEqual(['start', 'stop']);
    expect(lease.released).toBe(1);
  });

  it('always runs in embedded mode', async () => {
    const { runner, events } = make(new EmbeddedLease());
    runners.push(runner);
    runner.start();
    await until(() => events.includes('start'));
    await new Promise((r) => setTimeout(r, 400));
    expect(events).toEqual(['start']);
  });
});
