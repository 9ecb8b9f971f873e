import { randomBytes, randomUUID } from 'node:crypto';
import type { ConnectorStore } from '../connector/contract.ts';
import type { Directory } from '../directory/directory.ts';
import { HubError, errorMessage } from '../errors.ts';
import type { Presence } from '../model/presence.ts';
import type { Notices } from '../pipeline/ports.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/logger.ts';
import { DestinationPolicy } from '../watch/destination-policy.ts';
import { TriggerDelivery } from './delivery.ts';
import { TriggerEvaluation } from './evaluation.ts';
import { fingerprint, firingId, freshState, mayUse, NEW_STATUS, statusOf, TRIGGER_BACKLOG, type Caller, type Firing, type FiringGap, type Live, type StoredState, type TriggerDef, type TriggerStatus } from './model.ts';
import { TriggerRegistry } from './registry.ts';
import type { TriggerRequest, TriggersConfig } from './trigger-config.ts';

type Condition = Pick<TriggerDef, 'people' | 'team' | 'atLeast' | 'classes' | 'hysteresis'>;

/** What a trigger watches (whom, how many, in which classes, with what hysteresis), from a configured rule or an API request alike. */
function conditionOf(r: Condition): Condition {
  return { ...(r.people !== undefined ? { people: r.people } : {}), ...(r.team !== undefined ? { team: r.team } : {}), atLeast: r.atLeast, classes: r.classes, hysteresis: r.hysteresis };
}

export type { Caller, Firing, FiringGap, TriggerDef, TriggerStatus } from './model.ts';

/**
 * Presence triggers (docs/triggers.md): a quorum condition over people or a team, evaluated on
 * every presence change of a person it names, firing once per transition into the condition with
 * hysteresis (evaluation.ts, condition.ts), delivered as a signed webhook (delivery.ts: the same
 * signing and destination policy as core/watch/webhooks.ts) and/or as an SSE `trigger` event.
 *
 * One node evaluates: the one the hub makes active (embedded mode: the only one; Redis mode: the
 * holder of the `hub:triggers` lease). Everything another node needs is in the shared store
 * (registry.ts). A firing is stored before it is delivered, so a handover does not lose it. The
 * promise is at least once with a stable id (docs/triggers.md "Delivery: at least once"): a holder
 * dying between the receiver's answer and the outbox removal makes the next holder deliver the
 * firing again, with the same `firing` id (also in the x-presence-hub-firing header), which
 * receivers use to drop the repeat; the id is derived from the stored state (model.ts firingId),
 * so two nodes recording one transition during a handover record one outbox entry. This file is the API,
 * the streams of this node and the evaluating node's lifecycle (activate / deactivate).
 */

export interface TriggerDeps {
  directory: () => Directory;
  presence: (people: readonly string[]) => Promise<Presence[]>;
  store: ConnectorStore;
  notices?: Notices;
  clock: Clock;
  log: Logger;
  config: TriggersConfig;
  /** webhooks.maxAttempts: deliveries of one firing before it is dropped. */
  maxAttempts: number;
  timeoutMs: number;
  allowPrivateTargets: readonly string[];
  backoff?: { baseMs: number; maxMs: number };
  pollMs?: number;
}

export class Triggers {
  private readonly live = new Map<string, Live>();
  private readonly config: TriggerDef[];
  private readonly configSecrets = new Map<string, string>();
  private readonly policy: DestinationPolicy;
  private readonly registry: TriggerRegistry;
  private readonly evaluation: TriggerEvaluation;
  private readonly delivery: TriggerDelivery;
  private active = false;
  /** A new object at every activate(), undefined after deactivate(): the registry's writes are made only in the session they were queued in. */
  private session: object | undefined;
  private poller: NodeJS.Timeout | undefined;
  private seenVersion: string | undefined;
  private readonly subscribers = new Set<{ ids: ReadonlySet<string>; send: (f: Firing) => void; restarted: (id: string) => void }>();
  /** The latest firing of each trigger this node's streams were given. */
  private readonly seenFiring = new Map<string, Firing>();
  private fanning: Promise<void> = Promise.resolve();
  private unsubs: (() => void)[] = [];
  private lastDir: Directory | undefined;

