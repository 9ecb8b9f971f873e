import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { ConnectorStore } from '../connector/contract.ts';
import { backoffDelay } from '../connector/backoff.ts';
import type { Directory } from '../directory/directory.ts';
import { CONTAINERS, viewFor, type Container, type Presence, type PresenceView } from '../model/presence.ts';
import type { Clock } from '../util/clock.ts';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../util/logger.ts';
import { postWebhook } from './deliver.ts';
import { DestinationPolicy } from './destination-policy.ts';
import { viewKey } from './watchers.ts';
import { parseStored } from '../util/stored-json.ts';

export interface WebhookSpec {
  readonly url: string;
  readonly people: readonly string[];
  /** View as this person (their container for each presentity); else `container`. */
  readonly watcher?: string;
  readonly container?: Container;
}

export interface WebhookStatus {
  readonly id: string;
  readonly url: string;
  readonly people: string[];
  readonly watcher?: string;
  readonly container?: Container;
  readonly state: 'active' | 'failing' | 'disabled';
  readonly createdAt: string;
  readonly delivered: number;
  readonly failures: number;
  readonly lastError?: string;
  readonly lastDeliveredAt?: string;
  /** The last delivery attempt and its outcome ("unreachable", "answered 500" for a failure). */
  readonly lastDelivery?: { readonly at: string; readonly outcome: 'delivered' | 'failed'; readonly error?: string };
}

/** What is stored of a webhook: its registration (`hook:<id>`) and its delivery state (`status:<id>`). */
const storedHook = z.object({
  id: z.string(),
  url: z.string(),
  people: z.array(z.string()),
  watcher: z.string().optional(),
  container: z.enum(CONTAINERS).optional(),
  secret: z.string(),
  createdAt: z.number(),
});
const storedStatus = z.object({
  state: z.enum(['active', 'failing', 'disabled']),
  delivered: z.number(),
  failures: z.number(),
  consecutive: z.number(),
  lastError: z.string().optional(),
  lastDeliveredAt: z.number().optional(),
  lastAttemptAt: z.number().optional(),
  lastOutcome: z.enum(['delivered', 'failed']).optional(),
});
type StoredHook = z.infer<typeof storedHook>;
type StoredStatus = z.infer<typeof storedStatus>;

interface Hook extends StoredHook, StoredStatus {
  /** Views waiting to go, latest per person (a slow receiver gets the newest state, not a backlog). */
  pending: Map<string, PresenceView>;
  lastSent: Map<string, string>;
  busy: boolean;
  timer?: NodeJS.Timeout;
}

export const SIGNATURE_HEADER = 'x-presence-hub-signature';
export const TIMESTAMP_HEADER = 'x-presence-hub-timestamp';

/** `sha256=<hex>` of HMAC-SHA256(secret, `${timestamp}.${body}`): the receiver checks both. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * One signed delivery, as every webhook of the hub sends it: `body` POSTed as JSON with the
 * timestamp and the HMAC signature headers, through the destination policy. Rejects with only
 * "unreachable" or "answered N" (the reason of an unreachable one goes to the log), so the error can
 * be shown through the API without mapping the network behind the hub. Used by the webhooks here and
 * by the triggers' webhook actions (core/trigger/triggers.ts).
 */
export async function deliverSigned(
  url: string,
  secret: string,
  body: string,
  opts: { timeoutMs: number; policy: DestinationPolicy; clock: Clock; log: Logger; what: string; headers?: Readonly<Record<string, string>> },
): Promise<void> {
  const timestamp = String(Math.floor(opts.clock.now() / 1000));
  let status: number;
  try {
    status = await postWebhook(url, { ...opts.headers, 'content-type': 'application/json', [SIGNATURE_HEADER]: signWebhook(secret, timestamp, body), [TIMESTAMP_HEADER]: timestamp }, body, {
      timeoutMs: opts.timeoutMs,
      policy: opts.policy,
    });
  } catch (e) {
    // The reason stays in the log (admins only): lastError, shown through the API, says only
    // "unreachable" or "answered N", so that it cannot be used to map the network behind the hub.
    opts.log.warn({ err: errorMessage(e) }, `${opts.what} unreachable`);
    throw new Error('unreachable');
  }
  if (status < 200 || status >= 300) throw new Error(`answered ${status}`);
}

