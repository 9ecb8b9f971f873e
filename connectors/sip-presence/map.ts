import { CLASS_MIDPOINT, type AvailabilityClass } from '../../core/model/availability.ts';
import type { Presence } from '../../core/model/presence.ts';
import type { PidfDocument, UserInput } from '../sip-core/pidf.ts';

/**
 * PIDF basic status (RFC 3863 section 4.1.4) and RPID activities (RFC 4480 section 3.2) to and
 * from the hub's neutral model. Pure functions; the tables are data so that README and tests can
 * show them. RFC 4480 has no do-not-disturb: dnd is written as `busy` (the SylkServer / RFC 8048
 * gateway convention) with the activity text kept in the note.
 */
export type NeutralClass = 'available' | 'busy' | 'dnd' | 'away' | 'offline';

export interface NeutralState {
  readonly availability: NeutralClass;
  readonly activity?: { readonly token?: string; readonly text?: string };
  readonly sourceTime?: string;
}

/** RPID activity -> neutral class and activity token (undefined token: the class is the activity). */
export const RPID_TO_NEUTRAL: Readonly<Record<string, { availability: NeutralClass; token?: string }>> = {
  'on-the-phone': { availability: 'busy', token: 'on-the-phone' },
  meeting: { availability: 'busy', token: 'in-a-meeting' },
  appointment: { availability: 'busy', token: 'in-a-meeting' },
  busy: { availability: 'busy' },
  presentation: { availability: 'dnd', token: 'in-presentation' },
  performance: { availability: 'dnd', token: 'in-presentation' },
  away: { availability: 'away' },
  vacation: { availability: 'away', token: 'out-of-office' },
  holiday: { availability: 'away', token: 'out-of-office' },
  'permanent-absence': { availability: 'away', token: 'off-work' },
  sleeping: { availability: 'away', token: 'off-work' },
  meal: { availability: 'away', token: 'meal' },
  breakfast: { availability: 'away', token: 'meal' },
  dinner: { availability: 'away', token: 'meal' },
  travel: { availability: 'away', token: 'travel' },
  'in-transit': { availability: 'away', token: 'travel' },
  steering: { availability: 'busy', token: 'travel' },
  shopping: { availability: 'away', token: 'shopping' },
  playing: { availability: 'away', token: 'playing' },
  spectator: { availability: 'away', token: 'spectator' },
  tv: { availability: 'away', token: 'tv' },
  worship: { availability: 'away', token: 'worship' },
  'looking-for-work': { availability: 'available', token: 'looking-for-work' },
  working: { availability: 'available', token: 'working' },
};

const RANK = (c: NeutralClass): number => CLASS_MIDPOINT[c];

function validNow(from: string | undefined, until: string | undefined, now: number): boolean {
  const f = from !== undefined ? Date.parse(from) : NaN;
  const u = until !== undefined ? Date.parse(until) : NaN;
  if (!Number.isNaN(f) && now < f) return false;
  if (!Number.isNaN(u) && now >= u) return false;
  return true;
}

/**
 * The neutral state a PIDF document states, or undefined when it states nothing (no tuple and no
 * person: the presentity is unknown). Activities outside their from/until window are ignored
 * (RFC 4480 section 3.1). Any open tuple makes the presentity open; all closed makes it offline.
 */
export function pidfToNeutral(doc: PidfDocument, now: number): NeutralState | undefined {
  if (doc.tuples.length === 0 && doc.persons.length === 0) return undefined;
  const withBasic = doc.tuples.filter((t) => t.basic !== undefined);
  const open = withBasic.length === 0 || withBasic.some((t) => t.basic === 'open');
  const tokens: string[] = [];
  let other: string | undefined;
  for (const p of doc.persons) {
    if (!validNow(p.from, p.until, now)) continue;
    tokens.push(...p.activities);
    other ??= p.otherActivity;
  }
  for (const t of doc.tuples) if (t.basic !== 'closed') tokens.push(...t.activities);
  const note = other ?? doc.persons.flatMap((p) => (p.activityNote !== undefined && validNow(p.from, p.until, now) ? [p.activityNote] : p.notes))[0] ?? doc.tuples.flatMap((t) => t.notes)[0] ?? doc.notes[0];
  // The latest timestamp of the persons and tuples (each parsed once).
  let latest = NaN;
  for (const x of [doc.persons, doc.tuples]) {
    for (const item of x) {
      const ms = item.timestamp !== undefined ? Date.parse(item.timestamp) : NaN;
      if (!Number.isNaN(ms) && (Number.isNaN(latest) || ms > latest)) latest = ms;
    }
  }
  const sourceTime = Number.isNaN(latest) ? undefined : new Date(latest).toISOString();
  const base = sourceTime !== undefined ? { sourceTime } : {};
  if (!open) return { availability: 'offline', ...base };
  let best: { availability: NeutralClass; token?: string } = { availability: 'available' };
  let matched = false;
  for (const tok of tokens) {
    const m = RPID_TO_NEUTRAL[tok];
    if (m === undefined) continue;
    if (!matched || RANK(m.availability) > RANK(best.availability)) best = m;
    matched = true;
  }
  if (!matched && other !== undefined) best = { availability: 'busy' }; // <rpid:other> is an activity the watcher cannot name
  const text = note?.slice(0, 256);
  const activity = best.token !== undefined || text !== undefined ? { ...(best.token !== undefined ? { token: best.token } : {}), ...(text !== undefined ? { text } : {}) } : undefined;
  return { availability: best.availability, ...(activity !== undefined ? { activity } : {}), ...base };
}