  constructor(private readonly deps: TriggerDeps) {
    this.policy = new DestinationPolicy(deps.allowPrivateTargets);
    const at = deps.clock.now();
    this.config = deps.config.rules.map((r) => {
      if (r.action.type === 'webhook') this.configSecrets.set(r.id, r.action.secret);
      const d: TriggerDef = {
        id: r.id,
        origin: 'config',
        ...conditionOf(r),
        action: r.action.type === 'webhook' ? { type: 'webhook', url: r.action.url } : { type: 'sse' },
        watcherOwned: false,
        createdAt: at,
      };
      return d;
    });
    this.registry = new TriggerRegistry({ store: deps.store, clock: deps.clock, log: deps.log, config: this.config, configSecrets: this.configSecrets, session: () => this.session });
    this.evaluation = new TriggerEvaluation({ directory: deps.directory, presence: deps.presence });
    this.delivery = new TriggerDelivery({
      store: deps.store,
      policy: this.policy,
      clock: deps.clock,
      log: deps.log,
      timeoutMs: deps.timeoutMs,
      maxAttempts: deps.maxAttempts,
      ...(deps.backoff !== undefined ? { backoff: deps.backoff } : {}),
      current: (t) => this.active && this.live.get(t.def.id) === t,
    });
  }

  // --- every node: registry, API, streams --------------------------------------------------------

  /** Follows the firings (for this node's streams) and the registry; call once at hub start. */
  async start(): Promise<void> {
    for (const [id, f] of await this.registry.latest()) this.seenFiring.set(id, f);
    if (this.deps.notices !== undefined) {
      this.unsubs.push(this.deps.notices.subscribe('triggers:fired', () => void this.fanOut()));
      this.unsubs.push(this.deps.notices.subscribe('triggers', () => void this.sync()));
    }
  }

  /** A trigger by id as `caller` may see it: undefined when absent, expired or someone else's. */
  async get(id: string, caller: Caller): Promise<TriggerStatus | undefined> {
    const all = await this.registry.load();
    const t = all.find((x) => x.def.id === id);
    return t !== undefined && mayUse(t.def, caller) ? statusOf(t) : undefined;
  }

  async list(caller: Caller): Promise<TriggerStatus[]> {
    return (await this.registry.load()).filter((t) => mayUse(t.def, caller)).map((t) => statusOf(t));
  }

  /**
   * Creates an API trigger. The condition's state now is recorded without firing (a condition
   * already true at creation fires only after it was false and came back: docs/triggers.md), then
   * the evaluating node adopts it. The route has checked who may name whom.
   */
  async create(req: TriggerRequest, caller: Caller): Promise<{ status: TriggerStatus; secret?: string }> {
    if (req.action.type === 'webhook') await this.policy.checkUrl(req.action.url, req.id !== undefined ? `action.url: trigger ${req.id}` : 'action.url');
    const now = this.deps.clock.now();
    const w = this.deps.config.watchers;
    const all = await this.registry.load();
    if (caller.admin) {
      if (req.id !== undefined && (all.some((t) => t.def.id === req.id) || this.config.some((t) => t.id === req.id))) {
        throw new HubError('HUB_ERR_TRIGGER_EXISTS', `id: a trigger ${req.id} exists already`, { status: 409 });
      }
    } else {
      const mine = all.filter((t) => t.def.owner === caller.key).length;
      if (mine >= w.maxPerKey) throw new HubError('HUB_ERR_TOO_MANY_TRIGGERS', `key ${caller.key} already owns ${mine} triggers (limit triggers.watchers.maxPerKey = ${w.maxPerKey}); delete one first`, { status: 429 });
      if (req.expiresIn !== undefined && req.expiresIn > w.maxExpiry) {
        throw new HubError('HUB_ERR_INVALID_REQUEST', `expiresIn: at most ${w.maxExpiry / 1000} s (triggers.watchers.maxExpiry)`, { status: 400 });
      }
    }
    const expiresIn = req.expiresIn ?? (caller.admin ? undefined : w.expiry);
    const def: TriggerDef = {
      id: caller.admin && req.id !== undefined ? req.id : randomUUID(),
      origin: 'api',
      ...conditionOf(req),
      action: req.action,
      ...(caller.admin ? {} : { owner: caller.key }),
      ...(!caller.admin && caller.person !== undefined ? { watcher: caller.person } : {}),
      watcherOwned: !caller.admin,
      createdAt: now,
      ...(expiresIn !== undefined ? { expiresAt: now + expiresIn } : {}),
    };
    const secret = def.action.type === 'webhook' ? randomBytes(32).toString('base64url') : undefined;
    // The condition now, from the stored presence (this node may not be the one evaluating).
    const current = new Map((await this.deps.presence(this.evaluation.members(def))).map((p) => [p.person, p]));
    const state: StoredState = freshState(def, this.evaluation.evaluate(def, current).met);
    if (this.active) await this.evaluation.ensurePresence(def);
    await this.registry.add(def, secret, state, NEW_STATUS);
    const t: Live = { def, ...(secret !== undefined ? { secret } : {}), state, fresh: false, status: NEW_STATUS, recent: [] };
    if (this.active) this.adopt(t);
    await this.deps.notices?.publish('triggers').catch(() => undefined);
    return { status: statusOf(t), ...(secret !== undefined ? { secret } : {}) };
  }

