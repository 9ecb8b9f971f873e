import type { SignalInput } from '../model/signal.ts';
import type { ConnectorContext } from './contract.ts';

/**
 * Hands one batch of signals to the hub for a collector: what was accepted counts in health, each
 * refused signal is logged with its reason, and a failure of the emit itself is reported to health
 * (never thrown, so the collector's event loop keeps running).
 */
export async function emitSignals(ctx: Pick<ConnectorContext<unknown>, 'emit' | 'report' | 'log'>, batch: readonly SignalInput[]): Promise<void> {
  try {
    const r = await ctx.emit(batch);
    ctx.report.count('signals', r.accepted);
    for (const x of r.refused) ctx.log.warn({ code: x.code, detail: x.detail }, 'signal refused by the hub');
  } catch (e) {
    ctx.report.error(e);
  }
}
