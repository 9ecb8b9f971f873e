import type { ConnectorContext } from '../../core/connector/contract.ts';
import { errorMessage, type HubError } from '../../core/errors.ts';
import type { CalendarEngine } from '../calendar-common/engine.ts';
import { isStopped } from '../msgraph-shared/pacer.ts';
import type { CalendarClient } from './client.ts';
import type { CalendarConfig } from './config.ts';
import { automaticRepliesToOof, graphWorkingHours, scheduleItemToBlock } from './map.ts';

/**
 * Reads free/busy with getSchedule in batches and emits what changed. What a calendar means for
 * presence (blocks, privacy, out of office, working hours, refresh without churn) is the shared
 * calendar engine's (connectors/calendar-common); this collector reads Graph and maps its shapes.
 */
export class CalendarCollector {
  constructor(private readonly o: { ctx: ConnectorContext<CalendarConfig>; client: CalendarClient; engine: CalendarEngine; active: () => boolean }) {}

  /** Reads `list` in batches of getSchedule and emits what changed; returns the number of failed batches. */
  async read(list: readonly string[]): Promise<number> {
    const { ctx, client, engine } = this.o;
    const c = ctx.config;
    const now = ctx.clock.now();
    const { start, end } = engine.window(now);
    let failed = 0;
    for (let i = 0; i < list.length && this.o.active(); i += c.batchSize) {
      const batch = list.slice(i, i + c.batchSize);
      const identities: string[] = [];
      try {
        const infos = await client.getSchedule(batch, start, end, c.availabilityViewInterval);
        const out = [];
        for (const info of infos) {
          const mbx = info.scheduleId.toLowerCase();
          if (info.error != null) {
            ctx.report.count('schedule_errors');
            ctx.log.warn({ mailbox: mbx }, `getSchedule: ${info.error.responseCode ?? 'error'}`);
            continue;
          }
          const blocks = (info.scheduleItems ?? []).flatMap((it) => scheduleItemToBlock(it) ?? []);
          const oof = c.mailboxSettings ? automaticRepliesToOof(await client.automaticReplies(mbx)) : { enabled: false as const };
          identities.push(`mailto:${mbx}`);
          out.push(...engine.apply(`mailto:${mbx}`, { blocks, oof, workingHours: graphWorkingHours(info.workingHours) }, now));
        }
        if (out.length > 0) {
          const res = await ctx.emit(out);
          ctx.report.count('signals', res.accepted);
        }
      } catch (e) {
        failed++;
        // What was not emitted must be sent whole next time.
        for (const id of identities) engine.forget(id);
        if (isStopped(e)) break; // the connector stops: the rest is not read, and that is no failure
        ctx.log.warn({ code: (e as HubError).code }, `calendar batch failed: ${errorMessage(e)}`);
        ctx.report.error(e);
      }
    }
    return failed;
  }
}
