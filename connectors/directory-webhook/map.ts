/**
 * The wire format of the outbound directory webhook (pure): one JSON body per batch, signed with
 * HMAC-SHA256 over the exact bytes sent (RFC 2104), hex-encoded with a `sha256=` prefix.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ClassChange } from '../directory-common/class-change-batcher.ts';

export interface WebhookBody {
  readonly source: string;
  readonly sentAt: string;
  readonly changes: readonly { person: string; class: string; availability: number; at: string }[];
}

export function webhookBody(source: string, sentAt: number, batch: readonly ClassChange[]): string {
  const body: WebhookBody = {
    source,
    sentAt: new Date(sentAt).toISOString(),
    changes: batch.map((c) => ({ person: c.person, class: c.class, availability: c.availability, at: new Date(c.at).toISOString() })),
  };
  return JSON.stringify(body);
}

export function sign(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** For receivers (and the simulator): constant-time check of a signature header. */
export function verify(secret: string, body: string, header: string | undefined): boolean {
  if (header === undefined) return false;
  const want = Buffer.from(sign(secret, body));
  const got = Buffer.from(header);
  return want.length === got.length && timingSafeEqual(want, got);
}

/** Retry-After (RFC 9110 section 10.2.3): delay-seconds or an HTTP date; ms from `now`. */
export function retryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const s = header.trim();
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}
