import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { durationSchema } from '../../core/model/duration.ts';
import { HubError } from '../../core/errors.ts';
import type { Logger } from '../../core/util/logger.ts';
import { parseSipUri } from './header-values.ts';
import { UserAgent } from './ua.ts';

const sipUri = z.string().max(256).refine((s) => parseSipUri(s) !== undefined, { message: 'a sip: or sips: URI, e.g. sip:127.0.0.1:5060;transport=tcp' });

/** Connection settings shared by the SIP connector kinds (README.md "Configuration"). */
export const sipConnectionSchema = z.strictObject({
  /** The presence server or outbound proxy every request is sent to. Without it, requests go to the presentity's host. */
  server: sipUri.optional(),
  /** The hub's own address of record, used in From (watcher and publisher identity). */
  from: sipUri.default('sip:presence-hub@localhost'),
  transport: z.enum(['udp', 'tcp', 'tls']).default('udp'),
  listen: z
    .strictObject({
      host: z.string().default('127.0.0.1'),
      /** 0 picks a free port; one port number is used for each enabled transport. */
      port: z.number().int().min(0).max(65535).default(0),
      /** The host written in Via and Contact when the bind address is not reachable as such. */
      advertise: z.string().optional(),
    })
    .prefault({}),
  auth: z.strictObject({ username: z.string().min(1), password: z.string().min(1), realm: z.string().optional() }).optional(),
  tls: z
    .strictObject({
      certFile: z.string(),
      keyFile: z.string(),
      caFile: z.string().optional(),
      rejectUnauthorized: z.boolean().default(true),
      servername: z.string().optional(),
    })
    .optional(),
  /** Requested subscription / publication duration (RFC 6665 Expires). */
  expires: durationSchema.prefault(600),
  retry: z.strictObject({ base: durationSchema.prefault(1), max: durationSchema.prefault(300) }).prefault({}),
  /**
   * How often the hub checks that the server still knows it (one in-dialog SUBSCRIBE refresh, or a
   * publication refresh): over UDP nothing else tells it that the server restarted before the next
   * refresh. 0 turns the check off.
   */
  restartProbe: durationSchema.prefault(30),
  /** SIP timer T1 (RFC 3261 section 17.1.1.1); tests shorten it. */
  t1: durationSchema.prefault('500ms'),
});
export type SipConnection = z.infer<typeof sipConnectionSchema>;

export const SIP_SECRET_FIELDS = ['auth.password'] as const;

/** Opens the user agent a connector instance needs: the configured transport plus UDP/TCP for incoming NOTIFYs. */
export async function openUserAgent(c: SipConnection, log: Logger): Promise<UserAgent> {
  let tls;
  if (c.transport === 'tls') {
    if (c.tls === undefined) throw new HubError('HUB_ERR_SIP_CONFIG', 'transport tls needs tls.certFile and tls.keyFile');
    try {
      tls = {
        cert: readFileSync(c.tls.certFile),
        key: readFileSync(c.tls.keyFile),
        ...(c.tls.caFile !== undefined ? { ca: readFileSync(c.tls.caFile) } : {}),
        rejectUnauthorized: c.tls.rejectUnauthorized,
        ...(c.tls.servername !== undefined ? { servername: c.tls.servername } : {}),
      };
    } catch (e) {
      throw new HubError('HUB_ERR_SIP_CONFIG', `cannot read the TLS files: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const t1 = Math.max(10, c.t1);
  return UserAgent.create({
    host: c.listen.host,
    protocols: [c.transport],
    udpPort: c.listen.port,
    tcpPort: c.listen.port,
    tlsPort: c.listen.port,
    ...(tls !== undefined ? { tls } : {}),
    ...(c.listen.advertise !== undefined ? { advertiseHost: c.listen.advertise } : {}),
    timers: { t1, t2: Math.max(t1, 8 * t1), t4: 10 * t1 },
    log,
    userAgent: 'presence-hub',
  });
}
