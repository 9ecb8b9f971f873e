import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/util/clock.ts';
import { retryAfterMs } from './graph-client.ts';
import { RequestPacer } from './pacer.ts';

describe('RequestPacer', () => {
  it('never lets more than `limit` requests into any window, and waits out a Retry-After pause', async () => {
    const clock = new ManualClock(0);
    const sleep = async (ms: number) => void clock.advance(ms);
    const pacer = new RequestPacer({ limit: 1350, windowMs: 30_000, clock, sleep });
    const sent: number[] = [];
    for (let i = 0; i < 4000; i++) {
      await pacer.acquire();
      sent.push(clock.now());
    }
    for (let i = 1350; i < sent.length; i++) expect(sent[i]! - sent[i - 1350]!).toBeGreaterThanOrEqual(30_000);
    const t = clock.now();
    pacer.pause(t + 5000);
    await pacer.acquire();
    expect(clock.now()).toBeGreaterThanOrEqual(t + 5000);
  });
});

describe('retryAfterMs', () => {
  it.each([
    ['5', 0, 5000],
    ['0', 0, 1000], // at least MIN_RETRY_AFTER_MS: no tight loop
    [null, 0, 1000],
    ['garbage', 0, 1000],
    ['Thu, 01 Jan 1970 00:00:10 GMT', 4000, 6000],
  ] as const)('%s', (h, now, want) => {
    expect(retryAfterMs(h, now, 1000)).toBe(want);
  });
});
