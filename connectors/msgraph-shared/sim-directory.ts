import { randomUUID } from 'node:crypto';
import type { Clock } from '../../core/util/clock.ts';

/**
 * The directory half of the Graph simulator: users with change tracking (user: delta) and groups
 * with members (group: list members), in the JSON shapes of Microsoft's published examples
 * (concepts/delta-query-users.md, api-reference/v1.0/api/user-delta.md):
 * - an initial round (no token) returns the current users, page by page, each page with an
 *   `@odata.nextLink` carrying `$skiptoken`, the last one with an `@odata.deltaLink` carrying
 *   `$deltatoken`; the tokens are opaque and encode `$select` and `$filter`;
 * - a deltaLink round returns the users changed since that token, removed ones as
 *   `{"id", "@removed": {"reason": "changed" | "deleted"}}` (delta-query-overview "Resource
 *   representation");
 * - `$select` limits the properties (id always returned); properties never set are left out, null
 *   values are returned as null (user-delta "Default: return the same properties");
 * - with `Prefer: return=minimal` on a deltaLink round (user-delta "Alternative: return only the
 *   changed properties"), or always with `updatesOnlyChanged` (delta-query-overview "Resource
 *   representation": an updated instance is its id "with at least the updated properties"), an
 *   updated user carries only the properties changed since the token (a new one all of them);
 * - `$filter` accepts only `id eq '...'` joined with `or`, at most 50 (user-delta "Query parameters");
 * - a token older than seven days, or any token after `resetDeltaTokens()`, answers 410 Gone with a
 *   Location header and error code `syncStateNotFound` (delta-query-overview "Synchronization reset",
 *   "Token duration").
 */
export interface SimDirUser {
  id: string;
  userPrincipalName: string;
  displayName?: string | null;
  mail?: string | null;
  mailNickname?: string | null;
  accountEnabled?: boolean;
  userType?: string;
  department?: string | null;
  businessPhones?: string[];
  mobilePhone?: string | null;
  proxyAddresses?: string[];
}
export interface SimGroup {
  id: string;
  displayName: string;
  /** Object ids of member users (or groups). */
  members: string[];
}

interface Rec {
  user: SimDirUser;
  version: number;
  /** The version at which each property last changed. */
  changedAt: Record<string, number>;
  removed?: 'changed' | 'deleted';
}
interface Round {
  items: Record<string, unknown>[];
  offset: number;
  version: number;
  select: string[] | undefined;
  ids: Set<string> | undefined;
}
interface DeltaState {
  version: number;
  select: string[] | undefined;
  ids: Set<string> | undefined;
  issuedAt: number;
}
export interface SimReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** The properties a delta round returns without $select (user-delta example 1). */
const DEFAULT_SELECT = ['businessPhones', 'displayName', 'givenName', 'jobTitle', 'mail', 'mobilePhone', 'officeLocation', 'preferredLanguage', 'surname', 'userPrincipalName', 'id'];
const TOKEN_LIFETIME_MS = 7 * 86_400_000;
const ID_FILTER = /^\s*id\s+eq\s+'([0-9a-fA-F-]{1,64})'\s*$/;

const error = (status: number, code: string, message: string, headers?: Record<string, string>): SimReply => ({ status, body: { error: { code, message } }, ...(headers ? { headers } : {}) });

export class SimDirectory {
  readonly users = new Map<string, Rec>();
  readonly groups = new Map<string, SimGroup>();
  /** Users per delta page (Graph picks its own page size; tests set a small one to get many pages). */
  deltaPageSize = 100;
  /** Most members the simulator puts on one page, whatever $top asks (Graph: 100 by default, $top up to 999). */
  membersPageSize = 999;
  /** Also list soft-deleted users (as @removed) in initial rounds, like the published example does. */
  removedInInitialRound = false;
  /** deltaLink rounds return only the properties changed since the token, as if every request said `Prefer: return=minimal`. */
  updatesOnlyChanged = false;
  private version = 0;
  private readonly rounds = new Map<string, Round>();
  private readonly deltaTokens = new Map<string, DeltaState>();

  constructor(private readonly clock: Clock) {}

