import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from './retry-after.ts';

const T0 = Date.parse('2026-11-22T10:00:00Z');

describe('parseRetryAfter (RFC 9110 section 10.2.3)', () => {
  it.each([
    ['30', 30_000],
    ['0', 0],
    [' 5 ', 5000],
    ['Sun, 22 Nov 2026 10:01:00 GMT', 60_000],
    ['Sun, 22 Nov 2026 09:59:00 GMT', 0],
    ['soon', undefined],
    ['', undefined],
    [null, undefined],
    [undefined, undefined],
  ] as const)('%s', (h, want) => expect(parseRetryAfter(h, T0)).toBe(want));
});