const NEW_STATUS: StoredStatus = { state: 'active', delivered: 0, failures: 0, consecutive: 0 };

/**
 * Webhook deliveries: the views of a set of people, as one watcher may see them, posted as JSON to
 * a URL, signed with HMAC, retried with capped exponential backoff, and disabled after a bounded
 * number of consecutive failures with the reason visible.
 *
 * With a shared `store` (Redis mode) every node registers, lists and removes webhooks in it, and
 * exactly one node delivers: the one the hub makes `active` (it holds the webhooks lease). The
 * deliverer picks up registrations made on other nodes within `pollMs`, and writes each hook's
 * delivery state back so that every node answers GET with it. Without a store (embedded mode) the
 * one node does everything.
 */
export class Webhooks {
  private readonly hooks = new Map<string, Hook>();
  private active: boolean;
  private seen: string | undefined;
  private poller: NodeJS.Timeout | undefined;
  private readonly policy: DestinationPolicy;

  constructor(
    private readonly deps: {
      directory: () => Directory;
      presence: (people: readonly string[]) => Promise<Presence[]>;
      clock: Clock;
      log: Logger;
      maxAttempts: number;
      timeoutMs: number;
      backoff?: { baseMs: number; maxMs: number };
      store?: ConnectorStore;
      pollMs?: number;
      /** webhooks.allowPrivateTargets (destination-policy.ts). */
      allowPrivateTargets?: readonly string[];
    },
  ) {
    this.active = deps.store === undefined;
    this.policy = new DestinationPolicy(deps.allowPrivateTargets ?? []);
  }

  async create(spec: WebhookSpec): Promise<{ status: WebhookStatus; secret: string }> {
    await this.policy.checkUrl(spec.url);
    const stored: StoredHook = {
      id: randomUUID(),
      url: spec.url,
      people: [...spec.people],
      ...(spec.watcher !== undefined ? { watcher: spec.watcher } : {}),
      ...(spec.container !== undefined ? { container: spec.container } : {}),
      secret: randomBytes(32).toString('base64url'),
      createdAt: this.deps.clock.now(),
    };
    await this.deps.store?.set([
      [`hook:${stored.id}`, JSON.stringify(stored)],
      [`status:${stored.id}`, JSON.stringify(NEW_STATUS)],
      ['version', randomUUID()],
    ]);
    if (this.active) await this.adopt(stored, NEW_STATUS);
    return { status: this.statusOf(stored, NEW_STATUS), secret: stored.secret };
  }

  async get(id: string): Promise<WebhookStatus | undefined> {
    const local = this.hooks.get(id);
    if (this.deps.store === undefined) return local === undefined ? undefined : this.statusOf(local, local);
    // The registry decides whether it exists (another node may have removed it); the deliverer's
    // own state, when this is the deliverer, is the freshest.
    const got = await this.deps.store.get([`hook:${id}`, `status:${id}`]);
    const h = parseStored(storedHook, got.get(`hook:${id}`));
    return h === undefined ? undefined : this.statusOf(h, local ?? parseStored(storedStatus, got.get(`status:${id}`)) ?? NEW_STATUS);
  }

  async list(): Promise<WebhookStatus[]> {
    if (this.deps.store === undefined) return [...this.hooks.values()].map((h) => this.statusOf(h, h));
    const { hooks, statuses } = await this.loadAll();
    return hooks.map((h) => {
      const local = this.hooks.get(h.id);
      return this.statusOf(h, local ?? statuses.get(h.id) ?? NEW_STATUS);
    });
  }

  async delete(id: string): Promise<boolean> {
    const existed = this.deps.store === undefined ? this.hooks.has(id) : (await this.deps.store.get([`hook:${id}`])).size > 0;
    if (!existed) return false;
    await this.deps.store?.delete([`hook:${id}`, `status:${id}`]);
    await this.deps.store?.set([['version', randomUUID()]]);
    this.drop(id);
    return true;
  }

