/**
 * The LDAP / Active Directory connector instance: schedules full and incremental syncs (one at a
 * time), retries a failed sync with a growing delay, and carries the presence publisher.
 */
import type { Connector, ConnectorContext, TestResult } from '../../core/connector/contract.ts';
import type { Presence } from '../../core/model/presence.ts';
import { errorMessage } from '../../core/errors.ts';
import { SyncSchedule } from '../directory-common/sync-schedule.ts';
import type { DirectorySyncReport } from '../directory-common/report.ts';
import { LdapClient } from './client.ts';
import type { LdapConfig } from './config.ts';
import { LdapPresencePublisher } from './publisher.ts';
import { LdapSync, type SyncResult } from './collector.ts';

export class LdapDirectoryConnector implements Connector {
  private readonly client: LdapClient;
  private readonly sync: LdapSync;
  readonly publisher: LdapPresencePublisher | undefined;
  private readonly schedule: SyncSchedule<SyncResult>;

  constructor(private readonly ctx: ConnectorContext<LdapConfig>) {
    this.client = new LdapClient(ctx.config);
    this.sync = new LdapSync({ config: ctx.config, client: this.client, sink: ctx.directorySink, log: ctx.log, clock: ctx.clock });
    const pub = ctx.config.publish;
    this.publisher =
      pub === undefined
        ? undefined
        : new LdapPresencePublisher({ config: pub, client: this.client, dnOf: (p) => this.sync.dnOf(p), clock: ctx.clock, log: ctx.log, report: ctx.report });
    this.schedule = new SyncSchedule({
      name: 'ldap-directory',
      job: this.sync,
      fullInterval: ctx.config.fullSyncInterval,
      incrementalInterval: ctx.config.incrementalInterval,
      retryDelay: ctx.config.retryDelay,
      log: ctx.log,
      onDone: (kind, r) => {
        ctx.report.count(kind === 'full' ? 'fullSyncs' : 'incrementalSyncs');
        if (r.changed > 0) ctx.report.count('peopleChanged', r.changed);
        ctx.report.ok();
      },
      onError: (e) => ctx.report.error(e),
    });
  }

  /** Binds once (so bad credentials fail the start as permanent), then syncs in the background. */
  async start(): Promise<void> {
    await this.client.session(async () => undefined);
    this.publisher?.batcher.start();
    this.schedule.start();
  }

  async stop(): Promise<void> {
    const errors: unknown[] = [];
    await this.publisher?.batcher.stop().catch((e: unknown) => errors.push(e));
    await this.schedule.stop().catch((e: unknown) => errors.push(e));
    if (errors.length > 0) this.ctx.log.warn({ err: errorMessage(errors[0]) }, 'ldap-directory: stop step failed');
  }

  /** Bind, then read the base DN entry: proves the credentials and read access to the subtree. */
  async testConnection(): Promise<TestResult> {
    let found = 0;
    await this.client.session((s) =>
      s.searchPaged({ base: this.ctx.config.baseDn, filter: '(objectClass=*)', scope: 'base', attributes: ['1.1'] }, (page) => {
        found += page.length;
      }),
    );
    return { ok: true, message: `bound to ${this.ctx.config.url} and read ${this.ctx.config.baseDn} (${found} entry)` };
  }

  async publish(changes: readonly Presence[]): Promise<void> {
    this.publisher?.offer(changes);
  }

  /** What the last complete sync could not use (GET /v1/directory/report). */
  report(): DirectorySyncReport {
    return this.sync.report();
  }

  /** Runs a full sync now (or waits for the one running) and returns its result; rejects on failure. */
  fullSync(): Promise<SyncResult> {
    return this.schedule.run('full');
  }

  incrementalSync(): Promise<SyncResult> {
    return this.schedule.run('incremental');
  }
}
