import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_BACKOFF } from './backoff.ts';

const opts = { baseMs: 100, maxMs: 1000 };

describe('backoffDelay', () => {
  // The cap doubles per attempt from baseMs and stops at maxMs; the delay lies in [cap/2, cap].
  it.each([
    [1, 100],
    [2, 200],
    [3, 400],
    [4, 800],
    [5, 1000],
    [6, 1000],
    [60, 1000],
    [10_000, 1000],
  ])('attempt %i has cap %i', (attempt, cap) => {
    expect(backoffDelay(attempt, opts, () => 0)).toBe(cap / 2);
    expect(backoffDelay(attempt, opts, () => 1)).toBe(cap);
    expect(backoffDelay(attempt, opts, () => 0.5)).toBe(Math.round(cap * 0.75));
  });

  it('treats attempt 0 and negative attempts as the first', () => {
    expect(backoffDelay(0, opts, () => 1)).toBe(100);
    expect(backoffDelay(-3, opts, () => 1)).toBe(100);
  });

  it('stays within [cap/2, cap] with the real random source, never zero', () => {
    for (let attempt = 1; attempt <= 30; attempt++) {
      const cap = Math.min(opts.maxMs, opts.baseMs * 2 ** (attempt - 1));
      for (let i = 0; i < 50; i++) {
        const d = backoffDelay(attempt, opts);
        expect(d).toBeGreaterThanOrEqual(cap / 2);
        expect(d).toBeLessThanOrEqual(cap);
      }
    }
  });

  it('uses the default of 1 s growing to 60 s', () => {
    expect(backoffDelay(1, undefined, () => 1)).toBe(DEFAULT_BACKOFF.baseMs);
    expect(backoffDelay(100, undefined, () => 1)).toBe(DEFAULT_BACKOFF.maxMs);
  });
});
