/**
 * The built-in demo connector's lifecycle: the first poll at start (everyone's laptop in use, so
 * the demo shows people at once), then one every `interval` until stop.
 */
import type { Connector, ConnectorContext, TestResult } from '../../core/connector/contract.ts';
import { DemoClient } from './client.ts';
import { DemoCollector } from './collector.ts';
import type { DemoConfig } from './config.ts';

export class DemoConnector implements Connector {
  private timer: NodeJS.Timeout | undefined;
  private readonly collector: DemoCollector;

  constructor(private readonly ctx: ConnectorContext<DemoConfig>) {
    this.collector = new DemoCollector({ ctx, client: new DemoClient({ seed: ctx.config.seed, meetingLength: ctx.config.meetingLength }) });
  }

  async start(): Promise<void> {
    await this.collector.tick();
    this.timer = setInterval(() => void this.collector.tick(), this.ctx.config.interval);
    this.timer.unref?.();
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  async testConnection(): Promise<TestResult> {
    return { ok: true, message: 'the demo connector needs no connection' };
  }

  /** One poll now (tests, and the demo's own timer). */
  tick(): Promise<void> {
    return this.collector.tick();
  }
}