  /** Deletes an API trigger `caller` may use; false when there is none (configured ones stay). */
  async delete(id: string, caller: Caller): Promise<boolean> {
    const t = (await this.registry.load()).find((x) => x.def.id === id);
    if (t === undefined || t.def.origin !== 'api' || !mayUse(t.def, caller)) return false;
    await this.remove(id);
    return true;
  }

  /** Whether a configured trigger `id` exists (a DELETE of it is refused, not "not found"). */
  isConfigured(id: string): boolean {
    return this.config.some((t) => t.id === id);
  }

  /**
   * This node's SSE streams: firings of `ids` (the route checked the caller may use them) from now
   * on. With `resume` (the stream reconnected with Last-Event-ID), first what the stream missed
   * (docs/triggers.md "SSE"): when the stream carries one trigger and nothing else, the kept
   * firings after that number (a `gap` first when some of them are no longer kept); otherwise the
   * id cannot say which trigger it belongs to, and each trigger that has fired gets a `gap`.
   * Firings that come while the backlog is read wait and are sent after it. None is sent at or
   * below the number the stream already has of its trigger (`floor`: the highest sent, or the
   * Last-Event-ID of a stream of one trigger): this node's fan-out, lagging behind the node the
   * client got a firing from (or behind the backlog just replayed), may hand it over later. The
   * floor is cleared when the fan-out sees the trigger's count start again (a changed condition).
   */
  async subscribe(ids: ReadonlySet<string>, sink: { firing: (f: Firing) => void; gap: (g: FiringGap) => void }, resume?: { lastEventId: string; withPresence: boolean }): Promise<() => void> {
    const floor = new Map<string, number>();
    const deliver = (f: Firing) => {
      const had = floor.get(f.trigger);
      if (had !== undefined && f.seq <= had) return;
      floor.set(f.trigger, f.seq);
      sink.firing(f);
    };
    let waiting: Firing[] | undefined = resume === undefined ? undefined : [];
    const s = { ids, send: (f: Firing) => (waiting !== undefined ? waiting.push(f) : deliver(f)), restarted: (id: string) => floor.delete(id) };
    this.subscribers.add(s);
    if (resume !== undefined) {
      await this.catchUp(ids, resume, { firing: deliver, gap: sink.gap }, floor);
      const queued = waiting!;
      waiting = undefined;
      for (const f of queued) deliver(f);
    }
    return () => this.subscribers.delete(s);
  }

  /** The backlog part of subscribe(): sends what the stream missed, and sets its floor from its Last-Event-ID. */
  private async catchUp(ids: ReadonlySet<string>, resume: { lastEventId: string; withPresence: boolean }, sink: { firing: (f: Firing) => void; gap: (g: FiringGap) => void }, floor: Map<string, number>): Promise<void> {
    const n = /^\d{1,15}$/.test(resume.lastEventId.trim()) ? Number(resume.lastEventId.trim()) : undefined;
    const exact = ids.size === 1 && !resume.withPresence && n !== undefined;
    let backlog: Awaited<ReturnType<TriggerRegistry['backlog']>>;
    try {
      backlog = await this.registry.backlog([...ids]);
    } catch (e) {
      this.deps.log.warn({ err: errorMessage(e) }, 'trigger backlog not read; the stream is told to re-read');
      for (const id of ids) sink.gap({ trigger: id, after: exact ? n! : null });
      if (exact) floor.set([...ids][0]!, n!);
      return;
    }
    for (const id of ids) {
      const b = backlog.get(id)!;
      const gap: FiringGap = { trigger: id, after: exact ? n! : null, fired: b.fired, ...(b.lastFiredAt !== undefined ? { lastFiredAt: new Date(b.lastFiredAt).toISOString() } : {}) };
      if (!exact) {
        if (b.fired > 0) sink.gap(gap);
        continue;
      }
      // The client has the firings up to n; when the count started again since (a changed
      // condition) only those up to the count now are known to be past.
      floor.set(id, Math.min(n!, b.fired));
      if (n! >= b.fired) {
        // Nothing newer, unless the count started again: then re-read.
        if (n! > b.fired) sink.gap(gap);
        continue;
      }
      const missed = b.firings.filter((f) => f.seq > n!);
      if (missed[0] === undefined || missed[0].seq > n! + 1) sink.gap(gap);
      for (const f of missed) sink.firing(f);
    }
  }

