import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { peopleFedBy } from '../../core/connector/feeds.ts';
import { HubError } from '../../core/errors.ts';
import { AVAILABILITY_CLASSES, MACHINE_STATES } from '../../core/model/availability.ts';
import { presenceViewSchema, viewFor } from '../../core/model/presence.ts';
import type { Register } from '../../core/model/register.ts';
import { CATEGORIES } from '../../core/model/signal.ts';
import { summarize } from '../../core/rules/summary.ts';
import type { RouteContext } from '../app.ts';
import { iso, signalJson } from './json.ts';

const registerJson = (r: Register): Record<string, unknown> => signalJson(r, r.publishedAt);

const summaryPartSchema = z
  .object({
    kind: z.enum(['state', 'signal', 'machine', 'override', 'upcoming', 'outranked', 'none']),
    template: z.string().describe('The phrase with {until}, {from}, {at} (clock times) and {ago} (relative to `at` of the answer) where times go, for a page to render in local time'),
    text: z.string().describe('The same phrase with clock times in UTC, as in `summary`'),
    at: z.string().optional(),
    from: z.string().optional(),
    until: z.string().optional(),
    category: z.enum(CATEGORIES).optional(),
    source: z.string().optional(),
    endpoint: z.string().optional(),
  })
  .describe('One phrase of the plain-language explanation');

const failingSchema = z.object({
  id: z.string().describe('The connector id'),
  kind: z.string(),
  state: z.string().describe('degraded, or stopped after an error'),
  since: z.string().optional().describe('The first failure after the last success (failingSince)'),
});

const explainSchema = z.object({
  person: z.string(),
  at: z.string().describe('The instant of the judgement (the store clock)'),
  presence: presenceViewSchema,
  summary: z.string().describe('The judgement in plain words: "Busy — in a meeting (calendar, until 10:30 UTC) · phone idle · laptop active 2 min ago · set by the user at 09:12 UTC overrides older states"'),
  summaryParts: z.array(summaryPartSchema).describe('The phrases of `summary` with their times as ISO instants, so that a page can localise them'),
  degraded: z.array(failingSchema).describe('Connectors that feed this person (a register of theirs has that source) and are failing now'),
  judgement: z.object({
    availability: z.number().int(),
    class: z.enum(AVAILABILITY_CLASSES),
    activity: z.object({ token: z.string(), text: z.string() }),
    machineState: z.enum(MACHINE_STATES).optional(),
    lastActive: z.string().optional(),
    nextBoundary: z.string().nullable(),
  }),
  rule: z.string(),
  registers: z.array(
    z
      .object({
        source: z.string(),
        endpoint: z.string(),
        category: z.enum(CATEGORIES),
        expireType: z.string(),
        publishedAt: z.string(),
        availability: z.number().optional(),
        activity: z.object({ token: z.string().optional(), text: z.string().optional() }).optional(),
        machineState: z.string().optional(),
        from: z.string().optional(),
        until: z.string().optional(),
        sourceTime: z.string().optional(),
        sourceVersion: z.number().optional(),
        id: z.string().optional(),
        verdict: z.enum(['counted', 'not-yet-valid', 'expired', 'no-availability', 'less-active-machine', 'before-user-state', 'machine-off-outranked']),
        reason: z.string(),
        effectiveAvailability: z.number().optional(),
        effectiveMachineState: z.string().optional(),
        activityDropped: z.string().optional(),
        decided: z.array(z.enum(['availability', 'activity'])),
      })
      .describe('A register (the last state of one source, endpoint and category) and what the rules made of it'),
  ),
});

const degradedSchema = z.object({
  connectors: z.array(failingSchema.extend({ people: z.array(z.string()).describe('The people this connector feeds (a register of theirs has its source)') })),
});

/**
 * Why a person shows what they show (admin, helpdesk): the registers and verdicts, the deciding
 * rule, and the same in plain words; and which failing connectors feed whom (the board's mark).
 */
export function explainRoutes({ hub }: RouteContext) {
  return async (app: FastifyInstance): Promise<void> => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const personParam = z.object({ person: z.string().min(1).max(128) });

    r.get(
      '/v1/presence/:person/explain',
      {
        config: { access: ['admin', 'helpdesk'] },
        schema: { summary: 'The registers seen, which were dropped and why, which rule decided, in plain words too', params: personParam, response: { 200: explainSchema } },
      },
      async (req) => {
        const dir = hub.directory;
        const person = req.params.person;
        if (!dir.has(person)) throw new HubError('HUB_ERR_NOT_FOUND', `person: unknown person ${person}`, { status: 404 });
        const { now, judgement: j, registers, rules } = await hub.manager.explain(person);
        const [stored] = await hub.presence([person]);
        const sources = new Set(registers.map((x) => x.source));
        const s = summarize(j, now, rules);
        return {
          person,
          at: iso(now)!,
          presence: viewFor(stored!, 'personal', dir.loadedAt),
          summary: s.summary,
          summaryParts: [...s.parts],
          degraded: (await hub.failingConnectors())
            .filter((f) => sources.has(f.id))
            .map((f) => ({ id: f.id, kind: f.kind, state: f.state, ...(f.since !== undefined ? { since: iso(f.since)! } : {}) })),
          judgement: {
            availability: j.availability,
            class: j.class,
            activity: j.activity,
            ...(j.machineState !== undefined ? { machineState: j.machineState } : {}),
            ...(j.lastActive !== undefined ? { lastActive: iso(j.lastActive)! } : {}),
            nextBoundary: iso(j.nextBoundary) ?? null,
          },
          rule: j.explanation.rule,
          registers: j.explanation.registers.map((v) => ({
            ...(registerJson(v.register) as { source: string; endpoint: string; category: Register['category']; expireType: string; publishedAt: string }),
            verdict: v.verdict,
            reason: v.reason,
            ...(v.availability !== undefined ? { effectiveAvailability: v.availability } : {}),
            ...(v.machineState !== undefined ? { effectiveMachineState: v.machineState } : {}),
            ...(v.activityDropped !== undefined ? { activityDropped: v.activityDropped } : {}),
            decided: [v.key === j.explanation.availabilityFrom ? ('availability' as const) : undefined, v.key === j.explanation.activityFrom ? ('activity' as const) : undefined].filter((x) => x !== undefined),
          })),
        };
      },
    );

    r.get(
      '/v1/degraded',
      {
        config: { access: ['admin', 'helpdesk'] },
        schema: { summary: 'Connectors failing now and the people each feeds (the board marks them); connector names only to admin and helpdesk', response: { 200: degradedSchema } },
      },
      async () => {
        const failing = await hub.failingConnectors();
        const fed = await peopleFedBy(hub.pipeline.store, [...hub.directory.people()].map((p) => p.id), failing.map((f) => f.id));
        return { connectors: failing.map((f) => ({ id: f.id, kind: f.kind, state: f.state, ...(f.since !== undefined ? { since: iso(f.since)! } : {}), people: fed.get(f.id) ?? [] })) };
      },
    );
  };
}
