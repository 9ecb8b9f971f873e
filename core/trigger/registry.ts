/**
 * Where triggers live (docs/triggers.md "Several nodes (Redis mode)"): the configured ones, and the shared
 * store every node reads: the API triggers (`def:`), each trigger's condition state (`state:`),
 * firings whose webhook is not delivered yet (`out:`, the outbox the next lease holder delivers),
 * the latest firing (`last:`, read by every node's streams), the last TRIGGER_BACKLOG firings
 * (`log:`, replayed to a stream that reconnects with Last-Event-ID) and the delivery status
 * (`status:`), with a `version` that changes whenever the set of triggers does. A firing's state,
 * `last:`, `log:` and outbox entry are one write (one HSET in Redis: all or nothing).
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { backoffDelay, type BackoffOptions } from '../connector/backoff.ts';
import type { ConnectorStore } from '../connector/contract.ts';
import { errorMessage } from '../errors.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/logger.ts';
import { parseStored } from '../util/stored-json.ts';
import { defSchema, firingSchema, freshState, NEW_STATUS, stateSchema, statusSchema, type Firing, type Live, type StoredState, type TriggerDef } from './model.ts';

const logSchema = z.array(firingSchema);

/** The stored log, or the latest firing alone for a trigger stored before logs were kept. */
function recentFrom(log: string | undefined, last: string | undefined): Firing[] {
  const l = parseStored(logSchema, log);
  if (l !== undefined) return l;
  const f = parseStored(firingSchema, last);
  return f === undefined ? [] : [f];
}

