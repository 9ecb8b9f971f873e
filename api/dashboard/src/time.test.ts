import { afterEach, describe, expect, it } from 'vitest';
import { localTime } from './time.ts';

// The reader's zone is the process's: Node re-reads TZ when it is assigned. (This folder's
// tsconfig is the browser's, without Node's types: the one global the test needs, declared.)
declare const process: { env: Record<string, string | undefined> };
const saved = process.env.TZ;
afterEach(() => {
  if (saved === undefined) delete process.env.TZ;
  else process.env.TZ = saved;
});

describe('a clock time in the reader\'s zone', () => {
  it('is the bare time when the instant falls on today there, with the date when it does not', () => {
    process.env.TZ = 'Asia/Kolkata';
    const now = Date.parse('2026-12-01T17:31:00Z'); // 23:01 in India
    const sameDay = localTime('2026-12-01T18:00:00Z', now); // 23:30 the same day
    const nextDay = localTime('2026-12-01T18:31:00Z', now); // 00:01 the next day
    expect(sameDay).toMatch(/^11:30\sPM$|^23:30$/);
    expect(sameDay).not.toMatch(/Dec/);
    expect(nextDay).toMatch(/Dec\s2|2\sDec/);
    expect(nextDay).toMatch(/12:01\sAM|00:01/);
  });

  it('judges "today" in the reader\'s zone, not in UTC', () => {
    process.env.TZ = 'America/St_Johns'; // UTC-3:30 in December
    const now = Date.parse('2026-12-01T23:00:00Z'); // 19:30 there; already Dec 2 in UTC
    expect(localTime('2026-12-02T01:00:00Z', now)).not.toMatch(/Dec/); // 21:30 the same local day
  });
});
