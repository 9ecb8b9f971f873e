import { z } from 'zod';
import { AVAILABILITY_CLASSES, CLASS_MIDPOINT, MACHINE_STATES, MAX_AVAILABILITY, MIN_AVAILABILITY } from './availability.ts';

export const CATEGORIES = ['user', 'machine', 'calendar', 'phone', 'device', 'custom'] as const;
export type Category = (typeof CATEGORIES)[number];
export const EXPIRE_TYPES = ['device', 'user', 'time', 'endpoint'] as const;
export type ExpireType = (typeof EXPIRE_TYPES)[number];

const token = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a token of letters, digits, dot, dash or underscore');
/**
 * Characters refused in any text a signal carries (README "Security": bad input): C0 and C1
 * controls and DEL (NUL truncates C strings, BEL/ESC drive terminals that show logs), the Unicode
 * bidirectional formatting characters (U+202E and friends reorder what a watcher reads: Unicode
 * UAX #9, CVE-2021-42574 "Trojan Source"), and lone surrogates (not Unicode text: a UTF-8 encoder
 * turns them into U+FFFD, so what is stored is not what was sent).
 */
const FORBIDDEN_CHARS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The first forbidden character of `s` as `U+XXXX`, or undefined. */
export function forbiddenChar(s: string): string | undefined {
  const m = FORBIDDEN_CHARS.exec(s);
  return m === null ? undefined : `U+${m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/** A string schema that refuses control, bidirectional-formatting and lone-surrogate characters. */
export function cleanText(max: number, min = 0) {
  return z
    .string()
    .min(min)
    .max(max)
    .superRefine((s, ctx) => {
      const c = forbiddenChar(s);
      if (c !== undefined) ctx.addIssue({ code: 'custom', message: `control or formatting character ${c} is not allowed` });
    });
}

const text = cleanText(256);

/** `scheme:value`, e.g. sip:alice@corp.example, tel:+15550101, mailto:alice@corp.example. */
export const identitySchema = cleanText(256)
  .regex(/^[a-z][a-z0-9+.-]*:.+$/i, 'an identity of the form scheme:value');

export const activitySchema = z.union([
  token,
  z.strictObject({ token: token.optional(), text: text.optional() }).refine((a) => a.token !== undefined || a.text !== undefined, {
    message: 'an activity needs a token or a text',
  }),
]);

const availabilitySchema = z.union([
  z.number().int().min(MIN_AVAILABILITY).max(MAX_AVAILABILITY),
  z.enum(['available', 'busy', 'dnd', 'away', 'offline']),
]);

const instant = z.iso.datetime({ offset: true });
const name = cleanText(128, 1);

/** The signal as it crosses the public contract (POST /v1/signals, collectors). */
export const signalInputSchema = z
  .strictObject({
    person: name.optional(),
    identity: identitySchema.optional(),
    source: name,
    endpoint: name.optional(),
    category: z.enum(CATEGORIES),
    availability: availabilitySchema.optional(),
    activity: activitySchema.optional(),
    machineState: z.enum(MACHINE_STATES).optional(),
    from: instant.optional(),
    until: instant.optional(),
    expireType: z.enum(EXPIRE_TYPES).optional(),
    sourceTime: instant.optional(),
    sourceVersion: z.number().int().nonnegative().optional(),
    /**
     * Idempotency key: a signal carrying the `id` of the one its register holds is a retry of it
     * and changes nothing. Without it (and without sourceTime/sourceVersion), a re-sent signal is
     * a new observation and is stamped again.
     */
    id: cleanText(128, 1).optional(),
  })
  .superRefine((s, ctx) => {
    if (s.person === undefined && s.identity === undefined) {
      ctx.addIssue({ code: 'custom', path: ['person'], message: 'person or identity is required' });
    }
    if (s.category === 'machine' && s.machineState === undefined) {
      ctx.addIssue({ code: 'custom', path: ['machineState'], message: 'required for category machine' });
    }
    if (s.category !== 'machine' && s.machineState !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['machineState'], message: 'only allowed for category machine' });
    }
    if (s.from !== undefined && s.until !== undefined && Date.parse(s.until) <= Date.parse(s.from)) {
      ctx.addIssue({ code: 'custom', path: ['until'], message: 'must be after from' });
    }
  });
export type SignalInput = z.infer<typeof signalInputSchema>;

const SIGNAL_KEYS = new Set(['person', 'identity', 'source', 'endpoint', 'category', 'availability', 'activity', 'machineState', 'from', 'until', 'expireType', 'sourceTime', 'sourceVersion', 'id']);
const CATEGORY_SET = new Set<unknown>(CATEGORIES);
const EXPIRE_SET = new Set<unknown>(EXPIRE_TYPES);
const MACHINE_SET = new Set<unknown>(MACHINE_STATES);
const CLASS_NAMES = new Set<unknown>(['available', 'busy', 'dnd', 'away', 'offline']);
const TOKEN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const IDENTITY = /^[a-z][a-z0-9+.-]*:.+$/i;

const clean = (v: unknown, min: number, max: number): boolean => typeof v === 'string' && v.length >= min && v.length <= max && !FORBIDDEN_CHARS.test(v);
const tokenOk = (v: unknown): boolean => typeof v === 'string' && v.length >= 1 && v.length <= 64 && TOKEN.test(v);
const instantOk = (v: unknown): boolean => typeof v === 'string' && instant.safeParse(v).success;

/**
 * `item` itself when signalInputSchema certainly accepts it as it is (what it would return is a
 * copy of the same fields), else undefined: then the schema decides, and names what is wrong. The
 * same checks as the schema, without its per-field parse contexts and copies, for the plain
 * signals that nearly every request carries (core/manager/ingest.ts); anything unusual (an unknown
 * key, a prototype other than Object's, a value out of range) is left to the schema, so a refusal
 * and its message are always the schema's. signal.property.test.ts checks it against the schema.
 */
export function certainSignalInput(item: unknown): SignalInput | undefined {
  if (typeof item !== 'object' || item === null || Object.getPrototypeOf(item) !== Object.prototype) return undefined;
  const o = item as Record<string, unknown>;
  for (const k in o) if (!SIGNAL_KEYS.has(k)) return undefined;
  const { person, identity, source, endpoint, category, availability, activity, machineState, from, until, expireType, sourceTime, sourceVersion, id } = o;
  if (person === undefined ? identity === undefined : !clean(person, 1, 128)) return undefined;
  if (identity !== undefined && !(clean(identity, 0, 256) && IDENTITY.test(identity as string))) return undefined;
  if (!clean(source, 1, 128) || (endpoint !== undefined && !clean(endpoint, 1, 128))) return undefined;
  if (!CATEGORY_SET.has(category)) return undefined;
  if (availability !== undefined && !(typeof availability === 'number' ? Number.isSafeInteger(availability) && availability >= MIN_AVAILABILITY && availability <= MAX_AVAILABILITY : CLASS_NAMES.has(availability))) return undefined;
  if (activity !== undefined && !tokenOk(activity)) {
    if (typeof activity !== 'object' || activity === null || Object.getPrototypeOf(activity) !== Object.prototype) return undefined;
    const a = activity as Record<string, unknown>;
    for (const k in a) if (k !== 'token' && k !== 'text') return undefined;
    if (a.token === undefined && a.text === undefined) return undefined;
    if ((a.token !== undefined && !tokenOk(a.token)) || (a.text !== undefined && !clean(a.text, 0, 256))) return undefined;
  }
  if (category === 'machine' ? !MACHINE_SET.has(machineState) : machineState !== undefined) return undefined;
  if ((from !== undefined && !instantOk(from)) || (until !== undefined && !instantOk(until)) || (sourceTime !== undefined && !instantOk(sourceTime))) return undefined;
  if (from !== undefined && until !== undefined && !(Date.parse(until as string) > Date.parse(from as string))) return undefined;
  if (expireType !== undefined && !EXPIRE_SET.has(expireType)) return undefined;
  if (sourceVersion !== undefined && !(typeof sourceVersion === 'number' && Number.isSafeInteger(sourceVersion) && sourceVersion >= 0)) return undefined;
  if (id !== undefined && !clean(id, 1, 128)) return undefined;
  return o as SignalInput;
}

export interface Activity {
  readonly token?: string;
  readonly text?: string;
}

/**
 * A validated signal resolved to a person, with every time as epoch milliseconds. This is what
 * travels through the queue. `receivedAt` is the accepting node's clock, for metrics only: order is
 * decided by the store's stamp (docs/architecture.md invariant 2).
 */
export interface Signal {
  readonly person: string;
  readonly source: string;
  readonly endpoint: string;
  readonly category: Category;
  readonly availability?: number;
  readonly activity?: Activity;
  readonly machineState?: (typeof MACHINE_STATES)[number];
  readonly from?: number;
  readonly until?: number;
  readonly expireType: ExpireType;
  readonly sourceTime?: number;
  readonly sourceVersion?: number;
  /** The sender's idempotency key (signalInputSchema `id`). */
  readonly id?: string;
  readonly receivedAt?: number;
}

export const DEFAULT_EXPIRE_TYPE: Record<Category, ExpireType> = {
  user: 'user',
  custom: 'user',
  machine: 'device',
  phone: 'device',
  device: 'device',
  calendar: 'time',
};

export function availabilityNumber(a: number | string | undefined): number | undefined {
  if (a === undefined || typeof a === 'number') return a;
  return CLASS_MIDPOINT[a as keyof typeof CLASS_MIDPOINT];
}

export function normalizeActivity(a: SignalInput['activity']): Activity | undefined {
  if (a === undefined) return undefined;
  if (typeof a === 'string') return Object.freeze({ token: a });
  const out: { token?: string; text?: string } = {};
  if (a.token !== undefined) out.token = a.token;
  if (a.text !== undefined) out.text = a.text;
  return Object.freeze(out);
}

/** Identity of a register: the latest signal per (person, source, endpoint, category). */
export function registerKey(s: Pick<Signal, 'source' | 'endpoint' | 'category'>): string {
  return `${s.source}\u0000${s.endpoint}\u0000${s.category}`;
}

export { AVAILABILITY_CLASSES };
