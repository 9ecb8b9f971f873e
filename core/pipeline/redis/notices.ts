import type { Redis } from 'ioredis';
import type { Logger } from '../../util/logger.ts';
import type { Notices } from '../ports.ts';
import { TopicListeners } from '../topic-listeners.ts';

/**
 * Notices over Redis pub/sub (channel `<prefix>:notice`, the topic as the message), on the
 * subscriber connection the change bus already holds. Pub/sub forgets what was sent while a node
 * was disconnected, so when the subscriber connection is ready again every listener is called
 * once: each re-reads its state.
 */
export class RedisNotices implements Notices {
  private readonly listeners = new TopicListeners();
  private connectedBefore = false;

  constructor(private readonly deps: { redis: Redis; sub: Redis; channel: string; log: Logger }) {
    deps.sub.on('message', (channel: string, topic: string) => {
      if (channel === deps.channel) this.fire(this.listeners.of(topic));
    });
    deps.sub.on('ready', () => {
      if (this.connectedBefore) this.fire(this.listeners.all());
      this.connectedBefore = true;
    });
  }

  async open(): Promise<void> {
    await this.deps.sub.subscribe(this.deps.channel);
    this.connectedBefore = true;
  }

  private fire(listeners: Iterable<() => void>): void {
    for (const l of listeners) {
      try {
        l();
      } catch (e) {
        this.deps.log.error({ err: e }, 'notice listener threw');
      }
    }
  }

  async publish(topic: string): Promise<void> {
    await this.deps.redis.publish(this.deps.channel, topic);
  }

  subscribe(topic: string, listener: () => void): () => void {
    return this.listeners.add(topic, listener);
  }
}
