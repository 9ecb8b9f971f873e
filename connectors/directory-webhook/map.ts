/**
 * The wire format of the outbound directory webhook (pure): one JSON body per batch, signed with
 * HMAC-SHA256 (RFC 2104) over `${timestamp}.${body}` (the exact bytes sent, after the Unix time in
 * seconds from the timestamp header), hex-encoded with a `sha256=` prefix: the same scheme as the
 * hub's own webhooks, so a receiver can refuse a replayed batch (README "Security").
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

/** How far a receiver should accept a timestamp from its own clock, either way (seconds). */
export const REPLAY_WINDOW_S = 300;

export function sign(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex')}`;
}

/**
 * For receivers (and the simulator): the timestamp is within `windowS` of `now` (epoch ms), and the
 * signature matches, compared in constant time. A receiver that also remembers the X-Hub-Delivery
 * ids it saw within the window refuses every replay.
 */
export function verify(secret: string, body: string, header: string | undefined, timestamp: string | undefined, now: number, windowS = REPLAY_WINDOW_S): boolean {
  if (header === undefined || timestamp === undefined || !/^\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(now / 1000 - Number(timestamp)) > windowS) return false;
  const want = Buffer.from(sign(secret, timestamp, body));
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
