import type { MachineState } from '../model/availability.ts';
import type { Presence } from '../model/presence.ts';
import type { Register } from '../model/register.ts';

/** What `aggregate()` says of one register (the `explain` route shows it). */
export type Verdict =
  | 'counted'
  | 'not-yet-valid'
  | 'expired'
  | 'no-availability'
  | 'less-active-machine'
  | 'before-user-state'
  | 'machine-off-outranked';

export interface RegisterVerdict {
  readonly key: string;
  readonly register: Register;
  /** The availability this register stands for now (machine states after ageing). */
  readonly availability?: number;
  readonly machineState?: MachineState;
  readonly verdict: Verdict;
  readonly reason: string;
  /** Counted, but its activity was not shown (offline user state, or no token/text). */
  readonly activityDropped?: string;
}

export interface Explanation {
  readonly registers: readonly RegisterVerdict[];
  readonly availabilityFrom?: string;
  readonly activityFrom?: string;
  readonly rule: string;
}

/**
 * What `judge()` decides: what a presence says (availability, class, activity, machine state, last
 * activity, the deciding source and its category; documented on Presence), without its person,
 * version, since and view stamps.
 */
export interface Decision extends Pick<Presence, 'availability' | 'class' | 'activity' | 'machineState' | 'lastActive' | 'decidedBy' | 'decidedCategory'> {
  /** The next instant at which the result can change without a new signal. */
  readonly nextBoundary?: number;
}

/** The judgement of `aggregate()`: the decision with its explanation (the `explain` route). */
export interface Judgement extends Decision {
  readonly explanation: Explanation;
}

/** A register that takes part in the aggregation, with the availability it stands for now. */
export interface Candidate {
  readonly key: string;
  readonly r: Register;
  readonly availability: number;
  /** Machine registers only: the state after ageing. */
  readonly machineState?: MachineState;
}