  /** Reads the latest firings and sends the new ones to this node's streams (one run at a time). */
  private fanOut(): Promise<void> {
    this.fanning = this.fanning.then(() => this.fanOutNow());
    return this.fanning;
  }

  /**
   * Every firing after the one last given to the streams: the latest, and when more than one came
   * since (two firings between notices), the ones between from the trigger's log.
   */
  private async fanOutNow(): Promise<void> {
    try {
      for (const [id, f] of await this.registry.latest()) {
        const seen = this.seenFiring.get(id);
        if (f.firing === seen?.firing) continue;
        this.seenFiring.set(id, f);
        if (this.subscribers.size === 0) continue;
        // A firing numbered at or below the one seen before: the count started again (a changed condition).
        if (seen !== undefined && f.seq <= seen.seq) for (const s of this.subscribers) if (s.ids.has(id)) s.restarted(id);
        let news = [f];
        if (seen !== undefined && f.seq > seen.seq + 1) {
          const between = (await this.registry.log(id)).filter((x) => x.seq > seen.seq && x.seq <= f.seq);
          if (between.at(-1)?.firing === f.firing) news = between;
        }
        for (const x of news) for (const s of this.subscribers) if (s.ids.has(id)) s.send(x);
      }
    } catch (e) {
      this.deps.log.debug({ err: errorMessage(e) }, 'trigger firings not read; retrying at the next notice');
    }
  }

  private async remove(id: string): Promise<void> {
    await this.registry.remove(id);
    this.live.delete(id);
    this.seenFiring.delete(id);
    await this.deps.notices?.publish('triggers').catch(() => undefined);
  }

  // --- the evaluating node ----------------------------------------------------------------------

  /** Becomes the node that evaluates and delivers (embedded: at start; Redis: holding the lease). */
  async activate(): Promise<void> {
    if (this.active) return;
    this.active = true;
    this.session = {};
    this.lastDir = this.deps.directory();
    await this.sync();
    for (const [k, f] of await this.registry.outbox()) {
      const t = f === undefined ? undefined : this.live.get(f.trigger);
      if (f !== undefined && t !== undefined) this.delivery.deliver(t, f, k, 0);
      else await this.registry.drop([k]);
    }
    this.poller = setInterval(() => void this.poll(), this.deps.pollMs ?? 2000);
    this.poller.unref?.();
  }

  /**
   * A clean stop while this node still evaluates (embedded, or still holding the lease): the writes
   * it queued (a firing, a trigger's state) are made before it lets go, waiting at most `ms`. Without
   * this a firing recorded in memory just before the stop was dropped with the session, and the next
   * start read the state from before it. Not for a lost lease: there the next holder goes on from
   * what was stored, and deactivate() drops what is queued.
   */
  async flush(ms = 5000): Promise<void> {
    if (!this.active) return;
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((r) => {
      timer = setTimeout(r, ms);
      timer.unref?.();
    });
    await Promise.race([this.registry.settled(), bound]);
    clearTimeout(timer);
  }

  /** Stops evaluating (the lease went elsewhere); undelivered firings stay in the outbox for the next holder. */
  deactivate(): void {
    this.active = false;
    this.session = undefined;
    if (this.poller !== undefined) clearInterval(this.poller);
    this.poller = undefined;
    this.delivery.clear();
    this.live.clear();
    this.evaluation.known.clear();
  }

  /** A presence change (hub dispatch): re-evaluates the triggers that name the person. */
  onChange(p: Presence): void {
    if (!this.active) return;
    if (this.deps.directory() !== this.lastDir) return this.directoryChanged(p);
    this.evaluation.known.set(p.person, p);
    const at = this.deps.clock.now();
    for (const t of this.live.values()) if (this.evaluation.names(t.def, p.person)) this.step(t, at);
  }

  /** Team memberships or relationships changed: every trigger is evaluated again. */
  directoryChanged(p?: Presence): void {
    if (p !== undefined) this.evaluation.known.set(p.person, p);
    if (!this.active || this.deps.directory() === this.lastDir) return;
    this.lastDir = this.deps.directory();
    void (async () => {
      for (const t of this.live.values()) await this.evaluation.ensurePresence(t.def);
      const at = this.deps.clock.now();
      for (const t of this.live.values()) this.step(t, at);
    })().catch((e: unknown) => this.deps.log.warn({ err: errorMessage(e) }, 'triggers not re-evaluated after a directory change'));
  }

