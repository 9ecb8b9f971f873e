import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { ConnectorStore } from '../connector/contract.ts';
import { backoffDelay } from '../connector/backoff.ts';
import type { Directory } from '../directory/directory.ts';
import { HubError, errorMessage } from '../errors.ts';
import { AVAILABILITY_CLASSES, type AvailabilityClass } from '../model/availability.ts';
import { offlinePresence, viewFor, type Presence } from '../model/presence.ts';
import type { Notices } from '../pipeline/ports.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/logger.ts';
import { DestinationPolicy } from '../watch/destination-policy.ts';
import { deliverSigned } from '../watch/webhooks.ts';
import { INITIAL, satisfied, step, type TriggerState } from './condition.ts';
import type { TriggerRequest, TriggersConfig } from './trigger-config.ts';
import { parseStored } from '../util/stored-json.ts';

/**
 * Presence triggers (docs/triggers.md): a quorum condition over people or a team, evaluated on
 * every presence change of a person it names, firing once per transition into the condition with
 * hysteresis (condition.ts), delivered as a signed webhook (the same signing and destination
 * policy as core/watch/webhooks.ts) and/or as an SSE `trigger` event.
 *
 * One node evaluates: the one the hub makes active (embedded mode: the only one; Redis mode: the
 * holder of the `hub:triggers` lease). Everything another node needs is in the shared `store`:
 * the API triggers (`def:`), each trigger's condition state (`state:`), firings whose webhook is not
 * delivered yet (`out:`, an outbox: a node that takes the lease over delivers them), the latest
 * firing (`last:`, which every node's SSE streams read after a notice) and the delivery status
 * (`status:`). A firing is stored before it is delivered, so a handover neither loses nor repeats
 * it; only a holder dying between the receiver's answer and the outbox removal repeats one, with
 * the same `firing` id, which receivers use to drop the repeat.
 */

export interface TriggerDef {
  readonly id: string;
  readonly origin: 'config' | 'api';
  readonly people?: readonly string[];
  readonly team?: string;
  readonly atLeast: number;
  readonly classes: readonly AvailabilityClass[];
  readonly hysteresis: number;
  readonly action: { readonly type: 'webhook'; readonly url: string } | { readonly type: 'sse' };
  /** The API key that created it when a watcher did: only it (and admins) list, stream and delete it. */
  readonly owner?: string;
  /** A watcher's trigger sees as this person (undefined: as nobody, the public container). */
  readonly watcher?: string;
  readonly watcherOwned: boolean;
  readonly createdAt: number;
  readonly expiresAt?: number;
}

/** What GET /v1/triggers shows of a trigger. */
export interface TriggerStatus {
  readonly id: string;
  readonly origin: 'config' | 'api';
  readonly people?: string[];
  readonly team?: string;
  readonly atLeast: number;
  readonly classes: AvailabilityClass[];
  /** Seconds. */
  readonly hysteresis: number;
  readonly action: { type: 'webhook'; url: string } | { type: 'sse' };
  readonly owner?: string;
  readonly createdAt: string;
  readonly expiresAt?: string;
  /** Whether the condition held at the last evaluation. */
  readonly met: boolean;
  readonly fired: number;
  readonly lastFiredAt?: string;
  readonly delivered: number;
  readonly failures: number;
  readonly lastError?: string;
}

/** One firing: the webhook body's fields and the SSE event's data. */
export interface Firing {
  readonly trigger: string;
  /** Unique per firing: a receiver drops a repeat it already saw. */
  readonly firing: string;
  readonly at: string;
  /** Who counted towards the condition at that moment (as the trigger's owner sees them). */
  readonly people: string[];
  /** The firing's number for this trigger (1, 2, ...): the SSE event id. */
  readonly seq: number;
}

