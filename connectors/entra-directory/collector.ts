/**
 * Full and incremental syncs of Entra ID users through Graph delta query (concepts/delta-query-users).
 * A full sync is a fresh delta round: every page up to the @odata.deltaLink, then the complete list
 * is handed to the hub once (`replaceAll`), so the people table is never partial. An incremental
 * round follows the stored deltaLink: users marked `@removed` (soft or hard deleted), disabled or
 * no longer matching are retired in the same step as changed users are upserted (a renamed user's
 * identities move to the new id at once). A stale token (410 Gone,
 * syncStateNotFound) turns the round into a full sync.
 *
 * Group membership: each round reads `/groups/{id}/members` of the configured groups rather than
 * `/users/{id}/memberOf`. Members of a group cost ceil(members / 999) requests per group, whatever
 * the size of the tenant; memberOf costs one request per user per round (100 000 users = 100 000
 * requests, far beyond Graph's directory throttling budget) and returns every group a user is in,
 * most of them unrelated to teams. Delta of users does not carry membership, so the groups are
 * re-read each round and the teams of everyone recomputed (cheap for the tens of groups that make
 * teams; README "Limits").
 */
import type { DirectorySink } from '../../core/connector/contract.ts';
import type { Person } from '../../core/model/person.ts';
import type { Clock } from '../../core/util/clock.ts';
import { HubError, isHubError } from '../../core/errors.ts';
import type { Logger } from '../../core/util/logger.ts';
import { buildReport, EMPTY_REPORT, REPORT_LIMIT, type DirectorySyncReport, type SkippedEntry, type TruncatedValue, type UnusableEntryValue } from '../directory-common/report.ts';
import type { GraphUser } from '../msgraph-shared/schemas.ts';
import { EntraClient } from './client.ts';
import type { EntraConfig } from './config.ts';
import { entryName, teamName, teamsOf, userNotes, userToPerson, USER_SELECT, type MapOptions } from './map.ts';

export interface SyncDeps {
  readonly config: EntraConfig;
  readonly client: EntraClient;
  readonly sink: DirectorySink;
  readonly log: Logger;
  readonly clock: Clock;
}

export interface SyncResult {
  readonly kind: 'full' | 'incremental';
  /** User objects read (pages summed). */
  readonly entries: number;
  readonly pages: number;
  readonly people: number;
  readonly skipped: number;
  /** People upserted (incremental) or contributed (full). */
  readonly changed: number;
  readonly removed: number;
  readonly ms: number;
  /** The incremental round found its token stale and ran a full sync instead. */
  readonly resynced?: boolean;
}

interface Known {
  readonly person: Person;
  readonly user: GraphUser;
}

/** A delta round never has this many pages; a loop of links would otherwise never end. */
const MAX_PAGES = 1_000_000;

const same = (a: Person, b: Person): boolean => JSON.stringify(a) === JSON.stringify(b);

export class EntraSync {
  /** By object id (lower-cased). */
  private known = new Map<string, Known>();
  /** Person id -> object id, to refuse two users claiming one person id. */
  private owners = new Map<string, string>();
  /** Every user of the directory as last read (people or not), by object id: what a partial update is read over. */
  private raw = new Map<string, GraphUser>();
  private deltaLink: string | undefined;
  private lastReport: DirectorySyncReport = EMPTY_REPORT;
  private groupTeams: ReadonlyMap<string, readonly string[]> = new Map();
  private groupSkips: SkippedEntry[] = [];

  constructor(private readonly deps: SyncDeps) {}

  get synced(): boolean {
    return this.deltaLink !== undefined;
  }

  report(): DirectorySyncReport {
    return this.lastReport;
  }

  private mapOptions(): MapOptions {
    const c = this.deps.config;
    return { idFrom: c.idFrom, teamsFrom: c.teamsFrom, userTypes: c.userTypes, includeDisabled: c.includeDisabled, phone: c.phone, groupTeams: this.groupTeams };
  }

  /** Team names by member object id, from the configured groups. */
  private async loadGroups(): Promise<void> {
    const c = this.deps.config;
    const byMember = new Map<string, string[]>();
    const skips: SkippedEntry[] = [];
    if (c.teamsFrom === 'groups') {
      for (const g of c.groups) {
        const name = await this.deps.client.groupName(g);
        const team = teamName(name);
        if (team === undefined) {
          skips.push({ entry: `group ${g}`, reason: name === undefined ? 'group not found (deleted, or a wrong object id in groups)' : 'group without a displayName' });
          continue;
        }
        for (const m of await this.deps.client.groupMemberIds(g, c.transitiveMembers)) {
          const list = byMember.get(m);
          if (list === undefined) byMember.set(m, [team]);
          else if (!list.includes(team)) list.push(team);
        }
      }
    }
    this.groupTeams = byMember;
    this.groupSkips = skips;
  }

