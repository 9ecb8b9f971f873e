import { z } from 'zod';
import { AVAILABILITY_CLASSES } from '../../core/model/availability.ts';
import { durationSchema } from '../../core/model/duration.ts';
import { graphAppSchema } from '../msgraph-shared/app.ts';
import { notificationEndpointShape } from '../msgraph-shared/notification-config.ts';
import { DEFAULT_JWKS_URL } from '../msgraph-shared/validation-tokens.ts';

/** Connection settings shared by the Graph connectors (national clouds and the simulator set their own URLs). */
export const graphConnectionSchema = {
  ...graphAppSchema.shape,
  /** Explicit user object ids; default: every `entra:<guid>` identity in the directory. */
  users: z.array(z.string().min(1).max(128)).max(1_000_000).optional(),
  /** Deadline of one Graph HTTP request; a request past it fails as transient and is retried next cycle. */
  requestTimeout: durationSchema.prefault('30s'),
};

export const presenceConfigSchema = z.strictObject({
  ...graphConnectionSchema,
  poll: z
    .strictObject({
      enabled: z.boolean().default(true),
      interval: durationSchema.prefault(60),
      /** getPresencesByUserId takes at most 650 ids. */
      batchSize: z.number().int().min(1).max(650).default(650),
      /** Published budget: 1,500 requests per 30 s per app per tenant; `share` keeps a margin for other calls. */
      budget: z.strictObject({ requests: z.number().int().min(1).default(1500), window: durationSchema.prefault(30), share: z.number().min(0.05).max(1).default(0.9) }).prefault({}),
      concurrency: z.number().int().min(1).max(32).default(4),
    })
    .prefault({}),
  subscriptions: z
    .strictObject({
      ...notificationEndpointShape,
      /** Refresh tokens of service accounts, separated by spaces: one account per shard of 650 users. */
      refreshTokens: z.string().min(1),
      /** Where rotated refresh tokens are kept (a 0600 file); default memory only. */
      tokenStorePath: z.string().optional(),
      refreshTokenMaxAge: durationSchema.prefault('90d'),
      refreshTokenWarn: durationSchema.prefault('14d'),
      shardSize: z.number().int().min(1).max(650).default(650),
      /** Presence subscriptions live 45-60 minutes. */
      lifetime: durationSchema.prefault('55m'),
      renewBefore: durationSchema.prefault('10m'),
      jitter: durationSchema.prefault('2m'),
      /** No notification for this long while polling shows changes: the shard is treated as stalled. */
      stallAfter: durationSchema.prefault('20m'),
      /** PEM certificate and private key: rich notifications (availability and activity inside, encrypted). */
      encryptionCertificate: z.string().optional(),
      encryptionPrivateKey: z.string().optional(),
      encryptionCertificateId: z.string().max(128).default('presence-hub'),
      /**
       * Rich notifications are trusted only after their validationTokens verify: signature against this
       * JWKS (Microsoft's common keys by default; national clouds and the simulator set their own),
       * aud = clientId, appid = the Graph notification publisher, issuer per tenant.
       */
      validationTokens: z.strictObject({ jwksUrl: z.url().default(DEFAULT_JWKS_URL), issuers: z.array(z.string().min(1).max(512)).min(1).max(8).optional() }).prefault({}),
    })
    .optional(),
  publish: z
    .strictObject({
      enabled: z.boolean().default(false),
      /** Classes written into Teams; others clear the hub's session so Teams shows its own state. */
      classes: z.array(z.enum(AVAILABILITY_CLASSES)).default(['busy', 'busy-inactive', 'dnd']),
      /** Also use pairs beyond the four setPresence documents (DoNotDisturb, Presenting, Busy/Busy). */
      extendedPairs: z.boolean().default(false),
      minInterval: durationSchema.prefault(30),
      /** setPresence expirationDuration, 5 min .. 4 h. */
      expiration: durationSchema.prefault('1h'),
      refreshBefore: durationSchema.prefault('10m'),
      /** Readings equal to the hub's cleared write are ignored this long (Teams propagation delay). */
      echoSettle: durationSchema.prefault(0),
      preferredPresence: z.strictObject({ enabled: z.boolean().default(false), overrideManual: z.boolean().default(false), expiration: durationSchema.prefault('4h') }).prefault({}),
    })
    .prefault({}),
});
export type PresenceConfig = z.infer<typeof presenceConfigSchema>;
