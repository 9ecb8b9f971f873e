import { z } from 'zod';
import { CLASS_MIDPOINT, MAX_AVAILABILITY, MIN_AVAILABILITY } from '../model/availability.ts';
import { durationSchema } from '../model/duration.ts';

const availability = z.union([
  z.number().int().min(MIN_AVAILABILITY).max(MAX_AVAILABILITY),
  z.enum(['available', 'busy', 'dnd', 'away', 'offline']),
]);
const activityRule = z.strictObject({ text: z.string().min(1).max(256).optional(), availability: availability.optional() });
const tokenKey = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'an activity token');

/** A machine register without input for this long counts as inactive (README "Availability rules", step 1; `rules.machine.inactiveAfter`). */
export const DEFAULT_INACTIVE_AFTER_MS = 5 * 60_000;
/** ... and for this long as away (`rules.machine.awayAfter`). */
export const DEFAULT_AWAY_AFTER_MS = 15 * 60_000;

/** The data part of the Availability Rules Manager, validated at load (docs/architecture.md). */
export const rulesConfigSchema = z
  .strictObject({
    machine: z
      .strictObject({ inactiveAfter: durationSchema.prefault(DEFAULT_INACTIVE_AFTER_MS / 1000), awayAfter: durationSchema.prefault(DEFAULT_AWAY_AFTER_MS / 1000) })
      .default({ inactiveAfter: DEFAULT_INACTIVE_AFTER_MS, awayAfter: DEFAULT_AWAY_AFTER_MS }),
    /** Activity tokens: their text, and the availability a signal carrying only the token means. */
    activities: z.record(tokenKey, activityRule).default({}),
    /** Per source: what its activity tokens mean, and how long its signals live without `until`. */
    sources: z
      .record(
        z.string().min(1),
        z.strictObject({ activities: z.record(tokenKey, activityRule).default({}), ttl: durationSchema.optional() }),
      )
      .default({}),
  })
  .superRefine((r, ctx) => {
    if (r.machine.awayAfter <= r.machine.inactiveAfter) {
      ctx.addIssue({ code: 'custom', path: ['machine', 'awayAfter'], message: 'must be longer than inactiveAfter' });
    }
  });
export type RulesConfigInput = z.input<typeof rulesConfigSchema>;

export interface ActivityRule {
  readonly text?: string;
  readonly availability?: number;
}
export interface Rules {
  readonly inactiveAfterMs: number;
  readonly awayAfterMs: number;
  readonly activities: Readonly<Record<string, ActivityRule>>;
  readonly sources: Readonly<Record<string, { readonly activities: Readonly<Record<string, ActivityRule>>; readonly ttlMs?: number }>>;
}

/** Activities every hub knows (OCS/Lync activity tokens, Graph and RPID vocabulary). */
export const DEFAULT_ACTIVITIES: Record<string, ActivityRule> = {
  'in-a-meeting': { text: 'In a meeting', availability: 6500 },
  'in-a-conference': { text: 'In a conference call', availability: 6500 },
  'on-the-phone': { text: 'In a call', availability: 6500 },
  // A ringing or dialing phone does not make its owner busy: the line counts as idle (available)
  // unless a rule or the connector says otherwise (sip-dialog/avaya-aes `ringingAvailability`).
  // Without an availability here a phone signal with the activity alone would be refused by ingest.
  ringing: { text: 'Ringing', availability: 3500 },
  dialing: { text: 'Dialing', availability: 3500 },
  presenting: { text: 'Presenting', availability: 9500 },
  'urgent-interruptions-only': { text: 'Urgent interruptions only', availability: 9500 },
  'out-of-office': { text: 'Out of office', availability: 15500 },
  'off-work': { text: 'Off work', availability: 18500 },
  'be-right-back': { text: 'Be right back', availability: 12500 },
  vacation: { text: 'On vacation', availability: 15500 },
  'working-elsewhere': { text: 'Working elsewhere' },
  tentative: { text: 'Tentative meeting' },
  focusing: { text: 'Focusing', availability: 9500 },
};

const num = (a: number | string | undefined): number | undefined => {
  if (a === undefined || typeof a === 'number') return a;
  return CLASS_MIDPOINT[a as keyof typeof CLASS_MIDPOINT];
};

function activityRules(input: Record<string, z.infer<typeof activityRule>>): Record<string, ActivityRule> {
  const out: Record<string, ActivityRule> = {};
  for (const [k, v] of Object.entries(input)) {
    const rule: { text?: string; availability?: number } = {};
    if (v.text !== undefined) rule.text = v.text;
    const a = num(v.availability);
    if (a !== undefined) rule.availability = a;
    out[k] = Object.freeze(rule);
  }
  return out;
}

export function compileRules(input: RulesConfigInput = {}): Rules {
  const parsed = rulesConfigSchema.parse(input);
  const sources: Record<string, { activities: Record<string, ActivityRule>; ttlMs?: number }> = {};
  for (const [id, s] of Object.entries(parsed.sources)) {
    sources[id] = s.ttl === undefined ? { activities: activityRules(s.activities) } : { activities: activityRules(s.activities), ttlMs: s.ttl };
  }
  return Object.freeze({
    inactiveAfterMs: parsed.machine.inactiveAfter,
    awayAfterMs: parsed.machine.awayAfter,
    activities: Object.freeze({ ...DEFAULT_ACTIVITIES, ...activityRules(parsed.activities) }),
    sources: Object.freeze(sources),
  });
}

export const DEFAULT_RULES: Rules = compileRules();

/** The availability a signal means: its own number, else what its source's or the hub's rules say of its activity token. */
export function effectiveAvailability(
  s: { source: string; availability?: number; activity?: { token?: string } },
  rules: Rules,
): number | undefined {
  if (s.availability !== undefined) return s.availability;
  const token = s.activity?.token;
  if (token === undefined) return undefined;
  return rules.sources[s.source]?.activities[token]?.availability ?? rules.activities[token]?.availability;
}

export function activityText(source: string, token: string, rules: Rules): string | undefined {
  return rules.sources[source]?.activities[token]?.text ?? rules.activities[token]?.text;
}
