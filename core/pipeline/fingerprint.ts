import { CLASS_MIDPOINT } from '../model/availability.ts';
import { classActivity } from '../model/presence.ts';
import type { Presence, ViewStamps } from '../model/presence.ts';
import { jsonNumber, jsonText } from '../util/json-text.ts';
import type { PresenceDraft } from './ports.ts';

/**
 * What a change is made of, for the store's compare-and-set: the view-relevant fields, and the
 * deciding source, which publishers need even when no watcher sees a difference.
 */
export function fingerprint(d: PresenceDraft): string {
  // The characters JSON.stringify writes for [availability, class, token, text, machineState,
  // lastActive, decidedBy, decidedCategory] (absent as null; a test's draft may lack the activity's
  // token or text), built as text: no array, and no generic serializer walk per recomputation.
  // Stored fingerprints (Redis) compare with it and draftOfFingerprint reads it.
  return `[${jsonNumber(d.availability)},${jsonText(d.class)},${opt(d.activity.token)},${opt(d.activity.text)},${opt(d.machineState)},${d.lastActive === undefined ? 'null' : jsonNumber(d.lastActive)},${opt(d.decidedBy)},${opt(d.decidedCategory)}]`;
}

/** An optional text as JSON.stringify writes it, null when absent. */
function opt(t: string | undefined): string {
  return t === undefined ? 'null' : jsonText(t);
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
 * The fingerprint with the lengths of the view keys it holds, for the Redis commit script:
 * `<L>|<S>|<B>|<fingerprint>`, where the fingerprint's first L characters followed by `]` are
 * limitedViewKey(d), its first S stateKey(d) and its first B fullViewKey(d): those keys are JSON
 * arrays of the fingerprint's first two, four and six elements, written the same way. L, S and B
 * are where the fingerprint's second, fourth and sixth top-level commas are (its elements are
 * numbers, texts and null: a comma inside a text is skipped with the text). A function of the
 * fingerprint alone, so equal fingerprints pack to equal strings; it depends on fingerprint()'s
 * form above (tested in fingerprint.test.ts).
 */
export function packFingerprint(fp: string): string {
  // Element by element with indexOf (native), not character by character: a number or null ends
  // at the next comma; a text at its closing quote (one not escaped: an even run of backslashes
  // before it), then the comma.
  let at = 1;
  let limited = 0;
  let state = 0;
  for (let element = 1; element <= 6; element++) {
    let comma: number;
    if (fp.charCodeAt(at) === 0x22 /* " */) {
      let close = fp.indexOf('"', at + 1);
      while (close > 0 && escaped(fp, close)) close = fp.indexOf('"', close + 1);
      comma = close < 0 ? -1 : close + 1;
    } else comma = fp.indexOf(',', at);
    if (comma < 0 || fp.charCodeAt(comma) !== 0x2c /* , */) throw new Error(`not a fingerprint of eight elements: ${fp.slice(0, 80)}`);
    if (element === 2) limited = comma;
    else if (element === 4) state = comma;
    else if (element === 6) return `${limited}|${state}|${comma}|${fp}`;
    at = comma + 1;
  }
  throw new Error('unreachable');
}

/** Whether the character at `i` is escaped: an odd number of backslashes right before it. */
function escaped(t: string, i: number): boolean {
  let n = 0;
  while (t.charCodeAt(i - 1 - n) === 0x5c /* \ */) n++;
  return n % 2 === 1;
}

/**
 * The draft a fingerprint was made of (the inverse of fingerprint() for one person): the Redis
 * store keeps the fingerprint and rebuilds the draft from it instead of storing both.
 */
export function draftOfFingerprint(person: string, fp: string): PresenceDraft {
  const [availability, cls, token, text, machineState, lastActive, decidedBy, decidedCategory] = JSON.parse(fp) as unknown[];
  const d: { -readonly [K in keyof PresenceDraft]: PresenceDraft[K] } = {
    person,
    availability: availability as number,
    class: cls as PresenceDraft['class'],
    // A draft's activity always has both texts; one built without (tests) comes back as it was.
    activity: Object.freeze(text === null ? ({ token } as PresenceDraft['activity']) : { token: token as string, text: text as string }),
  };
  if (machineState !== null) d.machineState = machineState as PresenceDraft['machineState'];
  if (lastActive !== null) d.lastActive = lastActive as number;
  if (decidedBy !== null) d.decidedBy = decidedBy as string;
  if (decidedCategory !== null) d.decidedCategory = decidedCategory as PresenceDraft['decidedCategory'];
  return d;
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

/** `fingerprint(a) === fingerprint(b)`, field by field (the in-process store's compare-and-set). */
export function sameFingerprint(a: PresenceDraft, b: PresenceDraft): boolean {
  return sameFullView(a, b) && (a.decidedBy ?? null) === (b.decidedBy ?? null) && (a.decidedCategory ?? null) === (b.decidedCategory ?? null);
}

export function sameLimitedView(a: PresenceDraft, b: PresenceDraft): boolean {
  return a.availability === b.availability && a.class === b.class;
}

/** The draft of a person with nothing stored: offline, the baseline every watcher sees. */
export const OFFLINE_DRAFT: PresenceDraft = { person: '', availability: CLASS_MIDPOINT.offline, class: 'offline', activity: classActivity('offline') };
/** The view keys of a person with nothing stored: the offline baseline, version 0 of each view. */
export const OFFLINE_FULL_KEY = fullViewKey(OFFLINE_DRAFT);
export const OFFLINE_LIMITED_KEY = limitedViewKey(OFFLINE_DRAFT);
/** The packed fingerprint of an offline presence (packFingerprint), the Redis commit's baseline. */
export const OFFLINE_PACKED_FINGERPRINT = packFingerprint(OFFLINE_FINGERPRINT);

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
