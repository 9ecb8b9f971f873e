import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { AvailabilityClass, MachineState } from '../../model/availability.ts';
import type { Presence } from '../../model/presence.ts';
import type { Category } from '../../model/signal.ts';
import { jsonNumber, jsonText } from '../../util/json-text.ts';
import type { Logger } from '../../util/logger.ts';
import { ChangeListeners } from '../change-listeners.ts';
import type { ChangeBus } from '../ports.ts';
import type { Keys } from './keys.ts';
import { execOrThrow } from './store.ts';

const CHUNK = 1000;

const optText = (t: string | undefined): string => (t === undefined ? 'null' : jsonText(t));
const optNumber = (n: number | undefined): string => (n === undefined ? 'null' : jsonNumber(n));

/**
 * A change as the bus sends it: a JSON array, positional, built as text (about half the bytes of
 * the object with its keys, and no key walk per change): `[person, availability, class, activity
 * token, activity text, since, version, views.full, views.limited, views.limitedSince,
 * machineState, lastActive, decidedBy, decidedCategory]`, absent fields null, trailing ones left out.
 */
export function changeText(p: Presence): string {
  const tail = [optNumber(p.views?.full), optNumber(p.views?.limited), optNumber(p.views?.limitedSince), optText(p.machineState), optNumber(p.lastActive), optText(p.decidedBy), optText(p.decidedCategory)];
  let n = tail.length;
  while (n > 0 && tail[n - 1] === 'null') n--;
  let t = `[${jsonText(p.person)},${jsonNumber(p.availability)},${jsonText(p.class)},${jsonText(p.activity.token)},${jsonText(p.activity.text)},${jsonNumber(p.since)},${jsonNumber(p.version)}`;
  for (let i = 0; i < n; i++) t += `,${tail[i]}`;
  return `${t}]`;
}

type Cell = string | number | null | undefined;

/** The presence of one `changeText` array read back (frozen), or undefined when it is not one. */
export function readChange(a: unknown): Presence | undefined {
  if (!Array.isArray(a)) return undefined;
  const c = a as Cell[];
  const [person, availability, cls, token, text, since, version, full, limited, limitedSince, machineState, lastActive, decidedBy, decidedCategory] = c;
  if (typeof person !== 'string' || typeof availability !== 'number' || typeof cls !== 'string' || typeof token !== 'string' || typeof text !== 'string' || typeof since !== 'number' || typeof version !== 'number') return undefined;
  const p: { -readonly [K in keyof Presence]: Presence[K] } = { person, availability, class: cls as AvailabilityClass, activity: Object.freeze({ token, text }), since, version };
  if (typeof machineState === 'string') p.machineState = machineState as MachineState;
  if (typeof lastActive === 'number') p.lastActive = lastActive;
  if (typeof decidedBy === 'string') p.decidedBy = decidedBy;
  if (typeof decidedCategory === 'string') p.decidedCategory = decidedCategory as Category;
  if (typeof full === 'number' && typeof limited === 'number') p.views = Object.freeze(typeof limitedSince === 'number' ? { full, limited, limitedSince } : { full, limited });
  return Object.freeze(p);
}

/**
 * Presence changes to the watchers of every node over Redis pub/sub: a watcher on node B sees a
 * change caused by a signal posted to node A. `publish` delivers to this node's own listeners at
 * once (not one Redis round trip later) and sends the changes to the channel for the other nodes.
 * Each message starts with the origin tag of the bus that sent it (random, 8 characters, then a
 * space, then the JSON: an array of changes, each an array, see changeText), so a node skips its
 * own messages without parsing them.
 * Two workers may publish one person's versions out of order (each commits, then publishes), on
 * one node or on two; the bus keeps the highest version delivered per person and drops older ones
 * (core/pipeline/change-listeners.ts), so listeners see each person's changes once and in version
 * order. Pub/sub does not replay what was sent while a node was disconnected: a watcher that needs
 * the state after an outage fetches it (the stream sends the current view first).
 * `forget` acts on this node at once and goes to the others over the same channel
 * (`<origin> {"forget": [...]}`), so every node drops the versions it saw of people the store
 * forgot, in order with the changes around it. A message without an origin tag comes from a node
 * of an earlier version (which sent bare JSON): it is dropped with a warning, since the nodes of one
 * hub must run one version (core/pipeline/redis/README.md).
 */
