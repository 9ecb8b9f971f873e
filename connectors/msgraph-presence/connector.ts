import type { Connector, ConnectorContext, TestResult } from '../../core/connector/contract.ts';
import type { Presence } from '../../core/model/presence.ts';
import { HubError, errorMessage } from '../../core/errors.ts';
import { type ClientCredentialsProvider, defaultScope, defaultTokenEndpoint, FileTokenStore, MemoryTokenStore, RefreshTokenProvider } from '../msgraph-shared/auth.ts';
import { createGraphClient } from '../msgraph-shared/graph-client.ts';
import { isStopped, type RequestPacer } from '../msgraph-shared/pacer.ts';
import { graphApp } from '../msgraph-shared/app.ts';
import { ValidationTokenVerifier } from '../msgraph-shared/validation-tokens.ts';
import { PresenceClient, SubscriptionClient } from './client.ts';
import { PresenceCollector } from './collector.ts';
import type { PresenceConfig } from './config.ts';
import { NotificationListener } from '../msgraph-shared/notification-listener.ts';
import { GuardState } from './guard-state.ts';
import { LoopGuard } from './loop-guard.ts';
import { TeamsTarget, type TeamsState } from './publisher.ts';
import type { GraphPair } from './map.ts';
import type { PublishHandle } from '../../core/publish/target.ts';
import { SubscriptionManager } from './subscriptions.ts';

/** Graph object ids of the people the hub knows (`entra:<guid>` identities), or the configured list. */
export function graphUserIds(ctx: ConnectorContext<{ users?: string[] | undefined }>): string[] {
  if (ctx.config.users !== undefined) return [...ctx.config.users];
  const out: string[] = [];
  for (const p of ctx.directory.people()) for (const i of p.identities) if (i.toLowerCase().startsWith('entra:')) out.push(i.slice(6));
  return out;
}

/** msgraph-presence: Teams presence in (polling + change notifications) and out (app presence session). */
export class MsGraphPresenceConnector implements Connector {
  private running = false;
  private timers: NodeJS.Timeout[] = [];
  private listener: NotificationListener | undefined;
  private subs: SubscriptionManager | undefined;
  private collector: PresenceCollector | undefined;
  private publisher: TeamsTarget | undefined;
  private handle: PublishHandle<TeamsState> | undefined;
  private guardState: GuardState | undefined;
  private lastSweep = 0;
  private cycle: Promise<void> | undefined;
  /** Cycles, maintenance and notification (lifecycle) work in flight: stop() waits for them, so nothing is sent or emitted after it. */
  private readonly inFlight = new Set<Promise<void>>();
  readonly guard: LoopGuard;
  private readonly pacer: RequestPacer;
  private readonly client: PresenceClient;
  private readonly tokens: ClientCredentialsProvider;

  constructor(private readonly ctx: ConnectorContext<PresenceConfig>) {
    const c = ctx.config;
    this.guard = new LoopGuard(c.publish.echoSettle);
    const app = graphApp({ config: c, clock: ctx.clock, report: ctx.report, budget: { limit: Math.max(1, Math.floor(c.poll.budget.requests * c.poll.budget.share)), windowMs: c.poll.budget.window }, timeoutMs: c.requestTimeout });
    this.tokens = app.tokens;
    this.pacer = app.pacer;
    this.client = new PresenceClient(app.graph);
  }

