import { z } from 'zod';
import { durationSchema } from '../model/duration.ts';
import { personIdSchema, personSchema } from '../model/person.ts';
import { rulesConfigSchema } from '../rules/rules-config.ts';
import { routingConfigSchema } from '../route/route-config.ts';
import { confidenceConfigSchema } from '../model/confidence.ts';
import { triggersConfigSchema } from '../trigger/trigger-config.ts';

// `helpdesk` reads presence, explanations and timelines of everyone; it configures and writes nothing.
export const ROLES = ['admin', 'publisher', 'watcher', 'helpdesk'] as const;
export type Role = (typeof ROLES)[number];

const secretRef = z.string().min(1);

export const connectorEntrySchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'lower-case letters, digits, dash or underscore'),
    kind: z.string().min(1),
    enabled: z.boolean().default(true),
  })
  .passthrough();

/** The hub's configuration file (docs/architecture.md "Configuration"); more keys than the contract are welcome. */
export const hubConfigSchema = z.strictObject({
  server: z
    .strictObject({
      port: z.number().int().min(0).max(65535).default(8080),
      host: z.string().min(1).optional(),
      /** Largest request body accepted, bytes. */
      bodyLimit: z.number().int().positive().default(1_048_576),
      requestTimeout: durationSchema.prefault(30),
      maxStreamsPerKey: z.number().int().positive().default(20),
      /** Bytes buffered for one stream client before it is dropped as too slow. */
      streamBufferBytes: z.number().int().positive().default(1_048_576),
      heartbeat: durationSchema.prefault(15),
      /** Requests per key per second (token bucket); 0 disables. */
      rateLimit: z.number().nonnegative().default(200),
      /** Failed authentications per client address per minute before 429 (api/auth-failures.ts); 0 disables. */
      authFailureLimit: z.number().int().nonnegative().default(10),
    })
    .default({ port: 8080, bodyLimit: 1_048_576, requestTimeout: 30_000, maxStreamsPerKey: 20, streamBufferBytes: 1_048_576, heartbeat: 15_000, rateLimit: 200, authFailureLimit: 10 }),
  redis: z
    .strictObject({
      url: z.string().optional(),
      prefix: z.string().default('ph'),
      /** Redis Sentinel: `host:port` of each sentinel; `name` is the monitored primary. */
      sentinels: z.array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'host:port')).min(1).optional(),
      name: z.string().min(1).optional(),
      /** Replicas an accepted batch must reach before the 202 (default 1 with Sentinel, else 0). */
      minReplicas: z.number().int().min(0).optional(),
      /** Lock of a batch in hand, renewed every half of it (default 2.5s). */
      lockDuration: durationSchema.optional(),
      /** How often the workers look for batches whose node died (default 1s). */
      stalledInterval: durationSchema.optional(),
      /** Connector lease time to live (default 3s). */
      leaseTtl: durationSchema.optional(),
    })
    .refine((r) => r.sentinels === undefined || r.name !== undefined, { message: 'redis.sentinels needs redis.name (the monitored primary)', path: ['name'] })
    .optional(),
  /** Embedded mode: where what the API configured is kept across restarts (absent: memory only). */
  dataDir: z.string().min(1).optional(),
  node: z.strictObject({ id: z.string().min(1).optional() }).optional(),
  people: z.array(personSchema).default([]),
  /** A YAML or CSV file of people, relative to the configuration file. */
  peopleFile: z.string().optional(),
  auth: z
    .strictObject({
      keys: z
        .array(
          z.strictObject({
            name: z.string().min(1).max(64),
            secret: secretRef,
            roles: z.array(z.enum(ROLES)).min(1),
            person: personIdSchema.optional(),
          }),
        )
        .default([]),
    })
    .default({ keys: [] }),
  rules: rulesConfigSchema.optional(),
  /** Routing rules and address schemes (docs/routing.md); absent: the defaults. */
  routing: routingConfigSchema.optional(),
  /** Confidence weights per evidence (docs/confidence.md); absent: the defaults. */
  confidence: confidenceConfigSchema.optional(),
  /** Presence triggers and the limits of watchers' own triggers (docs/triggers.md). */
  triggers: triggersConfigSchema.prefault({}),
  webhooks: z
    .strictObject({
      maxAttempts: z.number().int().min(1).max(50).default(8),
      timeout: durationSchema.prefault(5),
      /**
       * Private and loopback destinations webhooks may deliver to: CIDRs (`10.1.0.0/16`, `fd12::/16`),
       * addresses or host names. Link-local and cloud metadata addresses are refused whatever this says
       * (core/watch/destination-policy.ts).
       */
      allowPrivateTargets: z.array(z.string().min(1).max(256)).max(256).default([]),
    })
    .default({ maxAttempts: 8, timeout: 5000, allowPrivateTargets: [] }),
  limits: z
    .strictObject({
      /** Registers (source, endpoint, category) per person; a signal that would add one more is refused (core/manager/register-cap.ts). */
      registersPerPerson: z.number().int().min(1).max(100_000).default(64),
    })
    .default({ registersPerPerson: 64 }),
  connectors: z.array(connectorEntrySchema).default([]),
  log: z.strictObject({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') }).optional(),
  demo: z.boolean().default(false),
});
export type HubConfig = z.infer<typeof hubConfigSchema>;
export type HubConfigInput = z.input<typeof hubConfigSchema>;
export type ConnectorEntry = z.infer<typeof connectorEntrySchema>;
