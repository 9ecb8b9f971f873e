import { CLASS_MIDPOINT } from '../model/availability.ts';
import { classActivity } from '../model/presence.ts';
import type { Presence, ViewStamps } from '../model/presence.ts';
import type { PresenceDraft } from './ports.ts';

/**
 * What a change is made of, for the store's compare-and-set: the view-relevant fields, and the
 * deciding source, which publishers need even when no watcher sees a difference.
 */
export function fingerprint(d: PresenceDraft): string {
  return JSON.stringify([d.availability, d.class, d.activity.token, d.activity.text, d.machineState ?? null, d.lastActive ?? null, d.decidedBy ?? null, d.decidedCategory ?? null]);
}

/**
 * The state a watcher sees change (availability, class, activity): `since` moves only with it, so
 * "time in the current state" does not restart at each input of an active machine.
 */
export function stateKey(d: PresenceDraft): string {
  return JSON.stringify([d.availability, d.class, d.activity.token, d.activity.text]);
}

/**
 * A person with no stored presence is offline (the baseline every watcher sees): committing an
 * offline draft for them is no change, so no version 1 that changes nothing is published.
 */
export const OFFLINE_FINGERPRINT = fingerprint({ person: '', availability: CLASS_MIDPOINT.offline, class: 'offline', activity: classActivity('offline') });

/** What the personal and team view shows (core/model/presence.ts viewFor): the fingerprint without the deciding source. */
export function fullViewKey(d: PresenceDraft): string {
  return JSON.stringify([d.availability, d.class, d.activity.token, d.activity.text, d.machineState ?? null, d.lastActive ?? null]);
}

/** What the company and public view shows: availability and class (the activity shown is the class). */
export function limitedViewKey(d: PresenceDraft): string {
  return JSON.stringify([d.availability, d.class]);
}

/**
 * The three view keys in one string, for the Redis commit script: `<a>|<b>|<body>` where `body` is
 * fullViewKey(d) without its closing `]`, and its first `a` (`b`) characters followed by `]` are
 * limitedViewKey(d) (stateKey(d)): the limited key and the state key are prefixes of the full key's
 * array. Built as text, the same characters JSON.stringify writes.
 */
export function packedViewKeys(d: PresenceDraft): string {
  const q = JSON.stringify;
  const limited = `[${num(d.availability)},${q(d.class)}`;
  const state = `${limited},${q(d.activity.token)},${d.activity.text === undefined ? 'null' : q(d.activity.text)}`;
  const body = `${state},${d.machineState === undefined ? 'null' : q(d.machineState)},${d.lastActive === undefined ? 'null' : num(d.lastActive)}`;
  return `${limited.length}|${state.length}|${body}`;
}

/** A number as JSON.stringify writes it. */
function num(n: number): string {
  return Number.isFinite(n) ? String(n) : 'null';
}

/**
 * The same comparisons as the keys above, field by field (no string built): `stateKey(a) ===
 * stateKey(b)` exactly when `sameState(a, b)`, and likewise for the two views. For the in-process
 * store and the stamps; the Redis scripts compare the key strings.
 */
export function sameState(a: PresenceDraft, b: PresenceDraft): boolean {
  return a.availability === b.availability && a.class === b.class && a.activity.token === b.activity.token && a.activity.text === b.activity.text;
}

export function sameFullView(a: PresenceDraft, b: PresenceDraft): boolean {
  return sameState(a, b) && (a.machineState ?? null) === (b.machineState ?? null) && (a.lastActive ?? null) === (b.lastActive ?? null);
}

export function sameLimitedView(a: PresenceDraft, b: PresenceDraft): boolean {
  return a.availability === b.availability && a.class === b.class;
}

const OFFLINE_DRAFT: PresenceDraft = { person: '', availability: CLASS_MIDPOINT.offline, class: 'offline', activity: classActivity('offline') };
/** The view keys of a person with nothing stored: the offline baseline, version 0 of each view. */
export const OFFLINE_FULL_KEY = fullViewKey(OFFLINE_DRAFT);
export const OFFLINE_LIMITED_KEY = limitedViewKey(OFFLINE_DRAFT);
export const OFFLINE_VIEW_KEYS = packedViewKeys(OFFLINE_DRAFT);

/**
 * The view stamps of a change from `prev` (undefined: nothing stored) to `draft` committed at `at`:
 * each view's version moves by one when its key changed, else stays. A stored presence without
 * stamps (written before they existed) counts as changed, from its own version. The Redis commit
 * script (core/pipeline/redis/scripts.ts COMMIT) does the same.
 */
export function nextViewStamps(prev: Presence | undefined, draft: PresenceDraft, at: number): ViewStamps {
  const before: ViewStamps = prev === undefined ? { full: 0, limited: 0 } : (prev.views ?? { full: prev.version, limited: prev.version });
  const fullChanged = !sameFullView(prev ?? OFFLINE_DRAFT, draft) || (prev !== undefined && prev.views === undefined);
  const limitedChanged = !sameLimitedView(prev ?? OFFLINE_DRAFT, draft) || (prev !== undefined && prev.views === undefined);
  const out: { full: number; limited: number; limitedSince?: number } = { full: before.full + (fullChanged ? 1 : 0), limited: before.limited + (limitedChanged ? 1 : 0) };
  const since = limitedChanged ? at : before.limitedSince;
  if (since !== undefined) out.limitedSince = since;
  return Object.freeze(out);
}
