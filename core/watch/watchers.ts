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
 * A view built once per presence and view shape, shared by every watcher who sees that shape (a
 * change streamed to 10 000 watchers is built, keyed and serialized a few times, not 10 000), with
 * its key (viewKey) and its JSON made when first asked for. Never changed once built.
 */
export class SharedView {
  private k: string | undefined;
  private d: string | undefined;
  constructor(readonly view: PresenceView) {}
  get key(): string {
    return (this.k ??= viewKey(this.view));
  }
  get data(): string {
    return (this.d ??= JSON.stringify(this.view));
  }
}

/** Containers that see the same view of a presence (viewFor): personal and team, company and public. */
type Shape = 'full' | 'limited' | 'blocked';
const SHAPE: Readonly<Record<Container, Shape>> = { personal: 'full', team: 'full', company: 'limited', public: 'limited', blocked: 'blocked' };
const shared = new WeakMap<Presence, { loadedAt: number; views: Partial<Record<Shape, SharedView>> }>();

/** viewFor(p, c, loadedAt), built once per presence object and shape (presences are frozen). */
export function sharedView(p: Presence, c: Container, loadedAt: number): SharedView {
  let m = shared.get(p);
  if (m === undefined || m.loadedAt !== loadedAt) shared.set(p, (m = { loadedAt, views: {} }));
  return (m.views[SHAPE[c]] ??= new SharedView(viewFor(p, c, loadedAt)));
}

/**
 * Whether a change from `prev` to `next` changes what watcher `w` sees, and the view to send.
 * A company watcher is not told that an activity it cannot see changed.
 */
export function viewChange(dir: Directory, w: WatcherIdentity, prev: Presence | undefined, next: Presence): PresenceView | undefined {
  return sharedViewChange(dir, w, prev, next)?.view;
}

/** viewChange with the view shared (sharedView): what a stream sends. */
export function sharedViewChange(dir: Directory, w: WatcherIdentity, prev: Presence | undefined, next: Presence): SharedView | undefined {
  const c = containerOf(dir, w, next.person);
  const after = sharedView(next, c, dir.loadedAt);
  if (prev === undefined) return c === 'blocked' ? undefined : after;
  return sharedView(prev, c, dir.loadedAt).key === after.key ? undefined : after;
}
