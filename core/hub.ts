import type { LoadedConfig } from './config/load.ts';
import type { ConnectorContext, ConnectorManifest } from './connector/contract.ts';
import { ConnectorSupervisor } from './connector/supervisor.ts';
import type { LeasePort } from './connector/lease.ts';
import { LeasedRunner, type LeasedTask } from './connector/leased-runner.ts';
import { ConnectorSwitches } from './connector/switches.ts';
import { Directory } from './directory/directory.ts';
import { Ingest } from './manager/ingest.ts';
import { KnownRegisters } from './manager/register-cap.ts';
import { PresenceManager } from './manager/presence-manager.ts';
import { HubMetrics } from './metrics.ts';
import type { Person } from './model/person.ts';
import { offlinePresence, type Presence } from './model/presence.ts';
import { memoryConnectorStore } from './pipeline/embedded/connector-store.ts';
import { embeddedPipeline } from './pipeline/embedded/index.ts';
import type { Pipeline } from './pipeline/ports.ts';
import { compileRules, type Rules } from './rules/rules-config.ts';
import type { Clock } from './util/clock.ts';
import { HubError, isHubError } from './errors.ts';
import type { Logger } from './util/logger.ts';
import { PresenceCache } from './watch/presence-cache.ts';
import { Webhooks } from './watch/webhooks.ts';
import { Timeline } from './watch/timeline.ts';
import { MemoryTimelineStore } from './pipeline/embedded/timeline-store.ts';
import { DirectoryReport } from './directory/report.ts';
import { ComposedDirectory } from './directory/composed-directory.ts';
import { Publishers } from './publish/publishers.ts';
import { AuditLog } from './audit.ts';
import { Triggers } from './trigger/triggers.ts';
import { ClusterHealth } from './connector/cluster-health.ts';
import { failingFeeds, type FailingFeed } from './connector/feeds.ts';

export interface HubDeps {
  readonly loaded: LoadedConfig;
  readonly manifests: ReadonlyMap<string, ConnectorManifest>;
  readonly clock: Clock;
  readonly log: Logger;
  /** Defaults to the embedded pipeline; Redis mode passes its own. */
  readonly pipeline?: Pipeline;
  readonly nodeId?: string;
  readonly metrics?: HubMetrics;
  /** Connector leases (Redis mode): each connector runs on one node at a time. */
  readonly lease?: LeasePort;
  readonly leaseTtlMs?: number;
}

export type ChangeListener = (prev: Presence | undefined, next: Presence) => void;

/**
 * The hub composed: directory, pipeline, Presence Manager, ingest, connectors under supervisors,
 * watchers (cache, webhooks, publishers). It does not listen: api/ serves it.
 */
export class Hub {
  readonly pipeline: Pipeline;
  readonly manager: PresenceManager;
  readonly ingest: Ingest;
  readonly metrics: HubMetrics;
  readonly rules: Rules;
  readonly webhooks: Webhooks;
  /** Presence triggers (core/trigger/triggers.ts): evaluated on this node, or under the `hub:triggers` lease. */
  readonly triggers: Triggers;
  readonly report = new DirectoryReport();
  /** Who enabled, disabled or tested which connector (and the other admin actions), when; shared like the switches. */
  readonly audit: AuditLog;
  readonly supervisors = new Map<string, ConnectorSupervisor>();
  readonly nodeId: string;
  private readonly people: ComposedDirectory;
  private readonly cache = new PresenceCache();
  /** Registers known to be stored, so that news for them passes the register cap without a census (core/manager/register-cap.ts). */
  private readonly knownRegisters = new KnownRegisters();
  private readonly listeners = new Set<ChangeListener>();
  private unsubscribe: (() => void) | undefined;
  /** Fan-out to publishing connectors and their reconciliation (core/publish). */
  readonly publishers: Publishers;
  /** Each person's last changes and signals (GET /v1/presence/{person}/timeline), fed by this node's manager. */
  readonly timeline: Timeline;
  private started = false;
  /** Connectors configured with `enabled: false`, shown but not run. */
  readonly disabled = new Map<string, ConnectorSupervisor>();
  private readonly runners = new Map<string, LeasedRunner>();
  private webhookRunner: LeasedRunner | undefined;
  private triggerRunner: LeasedRunner | undefined;
  private clusterHealth: ClusterHealth | undefined;
  private readonly switches: ConnectorSwitches;
  private unforget: (() => void) | undefined;
  /** True once start() has run the enabled connectors; switches before that only sort them. */
  private launched = false;

