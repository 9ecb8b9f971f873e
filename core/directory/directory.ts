import type { DirectoryLookup } from '../connector/contract.ts';
import type { Container } from '../model/presence.ts';
import type { Person } from '../model/person.ts';
import { normalizeIdentity } from './identity.ts';
import { phoneToTel, type PhoneOptions } from './phone.ts';

export interface IdentityConflict {
  readonly identity: string;
  readonly people: readonly string[];
}

/** What an identity finds: one person, several (a conflict: nobody is chosen), or nobody. */
export type IdentityLookup = { readonly person: string } | { readonly conflict: IdentityConflict } | undefined;

/** "identity shared by alice and bob" (three or more: "alice, bob and carol"). */
export function sharedBy(people: readonly string[]): string {
  const shown = people.slice(0, 5);
  const more = people.length - shown.length;
  const list = more > 0 ? `${shown.join(', ')} and ${more} more` : shown.length > 1 ? `${shown.slice(0, -1).join(', ')} and ${shown.at(-1)}` : (shown[0] ?? '');
  return `identity shared by ${list}`;
}

/**
 * The people the hub knows, with an identity index for lookup in constant time and the container
 * rule of docs/architecture.md. Immutable: a directory change builds a new Directory and swaps it in whole,
 * so a sync in progress never empties the people table.
 */
export class Directory implements DirectoryLookup {
  private readonly byId = new Map<string, Person>();
  private readonly byIdentity = new Map<string, string>();
  private readonly teams = new Map<string, ReadonlySet<string>>();
  private readonly conflictOf = new Map<string, IdentityConflict>();
  readonly conflicts: readonly IdentityConflict[];
  /** When this person first became known (a never-seen person is offline since then). */
  readonly loadedAt: number;
  /** The directory connectors' phone settings: a signal's `tel:` is read with each, as their entries were. */
  readonly dialingPlans: readonly PhoneOptions[];

  constructor(people: Iterable<Person>, loadedAt: number, opts: { dialingPlans?: readonly PhoneOptions[] } = {}) {
    this.loadedAt = loadedAt;
    this.dialingPlans = opts.dialingPlans ?? [];
    const claims = new Map<string, string[]>();
    for (const p of people) {
      this.byId.set(p.id, p);
      this.teams.set(p.id, new Set(p.teams));
      for (const raw of p.identities) {
        const id = normalizeIdentity(raw);
        const list = claims.get(id);
        if (list === undefined) claims.set(id, [p.id]);
        else if (!list.includes(p.id)) list.push(p.id);
      }
    }
    const conflicts: IdentityConflict[] = [];
    for (const [identity, ids] of claims) {
      // An identity two people claim resolves to nobody: guessing would put one person's calls on another.
      if (ids.length === 1) this.byIdentity.set(identity, ids[0]!);
      else {
        const c = { identity, people: ids };
        conflicts.push(c);
        this.conflictOf.set(identity, c);
      }
    }
    this.conflicts = conflicts;
  }

  get size(): number {
    return this.byId.size;
  }

  resolve(identity: string): string | undefined {
    const r = this.lookup(identity);
    return r !== undefined && 'person' in r ? r.person : undefined;
  }

  /**
   * The identity as written first; a `tel:` not found that way is read with each dialing plan,
   * the rules that turned the directory's "555.100.0109" into `tel:+15551000109`. Readings that
   * find different people are a conflict: the hub never guesses whose phone it is.
   */
  lookup(identity: string): IdentityLookup {
    const n = normalizeIdentity(identity);
    const direct = this.find(n);
    if (direct !== undefined || !n.startsWith('tel:') || this.dialingPlans.length === 0) return direct;
    const people = new Set<string>();
    for (const plan of this.dialingPlans) {
      const t = phoneToTel(identity, plan);
      if (t === undefined || t === n) continue;
      const r = this.find(t);
      if (r === undefined) continue;
      if ('conflict' in r) return r;
      people.add(r.person);
    }
    if (people.size === 0) return undefined;
    if (people.size === 1) return { person: [...people][0]! };
    return { conflict: { identity: n, people: [...people] } };
  }

  private find(normalized: string): IdentityLookup {
    const p = this.byIdentity.get(normalized);
    if (p !== undefined) return { person: p };
    const c = this.conflictOf.get(normalized);
    return c === undefined ? undefined : { conflict: c };
  }

  person(id: string): Person | undefined {
    return this.byId.get(id);
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  people(): IterableIterator<Person> {
    return this.byId.values();
  }

  ids(): IterableIterator<string> {
    return this.byId.keys();
  }

  /**
   * A watcher's container for a presentity: blocked if listed there, else personal if listed there,
   * else team if they share a team, else company if the watcher is a person in the directory, else
   * public. A person always sees themself as personal.
   */
  containerFor(watcher: string | undefined, presentity: string): Container {
    const p = this.byId.get(presentity);
    if (watcher === undefined || p === undefined) return 'public';
    if (watcher === presentity) return 'personal';
    if (p.blocked.includes(watcher)) return 'blocked';
    if (p.personal.includes(watcher)) return 'personal';
    const wTeams = this.teams.get(watcher);
    if (wTeams === undefined) return 'public';
    for (const t of p.teams) if (wTeams.has(t)) return 'team';
    return 'company';
  }
}
