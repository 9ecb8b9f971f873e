import {
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
import { activityText, effectiveAvailability, type Rules } from './rules-config.ts';

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

const iso = (ms: number): string => new Date(ms).toISOString();
/** Where the offline range starts (README "Availability rules"). */
const OFFLINE_FROM = 18000;
/** Categories whose activity is something going on now: a call, a meeting, a device in use. */
const LIVE: ReadonlySet<string> = new Set(['phone', 'calendar', 'device']);

function humanize(token: string): string {
  const t = token.replace(/[-_.]+/g, ' ').replace(/([a-z])([A-Z])/g, '$1 $2').trim().toLowerCase();
  return t.charAt(0).toUpperCase() + t.slice(1);
}

interface Candidate {
  readonly key: string;
  readonly r: Register;
  readonly availability: number;
  readonly machineState?: MachineState;
}

/**
 * The Availability Rules Manager's default aggregation: a pure function of the registers, the
 * clock and the rules (README "Availability rules", steps 1-6, after the OCS 2007 aggregation script).
 */
export function aggregate(registers: readonly Register[], now: number, rules: Rules): Judgement {
  const verdicts = new Map<string, RegisterVerdict>();
  const boundaries: number[] = [];
  const valid: Candidate[] = [];
  const machines: Candidate[] = [];

  // Step 2 (validity) first, so that an expired machine state does not win step 1.
  for (const r of registers) {
    const key = registerKey(r);
    const ttl = rules.sources[r.source]?.ttlMs;
    const until = r.until ?? (ttl !== undefined ? r.publishedAt + ttl : undefined);
    if (r.from !== undefined && now < r.from) {
      boundaries.push(r.from);
      verdicts.set(key, { key, register: r, verdict: 'not-yet-valid', reason: `valid from ${iso(r.from)}` });
      continue;
    }
    if (until !== undefined && now >= until) {
      verdicts.set(key, { key, register: r, verdict: 'expired', reason: `expired at ${iso(until)}` });
      continue;
    }
    if (until !== undefined) boundaries.push(until);
    if (r.category === 'machine' && r.machineState !== undefined) {
      // A machine register ages: no input for inactiveAfter makes it inactive, for awayAfter away.
      const lastInput = r.sourceTime ?? r.publishedAt;
      const idleAt = lastInput + rules.inactiveAfterMs;
      const awayAt = lastInput + rules.awayAfterMs;
      const aged: MachineState = now >= awayAt ? 'away' : now >= idleAt ? 'inactive' : 'active';
      const state = lessActive(r.machineState, aged);
      if (MACHINE_RANK[r.machineState] < MACHINE_RANK.inactive && now < idleAt) boundaries.push(idleAt);
      if (MACHINE_RANK[r.machineState] < MACHINE_RANK.away && now < awayAt) boundaries.push(awayAt);
      machines.push({ key, r, availability: MACHINE_AVAILABILITY[state], machineState: state });
      continue;
    }
    const availability = effectiveAvailability(r, rules);
    if (availability === undefined) {
      verdicts.set(key, { key, register: r, verdict: 'no-availability', reason: 'no availability and no activity with a configured availability' });
      continue;
    }
    valid.push({ key, r, availability });
  }

  // Step 1: one machine state, the most active endpoint's (ties: the latest publication).
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
  for (const m of machines) {
    if (m === machine) continue;
    verdicts.set(m.key, {
      key: m.key,
      register: m.r,
      availability: m.availability,
      machineState: m.machineState!,
      verdict: 'less-active-machine',
      reason: `machine state ${m.machineState} is less active than ${machine!.machineState} of ${machine!.r.source}/${machine!.r.endpoint}`,
    });
  }
  if (machine !== undefined) valid.push(machine);

  // Step 3: a user-set state drops every state published before it.
  let user: Candidate | undefined;
  for (const c of valid) if (c.r.category === 'user' && (user === undefined || c.r.publishedAt > user.r.publishedAt)) user = c;
  let set = valid;
  if (user !== undefined) {
    const cut = user.r.publishedAt;
    set = [];
    for (const c of valid) {
      if (c.r.publishedAt < cut) {
        verdicts.set(c.key, {
          key: c.key,
          register: c.r,
          availability: c.availability,
          ...(c.machineState !== undefined ? { machineState: c.machineState } : {}),
          verdict: 'before-user-state',
          reason: `published before the user state of ${user.r.source}/${user.r.endpoint} (${iso(cut)})`,
        });
      } else set.push(c);
    }
  }

  // No contradiction (README "Availability rules"): one endpoint's machine `off` does not outweigh
  // a live call or meeting another source reports; the person is on the phone, not offline.
  if (machine !== undefined && machine.machineState === 'off' && set.includes(machine)) {
    const live = set.find((c) => c !== machine && c.r.source !== machine.r.source && LIVE.has(c.r.category) && c.availability < OFFLINE_FROM && c.r.activity?.token !== undefined);
    if (live !== undefined) {
      set = set.filter((c) => c !== machine);
      verdicts.set(machine.key, {
        key: machine.key,
        register: machine.r,
        availability: machine.availability,
        machineState: 'off',
        verdict: 'machine-off-outranked',
        reason: `machine off is outranked by the live ${live.r.activity!.token} of ${live.r.source}/${live.r.endpoint}`,
      });
    }
  }

  // Step 4: the least available state wins (ties: the latest publication decides).
  const sorted = [...set].sort((a, b) => b.availability - a.availability || b.r.publishedAt - a.r.publishedAt);
  const decider = sorted[0];
  let availability: number = decider?.availability ?? CLASS_MIDPOINT.offline;
  let cls = classOf(availability);
  let rule = decider === undefined ? 'no valid register: offline' : `least available state wins: ${decider.r.source}/${decider.r.endpoint} (${decider.r.category})`;
  if (machine !== undefined && set.includes(machine) && machine.machineState === 'inactive') {
    // An idle machine does not override DND: available -> inactive, busy -> busy-inactive.
    if (cls === 'available') {
      cls = 'inactive';
      availability = CLASS_MIDPOINT.inactive;
      rule += '; idle machine turns available into inactive';
    } else if (cls === 'busy') {
      cls = 'busy-inactive';
      availability = CLASS_MIDPOINT['busy-inactive'];
      rule += '; idle machine turns busy into busy-inactive';
    }
  }

  // Step 5: the current activity.
  const dropped = new Map<string, string>();
  const offlineUser = sorted.some((c) => c.r.category === 'user' && c.availability >= 18000);
  let activityFrom: Candidate | undefined;
  for (const c of sorted) {
    if (offlineUser && c.r.category !== 'user' && (c.r.expireType === 'device' || c.r.expireType === 'user')) {
      dropped.set(c.key, 'activity hidden by an offline user state');
      continue;
    }
    if (c.r.activity?.token === undefined && c.r.activity?.text === undefined) {
      if (c.r.activity !== undefined || c.r.category !== 'machine') dropped.set(c.key, 'no activity token or text');
      continue;
    }
    // Never the offline class with a device activity (a call under "Offline"): offline shows an
    // activity of an offline state, or a time-bound one (the aggregation document keeps a meeting).
    if (cls === 'offline' && c.availability < OFFLINE_FROM && (c.r.expireType === 'device' || c.r.expireType === 'endpoint')) {
      dropped.set(c.key, 'a device activity is not shown under offline');
      continue;
    }
    if (activityFrom === undefined) activityFrom = c;
  }
  let activity: PresenceActivity;
  if (activityFrom === undefined) {
    activity = { token: cls, text: CLASS_LABEL[cls] };
  } else {
    const a = activityFrom.r.activity!;
    const token = a.token ?? 'custom';
    activity = { token, text: a.text ?? activityText(activityFrom.r.source, token, rules) ?? humanize(token) };
  }

  for (const c of set) {
    verdicts.set(c.key, {
      key: c.key,
      register: c.r,
      availability: c.availability,
      ...(c.machineState !== undefined ? { machineState: c.machineState } : {}),
      verdict: 'counted',
      reason: c === decider ? 'decided the availability' : c === activityFrom ? 'decided the activity' : 'counted',
      ...(dropped.has(c.key) ? { activityDropped: dropped.get(c.key)! } : {}),
    });
  }

  const next = boundaries.reduce<number | undefined>((min, b) => (b > now && (min === undefined || b < min) ? b : min), undefined);
  const ordered = registers.map((r) => verdicts.get(registerKey(r))!);
  return {
    availability,
    class: cls,
    activity,
    ...(machine !== undefined ? { machineState: machine.machineState! } : {}),
    ...(decider !== undefined ? { lastActive: decider.r.publishedAt, decidedBy: decider.r.source, decidedCategory: decider.r.category } : {}),
    ...(next !== undefined ? { nextBoundary: next } : {}),
    explanation: {
      registers: ordered,
      ...(decider !== undefined ? { availabilityFrom: decider.key } : {}),
      ...(activityFrom !== undefined ? { activityFrom: activityFrom.key } : {}),
      rule,
    },
  };
}
