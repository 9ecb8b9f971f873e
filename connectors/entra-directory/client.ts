import { GraphError, type Client } from '@microsoft/microsoft-graph-client';
import { HubError } from '../../core/errors.ts';
import { allPages, graphCall, graphLinkPath, toHubError } from '../msgraph-shared/graph-client.ts';
import { directoryObjectPageSchema, groupSchema, isODataType, parseGraph, usersDeltaPageSchema, type GraphUser } from '../msgraph-shared/schemas.ts';

export interface DeltaPage {
  readonly users: readonly GraphUser[];
  /** Exactly one of the two: more pages of this round, or the link of the next round. */
  readonly nextLink?: string;
  readonly deltaLink?: string;
}

/** Error codes Graph uses for a delta token it no longer knows (delta-query-overview "Token duration"). */
const RESYNC_CODES = new Set(['syncstatenotfound', 'resyncrequired', 'syncstateinvalid']);

/**
 * The only code speaking Graph for the Entra directory: user: delta rounds and group members.
 * Links Graph hands back (@odata.nextLink / @odata.deltaLink) are followed only when they point at
 * the configured Graph origin and version, so the bearer token never goes anywhere else.
 */
export class EntraClient {
  constructor(
    private readonly app: Client,
    private readonly graphBaseUrl: string,
    private readonly version = 'v1.0',
  ) {}

  /** The path (after the version) of a link Graph returned, or a malformed-response error (graphLinkPath). */
  relative(link: string, what: string): string {
    return graphLinkPath(link, this.graphBaseUrl, what, this.version);
  }

  /** The first request of a round: `$select` (and the optional id `$filter`) are encoded into the tokens by Graph. */
  static initialDeltaPath(select: readonly string[], filter?: string): string {
    return `/users/delta?$select=${select.join(',')}${filter === undefined ? '' : `&$filter=${encodeURIComponent(filter)}`}`;
  }

  /** One page of a user: delta round; a stale token is HUB_ERR_GRAPH_DELTA_RESET (start a full sync). */
  async deltaPage(path: string): Promise<DeltaPage> {
    let body: unknown;
    try {
      body = await this.app.api(path).get();
    } catch (e) {
      if (e instanceof GraphError && (e.statusCode === 410 || RESYNC_CODES.has(String(e.code ?? '').toLowerCase()))) {
        // 410 Gone (tenant maintenance, "Synchronization reset") or an expired token (syncStateNotFound): a full sync again.
        throw new HubError('HUB_ERR_GRAPH_DELTA_RESET', `Graph asks for a full resync of users (HTTP ${e.statusCode}${e.code ? ` ${e.code}` : ''})`, { kind: 'transient', status: e.statusCode });
      }
      throw toHubError(e, 'users delta');
    }
    const page = parseGraph(usersDeltaPageSchema, body, 'users delta');
    const next = page['@odata.nextLink'];
    const delta = page['@odata.deltaLink'];
    if ((next === undefined) === (delta === undefined)) {
      throw new HubError('HUB_ERR_GRAPH_MALFORMED', 'malformed Graph response for users delta: needs exactly one of @odata.nextLink and @odata.deltaLink', { kind: 'transient' });
    }
    return { users: page.value, ...(next !== undefined ? { nextLink: this.relative(next, 'users delta') } : {}), ...(delta !== undefined ? { deltaLink: this.relative(delta, 'users delta') } : {}) };
  }

  /** The group's display name, or undefined when the group does not exist. */
  async groupName(id: string): Promise<string | null | undefined> {
    try {
      const body = await graphCall(`group ${id}`, () => this.app.api(`/groups/${encodeURIComponent(id)}?$select=id,displayName`).get());
      return parseGraph(groupSchema, body, `group ${id}`).displayName;
    } catch (e) {
      if (e instanceof HubError && e.code === 'HUB_ERR_GRAPH_NOT_FOUND') return undefined;
      throw e;
    }
  }

  /**
   * Object ids of the group's user members, page by page (group: list members, cast to
   * microsoft.graph.user so that devices, contacts and nested groups are left out; $top=999).
   */
  async groupMemberIds(id: string, transitive: boolean, maxPages = 100_000): Promise<string[]> {
    const what = `members of group ${id}`;
    const members = await allPages({
      first: `/groups/${encodeURIComponent(id)}/${transitive ? 'transitiveMembers' : 'members'}/microsoft.graph.user?$select=id&$top=999`,
      graphBaseUrl: this.graphBaseUrl,
      what,
      maxPages,
      read: async (path) => {
        const page = parseGraph(directoryObjectPageSchema, await graphCall(what, () => this.app.api(path).get()), what);
        return { value: page.value, next: page['@odata.nextLink'] };
      },
    });
    // Absent (the cast already left only users) or a user in any letter case (isODataType).
    return members.filter((m) => m['@odata.type'] === undefined || isODataType(m['@odata.type'], 'microsoft.graph.user')).map((m) => m.id.toLowerCase());
  }

}
