import { z } from 'zod';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * NOTE: give defaults with `.prefault(30)` (parsed, so 30 means 30 s), never `.default(30)`, which zod 4
 * returns unparsed (30 ms).
 *
 * A duration as `250ms`, `30s`, `5m`, `1h`, `7d`, or a number of seconds; parsed to milliseconds. */
export const durationSchema = z.union([z.number().nonnegative(), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return Math.round(v * 1000);
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(v.trim());
  if (m === null) {
    ctx.addIssue({ code: 'custom', message: `a duration like 30s, 5m or 1h, got ${JSON.stringify(v).slice(0, 40)}` });
    return z.NEVER;
  }
  return Math.round(Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS]);
});