  async start(): Promise<void> {
    this.running = true;
    this.pacer.resume();
    const { ctx } = this;
    const c = ctx.config;
    await this.tokens.getToken(); // bad credentials fail the start as permanent
    const ids = graphUserIds(ctx);
    // What the hub wrote into Teams, also from another node that ran this connector before (lease):
    // known before the first reading, or the hub's own session would be read as the user's state.
    let persist: (() => Promise<void>) | undefined;
    if (c.publish.enabled) {
      const gs = new GuardState({ guard: this.guard, store: ctx.state, log: ctx.log, report: ctx.report, lifetime: { session: c.publish.expiration, preferred: c.publish.preferredPresence.expiration } });
      // Unreachable store: the start fails as transient and the supervisor retries.
      const n = await gs.load(ids, ctx.clock.now());
      if (n > 0) ctx.log.info({ users: n }, 'loop guard state loaded');
      this.guardState = gs;
      persist = () => gs.save();
    }
    const s = c.subscriptions;
    if (s?.enabled === true) {
      const store = s.tokenStorePath !== undefined ? (i: number) => new FileTokenStore(`${s.tokenStorePath}.${i}`) : () => new MemoryTokenStore();
      const clients = s.refreshTokens
        .split(/[\s,]+/)
        .filter((t) => t !== '')
        .map((rt, i) => {
          const tokens = new RefreshTokenProvider({ tokenEndpoint: c.tokenEndpoint ?? defaultTokenEndpoint(c.tenantId), clientId: c.clientId, clientSecret: c.clientSecret, scope: c.scope ?? defaultScope(c.graphBaseUrl), initialRefreshToken: rt, store: store(i), clock: ctx.clock, maxAgeMs: s.refreshTokenMaxAge });
          this.refreshProviders.push(tokens);
          return new SubscriptionClient(createGraphClient({ baseUrl: c.graphBaseUrl, tokens, pacer: this.pacer, clock: ctx.clock, timeoutMs: c.requestTimeout }), c.graphBaseUrl);
        });
      this.subs = new SubscriptionManager({ clients, config: s, clock: ctx.clock, log: ctx.log, report: ctx.report, active: () => this.running });
      this.subs.setIds(ids);
    }
    const mayShow = (userId: string): GraphPair[] => {
      const person = this.handle === undefined ? undefined : ctx.directory.resolve(`entra:${userId}`);
      return person === undefined ? [] : this.handle!.mayShow(person).map((d) => ({ availability: d.a, activity: d.ac }));
    };
    this.collector = new PresenceCollector({ ctx, client: this.client, guard: this.guard, mayShow, ...(this.subs !== undefined ? { subs: this.subs } : {}), ...(persist !== undefined ? { persist } : {}) });
    if (s?.enabled === true) {
      const collector = this.collector;
      const verifier = new ValidationTokenVerifier({ jwksUrl: s.validationTokens.jwksUrl, appIds: [c.clientId], clock: ctx.clock, ...(s.validationTokens.issuers !== undefined ? { issuers: s.validationTokens.issuers } : {}) });
      // Tracked, so stop() waits for a lifecycle event's subscription request already sent; once
      // stopping, no lifecycle work (it would create or renew a subscription) and no re-read.
      const onNotifications = (items: Parameters<PresenceCollector['onNotifications']>[0]): void => {
        if (this.running) void this.track(collector.onNotifications(items));
      };
      this.listener = new NotificationListener({ host: s.listen.host, port: s.listen.port, clientState: s.clientState, verifier, onNotifications, onRejected: (e) => ctx.report.error(e) });
      await this.listener.start();
    }
    if (c.publish.enabled) {
      if (ctx.publishing === undefined) throw new HubError('HUB_ERR_CONFIG', `${ctx.id}: publish needs the hub's reconciliation (ConnectorContext.publishing)`, { kind: 'permanent' });
      this.publisher = new TeamsTarget({ client: this.client, sessionId: c.clientId, source: ctx.id, config: c.publish, guard: this.guard, clock: ctx.clock, objectIdOf: (person) => this.objectIdOf(person), people: () => this.teamsPeople(), ...(persist !== undefined ? { persist } : {}) });
      // Reconciles at once: what a previous run or another node left in Teams is corrected.
      this.handle = await ctx.publishing.attach(this.publisher);
    }
    this.lastSweep = ctx.clock.now();
    this.cycle = this.track(this.runCycle(true));
    if (this.subs !== undefined) {
      const tick = Math.max(1000, Math.min(60_000, s!.renewBefore / 2));
      this.every(tick, () => this.maintain());
    }
    if (c.poll.enabled || this.subs !== undefined) this.every(c.poll.interval, () => this.runCycle(false));
  }

  private readonly refreshProviders: RefreshTokenProvider[] = [];

  /** People with an `entra:` identity (limited to `users` when configured). */
  private teamsPeople(): string[] {
    const only = this.ctx.config.users !== undefined ? new Set(this.ctx.config.users) : undefined;
    const out: string[] = [];
    for (const p of this.ctx.directory.people()) {
      const id = this.objectIdOf(p.id);
      if (id !== undefined && (only === undefined || only.has(id))) out.push(p.id);
    }
    return out;
  }

  private objectIdOf(person: string): string | undefined {
    const p = this.ctx.directory.person(person);
    const i = p?.identities.find((x) => x.toLowerCase().startsWith('entra:'));
    return i?.slice(6);
  }

  private every(ms: number, fn: () => Promise<void>): void {
    let busy = false;
    const t = setInterval(() => {
      if (busy || !this.running) return;
      busy = true;
      void this.track(fn()).finally(() => {
        busy = false;
      });
    }, ms);
    t.unref?.();
    this.timers.push(t);
  }

  private track(p: Promise<void>): Promise<void> {
    this.inFlight.add(p);
    const done = (): void => void this.inFlight.delete(p);
    p.then(done, done);
    return p;
  }

  /** The subscription manager when subscriptions are enabled (tests of its own passes, which the stop does not wait for). */
  get subscriptionManager(): SubscriptionManager | undefined {
    return this.subs;
  }