  onChange(p: Presence): void {
    if (!this.active) return;
    for (const h of this.hooks.values()) if (h.state !== 'disabled' && h.people.includes(p.person)) this.enqueue(h, p);
  }

  /** Becomes the node that delivers (Redis mode: it took the webhooks lease). */
  async activate(): Promise<void> {
    if (this.active) return;
    this.active = true;
    await this.sync();
    this.poller = setInterval(() => void this.poll(), this.deps.pollMs ?? 2000);
    this.poller.unref?.();
  }

  /** Stops delivering (the lease went to another node); what was pending is that node's now. */
  deactivate(): void {
    if (this.deps.store === undefined) return;
    this.active = false;
    if (this.poller !== undefined) clearInterval(this.poller);
    this.poller = undefined;
    for (const id of [...this.hooks.keys()]) this.drop(id);
  }

  private async poll(): Promise<void> {
    try {
      const version = (await this.deps.store!.get(['version'])).get('version');
      if (version !== this.seen) await this.sync();
    } catch (e) {
      this.deps.log.debug({ err: errorMessage(e) }, 'webhook registry check failed; retrying');
    }
  }

  /** Adopts the stored registrations this node does not deliver yet, and drops removed ones. */
  private async sync(): Promise<void> {
    if (this.deps.store === undefined) return;
    this.seen = (await this.deps.store.get(['version'])).get('version');
    const { hooks, statuses } = await this.loadAll();
    const ids = new Set(hooks.map((h) => h.id));
    for (const id of [...this.hooks.keys()]) if (!ids.has(id)) this.drop(id);
    for (const h of hooks) if (!this.hooks.has(h.id)) await this.adopt(h, statuses.get(h.id) ?? NEW_STATUS);
  }

  private async loadAll(): Promise<{ hooks: StoredHook[]; statuses: Map<string, StoredStatus> }> {
    const store = this.deps.store!;
    const [hookEntries, statusEntries] = await Promise.all([store.entries('hook:'), store.entries('status:')]);
    const hooks = [...hookEntries.values()].map((v) => parseStored(storedHook, v)).filter((h): h is StoredHook => h !== undefined);
    const statuses = new Map<string, StoredStatus>();
    for (const [k, v] of statusEntries) {
      const s = parseStored(storedStatus, v);
      if (s !== undefined) statuses.set(k.slice('status:'.length), s);
    }
    return { hooks: hooks.sort((a, b) => a.createdAt - b.createdAt), statuses };
  }

  /** Starts delivering a webhook: the current views first, as a stream does. */
  private async adopt(stored: StoredHook, status: StoredStatus): Promise<void> {
    const hook: Hook = { ...stored, ...status, pending: new Map(), lastSent: new Map(), busy: false };
    this.hooks.set(hook.id, hook);
    if (hook.state === 'disabled') return;
    for (const p of await this.deps.presence(hook.people)) this.enqueue(hook, p);
  }

  private drop(id: string): void {
    const h = this.hooks.get(id);
    if (h === undefined) return;
    if (h.timer !== undefined) clearTimeout(h.timer);
    h.state = 'disabled';
    this.hooks.delete(id);
  }

  private container(h: Hook, person: string): Container {
    if (h.watcher !== undefined) return this.deps.directory().containerFor(h.watcher, person);
    return h.container ?? 'company';
  }

  private enqueue(h: Hook, p: Presence): void {
    const dir = this.deps.directory();
    const view = viewFor(p, this.container(h, p.person), dir.loadedAt);
    const key = viewKey(view);
    if (h.lastSent.get(p.person) === key) return;
    h.pending.set(p.person, view);
    if (!h.busy && h.timer === undefined) void this.flush(h);
  }

