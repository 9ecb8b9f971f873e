import { describe, expect, it } from 'vitest';
import { HubError } from '../errors.ts';
import { judgeFailure, reasonCode, UNKNOWN_FAILURE } from './retry-policy.ts';

describe('judgeFailure', () => {
  const permanent = new HubError('HUB_ERR_SIGNAL_INVALID', 'no good', { kind: 'permanent' });
  const transient = new HubError('HUB_ERR_UNAVAILABLE', 'away', { kind: 'transient' });
  const throttled = new HubError('HUB_ERR_GRAPH_THROTTLED', 'slow down', { kind: 'throttled', retryAfterMs: 7000 });

  it.each([
    ['permanent HubError, first attempt', permanent, 1, 'dead-letter', 'HUB_ERR_SIGNAL_INVALID'],
    ['transient HubError, 50th attempt', transient, 50, 'retry', 'HUB_ERR_UNAVAILABLE'],
    ['throttled HubError, 50th attempt', throttled, 50, 'retry', 'HUB_ERR_GRAPH_THROTTLED'],
    ['plain Error, 9th attempt', new Error('bug'), 9, 'retry', UNKNOWN_FAILURE],
    ['plain Error, 10th attempt', new Error('bug'), 10, 'dead-letter', UNKNOWN_FAILURE],
  ] as const)('%s: %s', (_name, e, attempts, action, code) => {
    const v = judgeFailure(e, attempts);
    expect(v.action).toBe(action);
    expect(v.code).toBe(code);
    expect(reasonCode(v.reason)).toBe(code);
  });

  it('caps the backoff and honours Retry-After', () => {
    for (let a = 1; a < 40; a++) {
      const v = judgeFailure(transient, a, { baseDelayMs: 500, maxDelayMs: 30_000 });
      expect(v.action === 'retry' && v.delayMs <= 36_000).toBe(true);
    }
    const t = judgeFailure(throttled, 1);
    expect(t.action === 'retry' && t.delayMs).toBe(7000);
  });

  it('lets the pipeline name the kind of a foreign error (a Redis connection error is transient)', () => {
    const v = judgeFailure(new Error('Connection is closed.'), 100, {}, () => 'transient');
    expect(v.action).toBe('retry');
    expect(v.reason).toContain('Connection is closed.');
  });
});
