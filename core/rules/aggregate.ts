import type { Register } from '../model/register.ts';
import { registerKey } from '../model/signal.ts';
import type { Decision, Judgement, RegisterVerdict } from './judgement.ts';
import type { Rules } from './rules-config.ts';
import { countedVerdicts, currentActivity, leastAvailable, mostActiveMachine, nextBoundary, outrankMachineOff, userOverride, validSet } from './steps.ts';

export type { Candidate, Decision, Explanation, Judgement, RegisterVerdict, Verdict } from './judgement.ts';

/**
 * The Availability Rules Manager's default aggregation: a pure function of the registers, the
 * clock and the rules (README "Availability rules", steps 1-6, after the OCS 2007 aggregation
 * script). Each step is a function of steps.ts; this composes them and collects the explanation.
 */
export function aggregate(registers: readonly Register[], now: number, rules: Rules): Judgement {
  return run(registers, now, rules, true) as Judgement;
}

/**
 * The same judgement as aggregate() without its explanation: no verdict, reason text or register
 * key is built. What the Presence Manager's recomputations read (the explanation is for the
 * `explain` route, which calls aggregate()).
 */
export function judge(registers: readonly Register[], now: number, rules: Rules): Decision {
  return run(registers, now, rules, false);
}

function run(registers: readonly Register[], now: number, rules: Rules, explain: boolean): Decision | Judgement {
  // Step 2 (validity, with step 1's ageing) first, so that an expired machine state does not win step 1.
  const valid = validSet(registers, now, rules, explain);
  // Step 1: one machine state.
  const { machine, outranked } = mostActiveMachine(valid.machines, explain);
  let candidates = valid.valid;
  if (machine !== undefined) {
    candidates = valid.valid.slice();
    candidates.push(machine);
  }
  // Step 3: the user override.
  const override = userOverride(candidates, explain);
  // No contradiction: a machine `off` does not outweigh a live call or meeting.
  const off = outrankMachineOff(override.kept, machine);
  // Step 4: availability; step 5: activity; step 6: last active.
  const decided = leastAvailable(off.set, machine, explain);
  const shown = currentActivity(decided.sorted, decided.cls, rules, explain);
  const next = nextBoundary(valid.boundaries, now);

  // Built field by field in one order (no spreads): the judgement's fields, then the explanation.
  const j = { availability: decided.availability, class: decided.cls, activity: shown.activity } as { -readonly [K in keyof Judgement]: Judgement[K] };
  if (machine !== undefined) j.machineState = machine.machineState!;
  const decider = decided.decider;
  if (decider !== undefined) {
    // Step 6: last active is the publication time of the state that decided the availability.
    j.lastActive = decider.r.publishedAt;
    j.decidedBy = decider.r.source;
    j.decidedCategory = decider.r.category;
  }
  if (next !== undefined) j.nextBoundary = next;
  if (!explain) return j;

  const verdicts = new Map<string, RegisterVerdict>();
  for (const list of [valid.excluded, outranked, override.dropped, off.verdict !== undefined ? [off.verdict] : [], countedVerdicts(off.set, decided.decider, shown.from, shown.dropped)]) {
    for (const v of list) verdicts.set(v.key, v);
  }
  j.explanation = {
    registers: registers.map((r) => verdicts.get(registerKey(r))!),
    ...(decided.decider !== undefined ? { availabilityFrom: decided.decider.key } : {}),
    ...(shown.from !== undefined ? { activityFrom: shown.from.key } : {}),
    rule: decided.rule,
  };
  return j;
}
