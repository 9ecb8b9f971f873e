/** Polls the simulated office every `interval` and emits one signal per event through the hub's ingest. */
import type { ConnectorContext } from '../../core/connector/contract.ts';
import type { DemoClient } from './client.ts';
import type { DemoConfig } from './config.ts';
import { eventToSignal } from './map.ts';

export class DemoCollector {
  constructor(private readonly o: { ctx: ConnectorContext<DemoConfig>; client: DemoClient }) {}

  async tick(): Promise<void> {
    const { ctx, client } = this.o;
    const people = [...ctx.directory.people()].map((p) => p.id);
    const batch = client.poll(people, ctx.clock.now(), ctx.config.perTick).map((e) => eventToSignal(e, ctx.id));
    if (batch.length === 0) return;
    try {
      const res = await ctx.emit(batch);
      ctx.report.count('signals', res.accepted);
      ctx.report.ok();
    } catch (e) {
      ctx.report.error(e);
    }
  }
}