  /** Adopts the stored triggers this node does not evaluate yet, and drops removed or expired ones. */
  private async sync(): Promise<void> {
    if (!this.active) return;
    try {
      this.seenVersion = await this.registry.version();
      const all = await this.registry.load();
      const ids = new Set(all.map((t) => t.def.id));
      for (const id of [...this.live.keys()]) if (!ids.has(id)) this.live.delete(id);
      for (const t of all) {
        if (this.live.has(t.def.id)) continue;
        await this.evaluation.ensurePresence(t.def);
        if (!this.active) return;
        if (t.fresh) {
          // No state stored yet: the first one stored (by this node or another adopting it at
          // once) gives the epoch, so every node computes the same firing ids.
          t.state = { ...t.state, met: this.evaluation.evaluate(t.def).met };
          await this.registry.claim(t).catch((e: unknown) => this.deps.log.warn({ trigger: t.def.id, err: errorMessage(e) }, `trigger ${t.def.id}: first state not claimed; starting from this node's`));
          if (!this.active) return;
        }
        this.adopt(t); // adopt() skips one adopted meanwhile
      }
    } catch (e) {
      this.deps.log.warn({ err: errorMessage(e) }, 'trigger registry not read; retrying');
    }
  }

  /**
   * Starts evaluating a trigger. A stored state of the same condition goes on (a transition while
   * no node evaluated fires now, once); none, or one of another condition, starts from the
   * condition's value now, without firing.
   */
  private adopt(t: Live): void {
    if (this.live.has(t.def.id)) return;
    const fp = fingerprint(t.def);
    const stored = t.state;
    this.live.set(t.def.id, t);
    if (t.fresh || stored.fp !== fp) {
      const met = this.evaluation.evaluate(t.def).met;
      t.state = stored.fp === fp ? { met, fp, fired: stored.fired, ...(stored.epoch !== undefined ? { epoch: stored.epoch } : {}) } : freshState(t.def, met);
      t.fresh = false;
      const entries: [string, string][] = [[`state:${t.def.id}`, JSON.stringify(t.state)]];
      if (stored.fp !== fp) {
        // The count starts again: the kept firings of the old condition would be numbered alike.
        t.recent = [];
        entries.push([`log:${t.def.id}`, '[]']);
      }
      this.registry.persist(entries);
      return;
    }
    this.step(t, this.deps.clock.now());
  }

  /** Re-evaluates one trigger: stores its new state, and on a firing stores, announces and delivers it. */
  private step(t: Live, at: number): void {
    const r = this.evaluation.transition(t, at);
    if (r === undefined) return;
    const { next, counted } = r;
    t.state = next;
    if (!r.fire) {
      this.registry.persist([[`state:${t.def.id}`, JSON.stringify(next)]]);
      return;
    }
    const f: Firing = { trigger: t.def.id, firing: firingId(t.def.id, next, next.fired), at: new Date(at).toISOString(), people: counted, seq: next.fired };
    const outKey = `out:${t.def.id}:${f.firing}`;
    t.recent = [...t.recent, f].slice(-TRIGGER_BACKLOG);
    const entries: [string, string][] = [
      [`state:${t.def.id}`, JSON.stringify(next)],
      [`last:${t.def.id}`, JSON.stringify(f)],
      [`log:${t.def.id}`, JSON.stringify(t.recent)],
    ];
    if (t.def.action.type === 'webhook') entries.push([outKey, JSON.stringify(f)]);
    this.deps.log.info({ trigger: t.def.id, seq: f.seq }, `trigger ${t.def.id} fired`);
    // Stored first (the outbox), then announced and delivered.
    this.registry.persist(entries, async () => {
      if (this.deps.notices !== undefined) await this.deps.notices.publish('triggers:fired').catch(() => this.fanOut());
      else await this.fanOut();
      if (t.def.action.type === 'webhook' && this.active) this.delivery.deliver(t, f, outKey, 0);
    });
  }

  /** Picks up triggers created on other nodes (a lost notice), sweeps expired ones, notices team changes. */
  private async poll(): Promise<void> {
    if (!this.active) return;
    try {
      if (this.deps.directory() !== this.lastDir) this.directoryChanged();
      const now = this.deps.clock.now();
      for (const t of [...this.live.values()]) if (t.def.expiresAt !== undefined && t.def.expiresAt <= now) await this.remove(t.def.id);
      const version = await this.registry.version();
      if (version !== this.seenVersion) await this.sync();
    } catch (e) {
      this.deps.log.debug({ err: errorMessage(e) }, 'trigger registry check failed; retrying');
    }
  }

  close(): void {
    this.deactivate();
    for (const u of this.unsubs) u();
    this.unsubs = [];
    this.subscribers.clear();
  }
}
