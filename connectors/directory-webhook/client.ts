/**
 * The only code that speaks HTTP for the directory webhook: one signed POST per batch. The
 * signature is HMAC-SHA256 over the exact bytes sent (RFC 2104), hex-encoded with a `sha256=`
 * prefix, the scheme GitHub documents for X-Hub-Signature-256.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../core/util/clock.ts';
import { HubError } from '../../core/util/errors.ts';
import type { DirectoryWebhookConfig } from './config.ts';
import { parseRetryAfter } from '../../core/util/retry-after.ts';

export type PostResult = { ok: true; status: number } | { ok: false; error: HubError; retryAfterMs?: number };

export async function postBatch(cfg: DirectoryWebhookConfig, clock: Clock, body: string): Promise<PostResult> {
  let res: Response;
  try {
    res = await fetch(cfg.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [cfg.signatureHeader]: sign(cfg.secret, body), 'x-hub-delivery': randomUUID() },
      body,
      signal: AbortSignal.timeout(cfg.timeout),
      redirect: 'error',
    });
    // The body is not needed; reading it frees the connection.
    await res.arrayBuffer().catch(() => undefined);
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).name;
    return { ok: false, error: new HubError('HUB_ERR_WEBHOOK_UNREACHABLE', `directory webhook unreachable (${cause})`, { kind: 'transient', cause: e }) };
  }
  if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status };
  const after = parseRetryAfter(res.headers.get('retry-after'), clock.now());
  if (res.status === 429) return { ok: false, error: new HubError('HUB_ERR_WEBHOOK_THROTTLED', 'directory webhook throttled (429)', { kind: 'throttled', status: 429, ...(after !== undefined ? { retryAfterMs: after } : {}) }), ...(after !== undefined ? { retryAfterMs: after } : {}) };
  if (res.status >= 500 || res.status === 408) {
    return { ok: false, error: new HubError('HUB_ERR_WEBHOOK_FAILED', `directory webhook answered ${res.status}`, { kind: 'transient', status: res.status }), ...(after !== undefined ? { retryAfterMs: after } : {}) };
  }
  return { ok: false, error: new HubError('HUB_ERR_WEBHOOK_REJECTED', `directory webhook refused the batch (${res.status})`, { kind: 'permanent', status: res.status }) };
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
