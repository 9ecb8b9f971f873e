/**
 * The Entra ID directory connector instance: schedules full and incremental syncs (one at a time),
 * retries a failed sync with a growing delay, reports health. Graph access goes through the
 * shared client of the Microsoft 365 connectors (token, pacing, Retry-After).
 */
import type { Connector, ConnectorContext, TestResult } from '../../core/connector/contract.ts';
import { HubError, errorMessage, failureKind, isHubError } from '../../core/util/errors.ts';
import type { DirectorySyncReport } from '../directory-common/report.ts';
import { ClientCredentialsProvider, defaultScope, defaultTokenEndpoint } from '../msgraph-shared/auth.ts';
import { createGraphClient } from '../msgraph-shared/graph-client.ts';
import { RequestPacer } from '../msgraph-shared/pacer.ts';
import { EntraClient } from './client.ts';
import type { EntraConfig } from './config.ts';
import { EntraSync, type SyncResult } from './sync.ts';

const MAX_RETRY_MS = 600_000;

export class EntraDirectoryConnector implements Connector {
  private readonly tokens: ClientCredentialsProvider;
  private readonly client: EntraClient;
  private readonly sync: EntraSync;
  private running = false;
  private busy: Promise<SyncResult> | undefined;
  private fullTimer: NodeJS.Timeout | undefined;
  private incTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;

  constructor(private readonly ctx: ConnectorContext<EntraConfig>) {
    const c = ctx.config;
    this.tokens = new ClientCredentialsProvider({ tokenEndpoint: c.tokenEndpoint ?? defaultTokenEndpoint(c.tenantId), clientId: c.clientId, clientSecret: c.clientSecret, scope: c.scope ?? defaultScope(c.graphBaseUrl), clock: ctx.clock });
    const pacer = new RequestPacer({ limit: c.requests.perWindow, windowMs: c.requests.window, clock: ctx.clock });
    const graph = createGraphClient({ baseUrl: c.graphBaseUrl, tokens: this.tokens, pacer, clock: ctx.clock, events: { onThrottled: () => ctx.report.count('throttled') } });
    this.client = new EntraClient(graph, c.graphBaseUrl);
    this.sync = new EntraSync({ config: c, client: this.client, sink: ctx.directorySink, log: ctx.log, clock: ctx.clock });
  }

  /** Obtains a token first (so bad credentials fail the start as permanent), then syncs in the background. */
  async start(): Promise<void> {
    if (this.running) throw new HubError('HUB_ERR_CONNECTOR_RUNNING', `entra-directory ${this.ctx.id} is already running`);
    await this.tokens.getToken();
    this.running = true;
    const c = this.ctx.config;
    this.fullTimer = setInterval(() => void this.runSafely('full'), c.fullSyncInterval);
    this.fullTimer.unref?.();
    if (c.incrementalInterval > 0) {
      this.incTimer = setInterval(() => void this.runSafely('incremental'), c.incrementalInterval);
      this.incTimer.unref?.();
    }
    void this.runSafely('full');
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const t of [this.fullTimer, this.incTimer]) if (t !== undefined) clearInterval(t);
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.fullTimer = this.incTimer = this.retryTimer = undefined;
    await this.busy?.catch(() => undefined);
  }

  /**
   * A fresh token, then "sync from now" (`$deltatoken=latest`: a deltaLink, no users) proves
   * User.Read.All; reading the first configured group proves GroupMember.Read.All.
   */
  async testConnection(): Promise<TestResult> {
    try {
      this.tokens.invalidate();
      await this.tokens.getToken();
      await this.client.deltaPage('/users/delta?$deltatoken=latest&$select=id');
      const g = this.ctx.config.teamsFrom === 'groups' ? this.ctx.config.groups[0] : undefined;
      if (g !== undefined && (await this.client.groupName(g)) === undefined) {
        return { ok: false, kind: 'permanent', code: 'HUB_ERR_GRAPH_NOT_FOUND', message: `users readable, but group ${g} was not found` };
      }
      return { ok: true, message: `token obtained and users readable${g !== undefined ? ', groups readable' : ''}` };
    } catch (e) {
      return { ok: false, kind: failureKind(e), code: isHubError(e) ? e.code : 'HUB_ERR_GRAPH_UNREACHABLE', message: errorMessage(e) };
    }
  }

  /** What the last complete sync could not use (GET /v1/directory/report). */
  report(): DirectorySyncReport {
    return this.sync.report();
  }

  /** Runs a full sync now (or after the one running) and returns its result; rejects on failure. */
  fullSync(): Promise<SyncResult> {
    return this.run('full');
  }

  incrementalSync(): Promise<SyncResult> {
    return this.run('incremental');
  }

  private async run(kind: 'full' | 'incremental'): Promise<SyncResult> {
    // One sync at a time: a second request waits for the running one, then runs itself.
    while (this.busy !== undefined) await this.busy.catch(() => undefined);
    const job = kind === 'full' ? this.sync.full() : this.sync.incremental();
    this.busy = job;
    try {
      const r = await job;
      this.ctx.report.count(r.kind === 'full' ? 'fullSyncs' : 'incrementalSyncs');
      if (r.resynced === true) this.ctx.report.count('deltaResets');
      if (r.kind === 'incremental' && r.changed > 0) this.ctx.report.count('peopleChanged', r.changed);
      if (r.removed > 0) this.ctx.report.count('peopleRemoved', r.removed);
      this.ctx.report.ok();
      this.failures = 0;
      return r;
    } catch (e) {
      this.ctx.report.error(e);
      throw e;
    } finally {
      this.busy = undefined;
    }
  }

  private async runSafely(kind: 'full' | 'incremental'): Promise<void> {
    if (!this.running) return;
    // A timer tick while a sync runs is skipped, not queued: the next tick comes soon enough.
    if (this.busy !== undefined) return;
    try {
      await this.run(kind);
    } catch (e) {
      this.failures++;
      this.ctx.log.warn({ code: isHubError(e) ? e.code : undefined }, `entra-directory: ${kind} sync failed: ${errorMessage(e)}`);
      if (!this.running || failureKind(e) === 'permanent') return;
      const delay = Math.min(MAX_RETRY_MS, this.ctx.config.retryDelay * 2 ** (this.failures - 1));
      if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
      // After a failed full sync the hub keeps the previous people; the retry repeats the same kind.
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        void this.runSafely(this.sync.synced ? kind : 'full');
      }, delay);
      this.retryTimer.unref?.();
    }
  }
}
