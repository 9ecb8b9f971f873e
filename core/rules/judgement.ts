import type { AvailabilityClass, MachineState } from '../model/availability.ts';
import type { PresenceActivity } from '../model/presence.ts';
import type { Register } from '../model/register.ts';
import type { Category } from '../model/signal.ts';

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

/** The judgement of `aggregate()`: everything of a presence but its person, version and since. */
export interface Judgement {
  readonly availability: number;
  readonly class: AvailabilityClass;
  readonly activity: PresenceActivity;
  readonly machineState?: MachineState;
  readonly lastActive?: number;
  /** The source of the register that decided the availability. */
  readonly decidedBy?: string;
  /** The category of that register (what kind of evidence decided: core/model/confidence.ts). */
  readonly decidedCategory?: Category;
  /** The next instant at which the result can change without a new signal. */
  readonly nextBoundary?: number;
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