  private async flush(h: Hook): Promise<void> {
    if (h.busy || h.pending.size === 0 || h.state === 'disabled' || this.hooks.get(h.id) !== h) return;
    h.busy = true;
    const batch = [...h.pending.values()];
    h.pending.clear();
    const body = JSON.stringify({ webhook: h.id, presence: batch });
    try {
      await deliverSigned(h.url, h.secret, body, { timeoutMs: this.deps.timeoutMs, policy: this.policy, clock: this.deps.clock, log: this.deps.log.child({ webhook: h.id }), what: `webhook ${h.id}` });
      h.delivered += batch.length;
      h.consecutive = 0;
      h.state = 'active';
      h.lastDeliveredAt = this.deps.clock.now();
      h.lastAttemptAt = h.lastDeliveredAt;
      h.lastOutcome = 'delivered';
      for (const v of batch) h.lastSent.set(v.person, viewKey(v));
      h.busy = false;
      void this.saveStatus(h);
      if (h.pending.size > 0) void this.flush(h);
    } catch (e) {
      h.busy = false;
      h.failures += 1;
      h.consecutive += 1;
      h.lastError = errorMessage(e);
      h.lastAttemptAt = this.deps.clock.now();
      h.lastOutcome = 'failed';
      // Newer views queued meanwhile win over the failed ones.
      for (const v of batch) if (!h.pending.has(v.person)) h.pending.set(v.person, v);
      if (h.consecutive >= this.deps.maxAttempts) {
        h.state = 'disabled';
        void this.saveStatus(h);
        this.deps.log.warn({ webhook: h.id, failures: h.consecutive }, `webhook ${h.id} disabled after ${h.consecutive} failed deliveries: ${h.lastError}`);
        return;
      }
      h.state = 'failing';
      void this.saveStatus(h);
      const delay = backoffDelay(h.consecutive, this.deps.backoff ?? { baseMs: 1000, maxMs: 300_000 });
      h.timer = setTimeout(() => {
        h.timer = undefined;
        void this.flush(h);
      }, delay);
      h.timer.unref?.();
    }
  }

  private async saveStatus(h: Hook): Promise<void> {
    if (this.deps.store === undefined) return;
    const s: StoredStatus = { state: h.state, delivered: h.delivered, failures: h.failures, consecutive: h.consecutive };
    if (h.lastError !== undefined) s.lastError = h.lastError;
    if (h.lastDeliveredAt !== undefined) s.lastDeliveredAt = h.lastDeliveredAt;
    if (h.lastAttemptAt !== undefined) s.lastAttemptAt = h.lastAttemptAt;
    if (h.lastOutcome !== undefined) s.lastOutcome = h.lastOutcome;
    await this.deps.store.set([[`status:${h.id}`, JSON.stringify(s)]]).catch((e: unknown) => this.deps.log.warn({ webhook: h.id, err: errorMessage(e) }, 'webhook state not saved'));
  }

  private statusOf(h: StoredHook, st: StoredStatus): WebhookStatus {
    const s: { -readonly [K in keyof WebhookStatus]: WebhookStatus[K] } = {
      id: h.id,
      url: h.url,
      people: [...h.people],
      state: st.state,
      createdAt: new Date(h.createdAt).toISOString(),
      delivered: st.delivered,
      failures: st.failures,
    };
    if (h.watcher !== undefined) s.watcher = h.watcher;
    if (h.container !== undefined) s.container = h.container;
    if (st.lastError !== undefined) s.lastError = st.lastError;
    if (st.lastDeliveredAt !== undefined) s.lastDeliveredAt = new Date(st.lastDeliveredAt).toISOString();
    if (st.lastAttemptAt !== undefined && st.lastOutcome !== undefined) {
      s.lastDelivery = { at: new Date(st.lastAttemptAt).toISOString(), outcome: st.lastOutcome, ...(st.lastOutcome === 'failed' && st.lastError !== undefined ? { error: st.lastError } : {}) };
    }
    return s;
  }

  close(): void {
    if (this.poller !== undefined) clearInterval(this.poller);
    for (const h of this.hooks.values()) if (h.timer !== undefined) clearTimeout(h.timer);
  }
}
