import { CLASS_LABEL, classOf, type AvailabilityClass } from '../model/availability.ts';
import type { Register } from '../model/register.ts';
import type { Category } from '../model/signal.ts';
import type { Judgement, RegisterVerdict } from './judgement.ts';
import { humanize } from './steps.ts';
import { activityText, type Rules } from './rules-config.ts';

/**
 * One phrase of the plain-language explanation. `template` has placeholders where times go:
 * `{until}`, `{from}`, `{at}` (a clock time) and `{ago}` (how long before the explanation's `at`,
 * from the part's `at`), so that a page can render them in its reader's local time; `text` is the
 * same phrase with clock times in UTC, as `summary` joins them.
 */
export interface SummaryPart {
  readonly kind: 'state' | 'signal' | 'machine' | 'override' | 'upcoming' | 'outranked' | 'none';
  readonly template: string;
  readonly text: string;
  readonly at?: string;
  readonly from?: string;
  readonly until?: string;
  readonly category?: Category;
  readonly source?: string;
  readonly endpoint?: string;
}

export interface Summary {
  /** "Busy — in a meeting (calendar, until 10:30 UTC) · phone idle · laptop active 2 min ago · ..." */
  readonly summary: string;
  readonly parts: readonly SummaryPart[];
}

const iso = (ms: number): string => new Date(ms).toISOString();
const hhmm = (ms: number): string => `${new Date(ms).toISOString().slice(11, 16)} UTC`;
const lower = (s: string): string => (s.length > 1 && s[1] === s[1]!.toUpperCase() ? s : s.charAt(0).toLowerCase() + s.slice(1));

