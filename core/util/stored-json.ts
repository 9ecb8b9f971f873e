import type { z } from 'zod';

/**
 * A record read back from a store (webhooks, triggers): the JSON parsed and checked against its
 * schema, or undefined when it is absent, not JSON or not of that shape (the caller skips it).
 */
export function parseStored<T>(schema: z.ZodType<T>, raw: string | undefined): T | undefined {
  if (raw === undefined) return undefined;
  try {
    const r = schema.safeParse(JSON.parse(raw));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}