  addUser(u: SimDirUser): void {
    const version = ++this.version;
    const user = { accountEnabled: true, userType: 'Member', ...u };
    this.users.set(u.id, { user, version, changedAt: Object.fromEntries(Object.keys(user).map((k) => [k, version])) });
  }
  updateUser(id: string, patch: Partial<Omit<SimDirUser, 'id'>>): void {
    const r = this.users.get(id);
    if (r === undefined || r.removed !== undefined) throw new Error(`no simulated directory user ${id}`);
    const version = ++this.version;
    this.users.set(id, { user: { ...r.user, ...patch }, version, changedAt: { ...r.changedAt, ...Object.fromEntries(Object.keys(patch).map((k) => [k, version])) } });
  }
  /** `permanent`: hard delete (`reason: deleted`); otherwise soft delete into deletedItems (`reason: changed`). */
  deleteUser(id: string, permanent = false): void {
    const r = this.users.get(id);
    if (r === undefined) throw new Error(`no simulated directory user ${id}`);
    this.users.set(id, { user: r.user, version: ++this.version, changedAt: r.changedAt, removed: permanent ? 'deleted' : 'changed' });
    for (const g of this.groups.values()) g.members = g.members.filter((m) => m !== id);
  }
  addGroup(g: SimGroup): void {
    this.groups.set(g.id, { ...g, members: [...g.members] });
  }
  /** Every delta token issued so far answers 410 Gone (tenant maintenance, or the seven days elapsed). */
  resetDeltaTokens(): void {
    this.deltaTokens.clear();
  }