const defSchema = z.object({
  id: z.string(),
  people: z.array(z.string()).optional(),
  team: z.string().optional(),
  atLeast: z.number(),
  classes: z.array(z.enum(AVAILABILITY_CLASSES)),
  hysteresis: z.number(),
  action: z.union([z.object({ type: z.literal('webhook'), url: z.string() }), z.object({ type: z.literal('sse') })]),
  owner: z.string().optional(),
  watcher: z.string().optional(),
  watcherOwned: z.boolean(),
  createdAt: z.number(),
  expiresAt: z.number().optional(),
  secret: z.string().optional(),
});
const stateSchema = z.object({ met: z.boolean(), falseSince: z.number().optional(), fp: z.string(), fired: z.number(), lastFiredAt: z.number().optional() });
const statusSchema = z.object({ delivered: z.number(), failures: z.number(), lastError: z.string().optional() });
const firingSchema = z.object({ trigger: z.string(), firing: z.string(), at: z.string(), people: z.array(z.string()), seq: z.number() });
type StoredState = z.infer<typeof stateSchema>;
type StoredStatus = z.infer<typeof statusSchema>;

interface Live {
  def: TriggerDef;
  secret?: string;
  state: StoredState;
  /** No state was stored for it yet (a configured trigger's first start). */
  fresh: boolean;
  status: StoredStatus;
}

const NEW_STATUS: StoredStatus = { delivered: 0, failures: 0 };

