import type { AvailabilityClass } from '../../core/model/availability.ts';
import type { Presence } from '../../core/model/presence.ts';

/**
 * Pure mappings between Teams presence (Graph presence resource, availability and activity) and the
 * neutral model. Graph's enumerations disagree between doc versions and casing (PascalCase on the
 * wire, camelCase on the current page), so values are matched case-insensitively, unknown values are
 * kept (as the activity text) and mapped to a safe fallback.
 */
export interface NeutralReading {
  /** undefined: Teams says nothing usable (PresenceUnknown or an unknown availability with no usable activity). */
  availability?: AvailabilityClass;
  activityToken?: string;
  /** The raw Graph values when one was not recognised, so nothing is lost. */
  unknown?: string;
}

const AVAILABILITY: Record<string, AvailabilityClass | null> = {
  available: 'available',
  availableidle: 'inactive',
  away: 'away',
  berightback: 'away',
  busy: 'busy',
  busyidle: 'busy-inactive',
  donotdisturb: 'dnd',
  offline: 'offline',
  outofoffice: 'away',
  presenceunknown: null,
};

/** Activity tokens: undefined = the class speaks for itself. */
const ACTIVITY: Record<string, string | undefined> = {
  available: undefined,
  availableinactive: 'inactive',
  away: 'away',
  berightback: 'be-right-back',
  busy: undefined,
  donotdisturb: undefined,
  inacall: 'on-the-phone',
  inaconferencecall: 'in-a-conference-call',
  inactive: 'inactive',
  inameeting: 'in-a-meeting',
  offline: undefined,
  offwork: 'off-work',
  outofoffice: 'out-of-office',
  presenceunknown: undefined,
  presenting: 'presenting',
  urgentinterruptionsonly: 'urgent-interruptions-only',
  focusing: 'focusing',
};

/** An activity implies a class when the availability is unknown (the current docs swap the two lists). */
const ACTIVITY_CLASS: Record<string, AvailabilityClass> = {
  inacall: 'busy',
  inaconferencecall: 'busy',
  inameeting: 'busy',
  presenting: 'dnd',
  focusing: 'dnd',
  urgentinterruptionsonly: 'dnd',
  away: 'away',
  berightback: 'away',
  offwork: 'offline',
  available: 'available',
  busy: 'busy',
  donotdisturb: 'dnd',
  offline: 'offline',
};

const key = (v: string): string => v.trim().toLowerCase();

export function graphToNeutral(availability: string, activity: string): NeutralReading {
  const a = key(availability);
  const act = key(activity);
  const unknown: string[] = [];
  let cls: AvailabilityClass | null | undefined = a in AVAILABILITY ? AVAILABILITY[a] : undefined;
  if (cls === undefined) {
    unknown.push(`availability ${availability}`);
    cls = ACTIVITY_CLASS[act];
  }
  if (cls === null || cls === undefined) {
    const u = [...unknown, ...(act in ACTIVITY ? [] : [`activity ${activity}`])];
    return u.length > 0 ? { unknown: u.join(', ') } : {};
  }
  const out: NeutralReading = {};
  out.availability = cls;
  if (act in ACTIVITY) {
    const t = ACTIVITY[act];
    if (t !== undefined) out.activityToken = t;
  } else {
    unknown.push(`activity ${activity}`);
    // Kept as a token when it can be one (e.g. a new Teams activity), so rules can still match it.
    const token = activity.trim().replace(/([a-z])([A-Z])/g, '$1-$2').replace(/([A-Z])([A-Z][a-z])/g, '$1-$2').toLowerCase();
    if (/^[a-z0-9][a-z0-9._-]{0,63}$/.test(token)) out.activityToken = token;
  }
  if (unknown.length > 0) out.unknown = unknown.join(', ');
  return out;
}

/** A Graph availability/activity pair. */
export interface GraphPair {
  readonly availability: string;
  readonly activity: string;
}

