import { z } from 'zod';
import { durationSchema } from '../../core/model/duration.ts';
import { DEFAULT_PROTOCOL } from './requests.ts';

const fingerprint = z
  .string()
  .regex(/^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$|^[0-9A-Fa-f]{64}$/, { message: 'the SHA-256 fingerprint of the AE Services certificate, 64 hex digits (colons allowed)' });

const lineSchema = z.strictObject({
  extension: z.string().regex(/^[0-9*#]{1,16}$/, { message: 'an extension number such as 4750' }),
  /** The person (directory id) whose phone it is. */
  person: z.string().min(1).max(128),
});

/** avaya-aes settings (README.md "Configuration"). */
export const aesConfigSchema = z
  .strictObject({
    host: z.string().min(1).max(253),
    /** Default 4722 with TLS, 4721 without (AE Services DMCC ports). */
    port: z.number().int().min(1).max(65535).optional(),
    tls: z.boolean().default(true),
    /** PEM file of the CA that signed the AE Services server certificate (default: the system's CAs). */
    caFile: z.string().min(1).optional(),
    /** Pins the server certificate by its SHA-256 fingerprint instead of a CA (self-signed AE Services certificate). */
    fingerprint: fingerprint.optional(),
    /** The name the certificate is checked against (default: host). */
    servername: z.string().min(1).optional(),
    /** The CTI user administered in AE Services (User Management), and its password. */
    username: z.string().min(1).max(128),
    password: z.string().min(1).max(128),
    /** The switch connection name administered in AE Services (Communication Manager Interface > Switch Connections). */
    switchName: z.string().min(1).max(64),
    protocolVersion: z.string().url().default(DEFAULT_PROTOCOL),
    applicationId: z.string().min(1).max(64).default('presence-hub'),
    /** The session duration requested; the timer is reset at a third of what AE Services grants. */
    sessionDuration: durationSchema.prefault(180),
    /** How long AE Services keeps a dropped session's devices and monitors before cleaning them up. */
    sessionCleanupDelay: durationSchema.prefault(60),
    /** GetThirdPartyDeviceId (call control only, default) or GetDeviceId (first-party device). */
    deviceIds: z.enum(['third-party', 'first-party']).default('third-party'),
    /** Extensions from the directory: `ext:` identities as they are, `tel:` numbers by this rule. */
    extensionRule: z.strictObject({ digits: z.number().int().min(2).max(16).default(4), telPrefix: z.string().regex(/^\+?[0-9]{1,15}$/).optional() }).prefault({}),
    /** Lines named by hand (in addition to the directory). */
    lines: z.array(lineSchema).max(20_000).default([]),
    /** Monitors on one session: AE Services allows 8 000 DMCC endpoints per server; licences may allow fewer. */
    maxMonitors: z.number().int().min(1).max(8000).default(8000),
    /** Requests in flight while monitors are started. */
    concurrency: z.number().int().min(1).max(256).default(32),
    requestTimeout: durationSchema.prefault(10),
    /** Availability of the phone register while it rings or dials (the hub needs one: `ringing` and `dialing` have none of their own). */
    ringingAvailability: z.enum(['available', 'busy']).default('available'),
    /** A dropped connection not back (and its lines re-read) within this: the lines' registers lapse. */
    lapseAfter: durationSchema.prefault(30),
    /** How often the directory is read again for people added or removed. */
    directoryRescan: durationSchema.prefault('5m'),
    retry: z.strictObject({ base: durationSchema.prefault(1), max: durationSchema.prefault(60) }).prefault({}),
  })
  .superRefine((c, ctx) => {
    if (c.caFile !== undefined && c.fingerprint !== undefined) ctx.addIssue({ code: 'custom', path: ['fingerprint'], message: 'give caFile or fingerprint, not both' });
    if (!c.tls && (c.caFile !== undefined || c.fingerprint !== undefined)) ctx.addIssue({ code: 'custom', path: ['tls'], message: 'caFile and fingerprint need tls: true' });
  });
export type AesConfig = z.infer<typeof aesConfigSchema>;

export const AES_SECRET_FIELDS = ['username', 'password'] as const;

export function portOf(c: AesConfig): number {
  return c.port ?? (c.tls ? 4722 : 4721);
}