  constructor(readonly deps: HubDeps) {
    const { loaded, clock, log } = deps;
    this.nodeId = deps.nodeId ?? 'node-1';
    this.metrics = deps.metrics ?? new HubMetrics();
    this.rules = compileRules(loaded.config.rules ?? {});
    this.pipeline = deps.pipeline ?? embeddedPipeline({ clock, log, ...(loaded.config.dataDir !== undefined ? { dataDir: loaded.config.dataDir } : {}) });
    const shared = (id: string) => this.pipeline.connectorStore?.(id) ?? memoryConnectorStore();
    const notices = this.pipeline.notices !== undefined ? { notices: this.pipeline.notices } : {};
    const dirStore = this.pipeline.mode === 'redis' ? this.pipeline.connectorStore?.('hub:directory') : undefined;
    this.people = new ComposedDirectory({
      base: loaded.people,
      loadedAt: clock.now(),
      log,
      connectorIds: loaded.config.connectors.filter((c) => deps.manifests.get(c.kind)?.capabilities.includes('directory')).map((c) => c.id),
      ...(dirStore !== undefined ? { store: dirStore } : {}),
      // Signals' tel: identities are read as the directory connectors read their entries' numbers.
      dialingPlans: loaded.config.connectors.flatMap((c) => {
        const cfg = loaded.connectorConfigs.get(c.id);
        return cfg === undefined ? [] : (deps.manifests.get(c.kind)?.phoneOptions?.(cfg) ?? []);
      }),
      onRetired: (gone) => {
        for (const id of gone) this.cache.delete(id);
        this.knownRegisters.forget(gone);
        // The bus forgets with the store: their versions start again at 1 (on every node).
        this.pipeline.store
          .forget(gone)
          .then(() => this.pipeline.bus.forget(gone))
          .catch((e: unknown) => log.error({ err: e, people: gone.length }, 'could not forget retired people'));
      },
      relationshipStore: shared('hub:relationships'),
      ...notices,
      onChanged: () => this.triggers?.directoryChanged(),
    });
    this.publishers = new Publishers({ clock, log, presence: (people) => this.presence(people), people: () => [...this.directory.ids()] });
    this.audit = new AuditLog({ store: shared('hub:audit'), clock, log });
    this.switches = new ConnectorSwitches({ store: shared('hub:connectors'), ...notices, log, apply: (wanted) => this.applySwitches(wanted) });
    this.manager = new PresenceManager({ pipeline: this.pipeline, rules: this.rules, log, metrics: this.metrics });
    this.timeline = new Timeline({ store: this.pipeline.timeline ?? new MemoryTimelineStore(), now: () => clock.now(), log });
    this.manager.onChanges((changes) => this.timeline.changes(changes));
    this.manager.onSignals((items) => this.timeline.signals(items));
    this.manager.onSignals((items) => this.knownRegisters.note(items.map((i) => i.signal)));
    this.ingest = new Ingest({
      queue: this.pipeline.queue,
      directory: () => this.directory,
      rules: () => this.rules,
      clock,
      report: { unknown: (source, subject, reason) => this.report.unknown(source, subject, clock.now(), reason) },
      registerCap: { max: () => loaded.config.limits.registersPerPerson, census: (entries) => this.pipeline.store.registerCensus(entries), known: this.knownRegisters },
    });
    this.webhooks = new Webhooks({
      directory: () => this.directory,
      presence: (people) => this.presence(people),
      clock,
      log,
      maxAttempts: loaded.config.webhooks.maxAttempts,
      timeoutMs: loaded.config.webhooks.timeout,
      allowPrivateTargets: loaded.config.webhooks.allowPrivateTargets,
      // Redis mode: one registry for every node, one node delivering (the webhooks lease);
      // embedded mode with a dataDir: the registry survives a restart.
      ...(this.pipeline.durable === true && this.pipeline.connectorStore !== undefined ? { store: this.pipeline.connectorStore('hub:webhooks') } : {}),
    });
    this.triggers = new Triggers({
      directory: () => this.directory,
      presence: (people) => this.presence(people),
      store: shared('hub:triggers'),
      ...notices,
      clock,
      log: log.child({ component: 'triggers' }),
      config: loaded.config.triggers,
      maxAttempts: loaded.config.webhooks.maxAttempts,
      timeoutMs: loaded.config.webhooks.timeout,
      allowPrivateTargets: loaded.config.webhooks.allowPrivateTargets,
    });
    // Redis mode: the node running a connector shares whether it is failing (the board's mark on every node).
    if (deps.lease !== undefined && this.pipeline.mode === 'redis') {
      this.clusterHealth = new ClusterHealth({
        store: shared('hub:health'),
        nodeId: this.nodeId,
        log,
        runs: (id) => this.runners.get(id)?.holding === true,
        holder: (id) => this.connectorNode(id),
      });
    }
    for (const entry of loaded.config.connectors) {
      const manifest = deps.manifests.get(entry.kind)!;
      const config = loaded.connectorConfigs.get(entry.id);
      const supervisor = this.createSupervisor(entry.id, manifest, config);
      if (entry.enabled) {
        this.supervisors.set(entry.id, supervisor);
        this.publishers.add(entry.id, supervisor);
      } else this.disabled.set(entry.id, supervisor);
    }
  }