  /** Follows one delta round from `path` to its deltaLink, handing each page to `onPage`. */
  private async round(path: string, onPage: (users: readonly GraphUser[]) => void): Promise<{ deltaLink: string; entries: number; pages: number }> {
    let entries = 0;
    let pages = 0;
    let next = path;
    for (;;) {
      if (pages >= MAX_PAGES) throw new HubError('HUB_ERR_GRAPH_MALFORMED', `malformed Graph response for users delta: more than ${MAX_PAGES} pages`, { kind: 'transient' });
      const page = await this.deps.client.deltaPage(next);
      pages++;
      entries += page.users.length;
      onPage(page.users);
      if (page.deltaLink !== undefined) return { deltaLink: page.deltaLink, entries, pages };
      // deltaPage guarantees exactly one of the two links. A next link to the page just read would
      // loop until MAX_PAGES; Graph's skiptokens move on, so it is a malformed answer.
      if (page.nextLink === next) throw new HubError('HUB_ERR_GRAPH_MALFORMED', 'malformed Graph response for users delta: a next link back to the page just read', { kind: 'transient' });
      next = page.nextLink!;
    }
  }

  async full(): Promise<SyncResult> {
    const { config: c, sink, log, clock } = this.deps;
    const started = clock.now();
    log.info({}, 'entra-directory: full sync started');
    sink.progress(0, undefined);
    await this.loadGroups();
    // The same user can appear more than once in a round (delta-query-overview): the last one wins.
    const users = new Map<string, GraphUser>();
    let nextLog = 10_000;
    const r = await this.round(EntraClient.initialDeltaPath(USER_SELECT, c.filter), (page) => {
      for (const u of page) {
        const id = u.id.toLowerCase();
        users.delete(id);
        if (u['@removed'] === undefined) users.set(id, u);
      }
      sink.progress(users.size, undefined);
      if (users.size >= nextLog) {
        log.info({ users: users.size }, `entra-directory: full sync read ${users.size} users`);
        nextLog += 10_000;
      }
    });
    const m = this.mapOptions();
    const people: Person[] = [];
    const known = new Map<string, Known>();
    const owners = new Map<string, string>();
    const skipped: SkippedEntry[] = [...this.groupSkips];
    const unusable: UnusableEntryValue[] = [];
    const truncated: TruncatedValue[] = [];
    let excluded = 0;
    for (const [oid, u] of users) {
      const res = userToPerson(u, m);
      if (!res.ok) {
        if (res.kind === 'excluded') excluded++;
        else if (skipped.length < REPORT_LIMIT) skipped.push({ entry: entryName(u), reason: res.reason });
        continue;
      }
      const prior = owners.get(res.person.id);
      if (prior !== undefined) {
        if (skipped.length < REPORT_LIMIT) skipped.push({ entry: entryName(u), reason: `duplicate person id ${res.person.id}, already used by ${entryName(known.get(prior)!.user)}` });
        continue;
      }
      owners.set(res.person.id, oid);
      known.set(oid, { person: res.person, user: u });
      people.push(res.person);
      const notes = userNotes(u, this.deps.config.phone);
      for (const n of notes.unusable) if (unusable.length < REPORT_LIMIT) unusable.push({ entry: entryName(u), person: res.person.id, ...n });
      for (const n of notes.truncated) if (truncated.length < REPORT_LIMIT) truncated.push({ entry: entryName(u), person: res.person.id, ...n });
    }
    // One swap, only once the whole round has been read (never partial).
    await sink.replaceAll(people);
    this.known = known;
    this.owners = owners;
    this.raw = users;
    this.deltaLink = r.deltaLink;
    this.lastReport = buildReport({ people, entryOf: (id) => { const o = owners.get(id); return o === undefined ? undefined : entryName(known.get(o)!.user); }, skipped, unusable, truncated, at: clock.now() });
    sink.progress(users.size, users.size);
    const ms = clock.now() - started;
    log.info({ users: users.size, people: people.length, excluded, pages: r.pages, conflicts: this.lastReport.conflicts.length, ms }, 'entra-directory: full sync complete');
    return { kind: 'full', entries: r.entries, pages: r.pages, people: people.length, skipped: users.size - people.length, changed: people.length, removed: 0, ms };
  }