/** "just now", "40 s ago", "2 min ago", "3 h ago", "2 d ago". */
export function ago(ms: number, now: number): string {
  const s = Math.max(0, Math.floor((now - ms) / 1000));
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ago`;
  return `${Math.floor(h / 24)} d ago`;
}

/** What a category of evidence is called in a sentence. */
function what(r: Register): string {
  switch (r.category) {
    case 'user':
      return 'set by the user';
    case 'machine':
      return r.endpoint;
    case 'custom':
      return r.source;
    default:
      return r.category;
  }
}

/** The register's own activity in words ("in a meeting"), if it has one. */
function activityOf(r: Register, rules: Rules): string | undefined {
  const a = r.activity;
  if (a === undefined || (a.token === undefined && a.text === undefined)) return undefined;
  const token = a.token ?? 'custom';
  return lower(a.text ?? activityText(r.source, token, rules) ?? humanize(token));
}

/** The end of a register's validity: its `until`, or its source's time to live. */
function untilOf(r: Register, rules: Rules): number | undefined {
  const ttl = rules.sources[r.source]?.ttlMs;
  return r.until ?? (ttl !== undefined ? r.publishedAt + ttl : undefined);
}

const MACHINE_WORDS: Record<string, string> = { active: 'active', inactive: 'idle', away: 'away', unknown: 'state unknown', off: 'signed off' };

/**
 * The plain-language explanation of a judgement (issue 20): the state and why, then what the other
 * counted signals say, then what a user-set state overrode and what comes next. Built from
 * aggregate()'s explanation only: no availability numbers, tokens or verdict codes.
 */
export function summarize(j: Judgement, now: number, rules: Rules): Summary {
  const parts: SummaryPart[] = [];
  const add = (kind: SummaryPart['kind'], template: string, times: { at?: number; from?: number; until?: number }, r?: Register): void => {
    const text = template
      .replace('{until}', times.until !== undefined ? hhmm(times.until) : '')
      .replace('{from}', times.from !== undefined ? hhmm(times.from) : '')
      .replace('{at}', times.at !== undefined ? hhmm(times.at) : '')
      .replace('{ago}', times.at !== undefined ? ago(times.at, now) : '');
    parts.push({
      kind,
      template,
      text,
      ...(times.at !== undefined ? { at: iso(times.at) } : {}),
      ...(times.from !== undefined ? { from: iso(times.from) } : {}),
      ...(times.until !== undefined ? { until: iso(times.until) } : {}),
      ...(r !== undefined ? { category: r.category, source: r.source, endpoint: r.endpoint } : {}),
    });
  };
  const ex = j.explanation;
  const byKey = new Map(ex.registers.map((v) => [v.key, v]));
  const decider = ex.availabilityFrom !== undefined ? byKey.get(ex.availabilityFrom) : undefined;
  const activityFrom = ex.activityFrom !== undefined ? byKey.get(ex.activityFrom) : undefined;
  const label = CLASS_LABEL[j.class];

  // A user-set state that dropped older ones (step 3) is said once: in the state's words when it decided, else at the end.
  const overridden = ex.registers.some((v) => v.verdict === 'before-user-state');
  const user = overridden ? ex.registers.filter((v) => v.verdict === 'counted' && v.register.category === 'user').sort((a, b) => b.register.publishedAt - a.register.publishedAt)[0] : undefined;

  // The state and the register behind it: the activity's when there is one, else the availability's.
  const head = activityFrom ?? decider;
  if (head === undefined) {
    add('none', `${label} — no signals`, {});
  } else {
    const r = head.register;
    const activity = j.activity.token !== j.class ? lower(j.activity.text) : undefined;
    const until = untilOf(r, rules);
    let why: string;
    if (r.category === 'user') why = `set by the user at {at}${head === user ? ', overrides older states' : ''}`;
    else if (r.category === 'machine') why = `${r.endpoint} ${MACHINE_WORDS[head.machineState ?? r.machineState ?? 'unknown'] ?? 'state'}, last input {ago}`;
    else why = `${what(r)}${until !== undefined ? ', until {until}' : ''}`;
    const at = r.category === 'machine' ? (r.sourceTime ?? r.publishedAt) : r.publishedAt;
    add('state', `${label}${activity !== undefined ? ` — ${activity}` : ''} (${why})`, { at, ...(until !== undefined ? { until } : {}) }, r);
  }

  // What else counted, in a few words each.
  for (const v of ex.registers) {
    if (v.verdict !== 'counted' || v === head || v === user) continue;
    const r = v.register;
    if (r.category === 'machine') {
      const state = v.machineState ?? r.machineState ?? 'unknown';
      const at = r.sourceTime ?? r.publishedAt;
      add('machine', state === 'active' ? `${r.endpoint} active {ago}` : `${r.endpoint} ${MACHINE_WORDS[state] ?? state} (last input {ago})`, { at }, r);
      continue;
    }
    const cls: AvailabilityClass | undefined = v.availability !== undefined ? classOf(v.availability) : undefined;
    const activity = activityOf(r, rules);
    const state = activity ?? (cls === 'available' && r.category !== 'user' ? 'idle' : cls !== undefined ? lower(CLASS_LABEL[cls]) : 'counted');
    const until = untilOf(r, rules);
    if (r.category === 'user') add('signal', `set by the user to ${state} at {at}`, { at: r.publishedAt }, r);
    else add('signal', `${what(r)} ${state}${until !== undefined && r.category === 'calendar' ? ' until {until}' : ''}`, until !== undefined ? { until } : {}, r);
  }

  if (user !== undefined && user !== head) add('override', 'set by the user at {at} overrides older states', { at: user.register.publishedAt }, user.register);
  // A signed-off computer that did not count against a live call or meeting.
  for (const v of ex.registers.filter((x) => x.verdict === 'machine-off-outranked')) {
    add('outranked', `${v.register.endpoint} signed off, but a live ${lower(liveWord(ex.registers))} counts`, {}, v.register);
  }
  // What comes next without a new signal: the earliest state not yet valid.
  const next = ex.registers
    .filter((v): v is RegisterVerdict & { register: { from: number } } => v.verdict === 'not-yet-valid' && v.register.from !== undefined)
    .sort((a, b) => a.register.from - b.register.from)[0];
  if (next !== undefined) {
    const r = next.register;
    const activity = activityOf(r, rules) ?? (r.availability !== undefined ? lower(CLASS_LABEL[classOf(r.availability)]) : 'a new state');
    add('upcoming', `next: ${activity} from {from} (${what(r)})`, { from: r.from }, r);
  }
  return { summary: parts.map((p) => p.text).join(' · '), parts };
}

function liveWord(vs: readonly RegisterVerdict[]): string {
  const live = vs.find((v) => v.verdict === 'counted' && v.register.activity !== undefined && ['phone', 'calendar', 'device'].includes(v.register.category));
  return live === undefined ? 'state' : `${live.register.category} state`;
}
