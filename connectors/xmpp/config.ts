import { z } from 'zod';
import { durationSchema } from '../../core/model/duration.ts';

/** `xmpp://host:port` (STARTTLS when offered) or `xmpps://host:port` (direct TLS, XEP-0368). */
const service = z
  .string()
  .max(256)
  .regex(/^xmpps?:\/\/[^/\s:]+(:\d{1,5})?\/?$/, 'an address like xmpp://chat.corp.example:5222 or xmpps://chat.corp.example:5223');
const componentService = z
  .string()
  .max(256)
  .regex(/^xmpp:\/\/[^/\s:]+(:\d{1,5})?\/?$/, 'an address like xmpp://chat.corp.example:5347 (XEP-0114 runs over plain TCP)');
/** A domain part (RFC 7622 section 3.2), lower case. */
const domain = z
  .string()
  .max(253)
  .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/, 'a domain such as corp.example (lower case)');
/** A bare JID `local@domain` (RFC 7622 section 3). */
const bareJid = z
  .string()
  .max(512)
  .regex(/^[^@/\s"&'<>:]+@[a-z0-9.-]+$/, 'a bare JID such as presence-hub@corp.example');
const SHOWS = ['chat', 'available', 'away', 'xa', 'dnd'] as const;
const availability = z.union([z.number().int().min(0).max(30_000), z.enum(['available', 'busy', 'dnd', 'away', 'offline'])]);

export const xmppConfigSchema = z
  .strictObject({
    /** The XMPP server the service account (collect via client) logs in to. */
    service: service.optional(),
    /** The service account's bare JID (collect via client). */
    jid: bareJid.optional(),
    password: z.string().min(1).max(1024).optional(),
    resource: z.string().min(1).max(64).default('presence-hub'),
    /** Connecting, authenticating and each round trip: longer is an outage. */
    timeout: durationSchema.prefault('10s'),
    /** Reconnection after a drop or a stream error: capped exponential backoff with jitter. */
    reconnect: z.strictObject({ base: durationSchema.prefault('1s'), max: durationSchema.prefault('60s') }).prefault({}),
    /** Largest stanza the hub reads from the server; a larger one ends the stream (policy-violation). */
    maxStanzaBytes: z.number().int().min(1024).max(10_485_760).default(262_144),
    collect: z
      .strictObject({
        enabled: z.boolean().default(true),
        /** `client`: the service account's roster; `component`: users who have the component as a contact. Default: client when `jid` is set. */
        via: z.enum(['client', 'component']).optional(),
        /** Client: ask the directory's people with an xmpp: identity for a subscription, and approve theirs. */
        subscribe: z.boolean().default(true),
        category: z.enum(['user', 'device']).default('user'),
        /** After a (re)connect, a resource the server has not reported again within this is gone. */
        settle: durationSchema.prefault('3s'),
        /** What each `show` means (no show = `available`); defaults in map.ts. */
        show: z.partialRecord(z.enum(SHOWS), availability).default({}),
      })
      .prefault({}),
    component: z
      .strictObject({
        /** The server's component port (XEP-0114), e.g. xmpp://chat.corp.example:5347. */
        service: componentService,
        /** The component's domain: each person is `<id>@<domain>` there. */
        domain,
        secret: z.string().min(1).max(1024),
        /** Publish the merged presence to the people's subscribers. */
        publish: z.boolean().default(true),
        /** A subscription request from a JID that is no person of the directory: refused, or approved with the public (or company) view. */
        strangers: z.enum(['deny', 'public', 'approve']).default('deny'),
      })
      .optional(),
  })
  .superRefine((c, ctx) => {
    const via = c.collect.via ?? (c.jid !== undefined ? 'client' : 'component');
    if (c.jid !== undefined || (c.collect.enabled && via === 'client')) {
      if (c.jid === undefined) ctx.addIssue({ code: 'custom', path: ['jid'], message: 'required to collect via the service account (collect.via: client)' });
      if (c.password === undefined) ctx.addIssue({ code: 'custom', path: ['password'], message: 'required with jid' });
      if (c.service === undefined) ctx.addIssue({ code: 'custom', path: ['service'], message: 'required with jid (xmpp://host:5222)' });
    }
    if (c.component === undefined && (via === 'component' || c.jid === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['component'], message: 'required to publish, or to collect via the component; or give service, jid and password' });
    }
    if (c.component !== undefined && c.jid !== undefined && c.component.domain === c.jid.split('@')[1]) {
      ctx.addIssue({ code: 'custom', path: ['component', 'domain'], message: "must differ from the users' domain (a subdomain such as presence.corp.example)" });
    }
  });
export type XmppConfig = z.infer<typeof xmppConfigSchema>;

export const XMPP_SECRET_FIELDS = ['password', 'component.secret'] as const;

/** Which connection collects, if any. */
export function collectVia(c: XmppConfig): 'client' | 'component' | undefined {
  if (!c.collect.enabled) return undefined;
  return c.collect.via ?? (c.jid !== undefined ? 'client' : 'component');
}
