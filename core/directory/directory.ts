import type { DirectoryLookup } from '../connector/contract.ts';
import type { Container } from '../model/presence.ts';
import type { Person } from '../model/person.ts';
import { normalizeIdentity } from './identity.ts';

export interface IdentityConflict {
  readonly identity: string;
  readonly people: readonly string[];
}

/**
 * The people the hub knows, with an identity index for lookup in constant time and the container
 * rule of DESIGN.md. Immutable: a directory change builds a new Directory and swaps it in whole,
 * so a sync in progress never empties the people table.
 */
export class Directory implements DirectoryLookup {
  private readonly byId = new Map<string, Person>();
  private readonly byIdentity = new Map<string, string>();
  private readonly teams = new Map<string, ReadonlySet<string>>();
  readonly conflicts: readonly IdentityConflict[];
  /** When this person first became known (a never-seen person is offline since then). */
  readonly loadedAt: number;

  constructor(people: Iterable<Person>, loadedAt: number) {
    this.loadedAt = loadedAt;
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
      else conflicts.push({ identity, people: ids });
    }
    this.conflicts = conflicts;
  }

  get size(): number {
    return this.byId.size;
  }

  resolve(identity: string): string | undefined {
    return this.byIdentity.get(normalizeIdentity(identity));
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