  get directory(): Directory {
    return this.people.current;
  }

  private createSupervisor(id: string, manifest: ConnectorManifest, config: unknown): ConnectorSupervisor {
    const log = this.deps.log.child({ connector: id });
    let supervisor: ConnectorSupervisor | undefined;
    const state = this.pipeline.connectorStore?.(id) ?? memoryConnectorStore();
    const report = {
      ok: () => supervisor?.reporter.ok(),
      error: (e: unknown) => supervisor?.reporter.error(e),
      count: (name: string, n?: number) => supervisor?.reporter.count(name, n),
      retryAt: (at: number | undefined) => supervisor?.reporter.retryAt(at),
    };
    const sink = this.people.sink(id, (done, total) => {
      supervisor?.setProgress(done, total);
      log.info({ done, total }, `directory sync ${id}: ${done}${total === undefined ? '' : `/${total}`}`);
    });
    const ctx: ConnectorContext<unknown> = {
      id,
      config,
      log,
      clock: this.deps.clock,
      directory: { resolve: (i) => this.directory.resolve(i), person: (p) => this.directory.person(p), people: () => this.directory.people(), containerFor: (w, p) => this.directory.containerFor(w, p) },
      emit: async (signals) => {
        const res = await this.ingest.submitPartial(signals);
        this.metrics.signalsAccepted.inc({ via: 'connector' }, res.accepted);
        for (const r of res.refused) this.metrics.signalsRefused.inc({ reason: r.code });
        for (const r of res.refused) this.metrics.connectorRefused.inc({ connector: id, reason: r.code });
        supervisor?.emitted(res.accepted, res.refused);
        return { accepted: res.accepted, refused: res.refused.map((r) => ({ index: r.index, code: r.code, detail: r.detail })) };
      },
      directorySink: sink,
      // Shared by every node in Redis mode: a connector taking over on another node finds it.
      state,
      report,
      ...(manifest.capabilities.includes('publish') ? { publishing: this.publishers.port(id, state, report, log) } : {}),
    };
    supervisor = new ConnectorSupervisor(id, manifest, manifest.create(ctx), {
      log,
      clock: this.deps.clock,
      publishStats: () => this.publishers.stats(id),
      ...(this.clusterHealth !== undefined ? { onHealth: () => this.clusterHealth?.note(id, supervisor!.failureState()) } : {}),
    });
    return supervisor;
  }

  // --- directory -------------------------------------------------------------------------------

