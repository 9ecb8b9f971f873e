/**
 * The Entra ID directory connector instance: schedules full and incremental syncs (one at a time),
 * retries a failed sync with a growing delay, reports health. Graph access goes through the
 * shared client of the Microsoft 365 connectors (token, pacing, Retry-After).
 */
import type { Connector, ConnectorContext, TestResult } from '../../core/connector/contract.ts';
import { ScheduledDirectory } from '../directory-common/scheduled-directory.ts';
import { SyncSchedule } from '../directory-common/sync-schedule.ts';
import type { ClientCredentialsProvider } from '../msgraph-shared/auth.ts';
import { graphApp } from '../msgraph-shared/app.ts';
import type { RequestPacer } from '../msgraph-shared/pacer.ts';
import { EntraClient } from './client.ts';
import type { EntraConfig } from './config.ts';
import { EntraSync, type SyncResult } from './collector.ts';

export class EntraDirectoryConnector extends ScheduledDirectory<SyncResult> implements Connector {
  private readonly tokens: ClientCredentialsProvider;
  private readonly pacer: RequestPacer;
  private readonly client: EntraClient;
  protected readonly sync: EntraSync;
  protected readonly schedule: SyncSchedule<SyncResult>;

  constructor(private readonly ctx: ConnectorContext<EntraConfig>) {
    super();
    const c = ctx.config;
    const app = graphApp({ config: c, clock: ctx.clock, report: ctx.report, budget: { limit: c.requests.perWindow, windowMs: c.requests.window } });
    this.tokens = app.tokens;
    this.pacer = app.pacer;
    this.client = new EntraClient(app.graph, c.graphBaseUrl);
    this.sync = new EntraSync({ config: c, client: this.client, sink: ctx.directorySink, log: ctx.log, clock: ctx.clock });
    this.schedule = new SyncSchedule({
      name: 'entra-directory',
      job: this.sync,
      fullInterval: c.fullSyncInterval,
      incrementalInterval: c.incrementalInterval,
      retryDelay: c.retryDelay,
      log: ctx.log,
      onDone: (_kind, r) => {
        ctx.report.count(r.kind === 'full' ? 'fullSyncs' : 'incrementalSyncs');
        if (r.resynced === true) ctx.report.count('deltaResets');
        if (r.kind === 'incremental' && r.changed > 0) ctx.report.count('peopleChanged', r.changed);
        if (r.removed > 0) ctx.report.count('peopleRemoved', r.removed);
        ctx.report.ok();
      },
      onError: (e) => ctx.report.error(e),
    });
  }

  /** Obtains a token first (so bad credentials fail the start as permanent), then syncs in the background. */
  async start(): Promise<void> {
    this.pacer.resume();
    await this.tokens.getToken();
    this.schedule.start();
  }

  async stop(): Promise<void> {
    // A sync under way ends at its next request, refused and never sent, also one waiting for budget or a Retry-After pause (RequestPacer.cancel).
    this.pacer.cancel();
    await this.schedule.stop();
    // The run's work has ended: a connection test afterwards (POST /v1/connectors/:id/test) goes
    // out if Graph allows it now, as after the other Graph connectors' stop (RequestPacer.drain).
    this.pacer.drain();
  }

  /**
   * A fresh token, then "sync from now" (`$deltatoken=latest`: a deltaLink, no users) proves
   * User.Read.All; reading the first configured group proves GroupMember.Read.All.
   */
  async testConnection(): Promise<TestResult> {
    this.tokens.invalidate();
    await this.tokens.getToken();
    await this.client.deltaPage('/users/delta?$deltatoken=latest&$select=id');
    const g = this.ctx.config.teamsFrom === 'groups' ? this.ctx.config.groups[0] : undefined;
    if (g !== undefined && (await this.client.groupName(g)) === undefined) {
      return { ok: false, kind: 'permanent', code: 'HUB_ERR_GRAPH_NOT_FOUND', message: `users readable, but group ${g} was not found` };
    }
    return { ok: true, message: `token obtained and users readable${g !== undefined ? ', groups readable' : ''}` };
  }
}
