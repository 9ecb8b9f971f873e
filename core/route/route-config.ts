import { z } from 'zod';
import { AVAILABILITY_CLASSES } from '../model/availability.ts';
import { durationSchema } from '../model/duration.ts';
import { cleanText } from '../model/signal.ts';

/** The ways to reach a person the router knows (README "Routing"). */
export const MEDIA = ['voice', 'im', 'email'] as const;
export type Medium = (typeof MEDIA)[number];

const tokenKey = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'an activity token');
const scheme = z.string().regex(/^[a-z][a-z0-9+.-]*$/, 'an identity scheme such as sip, tel, xmpp, upn, mailto');
const unique = <T>(a: readonly T[]): boolean => new Set(a).size === a.length;

const ruleSchema = z.strictObject({
  /** The rule applies when the caller's view shows one of these classes and/or activity tokens. */
  when: z
    .strictObject({
      class: z.array(z.enum(AVAILABILITY_CLASSES)).min(1).optional(),
      activity: z.array(tokenKey).min(1).max(256).optional(),
    })
    .refine((w) => w.class !== undefined || w.activity !== undefined, { message: 'a rule needs a class or an activity to match' }),
  /** Media, best first; a medium left out is not offered. */
  order: z.array(z.enum(MEDIA)).min(1).max(MEDIA.length).refine(unique, { message: 'a medium appears twice' }),
  reason: cleanText(200, 1),
});
export type RouteRule = z.infer<typeof ruleSchema>;

/**
 * Which registers say that a device other than the computer reaches the person (a mobile client):
 * registers of `source` (a connector id) and/or whose endpoint starts with `endpoint`.
 */
const deviceSchema = z
  .strictObject({
    /** The device's name in the reason ("mobile"). */
    name: z.string().regex(/^[a-z][a-z0-9 -]{0,31}$/, 'a short lower-case name such as mobile'),
    source: z.string().min(1).max(64).optional(),
    endpoint: z.string().min(1).max(128).optional(),
    /** Media the device reaches, best first. */
    media: z.array(z.enum(MEDIA)).min(1).max(MEDIA.length).refine(unique, { message: 'a medium appears twice' }),
    /** A register older than this says nothing about the device now. */
    activeWithin: durationSchema.prefault('10m'),
  })
  .refine((d) => d.source !== undefined || d.endpoint !== undefined, { message: 'a device needs a source or an endpoint to match' });
export type DeviceRule = z.infer<typeof deviceSchema>;

/** `routing` in the configuration: rules (first match wins), devices, and which identity schemes carry which medium. */
export const routingConfigSchema = z.strictObject({
  rules: z.array(ruleSchema).min(1).max(256).optional(),
  /** Devices that reach a person away from the computer (docs/routing.md "Devices"); [] turns the device reasons off. */
  devices: z.array(deviceSchema).max(32).optional(),
  addresses: z
    .strictObject({
      voice: z.array(scheme).max(16).optional(),
      im: z.array(scheme).max(16).optional(),
      email: z.array(scheme).max(16).optional(),
    })
    .optional(),
});
export type RoutingConfig = z.infer<typeof routingConfigSchema>;

/**
 * The default rules follow the aggregation classes (docs/routing.md): a call on the line means the
 * phone is taken, so chat; do not disturb means something that waits (email, or voicemail); an idle
 * or away person is reached by what waits for them. Evaluated on the caller's view, so a company
 * watcher (who sees no activity) falls through to the class rules.
 */
export const DEFAULT_ROUTE_RULES: readonly RouteRule[] = [
  { when: { activity: ['on-the-phone', 'ringing'] }, order: ['im', 'email', 'voice'], reason: 'in a call: chat instead' },
  { when: { activity: ['presenting'] }, order: ['email', 'im'], reason: 'presenting: email, or chat after' },
  { when: { class: ['dnd'] }, order: ['email', 'voice'], reason: 'do not disturb: email, or voicemail' },
  { when: { class: ['busy'] }, order: ['im', 'email', 'voice'], reason: 'busy: chat, or email' },
  { when: { class: ['available'] }, order: ['voice', 'im', 'email'], reason: 'available: call' },
  { when: { class: ['inactive', 'busy-inactive'] }, order: ['im', 'email', 'voice'], reason: 'idle at the computer: chat waits for them' },
  { when: { class: ['away', 'offline'] }, order: ['email', 'voice'], reason: 'not at the computer: email, or voicemail' },
];

export const DEFAULT_ADDRESS_SCHEMES: Readonly<Record<Medium, readonly string[]>> = {
  voice: ['tel', 'sip'],
  im: ['upn', 'xmpp', 'sip'],
  email: ['mailto'],
};

/** The default device: a client whose endpoint is named mobile... (Teams, XMPP resources, softphone apps). */
export const DEFAULT_DEVICES: readonly DeviceRule[] = [{ name: 'mobile', endpoint: 'mobile', media: ['im', 'voice'], activeWithin: 600_000 }];

export interface Routing {
  readonly rules: readonly RouteRule[];
  readonly devices: readonly DeviceRule[];
  readonly schemes: Readonly<Record<Medium, readonly string[]>>;
}

export function compileRouting(c: RoutingConfig | undefined): Routing {
  return {
    rules: c?.rules ?? DEFAULT_ROUTE_RULES,
    devices: c?.devices ?? DEFAULT_DEVICES,
    schemes: { ...DEFAULT_ADDRESS_SCHEMES, ...(c?.addresses ?? {}) },
  };
}
