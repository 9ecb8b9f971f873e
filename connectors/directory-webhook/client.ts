/**
 * The only code that speaks HTTP for the directory webhook: one signed POST per batch. The
 * signature is HMAC-SHA256 (RFC 2104) over `${timestamp}.${body}`, the Unix time in seconds sent in
 * the timestamp header, a dot, and the exact bytes sent; hex-encoded with a `sha256=` prefix (the
 * encoding GitHub documents for X-Hub-Signature-256). The same scheme as the hub's own webhooks,
 * so that a receiver can refuse a replayed batch (README "Security").
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../core/util/clock.ts';
import { HubError } from '../../core/errors.ts';
import type { DirectoryWebhookConfig } from './config.ts';
import { parseRetryAfter } from '../../core/util/retry-after.ts';

/**
 * `sent`: whether the request may have reached the receiver (false when the connection was refused
 * or the name did not resolve: nothing was delivered). A 5xx or a timeout after sending leaves the
 * outcome unknown; a 4xx says the batch was not taken.
 */
export type PostResult = { ok: true; status: number } | { ok: false; error: HubError; retryAfterMs?: number; outcome: 'failed' | 'unknown' };

const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

export async function postBatch(cfg: DirectoryWebhookConfig, clock: Clock, body: string): Promise<PostResult> {
  let res: Response;
  const timestamp = String(Math.floor(clock.now() / 1000));
  try {
    res = await fetch(cfg.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [cfg.signatureHeader]: sign(cfg.secret, timestamp, body), [cfg.timestampHeader]: timestamp, 'x-hub-delivery': randomUUID() },
      body,
      signal: AbortSignal.timeout(cfg.timeout),
      redirect: 'error',
    });
    // The body is not needed; reading it frees the connection.
    await res.arrayBuffer().catch(() => undefined);
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).name;
    return { ok: false, outcome: NOT_SENT.has(cause) ? 'failed' : 'unknown', error: new HubError('HUB_ERR_WEBHOOK_UNREACHABLE', `directory webhook unreachable (${cause})`, { kind: 'transient', cause: e }) };
  }
  if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status };
  const after = parseRetryAfter(res.headers.get('retry-after'), clock.now());
  if (res.status === 429) return { ok: false, outcome: 'failed', error: new HubError('HUB_ERR_WEBHOOK_THROTTLED', 'directory webhook throttled (429)', { kind: 'throttled', status: 429, ...(after !== undefined ? { retryAfterMs: after } : {}) }), ...(after !== undefined ? { retryAfterMs: after } : {}) };
  if (res.status >= 500 || res.status === 408) {
    // 408: the receiver gave up waiting for the request (not taken); a 5xx may come after it applied.
    return { ok: false, outcome: res.status === 408 ? 'failed' : 'unknown', error: new HubError('HUB_ERR_WEBHOOK_FAILED', `directory webhook answered ${res.status}`, { kind: 'transient', status: res.status }), ...(after !== undefined ? { retryAfterMs: after } : {}) };
  }
  return { ok: false, outcome: 'failed', error: new HubError('HUB_ERR_WEBHOOK_REJECTED', `directory webhook refused the batch (${res.status})`, { kind: 'permanent', status: res.status }) };
}

/** `sha256=<hex HMAC-SHA256(secret, message)>`. */
export function signMessage(secret: string, message: string): string {
  return `sha256=${createHmac('sha256', secret).update(message, 'utf8').digest('hex')}`;
}

export function sign(secret: string, timestamp: string, body: string): string {
  return signMessage(secret, `${timestamp}.${body}`);
}

/** How far a receiver should accept a timestamp from its own clock, either way (seconds). */
export const REPLAY_WINDOW_S = 300;

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