/** The machine state a document's RFC 4480 `user-input` states (hub category `machine`). */
export interface NeutralMachine {
  readonly machineState: 'active' | 'inactive';
  /** The last input (ISO): the machine ages from it (inactive, then away) in the availability rules. */
  readonly lastInput?: string;
}

/**
 * RFC 4480 section 3.15 `user-input` to the hub's machine state. `idle` means no input for the
 * `idle-threshold`: machine `inactive`, its last input `last-input` when given (so the rules age it
 * to away from the real last input, not from the NOTIFY); `active` means recent input: machine
 * `active` (no time: the collector re-asserts it while the document says so). The person's element
 * summarises the person's devices and wins when present (RFC 4479 section 3.3); otherwise the most
 * active of the devices and open tuples counts (the hub's machine order: active before inactive),
 * idle ones giving the latest last input. No user-input anywhere: nothing is said (undefined).
 */
export function pidfMachineState(doc: PidfDocument, now: number): NeutralMachine | undefined {
  const person = doc.persons.map((p) => p.userInput).filter((u): u is UserInput => u !== undefined);
  const others = [...doc.devices.map((d) => d.userInput), ...doc.tuples.filter((t) => t.basic !== 'closed').map((t) => t.userInput)].filter((u): u is UserInput => u !== undefined);
  const inputs = person.length > 0 ? person : others;
  if (inputs.length === 0) return undefined;
  if (inputs.some((u) => u.state === 'active')) return { machineState: 'active' };
  const times = inputs.map((u) => (u.lastInput !== undefined ? Date.parse(u.lastInput) : NaN)).filter((t) => !Number.isNaN(t));
  if (times.length === 0) return { machineState: 'inactive' };
  // A last input ahead of the hub's clock (skew) is taken as now.
  return { machineState: 'inactive', lastInput: new Date(Math.min(Math.max(...times), now)).toISOString() };
}

export interface PidfState {
  readonly basic: 'open' | 'closed';
  readonly activities: readonly string[];
  readonly note?: string;
  readonly userInput?: 'idle';
}

const BUSY_TOKEN_TO_RPID: Readonly<Record<string, string>> = {
  'on-the-phone': 'on-the-phone',
  'in-a-meeting': 'meeting',
  'in-a-conference': 'meeting',
  'in-presentation': 'presentation',
};

const AWAY_TOKEN_TO_RPID: Readonly<Record<string, string>> = {
  'out-of-office': 'vacation',
  'off-work': 'permanent-absence',
  meal: 'meal',
  travel: 'travel',
};

/** The merged presence of a person as PIDF basic status + RPID activities (for PUBLISH). */
export function neutralToPidf(p: Pick<Presence, 'class' | 'activity'>): PidfState {
  const token = p.activity.token;
  const note = p.activity.text !== '' ? { note: p.activity.text } : {};
  const c: AvailabilityClass = p.class;
  switch (c) {
    case 'available':
      return { basic: 'open', activities: [], ...note };
    case 'busy':
      return { basic: 'open', activities: [BUSY_TOKEN_TO_RPID[token] ?? 'busy'], ...note };
    case 'dnd':
      return { basic: 'open', activities: [token === 'in-presentation' ? 'presentation' : 'busy'], ...note };
    case 'inactive':
      return { basic: 'open', activities: [], userInput: 'idle', ...note };
    case 'busy-inactive':
      return { basic: 'open', activities: [BUSY_TOKEN_TO_RPID[token] ?? 'busy'], userInput: 'idle', ...note };
    case 'away':
      return { basic: 'open', activities: [AWAY_TOKEN_TO_RPID[token] ?? 'away'], ...note };
    case 'offline':
      return { basic: 'closed', activities: [], ...note };
  }
}
