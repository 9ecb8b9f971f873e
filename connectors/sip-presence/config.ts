import { z } from 'zod';
import { durationSchema } from '../../core/model/duration.ts';
import { parseSipUri } from '../sip-core/header-values.ts';
import { sipConnectionSchema } from '../sip-core/config.ts';

const presentity = z.string().max(256).refine((s) => parseSipUri(s) !== undefined, { message: 'a sip: URI such as sip:alice@corp.example' });

export const sipPresenceConfigSchema = z.strictObject({
  ...sipConnectionSchema.shape,
  /** Presentities to watch (SUBSCRIBE Event: presence, RFC 3856). */
  presentities: z.array(presentity).max(50_000).default([]),
  /** Also watch every person of the directory that has a sip: identity. */
  watchDirectory: z.boolean().default(false),
  /** Category of the emitted signals: `user` (a state the person set) or `device`. */
  category: z.enum(['user', 'device']).default('user'),
  /** Endpoint name of the emitted signals (one register per presentity and source). */
  endpoint: z.string().min(1).max(128).default('sip-presence'),
  publish: z
    .strictObject({
      /** PUBLISH the hub's merged presence of people with a sip: identity (RFC 3903). */
      enabled: z.boolean().default(true),
      /** Publication lifetime; refreshed before it ends. Default 1 h. */
      expires: durationSchema.prefault(3600),
      /** At most one PUBLISH of a new state per person this often (coalescing); a removal is never held back. Default 0. */
      minInterval: durationSchema.prefault(0),
    })
    .prefault({}),
});
export type SipPresenceConfig = z.infer<typeof sipPresenceConfigSchema>;
