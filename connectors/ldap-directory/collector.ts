/**
 * The LDAP / Active Directory connector instance: schedules full and incremental syncs (one at a
 * time), retries a failed sync with a growing delay, and carries the presence publisher.
 */
import type { Connector, ConnectorContext, TestResult } from '../../core/connector/contract.ts';
import type { Presence } from '../../core/model/presence.ts';
import { HubError, errorMessage, failureKind, isHubError } from '../../core/util/errors.ts';
import type { DirectorySyncReport } from '../directory-common/report.ts';
import { LdapClient } from './client.ts';
import type { LdapConfig } from './config.ts';
import { LdapPresencePublisher } from './publisher.ts';
import { LdapSync, type SyncResult } from './sync.ts';

const MAX_RETRY_MS = 600_000;

export class LdapDirectoryConnector implements Connector {
  private readonly client: LdapClient;
  private readonly sync: LdapSync;
  readonly publisher: LdapPresencePublisher | undefined;
  private running = false;
  private busy: Promise<SyncResult> | undefined;
  private fullTimer: NodeJS.Timeout | undefined;
  private incTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;

  constructor(private readonly ctx: ConnectorContext<LdapConfig>) {
    this.client = new LdapClient(ctx.config);
    this.sync = new LdapSync({ config: ctx.config, client: this.client, sink: ctx.directorySink, log: ctx.log, clock: ctx.clock });
    const pub = ctx.config.publish;
    this.publisher =
      pub === undefined
        ? undefined
        : new LdapPresencePublisher({ config: pub, client: this.client, dnOf: (p) => this.sync.dnOf(p), clock: ctx.clock, log: ctx.log, report: ctx.report });
  }

  /** Binds once (so bad credentials fail the start as permanent), then syncs in the background. */
  async start(): Promise<void> {
    if (this.running) throw new HubError('HUB_ERR_CONNECTOR_RUNNING', `ldap-directory ${this.ctx.id} is already running`);
    await this.client.session(async () => undefined);
    this.running = true;
    const c = this.ctx.config;
    this.fullTimer = setInterval(() => void this.runSafely('full'), c.fullSyncInterval);
    this.fullTimer.unref?.();
    if (c.incrementalInterval > 0) {
      this.incTimer = setInterval(() => void this.runSafely('incremental'), c.incrementalInterval);
      this.incTimer.unref?.();
    }
    this.publisher?.batcher.start();
    void this.runSafely('full');
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const t of [this.fullTimer, this.incTimer]) if (t !== undefined) clearInterval(t);
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.fullTimer = this.incTimer = this.retryTimer = undefined;
    const errors: unknown[] = [];
    await this.publisher?.batcher.stop().catch((e: unknown) => errors.push(e));
    await this.busy?.catch(() => undefined);
    if (errors.length > 0) this.ctx.log.warn({ err: errorMessage(errors[0]) }, 'ldap-directory: stop step failed');
  }

  /** Bind, then read the base DN entry: proves the credentials and read access to the subtree. */
  async testConnection(): Promise<TestResult> {
    try {
      let found = 0;
      await this.client.session((s) =>
        s.searchPaged({ base: this.ctx.config.baseDn, filter: '(objectClass=*)', scope: 'base', attributes: ['1.1'] }, (page) => {
          found += page.length;
        }),
      );
      return { ok: true, message: `bound to ${this.ctx.config.url} and read ${this.ctx.config.baseDn} (${found} entry)` };
    } catch (e) {
      return { ok: false, kind: failureKind(e), code: isHubError(e) ? e.code : 'HUB_ERR_LDAP', message: errorMessage(e) };
    }
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
      this.ctx.report.count(kind === 'full' ? 'fullSyncs' : 'incrementalSyncs');
      if (r.changed > 0) this.ctx.report.count('peopleChanged', r.changed);
      this.ctx.report.ok();
      this.failures = 0;
      return r;
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
      this.ctx.report.error(e);
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
