import { z } from 'zod';
import { durationSchema } from '../../core/model/duration.ts';
import { identitySchema } from '../../core/model/signal.ts';
import { parseSipUri } from '../sip-core/header-values.ts';
import { sipConnectionSchema } from '../sip-core/config.ts';

const lineSchema = z.strictObject({
  /** The monitored extension or line (SUBSCRIBE Request-URI, Event: dialog). */
  uri: z.string().max(256).refine((s) => parseSipUri(s) !== undefined, { message: 'a sip: URI such as sip:100@pbx.example' }),
  /** The identity the directory knows the line's owner by (tel:+1555..., sip:alice@...); default: the uri. */
  identity: identitySchema.optional(),
  /** Endpoint name of the line's register; default: the uri. */
  endpoint: z.string().min(1).max(128).optional(),
});

export const sipDialogConfigSchema = z.strictObject({
  ...sipConnectionSchema.shape,
  lines: z.array(lineSchema).max(50_000).default([]),
  /** An early (ringing/dialing) dialog older than this is considered stuck and dropped. Default 2 min. */
  earlyTimeout: durationSchema.prefault(120),
  /** Availability while ringing or dialing: none (activity only), available or busy. */
  ringingAvailability: z.enum(['none', 'available', 'busy']).default('none'),
});
export type SipDialogConfig = z.infer<typeof sipDialogConfigSchema>;
