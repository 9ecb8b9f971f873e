import type { Register } from '../model/register.ts';
import { registerKey } from '../model/signal.ts';
import type { Judgement, RegisterVerdict } from './judgement.ts';
import type { Rules } from './rules-config.ts';
import { countedVerdicts, currentActivity, lastActive, leastAvailable, mostActiveMachine, nextBoundary, outrankMachineOff, userOverride, validSet } from './steps.ts';

export type { Candidate, Explanation, Judgement, RegisterVerdict, Verdict } from './judgement.ts';

/**
 * The Availability Rules Manager's default aggregation: a pure function of the registers, the
 * clock and the rules (README "Availability rules", steps 1-6, after the OCS 2007 aggregation
 * script). Each step is a function of steps.ts; this composes them and collects the explanation.
 */
export function aggregate(registers: readonly Register[], now: number, rules: Rules): Judgement {
  // Step 2 (validity, with step 1's ageing) first, so that an expired machine state does not win step 1.
  const valid = validSet(registers, now, rules);
  // Step 1: one machine state.
  const { machine, outranked } = mostActiveMachine(valid.machines);
  const candidates = machine !== undefined ? [...valid.valid, machine] : valid.valid;
  // Step 3: the user override.
  const override = userOverride(candidates);
  // No contradiction: a machine `off` does not outweigh a live call or meeting.
  const off = outrankMachineOff(override.kept, machine);
  // Step 4: availability; step 5: activity; step 6: last active.
  const decided = leastAvailable(off.set, machine);
  const shown = currentActivity(decided.sorted, decided.cls, rules);
  const next = nextBoundary(valid.boundaries, now);

  const verdicts = new Map<string, RegisterVerdict>();
  for (const list of [valid.excluded, outranked, override.dropped, off.verdict !== undefined ? [off.verdict] : [], countedVerdicts(off.set, decided.decider, shown.from, shown.dropped)]) {
    for (const v of list) verdicts.set(v.key, v);
  }
  return {
    availability: decided.availability,
    class: decided.cls,
    activity: shown.activity,
    ...(machine !== undefined ? { machineState: machine.machineState! } : {}),
    ...lastActive(decided.decider),
    ...(next !== undefined ? { nextBoundary: next } : {}),
    explanation: {
      registers: registers.map((r) => verdicts.get(registerKey(r))!),
      ...(decided.decider !== undefined ? { availabilityFrom: decided.decider.key } : {}),
      ...(shown.from !== undefined ? { activityFrom: shown.from.key } : {}),
      rule: decided.rule,
    },
  };
}
