/**
 * The LDAP / Active Directory connector instance: schedules full and incremental syncs (one at a
 * time), retries a failed sync with a growing delay, and carries the presence publisher: its target
 * is attached to the hub's reconciliation once the first full sync has said who is in the directory
 * (and so which entry each person's value goes to); every later sync that changed people plans
 * them again.
 */
import type { Connector, ConnectorContext, TestResult } from '../../core/connector/contract.ts';
import { errorMessage, HubError } from '../../core/errors.ts';
import type { PublishHandle } from '../../core/publish/target.ts';
import { SyncSchedule } from '../directory-common/sync-schedule.ts';
import { ScheduledDirectory } from '../directory-common/scheduled-directory.ts';
import { LdapClient } from './client.ts';
import type { LdapConfig } from './config.ts';
import { LdapPresenceTarget, type LdapValue } from './publisher.ts';
import { LdapSync, type SyncResult } from './collector.ts';

export class LdapDirectoryConnector extends ScheduledDirectory<SyncResult> implements Connector {
  private readonly client: LdapClient;
  protected readonly sync: LdapSync;
  readonly publisher: LdapPresenceTarget | undefined;
  protected readonly schedule: SyncSchedule<SyncResult>;
  private handle: PublishHandle<LdapValue> | undefined;
  private attaching: Promise<void> | undefined;
  private running = false;

  constructor(private readonly ctx: ConnectorContext<LdapConfig>) {
    super();
    this.client = new LdapClient(ctx.config, {
      // Once per attribute: its writes are checked by a read from now on (README "Presence write-back").
      assertionUnusable: (attribute, reason) => {
        ctx.report.count('assertionUnusable');
        ctx.log.warn({ attribute }, `ldap-directory: the directory cannot check ${attribute} with the assertion control (${reason}); each write of it is checked by reading the attribute first`);
      },
    });
    this.sync = new LdapSync({ config: ctx.config, client: this.client, sink: ctx.directorySink, log: ctx.log, clock: ctx.clock });
    const pub = ctx.config.publish;
    this.publisher =
      pub === undefined
        ? undefined
        : new LdapPresenceTarget({ config: pub, client: this.client, dnOf: (p) => this.sync.dnOf(p), people: () => this.sync.people(), mayHold: (p) => this.handle?.mayHold(p), clock: ctx.clock, report: ctx.report, log: ctx.log });
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
        this.afterSync(kind, r);
      },
      onError: (e) => ctx.report.error(e),
    });
  }

  /** Binds once (so bad credentials fail the start as permanent), then syncs in the background. */
  async start(): Promise<void> {
    if (this.publisher !== undefined && this.ctx.publishing === undefined) {
      throw new HubError('HUB_ERR_CONFIG', `${this.ctx.id}: publish needs the hub's reconciliation (ConnectorContext.publishing)`, { kind: 'permanent' });
    }
    await this.client.session(async () => undefined);
    this.running = true;
    this.publisher?.batches.start();
    this.schedule.start();
  }

  /**
   * After a sync: the first complete one attaches the publisher (the reconciliation then writes or
   * clears everyone the hub may have written); a later one that changed people plans everyone
   * again (a new person gets their value, a retired or renamed one is cleared).
   */
  private afterSync(kind: 'full' | 'incremental', r: SyncResult): void {
    const target = this.publisher;
    if (target === undefined || !this.running) return;
    if (this.handle === undefined) {
      if (this.attaching !== undefined || kind !== 'full') return;
      this.attaching = this.ctx
        .publishing!.attach(target)
        .then(async (h) => {
          if (this.running) this.handle = h;
          else await h.detach();
        })
        .catch((e: unknown) => this.ctx.report.error(e))
        .finally(() => {
          this.attaching = undefined;
        });
      return;
    }
    if (kind === 'full' || r.changed > 0) void this.handle.replan().catch((e: unknown) => this.ctx.report.error(e));
  }

  /** Resolves once the publisher is attached (tests; undefined without publish). */
  async published(): Promise<PublishHandle<LdapValue> | undefined> {
    await this.attaching;
    return this.handle;
  }

  async stop(): Promise<void> {
    this.running = false;
    const errors: unknown[] = [];
    await this.attaching;
    const detached = this.handle?.detach().catch((e: unknown) => errors.push(e));
    this.handle = undefined;
    await this.publisher?.batches.stop().catch((e: unknown) => errors.push(e));
    await detached;
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

  /** The entry a person's presence value is written to: their DN in the last sync (undefined: not in this directory). */
  entryOf(person: string): string | undefined {
    return this.sync.dnOf(person);
  }
}
