import type { Redis } from 'ioredis';
import type { Presence } from '../../model/presence.ts';
import type { Logger } from '../../util/logger.ts';
import type { ChangeBus } from '../ports.ts';
import type { Keys } from './keys.ts';
import { execOrThrow } from './store.ts';

const CHUNK = 1000;

/**
 * Presence changes to the watchers of every node over Redis pub/sub: a watcher on node B sees a
 * change caused by a signal posted to node A. Every change goes through Redis, also to the node that
 * made it, so all nodes see one path. Two workers may publish one person's versions out of order
 * (each commits, then publishes); the subscriber keeps the highest version seen per person and drops
 * older ones, so listeners see each person's changes in version order. Pub/sub does not replay what
 * was sent while a node was disconnected: a watcher that needs the state after an outage fetches it
 * (the stream sends the current view first).
 * `forget` goes over the same channel (`{"forget": [...]}`), so every node drops the versions it
 * saw of people the store forgot, in order with the changes around it.
 */
export class RedisBus implements ChangeBus {
  private readonly listeners = new Set<(p: Presence) => void>();
  private readonly forgetListeners = new Set<(people: readonly string[]) => void>();
  private readonly seen = new Map<string, number>();
  private subscribed: Promise<unknown> | undefined;
  private readonly unsent = new Map<string, Presence>();
  private readonly onReady = (): void => this.flushUnsent();

  constructor(private readonly deps: { redis: Redis; sub: Redis; keys: Keys; log: Logger }) {
    deps.sub.on('message', (channel: string, message: string) => {
      if (channel !== deps.keys.bus) return;
      this.deliver(message);
    });
    deps.redis.on('ready', this.onReady);
  }

  /** Subscribes the channel (ioredis re-subscribes by itself after a reconnect). */
  async open(): Promise<void> {
    this.subscribed ??= this.deps.sub.subscribe(this.deps.keys.bus);
    await this.subscribed;
  }

  private deliver(message: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(message);
    } catch (e) {
      this.deps.log.warn({ err: e }, 'unreadable change message dropped');
      return;
    }
    if (!Array.isArray(parsed)) {
      const forget = (parsed as { forget?: unknown }).forget;
      if (Array.isArray(forget)) this.forgotten(forget.filter((p): p is string => typeof p === 'string'));
      return;
    }
    if (this.listeners.size === 0) return;
    const changes = parsed as Presence[];
    for (const p of changes) {
      const last = this.seen.get(p.person);
      if (last !== undefined && p.version <= last) continue;
      this.seen.set(p.person, p.version);
      // A fresh object of JSON.parse: frozen as it is, not copied first.
      Object.freeze(p.activity);
      const frozen = Object.freeze(p);
      for (const l of this.listeners) {
        try {
          l(frozen);
        } catch (e) {
          this.deps.log.error({ err: e }, 'change listener threw');
        }
      }
    }
  }

  /**
   * Never throws: the presence is already committed, and failing the batch would only make its
   * re-run find no change to publish. What cannot be sent while Redis is away is kept (the latest
   * change per person) and sent when the connection is ready again.
   */
  async publish(changes: readonly Presence[]): Promise<void> {
    if (changes.length === 0) return;
    try {
      await this.send(changes);
    } catch (e) {
      if (this.unsent.size === 0) this.deps.log.warn({ err: e }, 'presence changes not published, kept until Redis is back');
      for (const c of changes) {
        const prev = this.unsent.get(c.person);
        if (prev === undefined || prev.version < c.version) this.unsent.set(c.person, c);
      }
    }
  }

  private async send(changes: readonly Presence[]): Promise<void> {
    const pipe = this.deps.redis.pipeline();
    for (let i = 0; i < changes.length; i += CHUNK) pipe.publish(this.deps.keys.bus, JSON.stringify(changes.slice(i, i + CHUNK)));
    await execOrThrow(pipe);
  }

  private flushUnsent(): void {
    if (this.unsent.size === 0) return;
    const changes = [...this.unsent.values()];
    this.unsent.clear();
    void this.publish(changes);
  }

  subscribe(listener: (p: Presence) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Every node forgets the version seen for people removed from the store, so that they can start again at 1. */
  async forget(people: readonly string[]): Promise<void> {
    if (people.length === 0) return;
    // This node at once (a change for them may follow before the message comes back), every node on delivery.
    this.forgotten(people);
    const pipe = this.deps.redis.pipeline();
    for (let i = 0; i < people.length; i += CHUNK) pipe.publish(this.deps.keys.bus, JSON.stringify({ forget: people.slice(i, i + CHUNK) }));
    await execOrThrow(pipe);
  }

  private forgotten(people: readonly string[]): void {
    for (const p of people) this.seen.delete(p);
    for (const l of this.forgetListeners) {
      try {
        l(people);
      } catch (e) {
        this.deps.log.error({ err: e }, 'forget listener threw');
      }
    }
  }

  onForget(listener: (people: readonly string[]) => void): () => void {
    this.forgetListeners.add(listener);
    return () => this.forgetListeners.delete(listener);
  }

  async close(): Promise<void> {
    this.deps.redis.off('ready', this.onReady);
    this.listeners.clear();
    this.forgetListeners.clear();
  }
}
