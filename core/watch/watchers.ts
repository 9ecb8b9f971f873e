import type { Directory } from '../directory/directory.ts';
import type { Scorer } from '../model/confidence.ts';
import { viewFor, type Container, type Presence, type PresenceView } from '../model/presence.ts';

/** The part of a view that tells whether a watcher must be told (version and since excluded). */
export function viewKey(v: PresenceView): string {
  return JSON.stringify([v.availability, v.class, v.activity.token, v.activity.text, v.machineState ?? null, v.lastActive ?? null]);
}

/** Who is watching, as what: `undefined` person = a key acting as nobody (public), `all` = admin. */
export interface WatcherIdentity {
  readonly person?: string;
  readonly all: boolean;
}

export function containerOf(dir: Directory, w: WatcherIdentity, presentity: string): Container {
  return w.all ? 'personal' : dir.containerFor(w.person, presentity);
}

/** `score`: add confidence and evidence to a full view (fetch and query; core/model/confidence.ts). */
export function watcherView(dir: Directory, w: WatcherIdentity, p: Presence, score?: Scorer): PresenceView {
  return viewFor(p, containerOf(dir, w, p.person), dir.loadedAt, score);
}

/**
 * Whether a change from `prev` to `next` changes what watcher `w` sees, and the view to send.
 * A company watcher is not told that an activity it cannot see changed.
 */
export function viewChange(dir: Directory, w: WatcherIdentity, prev: Presence | undefined, next: Presence): PresenceView | undefined {
  const c = containerOf(dir, w, next.person);
  const after = viewFor(next, c, dir.loadedAt);
  if (prev === undefined) return c === 'blocked' ? undefined : after;
  const before = viewFor(prev, c, dir.loadedAt);
  return viewKey(before) === viewKey(after) ? undefined : after;
}
