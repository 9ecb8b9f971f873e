import { z } from 'zod';
import { AVAILABILITY_CLASSES } from '../model/availability.ts';
import { durationSchema } from '../model/duration.ts';
import { personIdSchema } from '../model/person.ts';

/**
 * The shape of a trigger (docs/triggers.md): a quorum over people or a team, hysteresis, and an
 * action. Shared by the `triggers` configuration key and `POST /v1/triggers`.
 */
export const TRIGGER_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;
export const triggerIdSchema = z.string().regex(TRIGGER_ID, 'lower-case letters, digits, dash or underscore (at most 63)');

const unique = <T>(a: readonly T[]): boolean => new Set(a).size === a.length;

const conditionShape = {
  /** "When at least `atLeast` of these people are in one of `classes`". */
  people: z.array(personIdSchema).min(1).max(10_000).refine(unique, { message: 'a person appears twice' }).optional(),
  /** ...or of the members of this team (resolved from the directory at every evaluation). */
  team: z.string().min(1).max(128).optional(),
  atLeast: z.number().int().min(1).default(1),
  /** Classes that count (default: available). */
  classes: z.array(z.enum(AVAILABILITY_CLASSES)).min(1).refine(unique, { message: 'a class appears twice' }).default(['available']),
  /** After the condition turned false, how long it must stay false before a return fires again. */
  hysteresis: durationSchema.prefault(30),
};

type Cond = { people?: readonly string[] | undefined; team?: string | undefined; atLeast: number };
function checkCondition(c: Cond, ctx: z.RefinementCtx): void {
  if ((c.people === undefined) === (c.team === undefined)) ctx.addIssue({ code: 'custom', message: 'give either people or team', path: ['people'] });
  if (c.people !== undefined && c.atLeast > c.people.length) ctx.addIssue({ code: 'custom', message: 'atLeast is more than the people listed', path: ['atLeast'] });
}

const url = z.url({ protocol: /^https?$/ }).max(2048);

/** A trigger in the configuration: its webhook's secret comes from the environment (`${VAR}`). */
export const configTriggerSchema = z
  .strictObject({
    id: triggerIdSchema,
    ...conditionShape,
    action: z.discriminatedUnion('type', [
      z.strictObject({ type: z.literal('webhook'), url, secret: z.string().min(16, 'a webhook secret needs at least 16 characters') }),
      z.strictObject({ type: z.literal('sse') }),
    ]),
  })
  .superRefine(checkCondition);
export type ConfigTrigger = z.infer<typeof configTriggerSchema>;

/** `POST /v1/triggers`: the hub makes the webhook secret and returns it once, as for webhooks. */
export const triggerRequestSchema = z
  .strictObject({
    /** Admins may name a trigger; a watcher's trigger gets a random id. */
    id: triggerIdSchema.optional(),
    ...conditionShape,
    action: z.discriminatedUnion('type', [z.strictObject({ type: z.literal('webhook'), url }), z.strictObject({ type: z.literal('sse') })]),
    /** Lifetime; watchers: `triggers.watchers.expiry` by default, at most `triggers.watchers.maxExpiry`. Admins: none by default. */
    expiresIn: durationSchema.optional(),
  })
  .superRefine(checkCondition);
export type TriggerRequest = z.infer<typeof triggerRequestSchema>;

/** `triggers` in the configuration. */
export const triggersConfigSchema = z
  .strictObject({
    /** Triggers watchers create for themselves ("tell me when Alice is available"). */
    watchers: z
      .strictObject({
        expiry: durationSchema.prefault('1h'),
        maxExpiry: durationSchema.prefault('24h'),
        /** Live triggers one API key may own. */
        maxPerKey: z.number().int().min(1).max(10_000).default(20),
        /** People one watcher's trigger may name. */
        maxPeople: z.number().int().min(1).max(10_000).default(50),
      })
      .prefault({}),
    rules: z
      .array(configTriggerSchema)
      .max(1000)
      .default([])
      .superRefine((rules, ctx) => {
        const seen = new Set<string>();
        rules.forEach((r, i) => {
          if (seen.has(r.id)) ctx.addIssue({ code: 'custom', message: `duplicate trigger id ${r.id}`, path: [i, 'id'] });
          seen.add(r.id);
        });
      }),
  })
  .refine((t) => t.watchers.expiry <= t.watchers.maxExpiry, { message: 'expiry is longer than maxExpiry', path: ['watchers', 'expiry'] });
export type TriggersConfig = z.infer<typeof triggersConfigSchema>;
