/** The only code that speaks HTTP for the directory webhook: one signed POST per batch. */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../../core/util/clock.ts';
import { HubError } from '../../core/util/errors.ts';
import type { DirectoryWebhookConfig } from './config.ts';
import { retryAfterMs, sign } from './map.ts';

export type PostResult = { ok: true; status: number } | { ok: false; error: HubError; retryAfterMs?: number };

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
    return { ok: false, error: new HubError('HUB_ERR_WEBHOOK_UNREACHABLE', `directory webhook unreachable (${cause})`, { kind: 'transient', cause: e }) };
  }
  if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status };
  const after = retryAfterMs(res.headers.get('retry-after'), clock.now());
  if (res.status === 429) return { ok: false, error: new HubError('HUB_ERR_WEBHOOK_THROTTLED', 'directory webhook throttled (429)', { kind: 'throttled', status: 429, ...(after !== undefined ? { retryAfterMs: after } : {}) }), ...(after !== undefined ? { retryAfterMs: after } : {}) };
  if (res.status >= 500 || res.status === 408) {
    return { ok: false, error: new HubError('HUB_ERR_WEBHOOK_FAILED', `directory webhook answered ${res.status}`, { kind: 'transient', status: res.status }), ...(after !== undefined ? { retryAfterMs: after } : {}) };
  }
  return { ok: false, error: new HubError('HUB_ERR_WEBHOOK_REJECTED', `directory webhook refused the batch (${res.status})`, { kind: 'permanent', status: res.status }) };
}