  async setRelationships(person: string, r: { personal: readonly string[]; blocked: readonly string[] }): Promise<Person> {
    try {
      return await this.people.setRelationships(person, r);
    } catch (e) {
      if (isHubError(e)) throw e;
      throw new HubError('HUB_ERR_UNAVAILABLE', 'relationships: could not be stored now; nothing changed', { kind: 'transient', status: 503, retryAfterMs: 2000, cause: e });
    }
  }

  // --- presence --------------------------------------------------------------------------------

  /** The stored presence of people (offline since the directory load for people never seen). */
  async presence(people: readonly string[]): Promise<Presence[]> {
    const stored = await this.pipeline.store.getPresence(people);
    return people.map((p) => stored.get(p) ?? offlinePresence(p, this.directory.loadedAt));
  }

  /** Watch every change of any person on this node, in version order per person. */
  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private dispatch(p: Presence): void {
    const prev = this.cache.accept(p);
    if (prev === false) return;
    for (const l of this.listeners) {
      try {
        l(prev, p);
      } catch (e) {
        this.deps.log.error({ err: e }, 'change listener failed');
      }
    }
    this.webhooks.onChange(p);
    this.triggers.onChange(p);
    this.publishers.offer(p);
  }

  // --- lifecycle -------------------------------------------------------------------------------

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    if (this.pipeline.mode === 'embedded' && this.pipeline.durable !== true) {
      this.deps.log.warn('embedded mode without dataDir: webhooks, relationships, sign-outs, connector switches and the audit list set through the API are kept in memory only and lost at restart');
    }
    // Every change once, this node's own as soon as it is committed (the bus delivers them at
    // once and skips its own messages when they come back; core/pipeline/redis/bus.ts).
    this.unsubscribe = this.pipeline.bus.subscribe((p) => this.dispatch(p));
    this.unforget = this.pipeline.bus.onForget((people) => {
      for (const id of people) this.cache.delete(id);
      this.knownRegisters.forget(people);
    });
    this.manager.start();
    // People synced earlier by another node are known before this node serves or collects.
    await this.people.start();
    // The admin's switches (shared, durable) decide over the configuration's `enabled`.
    await this.switches.start();
    for (const [id, s] of this.supervisors) await this.run(id, s);
    this.launched = true;
    if (this.deps.lease === undefined && this.pipeline.durable === true) await this.webhooks.activate();
    await this.triggers.start();
    const lease = this.deps.lease;
    if (lease !== undefined && this.pipeline.mode === 'redis') {
      // One node evaluates the triggers and delivers their firings (their state is in the store); one delivers the webhooks.
      this.triggerRunner = this.leased(lease, 'hub:triggers', this.deps.log.child({ component: 'triggers' }), { start: () => this.triggers.activate(), stop: async () => this.triggers.deactivate() });
      this.webhookRunner = this.leased(lease, 'hub:webhooks', this.deps.log.child({ component: 'webhooks' }), { start: () => this.webhooks.activate(), stop: async () => this.webhooks.deactivate() });
    } else await this.triggers.activate();
  }

  /** Starts `task` on whichever node holds the lease `name` (one at a time), with this node competing for it. */
  private leased(lease: LeasePort, name: string, log: Logger, task: LeasedTask, onChange?: (holding: boolean) => void): LeasedRunner {
    const runner = new LeasedRunner({ lease, name, owner: this.nodeId, log, ...(this.deps.leaseTtlMs !== undefined ? { ttlMs: this.deps.leaseTtlMs } : {}), ...(onChange !== undefined ? { onChange } : {}), task });
    runner.start();
    return runner;
  }

  /** Runs a connector: at once in embedded mode, under its lease in Redis mode. */
  private async run(id: string, s: ConnectorSupervisor): Promise<void> {
    const lease = this.deps.lease;
    if (lease === undefined) {
      await s.start().catch((e) => this.deps.log.error({ err: e, connector: id }, 'connector start failed'));
      return;
    }
    this.runners.set(
      id,
      this.leased(
        lease,
        `connector:${id}`,
        this.deps.log.child({ connector: id }),
        {
          start: async () => {
            await s.start();
            await this.publishers.takeover(id, s);
          },
          stop: () => s.stop(),
        },
        // A node that takes the connector (back) writes its health for the others whatever it wrote before.
        (holding) => {
          if (holding) this.clusterHealth?.took(id);
        },
      ),
    );
  }

  private async halt(id: string, s: ConnectorSupervisor): Promise<void> {
    const runner = this.runners.get(id);
    this.runners.delete(id);
    if (runner !== undefined) await runner.stop();
    else await s.stop();
  }

  /**
   * The connectors failing now (the board's mark, explanations): in Redis mode as the node running
   * each one reports it (core/connector/cluster-health.ts), else this node's own health.
   */
  failingConnectors(): Promise<FailingFeed[]> {
    return this.clusterHealth !== undefined ? this.clusterHealth.failing(this.supervisors) : Promise.resolve(failingFeeds(this.supervisors));
  }

  /** The node running a connector now: this one, another one (Redis mode), or none. */
  async connectorNode(id: string): Promise<string | undefined> {
    const runner = this.runners.get(id);
    if (runner === undefined) return this.supervisors.has(id) ? this.nodeId : undefined;
    if (runner.holding) return this.nodeId;
    return this.deps.lease?.holder?.(`connector:${id}`);
  }

  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    // Redis mode: stop taking batches at once (the other nodes take them), while the connectors
    // stop and give their leases back (another node takes each over within half a second).
    // Embedded mode drains its in-process queue instead: no other node would take it.
    const pausing = this.pipeline.mode === 'redis' ? this.pipeline.queue.pause().catch((e: unknown) => this.deps.log.warn({ err: e }, 'queue pause failed')) : undefined;
    await Promise.all([...this.supervisors].map(([id, s]) => this.halt(id, s)));
    await pausing;
    // The firings and trigger states this node queued are stored before it lets the triggers go.
    await this.triggers.flush();
    await this.webhookRunner?.stop();
    await this.triggerRunner?.stop();
    this.triggers.close();
    await this.publishers.close();
    this.people.stop();
    this.switches.stop();
    this.launched = false;
    this.unsubscribe?.();
    this.unforget?.();
    this.webhooks.close();
    // What the timeline gathered is written now, and the last batches' entries at once (not awaited:
    // a Redis that is away would hold the stop; the pipeline's close ends it).
    void this.timeline.close();
    // The queue waits for batches in hand, which has no bound of its own: give it one.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 15_000)));
    if ((await Promise.race([this.pipeline.close().then(() => 'closed' as const), timeout])) === 'timeout') {
      this.deps.log.warn('pipeline did not close within 15 s; stopping anyway');
    }
    clearTimeout(timer);
  }

  // --- connectors at run time (admin console) ---------------------------------------------------

  /**
   * Enables a disabled connector on every node (a shared, durable switch): it runs here, or under
   * its lease on one node. False if there is no such disabled connector.
   */
  async enableConnector(id: string): Promise<boolean> {
    if (!this.disabled.has(id)) return false;
    await this.switches.set(id, true);
    return true;
  }

  /** Disables a running connector on every node; false if there is no such enabled connector. */
  async disableConnector(id: string): Promise<boolean> {
    if (!this.supervisors.has(id)) return false;
    await this.switches.set(id, false);
    return true;
  }

  /** Brings this node in line with the switches (from this node's call or another node's notice). */
  private async applySwitches(wanted: ReadonlyMap<string, boolean>): Promise<void> {
    for (const [id, enabled] of wanted) {
      const s = enabled ? this.disabled.get(id) : this.supervisors.get(id);
      if (s === undefined) continue; // unknown here, or already so
      if (enabled) {
        this.disabled.delete(id);
        this.supervisors.set(id, s);
        this.publishers.add(id, s);
        if (this.launched) await this.run(id, s);
      } else {
        this.supervisors.delete(id);
        this.publishers.remove(id);
        this.disabled.set(id, s);
        if (this.launched) await this.halt(id, s);
      }
    }
  }
}
