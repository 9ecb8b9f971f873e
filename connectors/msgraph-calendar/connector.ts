import type { Connector, ConnectorContext, TestResult } from '../../core/connector/contract.ts';
import type { SignalInput } from '../../core/model/signal.ts';
import { HubError, errorMessage } from '../../core/util/errors.ts';
import type { ClientCredentialsProvider } from '../msgraph-shared/auth.ts';
import { graphApp } from '../msgraph-shared/app.ts';
import { NotificationListener } from '../msgraph-shared/notification-listener.ts';
import type { ChangeNotification, ScheduleInformation } from '../msgraph-shared/schemas.ts';
import { CalendarClient } from './client.ts';
import type { CalendarConfig } from './config.ts';
import { EventSubscriptions } from './event-subscriptions.ts';
import { scheduleItemToSignal, utcMs } from './map.ts';
import { offWorkSignal, offWorkWindows } from './working-hours.ts';

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
 * Optionally: windows outside working hours (`off-work`), and event change notifications that
 * re-read a mailbox soon after its calendar changed instead of at the next poll.
 */
export class CalendarCollector implements Connector {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly client: CalendarClient;
  private readonly tokens: ClientCredentialsProvider;
  /** Per mailbox: endpoint -> the signal last emitted. */
  private readonly known = new Map<string, Map<string, SignalInput>>();
  private cycle: Promise<void> | undefined;
  private listener: NotificationListener | undefined;
  private subs: EventSubscriptions | undefined;
  private maintenance: NodeJS.Timeout | undefined;
  /** Mailboxes a notification named, re-read together when the debounce timer fires. */
  private readonly pending = new Set<string>();
  private debounce: NodeJS.Timeout | undefined;
  private reread: Promise<void> = Promise.resolve();
  /** The port the notification listener bound (tests use port 0). */
  listenerPort: number | undefined;

  constructor(private readonly ctx: ConnectorContext<CalendarConfig>) {
    const c = ctx.config;
    const app = graphApp({ config: c, clock: ctx.clock, report: ctx.report, budget: { limit: c.requests.perWindow, windowMs: c.requests.window } });
    this.tokens = app.tokens;
    this.client = new CalendarClient(app.graph);
  }

  async start(): Promise<void> {
    this.running = true;
    await this.tokens.getToken();
    const s = this.ctx.config.subscriptions;
    if (s?.enabled === true) {
      this.subs = new EventSubscriptions({ client: this.client, config: s, clock: this.ctx.clock, log: this.ctx.log, report: this.ctx.report });
      this.listener = new NotificationListener({ host: s.listen.host, port: s.listen.port, clientState: s.clientState, onNotifications: (items) => void this.onNotifications(items), onRejected: (e) => this.ctx.report.error(e) });
      this.listenerPort = await this.listener.start();
      this.maintenance = setInterval(() => void this.maintain(), Math.max(1000, Math.min(60_000, s.renewBefore / 2)));
      this.maintenance.unref?.();
    }
    this.cycle = (async () => {
      await this.maintain();
      await this.runCycle();
    })();
    this.timer = setInterval(() => {
      if (this.running) this.cycle = this.runCycle();
    }, this.ctx.config.interval);
    this.timer.unref?.();
  }

  async firstCycle(): Promise<void> {
    await this.cycle;
  }

  async runCycle(): Promise<void> {
    if ((await this.read(mailboxes(this.ctx))) === 0) this.ctx.report.ok();
  }

  /** Reads `list` in batches of getSchedule and emits what changed; returns the number of failed batches. */
  private async read(list: readonly string[]): Promise<number> {
    const { ctx } = this;
    const c = ctx.config;
    const now = ctx.clock.now();
    const end = now + c.lookahead;
    let failed = 0;
    for (let i = 0; i < list.length && this.running; i += c.batchSize) {
      const batch = list.slice(i, i + c.batchSize);
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
          if (c.workingHours.enabled) signals.push(...this.offWork(mbx, info, now, end));
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
    return failed;
  }

  /** Windows outside working hours (workingHours of scheduleInformation), in the schedule's own time zone. */
  private offWork(mbx: string, info: ScheduleInformation, now: number, end: number): SignalInput[] {
    const windows = offWorkWindows(info.workingHours, now, end);
    if (windows === undefined) {
      if (info.workingHours != null) this.ctx.report.count('working_hours_unreadable');
      return [];
    }
    const availability = this.ctx.config.workingHours.outsideAvailability;
    return windows.map((w) => offWorkSignal(w, { identity: `mailto:${mbx}`, source: this.ctx.id, availability, now }));
  }

  private async maintain(): Promise<void> {
    if (this.subs === undefined || !this.running) return;
    try {
      // A mailbox whose subscription had lapsed may have changed unseen: read it again.
      for (const mbx of await this.subs.maintain(mailboxes(this.ctx))) this.queue(mbx);
    } catch (e) {
      this.ctx.report.error(e);
    }
  }

  /** Notifications (after the listener answered 202): each names a mailbox to re-read soon. */
  async onNotifications(items: readonly ChangeNotification[]): Promise<void> {
    for (const n of items) {
      const mbx = n.lifecycleEvent !== undefined ? await this.subs?.lifecycle(n) : this.subs?.mailboxOf(n.subscriptionId);
      if (mbx === undefined) {
        this.ctx.report.count('notifications_unknown_subscription');
        continue;
      }
      this.ctx.report.count('notifications');
      this.queue(mbx);
    }
  }

  /** Debounced: the first notification starts the timer, later ones within it join the same re-read. */
  private queue(mbx: string): void {
    this.pending.add(mbx);
    if (this.debounce !== undefined || !this.running) return;
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      const list = [...this.pending];
      this.pending.clear();
      this.reread = this.reread.then(async () => {
        if ((await this.read(list)) === 0) this.ctx.report.ok();
        this.ctx.report.count('rereads');
      });
    }, this.ctx.config.subscriptions?.debounce ?? 0);
    this.debounce.unref?.();
  }

  /** Resolves when the re-reads queued so far are done (tests, demo). */
  async settled(): Promise<void> {
    await this.reread;
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
    if (this.maintenance !== undefined) clearInterval(this.maintenance);
    if (this.debounce !== undefined) clearTimeout(this.debounce);
    this.timer = this.maintenance = this.debounce = undefined;
    this.pending.clear();
    // A cycle or re-read in flight ends with its current batch (read() checks running): nothing is sent or emitted after stop().
    await Promise.allSettled([this.cycle, this.reread]);
    const steps = [() => this.listener?.stop(), () => this.subs?.stopAll()];
    for (const step of steps) await Promise.resolve(step()).catch((e: unknown) => this.ctx.log.warn(`stopping ${this.ctx.id}: ${errorMessage(e)}`));
    this.listener = undefined;
    this.subs = undefined;
  }

  async testConnection(): Promise<TestResult> {
    this.tokens.invalidate();
    await this.tokens.getToken();
    const first = mailboxes(this.ctx)[0];
    if (first !== undefined) await this.client.getSchedule([first], this.ctx.clock.now(), this.ctx.clock.now() + 3_600_000, 60);
    return { ok: true, message: 'token obtained and free/busy read' };
  }
}
