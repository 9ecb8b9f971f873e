/**
 * The steps of the default aggregation, one pure function each (README "Availability rules", steps
 * 1-6, and docs/architecture.md "Availability Rules Manager"; after the OCS 2007 aggregation script).
 * `aggregate()` in aggregate.ts composes them; each has its table test in steps.test.ts.
 */
import {
  CLASS_FLOOR,
  CLASS_LABEL,
  CLASS_MIDPOINT,
  MACHINE_AVAILABILITY,
  MACHINE_RANK,
  classOf,
  lessActive,
  type AvailabilityClass,
  type MachineState,
} from '../model/availability.ts';
import type { PresenceActivity } from '../model/presence.ts';
import type { Register } from '../model/register.ts';
import { registerKey, type Category } from '../model/signal.ts';
import type { Candidate, RegisterVerdict } from './judgement.ts';
import { activityText, effectiveAvailability, type Rules } from './rules-config.ts';

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * Each step takes `explain` (default true): false when the caller reads only the judgement (the
 * pipeline's recomputations, core/rules/aggregate.ts judge()), so that no verdict, reason text or
 * register key is built. The judgement is the same either way; only the verdict lists stay empty
 * (and candidates' `key` is '').
 */
const NO_VERDICTS: RegisterVerdict[] = [];
const NO_DROPPED: Map<string, string> = new Map();

/**
 * Categories whose activity is something going on now (a call, a meeting, a device in use): such a
 * state outranks one endpoint's machine `off` (README "Availability rules", "No contradictory presence").
 */
export const LIVE_CATEGORIES: ReadonlySet<Category> = new Set<Category>(['phone', 'calendar', 'device']);

/** The token shown for a custom activity that has a text only (aggregation document, "Current Activity"). */
export const CUSTOM_ACTIVITY_TOKEN = 'custom';

/** "in-a-meeting" -> "In a meeting": the text of a token no rule names. */
export function humanize(token: string): string {
  const t = token.replace(/[-_.]+/g, ' ').replace(/([a-z])([A-Z])/g, '$1 $2').trim().toLowerCase();
  return t.charAt(0).toUpperCase() + t.slice(1);
}

// ---------------------------------------------------------------------------------------------
// Step 2, the window: inside `from`/`until` (or the publication plus the source's ttl).

export interface WindowResult {
  /** Why the register does not count now; absent when it is inside its window. */
  readonly outside?: { readonly verdict: 'not-yet-valid' | 'expired'; readonly reason: string };
  /** When the register's validity changes next without a new signal: its start, or its end. */
  readonly boundary?: number;
}

const INSIDE: WindowResult = Object.freeze({});

/** Step 2 for one register: is it inside its validity window at `now`? (`explain` false: the reasons are ''.) */
export function validityWindow(r: Register, now: number, rules: Rules, explain = true): WindowResult {
  const ttl = rules.sources[r.source]?.ttlMs;
  const until = r.until ?? (ttl !== undefined ? r.publishedAt + ttl : undefined);
  if (r.from !== undefined && now < r.from) return { outside: { verdict: 'not-yet-valid', reason: explain ? `valid from ${iso(r.from)}` : '' }, boundary: r.from };
  if (until !== undefined && now >= until) return { outside: { verdict: 'expired', reason: explain ? `expired at ${iso(until)}` : '' } };
  return until !== undefined ? { boundary: until } : INSIDE;
}

// ---------------------------------------------------------------------------------------------
// Step 1, ageing: a machine register without input for inactiveAfter counts as inactive, for awayAfter as away.

export interface AgedMachine {
  readonly state: MachineState;
  /** The instants at which the ageing changes the state next (none once it is away or less active). */
  readonly boundaries: readonly number[];
}

/** Step 1 for one machine register: its state at `now` after ageing from its last input. */
export function ageMachine(machineState: MachineState, lastInput: number, now: number, rules: Rules): AgedMachine {
  const idleAt = lastInput + rules.inactiveAfterMs;
  const awayAt = lastInput + rules.awayAfterMs;
  const aged: MachineState = now >= awayAt ? 'away' : now >= idleAt ? 'inactive' : 'active';
  const boundaries: number[] = [];
  if (MACHINE_RANK[machineState] < MACHINE_RANK.inactive && now < idleAt) boundaries.push(idleAt);
  if (MACHINE_RANK[machineState] < MACHINE_RANK.away && now < awayAt) boundaries.push(awayAt);
  return { state: lessActive(machineState, aged), boundaries };
}

// ---------------------------------------------------------------------------------------------
// Step 2, the valid set (with step 1's ageing, so that an expired machine state does not win step 1).

export interface ValidSet {
  /** Valid registers other than machine states, with the availability each stands for. */
  readonly valid: Candidate[];
  /** Valid machine registers, aged. */
  readonly machines: Candidate[];
  /** Registers that do not count: outside their window, or with no availability. */
  readonly excluded: RegisterVerdict[];
  readonly boundaries: number[];
}

/** Step 2: the registers valid at `now`, machine states aged (step 1) and set apart. */
export function validSet(registers: readonly Register[], now: number, rules: Rules, explain = true): ValidSet {
  const out: ValidSet = { valid: [], machines: [], excluded: explain ? [] : NO_VERDICTS, boundaries: [] };
  for (let i = 0; i < registers.length; i++) {
    const r = registers[i]!;
    const key = explain ? registerKey(r) : '';
    const window = validityWindow(r, now, rules, explain);
    if (window.boundary !== undefined) out.boundaries.push(window.boundary);
    if (window.outside !== undefined) {
      if (explain) out.excluded.push({ key, register: r, verdict: window.outside.verdict, reason: window.outside.reason });
      continue;
    }
    if (r.category === 'machine' && r.machineState !== undefined) {
      const aged = ageMachine(r.machineState, r.sourceTime ?? r.publishedAt, now, rules);
      for (const b of aged.boundaries) out.boundaries.push(b);
      out.machines.push({ key, r, availability: MACHINE_AVAILABILITY[aged.state], machineState: aged.state });
      continue;
    }
    const availability = effectiveAvailability(r, rules);
    if (availability === undefined) {
      if (explain) out.excluded.push({ key, register: r, verdict: 'no-availability', reason: 'no availability and no activity with a configured availability' });
      continue;
    }
    out.valid.push({ key, r, availability, machineState: undefined });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Step 1: one machine state, the most active endpoint's.

export interface MachineStep {
  readonly machine?: Candidate;
  /** The other machine registers, each with the verdict `less-active-machine`. */
  readonly outranked: RegisterVerdict[];
}

/** Step 1: the most active machine state wins (active < inactive < unknown < away < off; ties: the latest publication). */
export function mostActiveMachine(machines: readonly Candidate[], explain = true): MachineStep {
  let machine: Candidate | undefined;
  for (const m of machines) {
    if (
      machine === undefined ||
      MACHINE_RANK[m.machineState!] < MACHINE_RANK[machine.machineState!] ||
      (m.machineState === machine.machineState && m.r.publishedAt > machine.r.publishedAt)
    ) {
      machine = m;
    }
  }
  if (!explain || machines.length < 2) return machine !== undefined ? { machine, outranked: explain ? [] : NO_VERDICTS } : { outranked: explain ? [] : NO_VERDICTS };
  const outranked: RegisterVerdict[] = [];
  for (const m of machines) {
    if (m === machine) continue;
    outranked.push({
      key: m.key,
      register: m.r,
      availability: m.availability,
      machineState: m.machineState!,
      verdict: 'less-active-machine',
      reason: `machine state ${m.machineState} is less active than ${machine!.machineState} of ${machine!.r.source}/${machine!.r.endpoint}`,
    });
  }
  return machine !== undefined ? { machine, outranked } : { outranked };
}

// ---------------------------------------------------------------------------------------------
// Step 3: a user-set state drops every state published before it.

export interface UserOverride {
  readonly kept: Candidate[];
  /** The states published before the latest user state, each with the verdict `before-user-state`. */
  readonly dropped: RegisterVerdict[];
}

/** Step 3: the latest user state drops every state published before it. */
export function userOverride(valid: readonly Candidate[], explain = true): UserOverride {
  let user: Candidate | undefined;
  for (const c of valid) if (c.r.category === 'user' && (user === undefined || c.r.publishedAt > user.r.publishedAt)) user = c;
  if (user === undefined) return { kept: [...valid], dropped: explain ? [] : NO_VERDICTS };
  const cut = user.r.publishedAt;
  const kept: Candidate[] = [];
  const dropped: RegisterVerdict[] = explain ? [] : NO_VERDICTS;
  for (const c of valid) {
    if (c.r.publishedAt < cut) {
      if (!explain) continue;
      dropped.push({
        key: c.key,
        register: c.r,
        availability: c.availability,
        ...(c.machineState !== undefined ? { machineState: c.machineState } : {}),
        verdict: 'before-user-state',
        reason: `published before the user state of ${user.r.source}/${user.r.endpoint} (${iso(cut)})`,
      });
    } else kept.push(c);
  }
  return { kept, dropped };
}

// ---------------------------------------------------------------------------------------------
// Before step 4, no contradiction: one endpoint's machine `off` does not outweigh a live call or
// meeting another source reports; the person is on the phone, not offline.

export interface OffOutranked {
  readonly set: Candidate[];
  /** The machine register with the verdict `machine-off-outranked`, when it was taken out. */
  readonly verdict?: RegisterVerdict;
}

/** Takes the machine state `off` out of the set when another source reports something live (README "No contradictory presence"). */
export function outrankMachineOff(set: Candidate[], machine: Candidate | undefined): OffOutranked {
  if (machine === undefined || machine.machineState !== 'off' || !set.includes(machine)) return { set };
  const live = set.find(
    (c) => c !== machine && c.r.source !== machine.r.source && LIVE_CATEGORIES.has(c.r.category) && c.availability < CLASS_FLOOR.offline && c.r.activity?.token !== undefined,
  );
  if (live === undefined) return { set };
  return {
    set: set.filter((c) => c !== machine),
    verdict: {
      key: machine.key,
      register: machine.r,
      availability: machine.availability,
      machineState: 'off',
      verdict: 'machine-off-outranked',
      reason: `machine off is outranked by the live ${live.r.activity!.token} of ${live.r.source}/${live.r.endpoint}`,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Step 4: the least available state wins.

/** Least available first; ties: the latest publication first. */
function byAvailability(a: Candidate, b: Candidate): number {
  return b.availability - a.availability || b.r.publishedAt - a.r.publishedAt;
}

export interface AvailabilityStep {
  /** The set, least available first (ties: the latest publication first). Step 5 reads it. */
  readonly sorted: Candidate[];
  readonly decider?: Candidate;
  readonly availability: number;
  readonly cls: AvailabilityClass;
  readonly rule: string;
}

/**
 * Step 4: the least available state wins (ties: the latest publication); none, offline. An idle
 * machine state in the set turns available into inactive and busy into busy-inactive, and leaves DND alone.
 */
export function leastAvailable(set: readonly Candidate[], machine: Candidate | undefined, explain = true): AvailabilityStep {
  const sorted = set.length < 2 ? set.slice() : set.slice().sort(byAvailability);
  const decider = sorted[0];
  let availability: number = decider?.availability ?? CLASS_MIDPOINT.offline;
  let cls = classOf(availability);
  let rule = !explain ? '' : decider === undefined ? 'no valid register: offline' : `least available state wins: ${decider.r.source}/${decider.r.endpoint} (${decider.r.category})`;
  if (machine !== undefined && machine.machineState === 'inactive' && set.includes(machine)) {
    if (cls === 'available') {
      cls = 'inactive';
      availability = CLASS_MIDPOINT.inactive;
      if (explain) rule += '; idle machine turns available into inactive';
    } else if (cls === 'busy') {
      cls = 'busy-inactive';
      availability = CLASS_MIDPOINT['busy-inactive'];
      if (explain) rule += '; idle machine turns busy into busy-inactive';
    }
  }
  return decider !== undefined ? { sorted, decider, availability, cls, rule } : { sorted, availability, cls, rule };
}

// ---------------------------------------------------------------------------------------------
// Step 5: the current activity.

export interface ActivityStep {
  readonly activity: PresenceActivity;
  /** The state whose activity is shown; absent when the class is the activity. */
  readonly from?: Candidate;
  /** Counted states whose activity was not shown, by register key, with why. */
  readonly dropped: Map<string, string>;
}

/**
 * Step 5: the activity of the least available state that has one. An offline user state (appear
 * offline) hides device and user activities; the offline class never shows a device activity (a call
 * under "Offline"); none left, the class is the activity.
 */
export function currentActivity(sorted: readonly Candidate[], cls: AvailabilityClass, rules: Rules, explain = true): ActivityStep {
  const dropped = explain ? new Map<string, string>() : NO_DROPPED;
  let offlineUser = false;
  for (const c of sorted) if (c.r.category === 'user' && c.availability >= CLASS_FLOOR.offline) offlineUser = true;
  let from: Candidate | undefined;
  for (const c of sorted) {
    // Without an explanation the first state that shows its activity is all there is to find.
    if (!explain && from !== undefined) break;
    if (offlineUser && c.r.category !== 'user' && (c.r.expireType === 'device' || c.r.expireType === 'user')) {
      if (explain) dropped.set(c.key, 'activity hidden by an offline user state');
      continue;
    }
    if (c.r.activity?.token === undefined && c.r.activity?.text === undefined) {
      if (explain && (c.r.activity !== undefined || c.r.category !== 'machine')) dropped.set(c.key, 'no activity token or text');
      continue;
    }
    // Offline shows an activity of an offline state, or a time-bound one (the aggregation document
    // keeps a meeting), never a device activity.
    if (cls === 'offline' && c.availability < CLASS_FLOOR.offline && (c.r.expireType === 'device' || c.r.expireType === 'endpoint')) {
      if (explain) dropped.set(c.key, 'a device activity is not shown under offline');
      continue;
    }
    if (from === undefined) from = c;
  }
  if (from === undefined) return { activity: { token: cls, text: CLASS_LABEL[cls] }, dropped };
  const a = from.r.activity!;
  const token = a.token ?? CUSTOM_ACTIVITY_TOKEN;
  return { activity: { token, text: a.text ?? activityText(from.r.source, token, rules) ?? humanize(token) }, from, dropped };
}

// ---------------------------------------------------------------------------------------------
// Around the steps.

/** The verdicts of the counted states: which decided the availability, which the activity, whose activity was dropped. */
export function countedVerdicts(
  set: readonly Candidate[],
  decider: Candidate | undefined,
  activityFrom: Candidate | undefined,
  dropped: ReadonlyMap<string, string>,
): RegisterVerdict[] {
  return set.map((c) => ({
    key: c.key,
    register: c.r,
    availability: c.availability,
    ...(c.machineState !== undefined ? { machineState: c.machineState } : {}),
    verdict: 'counted' as const,
    reason: c === decider ? 'decided the availability' : c === activityFrom ? 'decided the activity' : 'counted',
    ...(dropped.has(c.key) ? { activityDropped: dropped.get(c.key)! } : {}),
  }));
}

/** The earliest boundary after `now`: when the judgement can change without a new signal. */
export function nextBoundary(boundaries: readonly number[], now: number): number | undefined {
  let min: number | undefined;
  for (let i = 0; i < boundaries.length; i++) {
    const b = boundaries[i]!;
    if (b > now && (min === undefined || b < min)) min = b;
  }
  return min;
}