  /** The user's `select`ed properties; with `since`, only those changed after that version (a property cleared since: null). */
  private project(u: SimDirUser, select: string[] | undefined, since?: { version: number; changedAt: Record<string, number> }): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const k of select ?? DEFAULT_SELECT) {
      if (since !== undefined && !((since.changedAt[k] ?? 0) > since.version)) continue;
      const v = (u as unknown as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = v;
      else if (since !== undefined) out[k] = null;
    }
    out.id = u.id;
    return out;
  }

  /** GET /users/delta with the query of the request; `base` is the simulator's URL; `prefer` the Prefer header. */
  delta(q: URLSearchParams, base: string, prefer?: string): SimReply {
    const link = (k: 'skiptoken' | 'deltatoken', t: string): string => `${base}/v1.0/users/delta?$${k}=${t}`;
    const skip = q.get('$skiptoken') ?? q.get('$skipToken');
    const dtoken = q.get('$deltatoken') ?? q.get('$deltaToken');
    const gone = (): SimReply => error(410, 'syncStateNotFound', 'The sync state is no longer valid; start a new initial synchronization.', { Location: `${base}/v1.0/users/delta?$deltatoken=` });
    let round: Round;
    let token: string;
    if (skip !== null) {
      const r = this.rounds.get(skip);
      if (r === undefined) return gone();
      this.rounds.delete(skip);
      round = r;
    } else if (dtoken !== null && dtoken !== 'latest') {
      const s = this.deltaTokens.get(dtoken);
      if (s === undefined || this.clock.now() - s.issuedAt > TOKEN_LIFETIME_MS) return gone();
      const items: Record<string, unknown>[] = [];
      for (const r of [...this.users.values()].sort((a, b) => a.version - b.version)) {
        if (r.version <= s.version || (s.ids !== undefined && !s.ids.has(r.user.id))) continue;
        const minimal = this.updatesOnlyChanged || /\breturn=minimal\b/i.test(prefer ?? '');
        items.push(r.removed !== undefined ? { id: r.user.id, '@removed': { reason: r.removed } } : this.project(r.user, s.select, minimal ? { version: s.version, changedAt: r.changedAt } : undefined));
      }
      round = { items, offset: 0, version: this.version, select: s.select, ids: s.ids };
    } else {
      const select = q.get('$select')?.split(',').map((s) => s.trim()).filter((s) => s !== '');
      const filter = q.get('$filter');
      let ids: Set<string> | undefined;
      if (filter !== null) {
        const parts = filter.split(/\s+or\s+/i).map((p) => ID_FILTER.exec(p)?.[1]?.toLowerCase());
        if (parts.some((p) => p === undefined)) return error(400, 'Request_UnsupportedQuery', "Unsupported query: delta supports only $filter=id eq '{value}'");
        if (parts.length > 50) return error(400, 'Request_UnsupportedQuery', 'At most 50 ids may be filtered');
        ids = new Set(parts as string[]);
      }
      const items: Record<string, unknown>[] = [];
      if (dtoken !== 'latest') {
        for (const r of [...this.users.values()].sort((a, b) => a.user.id.localeCompare(b.user.id))) {
          if (ids !== undefined && !ids.has(r.user.id)) continue;
          if (r.removed === undefined) items.push(this.project(r.user, select));
          else if (r.removed === 'changed' && this.removedInInitialRound) items.push({ id: r.user.id, '@removed': { reason: 'changed' } });
        }
      }
      round = { items, offset: 0, version: this.version, select, ids };
    }
    const page = round.items.slice(round.offset, round.offset + this.deltaPageSize);
    round.offset += page.length;
    const body: Record<string, unknown> = { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#users', value: page };
    if (round.offset < round.items.length) {
      token = randomUUID().replace(/-/g, '');
      this.rounds.set(token, round);
      body['@odata.nextLink'] = link('skiptoken', token);
    } else {
      token = randomUUID().replace(/-/g, '');
      this.deltaTokens.set(token, { version: round.version, select: round.select, ids: round.ids, issuedAt: this.clock.now() });
      body['@odata.deltaLink'] = link('deltatoken', token);
    }
    return { status: 200, body };
  }

  /** Users and groups directly in `g`, or (transitive) reachable through nested groups. */
  private membersOf(g: SimGroup, transitive: boolean, seen = new Set<string>()): { '@odata.type': string; id: string }[] {
    const out: { '@odata.type': string; id: string }[] = [];
    seen.add(g.id);
    for (const id of g.members) {
      const u = this.users.get(id);
      if (u !== undefined && u.removed === undefined) out.push({ '@odata.type': '#microsoft.graph.user', id });
      const sub = this.groups.get(id);
      if (sub === undefined || seen.has(id)) continue;
      out.push({ '@odata.type': '#microsoft.graph.group', id });
      if (transitive) out.push(...this.membersOf(sub, true, seen));
    }
    return [...new Map(out.map((o) => [o.id, o])).values()];
  }

  /** GET /groups/{id}, /groups/{id}/members, /groups/{id}/transitiveMembers, optionally cast to microsoft.graph.user (group: list members). */
  group(path: string, q: URLSearchParams, base: string): SimReply | undefined {
    const m = /^\/groups\/([^/]+)(?:\/(members|transitiveMembers)(\/microsoft\.graph\.user)?)?$/.exec(path);
    if (m === null) return undefined;
    const g = this.groups.get(decodeURIComponent(m[1]!));
    if (g === undefined) return error(404, 'Request_ResourceNotFound', `Resource '${m[1]}' does not exist or one of its queried reference-property objects are not present.`);
    if (m[2] === undefined) return { status: 200, body: { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#groups(id,displayName)/$entity', id: g.id, displayName: g.displayName } };
    const top = Number(q.get('$top') ?? 100);
    if (!Number.isInteger(top) || top < 1 || top > 999) return error(400, 'Request_BadRequest', "Invalid page size specified: '$top'. Must be between 1 and 999 inclusive.");
    const skip = Number(q.get('$skiptoken') ?? '0');
    const all = this.membersOf(g, m[2] === 'transitiveMembers').filter((x) => m[3] === undefined || x['@odata.type'] === '#microsoft.graph.user');
    const size = Math.min(top, this.membersPageSize);
    const value = all.slice(skip, skip + size);
    const body: Record<string, unknown> = { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#directoryObjects(id)', value };
    // The real skiptoken is opaque; an offset is enough for a stand-in.
    if (skip + size < all.length) body['@odata.nextLink'] = `${base}/v1.0/groups/${g.id}/${m[2]}${m[3] ?? ''}?$top=${top}&$skiptoken=${skip + size}`;
    return { status: 200, body };
  }
}
