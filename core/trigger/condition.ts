import { z } from 'zod';
import { AVAILABILITY_CLASSES, type AvailabilityClass } from '../model/availability.ts';
import { durationSchema } from '../model/duration.ts';
import { personIdSchema } from '../model/person.ts';

/**
 * A trigger's condition and its firing rule, pure (issue 21 item 2; not yet wired to the API or
 * delivery: docs/triggers.md). "When person X becomes available" is a quorum of one over [X];
 * "anyone in team T" is a quorum of one over T's members, resolved by the caller.
 */
export const quorumSchema = z.strictObject({
  people: z.array(personIdSchema).min(1).max(10_000).refine((p) => new Set(p).size === p.length, { message: 'a person appears twice' }),
  atLeast: z.number().int().min(1),
  /** Classes that count as available (default: available). */
  classes: z.array(z.enum(AVAILABILITY_CLASSES)).min(1).default(['available']),
  /** After the condition turned false, how long it must stay false before a return fires again. */
  hysteresis: durationSchema.prefault(30),
}).refine((q) => q.atLeast <= q.people.length, { message: 'atLeast is more than the people listed', path: ['atLeast'] });
export type Quorum = z.infer<typeof quorumSchema>;

export function satisfied(q: Pick<Quorum, 'people' | 'atLeast' | 'classes'>, classOf: (person: string) => AvailabilityClass): boolean {
  let n = 0;
  for (const p of q.people) if (q.classes.includes(classOf(p)) && ++n >= q.atLeast) return true;
  return false;
}

/** `met`: the condition held at the last evaluation; `falseSince`: when it last turned false. */
export interface TriggerState {
  readonly met: boolean;
  readonly falseSince?: number;
}
export const INITIAL: TriggerState = { met: false };

/**
 * One evaluation. Fires on a transition into the condition, unless the condition was false for less
 * than `hysteresisMs` since it last held (a flap): then the return is the same episode, not a new one.
 * The first transition always fires.
 */
export function step(s: TriggerState, now: boolean, at: number, hysteresisMs: number): { state: TriggerState; fire: boolean } {
  if (now === s.met) return { state: s, fire: false };
  if (!now) return { state: { met: false, falseSince: at }, fire: false };
  const flap = s.falseSince !== undefined && at - s.falseSince < hysteresisMs;
  return { state: { met: true }, fire: !flap };
}
