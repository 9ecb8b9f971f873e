import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../util/logger.ts';
import { EmbeddedLease, type LeasePort } from './lease.ts';
import { LeasedRunner } from './leased-runner.ts';

/** A lease whose answers the test sets. */
class FakeLease implements LeasePort {
  grant = true;
  renewal: 'ok' | 'lost' | 'error' = 'ok';
  released = 0;
  acquires = 0;
  renewals = 0;
  async acquire(): Promise<boolean> {
    this.acquires++;
    return this.grant;
  }
  async renew(): Promise<boolean> {
    this.renewals++;
    if (this.renewal === 'error') throw new Error('connection is closed');
    return this.renewal === 'ok';
  }
  async release(): Promise<void> {
    this.released++;
  }
}

const TTL = 300;
/** The runner's own timing (leased-runner.ts): a holder renews every ttl/3, a waiting node asks every ttl/6, the watchdog fires ttl/10 before the deadline. */
const RENEW_EVERY = TTL / 3;
const ASK_EVERY = TTL / 6;
const MARGIN = TTL / 10;

function make(lease: LeasePort) {
  const events: string[] = [];
  const runner = new LeasedRunner({
    lease,
    name: 'c1',
    owner: 'n1',
    ttlMs: TTL,
    // Date is faked below, so the runner's clock and its timers move together, by the test's hand
    // only: a loaded machine cannot make a timer late.
    clock: { now: () => Date.now() },
    log: silentLogger(),
    task: {
      start: async () => void events.push('start'),
      stop: async () => void events.push('stop'),
    },
  });
  return { runner, events };
}

/** Moves the fake time on by `ms`, running the timers that come due and the promises they start. */
const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms);

describe('LeasedRunner', () => {
  const runners: LeasedRunner[] = [];
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(async () => {
    for (const r of runners.splice(0)) await r.stop();
    vi.useRealTimers();
  });
  /** A runner on `lease`, started, after its first ask (it holds when the lease grants it); stopped after the test. */
  async function started<L extends LeasePort>(lease: L) {
    const made = make(lease);
    runners.push(made.runner);
    made.runner.start();
    await advance(0);
    return { lease, ...made };
  }

  it('stops the task when renewal says the lease is gone: at the first renewal, long before the deadline', async () => {
    const { lease, runner, events } = await started(new FakeLease());
    expect(runner.holding).toBe(true);
    expect(events).toEqual(['start']);
    lease.renewal = 'lost';
    await advance(RENEW_EVERY - 1);
    expect(lease.renewals).toBe(0);
    expect(events).toEqual(['start']);
    await advance(1); // the first renewal is due and is told the lease is someone else's
    expect(lease.renewals).toBe(1);
    expect(runner.holding).toBe(false);
    expect(events).toEqual(['start', 'stop']);
    // It does not start again by itself while the lease is someone else's.
    lease.grant = false;
    await advance(TTL * 3);
    expect(events).toEqual(['start', 'stop']);
  });

  it('stops the task when renewal keeps failing: not while the lease still holds, but before its local deadline', async () => {
    const { lease, runner, events } = await started(new FakeLease());
    expect(runner.holding).toBe(true);
    lease.renewal = 'error';
    // Renewals at ttl/3 and 2ttl/3 fail; the lease (taken at 0) still holds in Redis, so the task runs on.
    await advance(2 * RENEW_EVERY);
    expect(lease.renewals).toBe(2);
    expect(events).toEqual(['start']);
    expect(runner.holding).toBe(true);
    // The watchdog stops it ttl/10 before the lease may expire in Redis, so no other node can run it meanwhile.
    await advance(TTL - MARGIN - 2 * RENEW_EVERY);
    expect(runner.holding).toBe(false);
    expect(events).toEqual(['start', 'stop']);
  });

  it('a renewal that fails once, then succeeds, keeps the task running', async () => {
    const { lease, runner, events } = await started(new FakeLease());
    lease.renewal = 'error';
    await advance(RENEW_EVERY);
    lease.renewal = 'ok';
    await advance(TTL * 5);
    expect(runner.holding).toBe(true);
    expect(events).toEqual(['start']);
    expect(lease.renewals).toBe(1 + 15);
  });

  it('does not start without the lease and retries until granted', async () => {
    const lease = new FakeLease();
    lease.grant = false;
    const { runner, events } = make(lease);
    runners.push(runner);
    runner.start();
    await advance(4 * ASK_EVERY);
    expect(events).toEqual([]);
    expect(lease.acquires).toBe(5); // at 0 and every ttl/6
    lease.grant = true;
    await advance(ASK_EVERY); // the next ask takes it
    expect(runner.holding).toBe(true);
    expect(events).toEqual(['start']);
  });

  it('stop() stops the task and releases the lease', async () => {
    const lease = new FakeLease();
    const { runner, events } = make(lease);
    runner.start();
    await advance(0);
    expect(runner.holding).toBe(true);
    await runner.stop();
    await runner.stop();
    expect(events).toEqual(['start', 'stop']);
    expect(lease.released).toBe(1);
    await advance(TTL * 3); // no timer left to start it again
    expect(events).toEqual(['start', 'stop']);
  });

  it('always runs in embedded mode', async () => {
    const { runner, events } = await started(new EmbeddedLease());
    expect(events).toEqual(['start']);
    await advance(TTL * 10);
    expect(events).toEqual(['start']);
    expect(runner.holding).toBe(true);
  });
});
