import { z } from 'zod';
import { durationSchema } from '../../core/model/duration.ts';

export const directoryWebhookConfigSchema = z.strictObject({
  /** Where batches are POSTed (http:// or https://). */
  url: z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' }),
  /** Secret: `${VARIABLE}` from the environment; keys the HMAC-SHA256 signature of every body. */
  secret: z.string().min(16, 'at least 16 characters'),
  signatureHeader: z.string().regex(/^[A-Za-z0-9-]+$/).default('X-Hub-Signature-256'),
  /** Carries the Unix time (seconds) that the signature covers with the body (client.ts sign). */
  timestampHeader: z.string().regex(/^[A-Za-z0-9-]+$/).default('X-Hub-Timestamp'),
  /** Most changes per request. */
  batchSize: z.number().int().min(1).max(10_000).default(500),
  /** Least time between two requests (the rate limit). */
  interval: durationSchema.prefault('2s'),
  timeout: durationSchema.prefault('10s'),
  /** Accepted for older configurations and ignored: retries follow the hub's reconciliation (core/publish). */
  retryBase: durationSchema.prefault('1s'),
  retryMax: durationSchema.prefault('5m'),
});
export type DirectoryWebhookConfig = z.infer<typeof directoryWebhookConfigSchema>;
