import type { ConnectorStore, DirectorySink } from '../connector/contract.ts';
import { z } from 'zod';
import { personIdSchema, type Person } from '../model/person.ts';
import type { Notices } from '../pipeline/ports.ts';
import { SharedRecord } from '../pipeline/shared-record.ts';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../util/logger.ts';
import { Directory } from './directory.ts';
import type { PhoneOptions } from './phone.ts';
import { SharedDirectory } from './shared-directory.ts';

type Relationships = { personal: readonly string[]; blocked: readonly string[] };

const storedRelationships = z.object({ personal: z.array(personIdSchema), blocked: z.array(personIdSchema) });

/**
 * The hub's people: the configuration's, then what each directory connector contributes, with the
 * personal and blocked lists edited through the API over them. Every change builds a new Directory
 * and swaps it in whole, so a lookup during a sync sees the old table or the new one, never a
 * partial one. In Redis mode the contributions are shared with every node (shared-directory.ts).
 * The relationships set through the API are shared state (shared-record.ts): stored in Redis (or
 * `dataDir`), and every node rebuilds its directory when one changes them, so a watcher blocked
 * through node 1 is blocked on node 2 and after a restart.
 */
export class ComposedDirectory {
  private dir: Directory;
  private readonly contributed = new Map<string, Map<string, Person>>();
  private readonly relationships = new Map<string, Relationships>();
  private readonly shared: SharedDirectory | undefined;
  private readonly sharedRelationships: SharedRecord | undefined;

  constructor(
    private readonly deps: {
      base: readonly Person[];
      loadedAt: number;
      log: Logger;
      /** The ids of the configured directory connectors. */
      connectorIds: readonly string[];
      /** A store every node shares (Redis mode); absent, the contributions stay on this node. */
      store?: ConnectorStore;
      /** People no longer in the directory: their presence is forgotten. */
      onRetired: (ids: string[]) => void;
      /** Where the relationships set through the API are kept, and the notices that announce changes. */
      relationshipStore?: ConnectorStore;
      notices?: Notices;
      /** The directory connectors' phone settings, for signals' `tel:` identities (Directory.lookup). */
      dialingPlans?: readonly PhoneOptions[];
      /** Told after every new directory is in force (team memberships, relationships): triggers re-evaluate. */
      onChanged?: () => void;
    },
  ) {
    this.dir = new Directory(deps.base, deps.loadedAt, { dialingPlans: deps.dialingPlans ?? [] });
    this.shared = deps.store === undefined ? undefined : new SharedDirectory({ store: deps.store, log: deps.log, onRemote: (c) => this.adopt(c) });
    this.sharedRelationships =
      deps.relationshipStore === undefined
        ? undefined
        : new SharedRecord({ store: deps.relationshipStore, ...(deps.notices !== undefined ? { notices: deps.notices } : {}), topic: 'relationships', log: deps.log, onChange: (e) => this.adoptRelationships(e) });
  }

  private adoptRelationships(entries: Map<string, string>): void {
    const next = new Map<string, Relationships>();
    for (const [person, raw] of entries) {
      try {
        next.set(person, storedRelationships.parse(JSON.parse(raw)));
      } catch (e) {
        this.deps.log.error({ person, err: errorMessage(e) }, 'stored relationships unreadable, ignored');
      }
    }
    const same = next.size === this.relationships.size && [...next].every(([p, r]) => JSON.stringify(this.relationships.get(p)) === JSON.stringify(r));
    if (same) return;
    this.relationships.clear();
    for (const [p, r] of next) this.relationships.set(p, r);
    this.rebuild();
  }

  get current(): Directory {
    return this.dir;
  }

  /** Loads what other nodes synced before this node serves, then follows their changes. */
  async start(): Promise<void> {
    await this.sharedRelationships?.start();
    if (this.shared === undefined) return;
    this.adopt(await this.shared.load(this.deps.connectorIds));
    this.shared.start(this.deps.connectorIds);
  }

  stop(): void {
    this.shared?.stop();
    this.sharedRelationships?.stop();
  }

  /** Where a directory connector hands over what it read. */
  sink(connectorId: string, progress: DirectorySink['progress']): DirectorySink {
    return {
      replaceAll: async (people) => {
        this.contributed.set(connectorId, new Map(people.map((p) => [p.id, p])));
        await this.changed(connectorId);
      },
      upsert: async (people, opts) => {
        const m = this.contributed.get(connectorId) ?? new Map<string, Person>();
        for (const id of opts?.retire ?? []) m.delete(id);
        for (const p of people) m.set(p.id, p);
        this.contributed.set(connectorId, m);
        await this.changed(connectorId);
      },
      remove: async (ids) => {
        const m = this.contributed.get(connectorId);
        if (m === undefined) return;
        for (const i of ids) m.delete(i);
        await this.changed(connectorId);
      },
      progress,
    };
  }

  /** Stored first (shared with every node), then in force here; the notice brings it to the others. */
  async setRelationships(person: string, r: Relationships): Promise<Person> {
    const value = { personal: [...r.personal], blocked: [...r.blocked] };
    await this.sharedRelationships?.set([[person, JSON.stringify(value)]]);
    this.relationships.set(person, value);
    this.rebuild();
    return this.dir.person(person)!;
  }

  private async changed(connectorId: string): Promise<void> {
    this.rebuild();
    await this.shared?.save(connectorId, this.contributed.get(connectorId)?.values() ?? []);
  }

  private adopt(contributions: Map<string, Person[]>): void {
    for (const [id, people] of contributions) this.contributed.set(id, new Map(people.map((p) => [p.id, p])));
    if (contributions.size > 0) this.rebuild();
  }

  private rebuild(): void {
    const merged = new Map<string, Person>();
    for (const p of this.deps.base) merged.set(p.id, p);
    for (const people of this.contributed.values()) for (const p of people.values()) if (!merged.has(p.id)) merged.set(p.id, p);
    for (const [id, r] of this.relationships) {
      const p = merged.get(id);
      if (p !== undefined) merged.set(id, { ...p, personal: [...r.personal], blocked: [...r.blocked] });
    }
    const before = this.dir;
    this.dir = new Directory(merged.values(), before.loadedAt, { dialingPlans: before.dialingPlans });
    const gone = [...before.ids()].filter((id) => !this.dir.has(id));
    if (gone.length > 0) this.deps.onRetired(gone);
    this.deps.onChanged?.();
    this.deps.log.info({ people: this.dir.size, retired: gone.length, conflicts: this.dir.conflicts.length }, 'directory updated');
  }
}
