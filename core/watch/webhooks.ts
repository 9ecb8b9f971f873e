import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import type { Directory } from '../directory/directory.ts';
import type { Container, Presence, PresenceView } from '../model/presence.ts';
import { backoffDelay } from '../connector/backoff.ts';
import type { Clock } from '../util/clock.ts';
import { errorMessage } from '../util/errors.ts';
import type { Logger } from '../util/logger.ts';
import { viewKey } from './watchers.ts';
import { viewFor } from '../model/presence.ts';

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
}

interface Hook extends WebhookSpec {
  id: string;
  secret: string;
  createdAt: number;
  state: 'active' | 'failing' | 'disabled';
  delivered: number;
  failures: number;
  consecutive: number;
  lastError?: string;
  lastDeliveredAt?: number;
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
 * Webhook deliveries: the views of a set of people, as one watcher may see them, posted as JSON to
 * a URL, signed with HMAC, retried with capped exponential backoff, and disabled after a bounded
 * number of consecutive failures with the reason visible.
 */
export class Webhooks {
  private readonly hooks = new Map<string, Hook>();

  constructor(
    private readonly deps: {
      directory: () => Directory;
      presence: (people: readonly string[]) => Promise<Presence[]>;
      clock: Clock;
      log: Logger;
      maxAttempts: number;
      timeoutMs: number;
      backoff?: { baseMs: number; maxMs: number };
    },
  ) {}

  async create(spec: WebhookSpec): Promise<{ status: WebhookStatus; secret: string }> {
    const hook: Hook = {
      ...spec,
      id: randomUUID(),
      secret: randomBytes(32).toString('base64url'),
      createdAt: this.deps.clock.now(),
      state: 'active',
      delivered: 0,
      failures: 0,
      consecutive: 0,
      pending: new Map(),
      lastSent: new Map(),
      busy: false,
    };
    this.hooks.set(hook.id, hook);
    // The current views first, as a stream does.
    for (const p of await this.deps.presence(spec.people)) this.enqueue(hook, p);
    return { status: this.status(hook), secret: hook.secret };
  }

  get(id: string): WebhookStatus | undefined {
    const h = this.hooks.get(id);
    return h === undefined ? undefined : this.status(h);
  }

  list(): WebhookStatus[] {
    return [...this.hooks.values()].map((h) => this.status(h));
  }

  delete(id: string): boolean {
    const h = this.hooks.get(id);
    if (h === undefined) return false;
    if (h.timer !== undefined) clearTimeout(h.timer);
    h.state = 'disabled';
    this.hooks.delete(id);
    return true;
  }

  onChange(p: Presence): void {
    for (const h of this.hooks.values()) if (h.state !== 'disabled' && h.people.includes(p.person)) this.enqueue(h, p);
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
    if (h.busy || h.pending.size === 0 || h.state === 'disabled') return;
    h.busy = true;
    const batch = [...h.pending.values()];
    h.pending.clear();
    const body = JSON.stringify({ webhook: h.id, presence: batch });
    const timestamp = String(Math.floor(this.deps.clock.now() / 1000));
    try {
      const res = await fetch(h.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signWebhook(h.secret, timestamp, body), [TIMESTAMP_HEADER]: timestamp },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.deps.timeoutMs),
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.status < 200 || res.status >= 300) throw new Error(`receiver answered ${res.status}`);
      h.delivered += batch.length;
      h.consecutive = 0;
      h.state = 'active';
      h.lastDeliveredAt = this.deps.clock.now();
      for (const v of batch) h.lastSent.set(v.person, viewKey(v));
      h.busy = false;
      if (h.pending.size > 0) void this.flush(h);
    } catch (e) {
      h.busy = false;
      h.failures += 1;
      h.consecutive += 1;
      h.lastError = errorMessage(e);
      // Newer views queued meanwhile win over the failed ones.
      for (const v of batch) if (!h.pending.has(v.person)) h.pending.set(v.person, v);
      if (h.consecutive >= this.deps.maxAttempts) {
        h.state = 'disabled';
        this.deps.log.warn({ webhook: h.id, failures: h.consecutive }, `webhook ${h.id} disabled after ${h.consecutive} failed deliveries: ${h.lastError}`);
        return;
      }
      h.state = 'failing';
      const delay = backoffDelay(h.consecutive, this.deps.backoff ?? { baseMs: 1000, maxMs: 300_000 });
      h.timer = setTimeout(() => {
        h.timer = undefined;
        void this.flush(h);
      }, delay);
      h.timer.unref?.();
    }
  }

  private status(h: Hook): WebhookStatus {
    const s: { -readonly [K in keyof WebhookStatus]: WebhookStatus[K] } = {
      id: h.id,
      url: h.url,
      people: [...h.people],
      state: h.state,
      createdAt: new Date(h.createdAt).toISOString(),
      delivered: h.delivered,
      failures: h.failures,
    };
    if (h.watcher !== undefined) s.watcher = h.watcher;
    if (h.container !== undefined) s.container = h.container;
    if (h.lastError !== undefined) s.lastError = h.lastError;
    if (h.lastDeliveredAt !== undefined) s.lastDeliveredAt = new Date(h.lastDeliveredAt).toISOString();
    return s;
  }

  close(): void {
    for (const h of this.hooks.values()) if (h.timer !== undefined) clearTimeout(h.timer);
  }
}