/** Changes when what decides the condition changes: stored state of another condition is not reused. */
function fingerprint(d: TriggerDef): string {
  return createHash('sha256')
    .update(JSON.stringify([d.people ?? null, d.team ?? null, d.atLeast, d.classes, d.watcher ?? null, d.watcherOwned]))
    .digest('base64url')
    .slice(0, 16);
}

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
  private readonly known = new Map<string, Presence>();
  private readonly policy: DestinationPolicy;
  private active = false;
  private chain: Promise<void> = Promise.resolve();
  private timers = new Set<NodeJS.Timeout>();
  private poller: NodeJS.Timeout | undefined;
  private seenVersion: string | undefined;
  private readonly subscribers = new Set<{ ids: ReadonlySet<string>; send: (f: Firing) => void }>();
  private readonly seenFiring = new Map<string, string>();
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
        ...(r.people !== undefined ? { people: r.people } : {}),
        ...(r.team !== undefined ? { team: r.team } : {}),
        atLeast: r.atLeast,
        classes: r.classes,
        hysteresis: r.hysteresis,
        action: r.action.type === 'webhook' ? { type: 'webhook', url: r.action.url } : { type: 'sse' },
        watcherOwned: false,
        createdAt: at,
      };
      return d;
    });
  }

  // --- every node: registry, API, streams --------------------------------------------------------

  /** Follows the firings (for this node's streams) and the registry; call once at hub start. */
  async start(): Promise<void> {
    for (const [k, v] of await this.deps.store.entries('last:')) {
      const f = parseStored(firingSchema, v);
      if (f !== undefined) this.seenFiring.set(k.slice(5), f.firing);
    }
    if (this.deps.notices !== undefined) {
      this.unsubs.push(this.deps.notices.subscribe('triggers:fired', () => void this.fanOut()));
      this.unsubs.push(this.deps.notices.subscribe('triggers', () => void this.sync()));
    }
  }

  /** A trigger by id as `caller` may see it: undefined when absent, expired or someone else's. */
  async get(id: string, caller: Caller): Promise<TriggerStatus | undefined> {
    const all = await this.load();
    const t = all.find((x) => x.def.id === id);
    return t !== undefined && mayUse(t.def, caller) ? this.statusOf(t) : undefined;
  }

  async list(caller: Caller): Promise<TriggerStatus[]> {
    return (await this.load()).filter((t) => mayUse(t.def, caller)).map((t) => this.statusOf(t));
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
    const all = await this.load();
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
      ...(req.people !== undefined ? { people: req.people } : {}),
      ...(req.team !== undefined ? { team: req.team } : {}),
      atLeast: req.atLeast,
      classes: req.classes,
      hysteresis: req.hysteresis,
      action: req.action,
      ...(caller.admin ? {} : { owner: caller.key }),
      ...(!caller.admin && caller.person !== undefined ? { watcher: caller.person } : {}),
      watcherOwned: !caller.admin,
      createdAt: now,
      ...(expiresIn !== undefined ? { expiresAt: now + expiresIn } : {}),
    };
    const secret = def.action.type === 'webhook' ? randomBytes(32).toString('base64url') : undefined;
    // The condition now, from the stored presence (this node may not be the one evaluating).
    const current = new Map((await this.deps.presence(this.members(def))).map((p) => [p.person, p]));
    const state: StoredState = { met: this.evaluate(def, current).met, fp: fingerprint(def), fired: 0 };
    if (this.active) await this.ensurePresence(def);
    await this.deps.store.set([
      [`def:${def.id}`, JSON.stringify({ ...def, ...(secret !== undefined ? { secret } : {}) })],
      [`state:${def.id}`, JSON.stringify(state)],
      [`status:${def.id}`, JSON.stringify(NEW_STATUS)],
      ['version', randomUUID()],
    ]);
    const t: Live = { def, ...(secret !== undefined ? { secret } : {}), state, fresh: false, status: NEW_STATUS };
    if (this.active) this.adopt(t);
    await this.deps.notices?.publish('triggers').catch(() => undefined);
    return { status: this.statusOf(t), ...(secret !== undefined ? { secret } : {}) };
  }

  /** Deletes an API trigger `caller` may use; false when there is none (configured ones stay). */
  async delete(id: string, caller: Caller): Promise<boolean> {
    const t = (await this.load()).find((x) => x.def.id === id);
    if (t === undefined || t.def.origin !== 'api' || !mayUse(t.def, caller)) return false;
    await this.remove(id);
    return true;
  }

  /** Whether a configured trigger `id` exists (a DELETE of it is refused, not "not found"). */
  isConfigured(id: string): boolean {
    return this.config.some((t) => t.id === id);
  }

  /** This node's SSE streams: firings of `ids` (the route checked the caller may use them). */
  subscribe(ids: ReadonlySet<string>, send: (f: Firing) => void): () => void {
    const s = { ids, send };
    this.subscribers.add(s);
    return () => this.subscribers.delete(s);
  }

  /** Reads the latest firings and sends the new ones to this node's streams. */
  private async fanOut(): Promise<void> {
    if (this.subscribers.size === 0) return;
    try {
      for (const [k, v] of await this.deps.store.entries('last:')) {
        const f = parseStored(firingSchema, v);
        const id = k.slice(5);
        if (f === undefined || f.firing === this.seenFiring.get(id)) continue;
        this.seenFiring.set(id, f.firing);
        for (const s of this.subscribers) if (s.ids.has(id)) s.send(f);
      }
    } catch (e) {
      this.deps.log.debug({ err: errorMessage(e) }, 'trigger firings not read; retrying at the next notice');
    }
  }

  /** Config triggers and the stored API ones, expired ones left out. */
  private async load(): Promise<Live[]> {
    const entries = await this.deps.store.entries('');
    const now = this.deps.clock.now();
    const out: Live[] = [];
    const stateOf = (id: string) => parseStored(stateSchema, entries.get(`state:${id}`));
    const statusOf = (id: string) => parseStored(statusSchema, entries.get(`status:${id}`)) ?? NEW_STATUS;
    for (const def of this.config) {
      const st = stateOf(def.id);
      out.push({ def, ...(this.configSecrets.has(def.id) ? { secret: this.configSecrets.get(def.id)! } : {}), state: st ?? { met: false, fp: fingerprint(def), fired: 0 }, fresh: st === undefined, status: statusOf(def.id) });
    }
    const api: Live[] = [];
    for (const [k, v] of entries) {
      if (!k.startsWith('def:')) continue;
      const raw = parseStored(defSchema, v);
      if (raw === undefined || (raw.expiresAt !== undefined && raw.expiresAt <= now)) continue;
      const { secret, ...rest } = raw;
      const def = { ...rest, origin: 'api' } as TriggerDef;
      const st = stateOf(def.id);
      api.push({ def, ...(secret !== undefined ? { secret } : {}), state: st ?? { met: false, fp: fingerprint(def), fired: 0 }, fresh: st === undefined, status: statusOf(def.id) });
    }
    return [...out, ...api.sort((a, b) => a.def.createdAt - b.def.createdAt)];
  }

  private async remove(id: string): Promise<void> {
    const outs = [...(await this.deps.store.entries(`out:${id}:`)).keys()];
    await this.deps.store.delete([`def:${id}`, `state:${id}`, `status:${id}`, `last:${id}`, ...outs]);
    await this.deps.store.set([['version', randomUUID()]]);
    this.live.delete(id);
    this.seenFiring.delete(id);
    await this.deps.notices?.publish('triggers').catch(() => undefined);
  }

  private statusOf(t: Live): TriggerStatus {
    const d = t.def;
    const s: { -readonly [K in keyof TriggerStatus]: TriggerStatus[K] } = {
      id: d.id,
      origin: d.origin,
      atLeast: d.atLeast,
      classes: [...d.classes],
      hysteresis: d.hysteresis / 1000,
      action: d.action.type === 'webhook' ? { type: 'webhook', url: d.action.url } : { type: 'sse' },
      createdAt: new Date(d.createdAt).toISOString(),
      met: t.state.met,
      fired: t.state.fired,
      delivered: t.status.delivered,
      failures: t.status.failures,
    };
    if (d.people !== undefined) s.people = [...d.people];
    if (d.team !== undefined) s.team = d.team;
    if (d.owner !== undefined) s.owner = d.owner;
    if (d.expiresAt !== undefined) s.expiresAt = new Date(d.expiresAt).toISOString();
    if (t.state.lastFiredAt !== undefined) s.lastFiredAt = new Date(t.state.lastFiredAt).toISOString();
    if (t.status.lastError !== undefined) s.lastError = t.status.lastError;
    return s;
  }

  // --- the evaluating node ----------------------------------------------------------------------

  /** Becomes the node that evaluates and delivers (embedded: at start; Redis: holding the lease). */
  async activate(): Promise<void> {
    if (this.active) return;
    this.active = true;
    this.lastDir = this.deps.directory();
    await this.sync();
    for (const [k, v] of await this.deps.store.entries('out:')) {
      const f = parseStored(firingSchema, v);
      const t = f === undefined ? undefined : this.live.get(f.trigger);
      if (f !== undefined && t !== undefined) this.deliver(t, f, k, 0);
      else await this.deps.store.delete([k]);
    }
    this.poller = setInterval(() => void this.poll(), this.deps.pollMs ?? 2000);
    this.poller.unref?.();
  }

  /** Stops evaluating (the lease went elsewhere); undelivered firings stay in the outbox for the next holder. */
  deactivate(): void {
    this.active = false;
    if (this.poller !== undefined) clearInterval(this.poller);
    this.poller = undefined;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.live.clear();
    this.known.clear();
  }

  /** A presence change (hub dispatch): re-evaluates the triggers that name the person. */
  onChange(p: Presence): void {
    if (!this.active) return;
    if (this.deps.directory() !== this.lastDir) return this.directoryChanged(p);
    this.known.set(p.person, p);
    const at = this.deps.clock.now();
    for (const t of this.live.values()) if (this.names(t.def, p.person)) this.step(t, at);
  }

  /** Team memberships or relationships changed: every trigger is evaluated again. */
  directoryChanged(p?: Presence): void {
    if (!this.active || this.deps.directory() === this.lastDir) {
      if (p !== undefined) this.known.set(p.person, p);
      return;
    }
    this.lastDir = this.deps.directory();
    if (p !== undefined) this.known.set(p.person, p);
    void (async () => {
      for (const t of this.live.values()) await this.ensurePresence(t.def);
      const at = this.deps.clock.now();
      for (const t of this.live.values()) this.step(t, at);
    })().catch((e: unknown) => this.deps.log.warn({ err: errorMessage(e) }, 'triggers not re-evaluated after a directory change'));
  }

  private names(d: TriggerDef, person: string): boolean {
    if (d.people !== undefined) return d.people.includes(person);
    return this.deps.directory().person(person)?.teams.includes(d.team!) ?? false;
  }

  private members(d: TriggerDef): readonly string[] {
    if (d.people !== undefined) return d.people;
    const out: string[] = [];
    for (const p of this.deps.directory().people()) if (p.teams.includes(d.team!)) out.push(p.id);
    return out;
  }

  /** The class of `person` as the trigger's owner sees it (a watcher's container view; blocked: offline). */
  private classOf(d: TriggerDef, person: string, known: ReadonlyMap<string, Presence> = this.known): AvailabilityClass {
    const dir = this.deps.directory();
    if (!dir.has(person)) return 'offline';
    const p = known.get(person) ?? offlinePresence(person, dir.loadedAt);
    return d.watcherOwned ? viewFor(p, dir.containerFor(d.watcher, person), dir.loadedAt).class : p.class;
  }

  private evaluate(d: TriggerDef, known: ReadonlyMap<string, Presence> = this.known): { met: boolean; counted: string[] } {
    const people = this.members(d);
    const counted = people.filter((p) => d.classes.includes(this.classOf(d, p, known)));
    return { met: people.length >= d.atLeast && satisfied({ people: [...people], atLeast: d.atLeast, classes: [...d.classes] }, (p) => this.classOf(d, p, known)), counted };
  }

  private async ensurePresence(d: TriggerDef): Promise<void> {
    const missing = this.members(d).filter((p) => !this.known.has(p));
    for (let i = 0; i < missing.length; i += 2000) for (const p of await this.deps.presence(missing.slice(i, i + 2000))) if (!this.known.has(p.person)) this.known.set(p.person, p);
  }

  /** Adopts the stored triggers this node does not evaluate yet, and drops removed or expired ones. */
  private async sync(): Promise<void> {
    if (!this.active) return;
    try {
      this.seenVersion = (await this.deps.store.get(['version'])).get('version');
      const all = await this.load();
      const ids = new Set(all.map((t) => t.def.id));
      for (const id of [...this.live.keys()]) if (!ids.has(id)) this.live.delete(id);
      for (const t of all) {
        if (this.live.has(t.def.id)) continue;
        await this.ensurePresence(t.def);
        if (!this.active) return;
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
      t.state = { met: this.evaluate(t.def).met, fp, fired: stored.fp === fp ? stored.fired : 0 };
      t.fresh = false;
      this.persist([[`state:${t.def.id}`, JSON.stringify(t.state)]]);
      return;
    }
    this.step(t, this.deps.clock.now());
  }

  private step(t: Live, at: number): void {
    if (t.def.expiresAt !== undefined && t.def.expiresAt <= at) return;
    const { met, counted } = this.evaluate(t.def);
    const before: TriggerState = t.state.falseSince !== undefined ? { met: t.state.met, falseSince: t.state.falseSince } : t.state.met ? { met: true } : INITIAL;
    const r = step(before, met, at, t.def.hysteresis);
    if (r.state === before) return;
    const next: StoredState = { ...t.state, met: r.state.met };
    if (r.state.falseSince !== undefined) next.falseSince = r.state.falseSince;
    else delete next.falseSince;
    if (!r.fire) {
      t.state = next;
      this.persist([[`state:${t.def.id}`, JSON.stringify(next)]]);
      return;
    }
    next.fired = t.state.fired + 1;
    next.lastFiredAt = at;
    t.state = next;
    const f: Firing = { trigger: t.def.id, firing: randomUUID(), at: new Date(at).toISOString(), people: counted, seq: next.fired };
    const outKey = `out:${t.def.id}:${f.firing}`;
    const entries: [string, string][] = [
      [`state:${t.def.id}`, JSON.stringify(next)],
      [`last:${t.def.id}`, JSON.stringify(f)],
    ];
    if (t.def.action.type === 'webhook') entries.push([outKey, JSON.stringify(f)]);
    this.deps.log.info({ trigger: t.def.id, seq: f.seq }, `trigger ${t.def.id} fired`);
    // Stored first (the outbox), then announced and delivered.
    this.persist(entries, async () => {
      if (this.deps.notices !== undefined) await this.deps.notices.publish('triggers:fired').catch(() => this.fanOut());
      else await this.fanOut();
      if (t.def.action.type === 'webhook' && this.active) this.deliver(t, f, outKey, 0);
    });
  }

  /** Writes in order; `then` runs once the write is stored. */
  private persist(entries: [string, string][], then?: () => Promise<void>): void {
    this.chain = this.chain
      .then(() => this.deps.store.set(entries))
      .then(() => then?.())
      .catch((e: unknown) => this.deps.log.warn({ err: errorMessage(e) }, 'trigger state not stored'));
  }

  private deliver(t: Live, f: Firing, outKey: string, attempt: number): void {
    if (t.def.action.type !== 'webhook' || t.secret === undefined) return;
    const url = t.def.action.url;
    const body = JSON.stringify({ trigger: f.trigger, firing: f.firing, at: f.at, people: f.people });
    void (async () => {
      try {
        await deliverSigned(url, t.secret!, body, { timeoutMs: this.deps.timeoutMs, policy: this.policy, clock: this.deps.clock, log: this.deps.log.child({ trigger: t.def.id }), what: `trigger ${t.def.id} webhook` });
        t.status = { delivered: t.status.delivered + 1, failures: t.status.failures };
        await this.deps.store.delete([outKey]);
        await this.deps.store.set([[`status:${t.def.id}`, JSON.stringify(t.status)]]);
      } catch (e) {
        const lastError = errorMessage(e);
        t.status = { delivered: t.status.delivered, failures: t.status.failures + 1, lastError };
        await this.deps.store.set([[`status:${t.def.id}`, JSON.stringify(t.status)]]).catch(() => undefined);
        if (!this.active || this.live.get(t.def.id) !== t) return;
        if (attempt + 1 >= this.deps.maxAttempts) {
          this.deps.log.warn({ trigger: t.def.id, firing: f.firing }, `trigger ${t.def.id}: firing ${f.firing} dropped after ${attempt + 1} failed deliveries: ${lastError}`);
          await this.deps.store.delete([outKey]).catch(() => undefined);
          return;
        }
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          if (this.active && this.live.get(t.def.id) === t) this.deliver(t, f, outKey, attempt + 1);
        }, backoffDelay(attempt + 1, this.deps.backoff ?? { baseMs: 1000, maxMs: 300_000 }));
        timer.unref?.();
        this.timers.add(timer);
      }
    })();
  }

  /** Picks up triggers created on other nodes (a lost notice), sweeps expired ones, notices team changes. */
  private async poll(): Promise<void> {
    if (!this.active) return;
    try {
      if (this.deps.directory() !== this.lastDir) this.directoryChanged();
      const now = this.deps.clock.now();
      for (const t of [...this.live.values()]) if (t.def.expiresAt !== undefined && t.def.expiresAt <= now) await this.remove(t.def.id);
      const version = (await this.deps.store.get(['version'])).get('version');
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

/** Who calls: an admin (every trigger) or a watcher key (its own). */
export interface Caller {
  readonly admin: boolean;
  readonly key: string;
  readonly person?: string;
}

function mayUse(d: TriggerDef, c: Caller): boolean {
  return c.admin || (d.owner !== undefined && d.owner === c.key);
}