export class TriggerRegistry {
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: {
      store: ConnectorStore;
      clock: Clock;
      log: Logger;
      /** The configured triggers and their webhook secrets. */
      config: readonly TriggerDef[];
      configSecrets: ReadonlyMap<string, string>;
      /**
       * This node's current evaluating session (a new object at every activation; undefined while
       * it does not evaluate): a write is made only while the session it was queued in lasts.
       */
      session: () => object | undefined;
      retry?: BackoffOptions;
    },
  ) {}

  /** Config triggers and the stored API ones, expired ones left out. */
  async load(): Promise<Live[]> {
    const entries = await this.deps.store.entries('');
    const now = this.deps.clock.now();
    const out: Live[] = [];
    const stateOf = (id: string) => parseStored(stateSchema, entries.get(`state:${id}`));
    const statusOf = (id: string) => parseStored(statusSchema, entries.get(`status:${id}`)) ?? NEW_STATUS;
    const recentOf = (id: string) => recentFrom(entries.get(`log:${id}`), entries.get(`last:${id}`));
    for (const def of this.deps.config) {
      const st = stateOf(def.id);
      const secret = this.deps.configSecrets.get(def.id);
      out.push({ def, ...(secret !== undefined ? { secret } : {}), state: st ?? freshState(def, false), fresh: st === undefined, status: statusOf(def.id), recent: recentOf(def.id) });
    }
    const api: Live[] = [];
    for (const [k, v] of entries) {
      if (!k.startsWith('def:')) continue;
      const raw = parseStored(defSchema, v);
      if (raw === undefined || (raw.expiresAt !== undefined && raw.expiresAt <= now)) continue;
      const { secret, ...rest } = raw;
      const def = { ...rest, origin: 'api' } as TriggerDef;
      const st = stateOf(def.id);
      api.push({ def, ...(secret !== undefined ? { secret } : {}), state: st ?? freshState(def, false), fresh: st === undefined, status: statusOf(def.id), recent: recentOf(def.id) });
    }
    return [...out, ...api.sort((a, b) => a.def.createdAt - b.def.createdAt)];
  }

  /**
   * For a trigger with no stored state yet (`t.fresh`: a configured trigger's first start): stores
   * `t.state` unless a state is stored meanwhile (set-if-absent), else takes the stored one. Two
   * nodes adopting the trigger at once (a lease handover) thus count with one epoch, and compute the
   * same firing ids (model.ts firingId). Answers whether this node's state was the one stored.
   */
  async claim(t: Live): Promise<boolean> {
    if (!t.fresh) return false;
    const key = `state:${t.def.id}`;
    const mine = JSON.stringify(t.state);
    const store = this.deps.store;
    let stored: string;
    if (store.setIfAbsent !== undefined) stored = await store.setIfAbsent(key, mine);
    else {
      const had = (await store.get([key])).get(key);
      if (had === undefined) await store.set([[key, mine]]);
      stored = had ?? mine;
    }
    if (stored === mine) return true;
    const st = parseStored(stateSchema, stored);
    if (st === undefined) return false;
    t.state = st;
    t.fresh = false;
    return false;
  }

  /** Stores a new API trigger with its first state and status. */
  async add(def: TriggerDef, secret: string | undefined, state: StoredState, status: Live['status']): Promise<void> {
    await this.deps.store.set([
      [`def:${def.id}`, JSON.stringify({ ...def, ...(secret !== undefined ? { secret } : {}) })],
      [`state:${def.id}`, JSON.stringify(state)],
      [`status:${def.id}`, JSON.stringify(status)],
      ['version', randomUUID()],
    ]);
  }

  /** Removes an API trigger and everything stored for it (its outbox included). */
  async remove(id: string): Promise<void> {
    const outs = [...(await this.deps.store.entries(`out:${id}:`)).keys()];
    await this.deps.store.delete([`def:${id}`, `state:${id}`, `status:${id}`, `last:${id}`, `log:${id}`, ...outs]);
    await this.deps.store.set([['version', randomUUID()]]);
  }

  async version(): Promise<string | undefined> {
    return (await this.deps.store.get(['version'])).get('version');
  }

  /** The latest firing of each trigger, by trigger id. */
  async latest(): Promise<Map<string, Firing>> {
    const out = new Map<string, Firing>();
    for (const [k, v] of await this.deps.store.entries('last:')) {
      const f = parseStored(firingSchema, v);
      if (f !== undefined) out.set(k.slice(5), f);
    }
    return out;
  }

  /** The kept firings of one trigger, oldest first. */
  async log(id: string): Promise<Firing[]> {
    const got = await this.deps.store.get([`log:${id}`, `last:${id}`]);
    return recentFrom(got.get(`log:${id}`), got.get(`last:${id}`));
  }

  /** Per trigger: its kept firings (oldest first), the number fired so far and when it last fired. */
  async backlog(ids: readonly string[]): Promise<Map<string, { firings: Firing[]; fired: number; lastFiredAt?: number }>> {
    const got = await this.deps.store.get(ids.flatMap((id) => [`log:${id}`, `last:${id}`, `state:${id}`]));
    const out = new Map<string, { firings: Firing[]; fired: number; lastFiredAt?: number }>();
    for (const id of ids) {
      const st = parseStored(stateSchema, got.get(`state:${id}`));
      out.set(id, { firings: recentFrom(got.get(`log:${id}`), got.get(`last:${id}`)), fired: st?.fired ?? 0, ...(st?.lastFiredAt !== undefined ? { lastFiredAt: st.lastFiredAt } : {}) });
    }
    return out;
  }

  /** The outbox: firings not delivered yet, by key (undefined: unreadable). */
  async outbox(): Promise<Map<string, Firing | undefined>> {
    const out = new Map<string, Firing | undefined>();
    for (const [k, v] of await this.deps.store.entries('out:')) out.set(k, parseStored(firingSchema, v));
    return out;
  }

  async drop(keys: readonly string[]): Promise<void> {
    await this.deps.store.delete([...keys]);
  }

  /**
   * Writes in order; `then` runs once the write is stored. A failed write (Redis away for a moment)
   * is tried again, with backoff, while this node still evaluates in the session the write was
   * queued in: dropped, a firing would be neither delivered nor streamed while this node's memory
   * says it fired, and the writes after it would store that. The writes behind it wait, so the
   * order holds. Every attempt, the first included, is made only while that session lasts: once
   * this node stops evaluating (lost the lease), a write still queued, or one whose retry wait ends
   * after the stop, is not made. The next holder goes on from what was stored and fires the same
   * firing (same id: model.ts firingId); this write, landing after it, would roll its state back
   * (its `fired` count: a new transition would get an id already used, and receivers drop it).
   */
  persist(entries: [string, string][], then?: () => Promise<void>): void {
    const session = this.deps.session();
    const current = () => session !== undefined && this.deps.session() === session;
    this.chain = this.chain
      .then(async () => {
        for (let attempt = 1; ; attempt++) {
          if (!current()) throw new Error('this node no longer evaluates the triggers; the write is left to the next holder');
          try {
            await this.deps.store.set(entries);
            break;
          } catch (e) {
            if (!current()) throw e;
            if (attempt === 1) this.deps.log.warn({ err: errorMessage(e) }, 'trigger state not stored; trying again');
            await new Promise((r) => setTimeout(r, backoffDelay(attempt, this.deps.retry ?? { baseMs: 200, maxMs: 5000 })).unref?.());
          }
        }
        await then?.();
      })
      .catch((e: unknown) => this.deps.log.warn({ err: errorMessage(e) }, 'trigger state not stored'));
  }

  /** Resolves once every write queued so far is made or given up (never rejects). */
  settled(): Promise<void> {
    return this.chain;
  }
}