  /** The subscription shards (admin and tests): the subscription of each, when it expires, when it is renewed. */
  subscriptionShards(): readonly Readonly<{ index: number; subscriptionId?: string; expiresAt?: number; renewAt?: number; stalled: boolean }>[] {
    return (this.subs?.shards ?? []).map((s) => ({
      index: s.index,
      stalled: s.stalled,
      ...(s.sub !== undefined ? { subscriptionId: s.sub.id, expiresAt: s.sub.expiresAt } : {}),
      ...(s.renewAt !== undefined ? { renewAt: s.renewAt } : {}),
    }));
  }

  /**
   * One maintenance pass (renewals, recreation, refresh-token warnings); a timer runs it, tests call
   * it. stop() waits for a pass under way, which sends no request after the stop began
   * (SubscriptionManager checks before each one); a call meanwhile joins the subscription pass.
   */
  maintain(): Promise<void> {
    if (this.subs === undefined || !this.running) return Promise.resolve();
    return this.track(this.maintainNow(this.subs));
  }

  private async maintainNow(subs: SubscriptionManager): Promise<void> {
    await subs.maintain();
    if (!this.running) return;
    const s = this.ctx.config.subscriptions;
    for (const p of this.refreshProviders) {
      const exp = p.refreshTokenExpiresAt();
      if (s !== undefined && exp !== undefined && exp - this.ctx.clock.now() < s.refreshTokenWarn) {
        this.ctx.report.error(new HubError('HUB_ERR_GRAPH_REFRESH_EXPIRING', `a subscription service account's refresh token expires ${new Date(exp).toISOString()}: sign the account in again`, { kind: 'permanent' }));
      }
    }
  }

  /** One cycle: all users without subscriptions; with them, the uncovered ids, plus a full sweep every `stallAfter`. */
  async runCycle(first: boolean): Promise<void> {
    const collector = this.collector;
    if (collector === undefined) return;
    try {
      if (first && this.subs !== undefined) await this.subs.maintain();
      const all = graphUserIds(this.ctx);
      const now = this.ctx.clock.now();
      let ids = all;
      let sweep = true;
      if (this.subs !== undefined) {
        sweep = first || now - this.lastSweep >= (this.ctx.config.subscriptions?.stallAfter ?? Infinity);
        if (sweep) this.lastSweep = now;
        ids = sweep ? all : this.subs.uncovered();
        if (!this.ctx.config.poll.enabled && !sweep) ids = this.subs.uncovered();
      }
      const r = await collector.poll(ids);
      if (!this.running) return; // stopped meanwhile: what was not sent is no failure
      if (this.subs !== undefined && sweep && !first) this.subs.noteSweepChanges(r.changed);
      if (r.failed === 0) this.ctx.report.ok();
      this.ctx.report.count('poll_cycles');
    } catch (e) {
      if (!isStopped(e)) this.ctx.report.error(e);
    }
  }

  /** Graph requests waiting in the pacer for budget or a Retry-After pause (health and tests). */
  get requestsWaiting(): number {
    return this.pacer.waiting;
  }

  /** Resolves when the first cycle (started by start()) is done; for tests and the demo. */
  async firstCycle(): Promise<void> {
    await this.cycle;
  }

  /** The reconciliation of the Teams writes (tests read its figures and drive its retries). */
  get publishing(): PublishHandle<TeamsState> | undefined {
    return this.handle;
  }

  explainTeams(userId: string): string | undefined {
    return this.publisher?.explain(userId);
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    // Requests waiting for budget or a Retry-After pause are refused, never sent, and so is the
    // next batch of a cycle under way: the cycles end now, not when the pause would have ended.
    this.pacer.cancel();
    // A request already sent when the pacer was cancelled is answered first (a subscription it made
    // or renewed is then known to stopAll below); cycles, maintenance and lifecycle work issue nothing after it.
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    // The clean-up below (delete the subscriptions, clear sessions) goes out if Graph allows it now (RequestPacer.drain).
    this.pacer.drain();
    const steps: (() => Promise<void>)[] = [() => this.listener?.stop() ?? Promise.resolve(), () => this.subs?.stopAll() ?? Promise.resolve(), () => this.handle?.detach() ?? Promise.resolve(), () => this.guardState?.save() ?? Promise.resolve()];
    for (const step of steps) await step().catch((e: unknown) => this.ctx.log.warn(`stopping ${this.ctx.id}: ${errorMessage(e)}`));
    this.listener = undefined;
    this.subs = undefined;
    this.publisher = undefined;
    this.handle = undefined;
    this.collector = undefined;
    this.guardState = undefined;
  }

  /** Bad credentials (permanent) versus an unreachable endpoint (transient). */
  async testConnection(): Promise<TestResult> {
    this.tokens.invalidate();
    await this.tokens.getToken();
    const first = graphUserIds(this.ctx)[0];
    if (first !== undefined) await this.client.getPresences([first]);
    return { ok: true, message: first === undefined ? 'token obtained; no users to read yet' : 'token obtained and presence read' };
  }
}