/** The combinations setPresence documents (presence-setpresence, v1.0). */
export const DOCUMENTED_SESSION_PAIRS: readonly GraphPair[] = [
  { availability: 'Available', activity: 'Available' },
  { availability: 'Busy', activity: 'InACall' },
  { availability: 'Busy', activity: 'InAConferenceCall' },
  { availability: 'Away', activity: 'Away' },
];
/** Pairs the Teams state table lists but setPresence's page calls "currently not supported" for DND: opt-in. */
export const EXTENDED_SESSION_PAIRS: readonly GraphPair[] = [
  { availability: 'Busy', activity: 'Busy' },
  { availability: 'DoNotDisturb', activity: 'DoNotDisturb' },
  { availability: 'DoNotDisturb', activity: 'Presenting' },
];

export type WritePlan =
  | { kind: 'set'; pair: GraphPair }
  | { kind: 'preferred'; pair: GraphPair }
  | { kind: 'clear'; reason: string };

export interface PublishPolicy {
  /** Classes the hub writes; anything else clears the app session so Teams shows its own state. */
  classes: readonly AvailabilityClass[];
  extendedPairs: boolean;
  /** Use setUserPreferredPresence for DND when no session pair can show it. */
  preferredForDnd: boolean;
}

const allowed = (p: GraphPair, policy: PublishPolicy): boolean =>
  [...DOCUMENTED_SESSION_PAIRS, ...(policy.extendedPairs ? EXTENDED_SESSION_PAIRS : [])].some((q) => q.availability === p.availability && q.activity === p.activity);

/**
 * What to write into Teams for a merged presence. Teams cannot be told everything: OutOfOffice
 * and InAMeeting cannot be set by an app (they come from the mailbox and the calendar:
 * cloud-communications-manage-presence-state), so those clear the session and say why.
 */
export function planWrite(p: Pick<Presence, 'class' | 'activity'>, policy: PublishPolicy): WritePlan {
  const token = p.activity.token.toLowerCase();
  if (token === 'out-of-office') return { kind: 'clear', reason: 'Teams shows Out of office from the mailbox or calendar; an app cannot set it (setPresence)' };
  if (token === 'in-a-meeting') return { kind: 'clear', reason: 'Teams shows In a meeting from the calendar; an app cannot set it (setPresence)' };
  if (!policy.classes.includes(p.class)) return { kind: 'clear', reason: `the hub does not write ${p.class} into Teams (publish.classes)` };
  let pair: GraphPair;
  switch (p.class) {
    case 'available':
      pair = { availability: 'Available', activity: 'Available' };
      break;
    case 'inactive':
    case 'away':
      pair = { availability: 'Away', activity: 'Away' };
      break;
    case 'busy':
    case 'busy-inactive':
      if (token === 'on-the-phone' || token === 'in-a-call') pair = { availability: 'Busy', activity: 'InACall' };
      else if (token === 'in-a-conference-call' || token === 'in-a-conference') pair = { availability: 'Busy', activity: 'InAConferenceCall' };
      else if (token === 'presenting') pair = { availability: 'DoNotDisturb', activity: 'Presenting' };
      else pair = { availability: 'Busy', activity: 'Busy' };
      break;
    case 'dnd':
      pair = token === 'presenting' ? { availability: 'DoNotDisturb', activity: 'Presenting' } : { availability: 'DoNotDisturb', activity: 'DoNotDisturb' };
      break;
    case 'offline':
      return { kind: 'clear', reason: 'an app session cannot show Offline; clearing it lets Teams show the user’s own state' };
  }
  if (allowed(pair, policy)) return { kind: 'set', pair };
  if (pair.availability === 'DoNotDisturb' && policy.preferredForDnd) return { kind: 'preferred', pair: { availability: 'DoNotDisturb', activity: 'DoNotDisturb' } };
  return { kind: 'clear', reason: `setPresence does not accept ${pair.availability}/${pair.activity} (presence-setpresence); Teams keeps the user’s own state` };
}

export const samePair = (a: GraphPair | undefined, b: GraphPair | undefined): boolean =>
  a !== undefined && b !== undefined && key(a.availability) === key(b.availability) && key(a.activity) === key(b.activity);
