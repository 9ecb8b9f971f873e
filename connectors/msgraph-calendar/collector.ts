import type { Connector, ConnectorContext, TestResult } from '../../core/connector/contract.ts';
import type { SignalInput } from '../../core/model/signal.ts';
import { HubError, errorMessage, failureKind, isHubError } from '../../core/util/errors.ts';
import { ClientCredentialsProvider, defaultScope, defaultTokenEndpoint } from '../msgraph-shared/auth.ts';
import { createGraphClient } from '../msgraph-shared/graph-client.ts';
import { RequestPacer } from '../msgraph-shared/pacer.ts';
import { CalendarClient } from './client.ts';
import type { CalendarConfig } from './config.ts';
import { scheduleItemToSignal, utcMs } from './map.ts';

export function mailboxes(ctx: ConnectorContext<CalendarConfig>): string[] {
  if (ctx.config.mailboxes !== undefined) return ctx.config.mailboxes.map((m) => m.toLowerCase());
  const out: string[] = [];
  for (const p of ctx.directory.people()) for (const i of p.identities) if (i.toLowerCase().startsWith('mailto:')) out.push(i.slice(7).toLowerCase());
  return out;
}

/**
 * msgraph-calendar: reads free/busy with getSchedule in batches and emits calendar signals with
 * their from/until window, so the Presence Manager changes presence at a meeting's start and end
 * by itself, without a poll at that moment. Meetings that disappear (cancelled) are neutralised.
 */
export class CalendarCollector implements Connector {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly client: CalendarClient;
  private readonly tokens: ClientCredentialsProvider;
  /** Per mailbox: endpoint -> the signal last emitted. */
  private readonly known = new Map<string, Map<string, SignalInput>>();
  private cycle: Promise<void> | undefined;

  constructor(private readonly ctx: ConnectorContext<CalendarConfig>) {
    const c = ctx.config;
    this.tokens = new ClientCredentialsProvider({ tokenEndpoint: c.tokenEndpoint ?? defaultTokenEndpoint(c.tenantId), clientId: c.clientId, clientSecret: c.clientSecret, scope: c.scope ?? defaultScope(c.graphBaseUrl), clock: ctx.clock });
    const pacer = new RequestPacer({ limit: c.requests.perWindow, windowMs: c.requests.window, clock: ctx.clock });
    this.client = new CalendarClient(createGraphClient({ baseUrl: c.graphBaseUrl, tokens: this.tokens, pacer, clock: ctx.clock, events: { onThrottled: () => ctx.report.count('throttled') } }));
  }

  async start(): Promise<void> {
    if (this.running) throw new HubError('HUB_ERR_CONNECTOR_RUNNING', `connector ${this.ctx.id} is already running`);
    this.running = true;
    await this.tokens.getToken();
    this.cycle = this.runCycle();
    this.timer = setInterval(() => {
      if (this.running) this.cycle = this.runCycle();
    }, this.ctx.config.interval);
    this.timer.unref?.();
  }

  async firstCycle(): Promise<void> {
    await this.cycle;
  }

  async runCycle(): Promise<void> {
    const { ctx } = this;
    const c = ctx.config;
    const all = mailboxes(ctx);
    const now = ctx.clock.now();
    const end = now + c.lookahead;
    let failed = 0;
    for (let i = 0; i < all.length && this.running; i += c.batchSize) {
      const batch = all.slice(i, i + c.batchSize);
      try {
        const infos = await this.client.getSchedule(batch, now, end, c.availabilityViewInterval);
        const out: SignalInput[] = [];
        for (const info of infos) {
          const mbx = info.scheduleId.toLowerCase();
          if (info.error != null) {
            ctx.report.count('schedule_errors');
            ctx.log.warn({ mailbox: mbx }, `getSchedule: ${info.error.responseCode ?? 'error'}`);
            continue;
          }
          const signals = (info.scheduleItems ?? []).flatMap((it) => scheduleItemToSignal(it, { identity: `mailto:${mbx}`, source: ctx.id, exposeSubjects: c.exposeSubjects, tentativeAsBusy: c.tentativeAsBusy, now }) ?? []);
          if (c.mailboxSettings) signals.push(...(await this.outOfOffice(mbx, now, end)));
          out.push(...this.diff(mbx, signals, now));
        }
        if (out.length > 0) {
          const res = await ctx.emit(out);
          ctx.report.count('signals', res.accepted);
        }
      } catch (e) {
        failed++;
        ctx.log.warn({ code: (e as HubError).code }, `calendar batch failed: ${errorMessage(e)}`);
        ctx.report.error(e);
      }
    }
    if (failed === 0) ctx.report.ok();
  }

  /** Automatic replies on (always, or inside their schedule) = out of office (mailboxSettings). */
  private async outOfOffice(mbx: string, now: number, end: number): Promise<SignalInput[]> {
    const a = await this.client.automaticReplies(mbx);
    const status = a.status.toLowerCase();
    let from: number | undefined;
    let until: number | undefined;
    if (status === 'alwaysenabled') {
      // Keep the window already announced while it still covers the next cycles: no churn every poll.
      const prev = this.known.get(mbx)?.get('mailbox-oof');
      if (prev !== undefined && Date.parse(prev.until!) > now + 2 * this.ctx.config.interval) return [prev];
      [from, until] = [now, end];
    }
    else if (status === 'scheduled' && a.scheduledStartDateTime != null && a.scheduledEndDateTime != null) [from, until] = [utcMs(a.scheduledStartDateTime), utcMs(a.scheduledEndDateTime)];
    if (from === undefined || until === undefined || until <= now || until <= from) return [];
    return [{ identity: `mailto:${mbx}`, source: this.ctx.id, endpoint: 'mailbox-oof', category: 'calendar', availability: 'away', activity: 'out-of-office', from: new Date(from).toISOString(), until: new Date(until).toISOString(), expireType: 'time', sourceTime: new Date(now).toISOString() }];
  }

  /** New or changed items, plus a neutral signal for items that vanished (a cancelled meeting). */
  private diff(mbx: string, signals: SignalInput[], now: number): SignalInput[] {
    const before = this.known.get(mbx) ?? new Map<string, SignalInput>();
    const after = new Map(signals.map((s) => [s.endpoint!, s]));
    const out = signals.filter((s) => JSON.stringify({ ...before.get(s.endpoint!), sourceTime: 0 }) !== JSON.stringify({ ...s, sourceTime: 0 }));
    for (const [ep, old] of before) {
      if (after.has(ep) || Date.parse(old.until!) <= now) continue;
      out.push({ identity: old.identity!, source: old.source, endpoint: ep, category: 'calendar', availability: 'available', from: old.from!, until: old.until!, expireType: 'time', sourceTime: new Date(now).toISOString() });
    }
    this.known.set(mbx, after);
    return out;
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  async testConnection(): Promise<TestResult> {
    try {
      this.tokens.invalidate();
      await this.tokens.getToken();
      const first = mailboxes(this.ctx)[0];
      if (first !== undefined) await this.client.getSchedule([first], this.ctx.clock.now(), this.ctx.clock.now() + 3_600_000, 60);
      return { ok: true, message: 'token obtained and free/busy read' };
    } catch (e) {
      return { ok: false, kind: failureKind(e), code: isHubError(e) ? e.code : 'HUB_ERR_GRAPH_UNREACHABLE', message: errorMessage(e) };
    }
  }
}
