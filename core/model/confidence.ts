import { z } from 'zod';
import type { AvailabilityClass } from './availability.ts';
import { durationSchema } from './duration.ts';
import type { Category } from './signal.ts';

/**
 * How sure the hub is (docs/confidence.md). "The system will rarely be completely sure about the
 * presence of any individual": the judgement is scored from the kind of the deciding register and
 * its age. confidence = base(evidence) * 0.5 ^ (age / halfLife(evidence)), rounded to 2 decimals.
 */
export const EVIDENCE = ['user-set', 'device-activity', 'phone-line', 'calendar', 'inferred-idle', 'none'] as const;
export type Evidence = (typeof EVIDENCE)[number];

const weight = z.strictObject({ base: z.number().min(0).max(1), halfLife: durationSchema.optional() });
/** `confidence` in the configuration: per evidence, its base score and half-life (absent: no decay). */
export const confidenceConfigSchema = z.strictObject(Object.fromEntries(EVIDENCE.map((e) => [e, weight.optional()])) as Record<Evidence, z.ZodOptional<typeof weight>>);
export type ConfidenceConfig = z.infer<typeof confidenceConfigSchema>;

interface Weight {
  readonly base: number;
  readonly halfLife?: number;
}
const MIN = 60_000;
/** A user's own state decays slowly, a device's input quickly; a calendar says little about the desk. */
export const DEFAULT_CONFIDENCE: Readonly<Record<Evidence, Weight>> = {
  'user-set': { base: 0.95, halfLife: 240 * MIN },
  'phone-line': { base: 0.9, halfLife: 60 * MIN },
  'device-activity': { base: 0.85, halfLife: 10 * MIN },
  'inferred-idle': { base: 0.6, halfLife: 30 * MIN },
  calendar: { base: 0.5 },
  none: { base: 0.2 },
};

export interface Scored {
  readonly class: AvailabilityClass;
  readonly lastActive?: number;
  readonly decidedCategory?: Category;
}
export type Scorer = (p: Scored) => { confidence: number; evidence: Evidence };

const IDLE: ReadonlySet<AvailabilityClass> = new Set(['inactive', 'busy-inactive', 'away', 'offline']);

export function evidenceOf(p: Scored): Evidence {
  switch (p.decidedCategory) {
    case undefined:
      return 'none';
    case 'user':
      return 'user-set';
    case 'phone':
      return 'phone-line';
    case 'calendar':
      return 'calendar';
    case 'machine':
      // A machine register decides an idle class only by the lack of input: an inference.
      return IDLE.has(p.class) ? 'inferred-idle' : 'device-activity';
    case 'device':
    case 'custom':
      return 'device-activity';
  }
}

export function scorer(c: ConfidenceConfig | undefined, now: () => number): Scorer {
  const w: Record<Evidence, Weight> = { ...DEFAULT_CONFIDENCE };
  for (const e of EVIDENCE) if (c?.[e] !== undefined) w[e] = c[e];
  return (p) => {
    const evidence = evidenceOf(p);
    const { base, halfLife } = w[evidence];
    const age = p.lastActive === undefined ? 0 : Math.max(0, now() - p.lastActive);
    const score = halfLife === undefined ? base : base * 0.5 ** (age / halfLife);
    return { confidence: Math.round(score * 100) / 100, evidence };
  };
}