  /**
   * What an incremental round's entry is read over: an updated user is "its id with at least the
   * updated properties" (delta-query-overview "Resource representation"; user-delta with
   * `Prefer: return=minimal`), so a property the entry leaves out keeps its known value, and one it
   * sets to null is cleared. Under user-delta's default every selected property comes back anyway.
   */
  private lastKnown(u: GraphUser | undefined): Partial<GraphUser> {
    if (u === undefined || u['@removed'] !== undefined) return {};
    return u;
  }

  /** The changes since the stored deltaLink; without one, or with a stale one, a full sync. */
  async incremental(): Promise<SyncResult> {
    const { sink, log, clock } = this.deps;
    if (this.deltaLink === undefined) return this.full();
    const started = clock.now();
    const changes = new Map<string, GraphUser>();
    let r: { deltaLink: string; entries: number; pages: number };
    try {
      r = await this.round(this.deltaLink, (page) => {
        for (const u of page) {
          const id = u.id.toLowerCase();
          changes.set(id, u['@removed'] !== undefined ? u : { ...this.lastKnown(changes.get(id) ?? this.raw.get(id)), ...u });
        }
      });
    } catch (e) {
      if (!isHubError(e) || e.code !== 'HUB_ERR_GRAPH_DELTA_RESET') throw e;
      log.warn({ code: e.code }, `entra-directory: ${e.message}; running a full sync`);
      this.deltaLink = undefined;
      return { ...(await this.full()), resynced: true };
    }
    await this.loadGroups();
    const m = this.mapOptions();
    // Work on copies, committed once the hub took the changes: a failed round is replayed against the old state.
    const known = new Map(this.known);
    const owners = new Map(this.owners);
    const upserts = new Map<string, Known>();
    const removals = new Set<string>();
    let skipped = 0;
    const retire = (oid: string): void => {
      const k = known.get(oid);
      if (k === undefined) return;
      removals.add(k.person.id);
      known.delete(oid);
      owners.delete(k.person.id);
    };
    for (const [oid, u] of changes) {
      const res = userToPerson(u, m);
      if (!res.ok) {
        if (res.kind === 'invalid') {
          skipped++;
          log.warn({ entry: entryName(u), reason: res.reason }, 'entra-directory: changed user cannot be mapped');
        }
        retire(oid);
        continue;
      }
      const owner = owners.get(res.person.id);
      if (owner !== undefined && owner !== oid) {
        skipped++;
        log.warn({ entry: entryName(u), other: entryName(known.get(owner)!.user) }, `entra-directory: duplicate person id ${res.person.id}`);
        continue;
      }
      const prior = known.get(oid);
      if (prior !== undefined && prior.person.id !== res.person.id) retire(oid); // renamed (new UPN): the old id goes
      if (prior === undefined || !same(prior.person, res.person)) upserts.set(oid, { person: res.person, user: u });
      removals.delete(res.person.id);
      known.set(oid, { person: res.person, user: u });
      owners.set(res.person.id, oid);
    }
    if (this.deps.config.teamsFrom === 'groups') {
      // Membership is not in the users' delta: recompute the teams of everyone else from the groups just read.
      for (const [oid, k] of known) {
        if (changes.has(oid)) continue;
        const teams = teamsOf(k.user, m);
        if (JSON.stringify(teams) === JSON.stringify(k.person.teams)) continue;
        const next = { person: { ...k.person, teams }, user: k.user };
        known.set(oid, next);
        upserts.set(oid, next);
      }
    }
    // One step: a renamed user's identities move from the old id to the new one without a moment of nobody.
    if (removals.size + upserts.size > 0) await sink.upsert([...upserts.values()].map((k) => k.person), { retire: [...removals] });
    // Only now: a failure above replays this round next time (Graph allows replays, delta-query-overview "Replays").
    this.known = known;
    this.owners = owners;
    for (const [oid, u] of changes) {
      if (u['@removed'] !== undefined) this.raw.delete(oid);
      else this.raw.set(oid, u);
    }
    this.deltaLink = r.deltaLink;
    const ms = clock.now() - started;
    if (upserts.size + removals.size > 0) log.info({ entries: r.entries, changed: upserts.size, removed: removals.size, ms }, 'entra-directory: incremental sync applied changes');
    return { kind: 'incremental', entries: r.entries, pages: r.pages, people: this.known.size, skipped, changed: upserts.size, removed: removals.size, ms };
  }
}
