import type { Directory } from '../directory/directory.ts';
import type { Scorer } from '../model/confidence.ts';
import { viewFor, type Container, type Presence, type PresenceView } from '../model/presence.ts';
import { sameFullView, sameLimitedView } from '../pipeline/fingerprint.ts';

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
 * A view built once per presence and view shape, shared by every watcher who sees that shape (a
 * change streamed to 10 000 watchers is built and serialized a few times, not 10 000), with its
 * JSON made when first asked for. Never changed once built.
 */
export class SharedView {
  private d: string | undefined;
  constructor(readonly view: PresenceView) {}
  get data(): string {
    return (this.d ??= JSON.stringify(this.view));
  }
}

/** Containers that see the same view of a presence (viewFor): personal and team, company and public. */
type Shape = 'full' | 'limited' | 'blocked';
const SHAPE: Readonly<Record<Container, Shape>> = { personal: 'full', team: 'full', company: 'limited', public: 'limited', blocked: 'blocked' };

/**
 * The views of the last presence asked for. A change is handed to every watcher in one synchronous
 * run (core/hub.ts dispatch), so one entry shares each view among them; keeping the views of every
 * cached presence instead (a WeakMap) kept them alive until that person's next change, seconds
 * later, and the garbage collector had to promote them all.
 */
let last: { p: Presence; loadedAt: number; views: Partial<Record<Shape, SharedView>> } | undefined;

/** viewFor(p, c, loadedAt), built once per presence object and shape while it is the one asked for (presences are frozen). */
export function sharedView(p: Presence, c: Container, loadedAt: number): SharedView {
  if (last === undefined || last.p !== p || last.loadedAt !== loadedAt) last = { p, loadedAt, views: {} };
  return (last.views[SHAPE[c]] ??= new SharedView(viewFor(p, c, loadedAt)));
}

/**
 * Whether the view of `c` differs between two presences, compared field by field on what viewFor
 * shows (core/pipeline/fingerprint.ts: the same comparisons as the stored view keys): `viewKey` of
 * the two views is equal exactly when this is false. No view is built for `prev`.
 */
function viewDiffers(c: Container, prev: Presence, next: Presence): boolean {
  switch (SHAPE[c]) {
    case 'full':
      return !sameFullView(prev, next);
    case 'limited':
      return !sameLimitedView(prev, next);
    case 'blocked':
      return false;
  }
}

/**
 * Whether a change from `prev` to `next` changes what watcher `w` sees, and the view to send
 * (shared: sharedView). A company watcher is not told that an activity it cannot see changed.
 */
export function sharedViewChange(dir: Directory, w: WatcherIdentity, prev: Presence | undefined, next: Presence): SharedView | undefined {
  const c = containerOf(dir, w, next.person);
  if (prev === undefined ? c === 'blocked' : !viewDiffers(c, prev, next)) return undefined;
  return sharedView(next, c, dir.loadedAt);
}