export class RedisBus implements ChangeBus {
  private readonly local: ChangeListeners;
  /** This bus's origin tag and the space after it: the head of every message it sends. */
  private readonly origin = `${randomBytes(6).toString('base64url')} `;
  private subscribed: Promise<unknown> | undefined;
  private readonly unsent = new Map<string, Presence>();
  private warnedUntagged = false;
  private readonly onReady = (): void => this.flushUnsent();

  constructor(private readonly deps: { redis: Redis; sub: Redis; keys: Keys; log: Logger }) {
    this.local = new ChangeListeners(deps.log);
    deps.sub.on('message', (channel: string, message: string) => {
      if (channel !== deps.keys.bus) return;
      // This node's own message: delivered when it was published.
      if (message.startsWith(this.origin)) return;
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
    const space = message.indexOf(' ');
    const head = message.charCodeAt(0);
    // '[' or '{' first: bare JSON of a node of an earlier version.
    if (space !== this.origin.length - 1 || head === 0x5b || head === 0x7b) {
      if (!this.warnedUntagged) {
        this.warnedUntagged = true;
        this.deps.log.warn('change message without an origin tag dropped: a node of an earlier version shares this Redis and prefix; run one version on all nodes (core/pipeline/redis/README.md)');
      }
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(message.slice(space + 1));
    } catch (e) {
      this.deps.log.warn({ err: e }, 'unreadable change message dropped');
      return;
    }
    if (!Array.isArray(parsed)) {
      const forget = (parsed as { forget?: unknown }).forget;
      if (Array.isArray(forget)) this.local.forgotten(forget.filter((p): p is string => typeof p === 'string'));
      return;
    }
    if (this.local.size === 0) return;
    let unreadable = 0;
    for (const c of parsed) {
      const p = readChange(c);
      if (p !== undefined) this.local.deliver(p);
      else unreadable++;
    }
    if (unreadable > 0) this.deps.log.warn({ unreadable }, 'unreadable changes of a change message dropped');
  }

  /**
   * Delivers to this node's listeners at once, then sends to the other nodes. Never throws: the
   * presence is already committed, and failing the batch would only make its re-run find no change
   * to publish. What cannot be sent while Redis is away is kept (the latest change per person) and
   * sent when the connection is ready again.
   */
  async publish(changes: readonly Presence[]): Promise<void> {
    if (changes.length === 0) return;
    if (this.local.size > 0) for (const p of changes) this.local.deliver(p);
    await this.sendOrKeep(changes);
  }

  private async sendOrKeep(changes: readonly Presence[]): Promise<void> {
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
    for (let i = 0; i < changes.length; i += CHUNK) {
      let m = `${this.origin}[`;
      for (let j = i; j < Math.min(changes.length, i + CHUNK); j++) m += `${j > i ? ',' : ''}${changeText(changes[j]!)}`;
      pipe.publish(this.deps.keys.bus, `${m}]`);
    }
    await execOrThrow(pipe);
  }

  private flushUnsent(): void {
    if (this.unsent.size === 0) return;
    const changes = [...this.unsent.values()];
    this.unsent.clear();
    // Delivered here when they were published: only the other nodes still need them.
    void this.sendOrKeep(changes);
  }

  subscribe(listener: (p: Presence) => void): () => void {
    return this.local.subscribe(listener);
  }

  /** Every node forgets the version seen for people removed from the store, so that they can start again at 1. */
  async forget(people: readonly string[]): Promise<void> {
    if (people.length === 0) return;
    // This node at once (a change for them may follow before the message reaches the others).
    this.local.forgotten(people);
    const pipe = this.deps.redis.pipeline();
    for (let i = 0; i < people.length; i += CHUNK) pipe.publish(this.deps.keys.bus, this.origin + JSON.stringify({ forget: people.slice(i, i + CHUNK) }));
    await execOrThrow(pipe);
  }

  onForget(listener: (people: readonly string[]) => void): () => void {
    return this.local.onForget(listener);
  }

  async close(): Promise<void> {
    this.deps.redis.off('ready', this.onReady);
    this.local.clear();
  }
}
