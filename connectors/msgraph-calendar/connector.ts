import type { Connector, ConnectorContext, TestResult } from '../../core/connector/contract.ts';
import { errorMessage } from '../../core/errors.ts';
import { Gather } from '../../core/connector/gather.ts';
import type { ClientCredentialsProvider } from '../msgraph-shared/auth.ts';
import { graphApp } from '../msgraph-shared/app.ts';
import { isStopped, type RequestPacer } from '../msgraph-shared/pacer.ts';
import { NotificationListener } from '../msgraph-shared/notification-listener.ts';
import type { ChangeNotification } from '../msgraph-shared/schemas.ts';
import { CalendarEngine } from '../calendar-common/engine.ts';
import { CalendarClient } from './client.ts';
import { CalendarCollector } from './collector.ts';
import type { CalendarConfig } from './config.ts';
import { EventSubscriptions } from './event-subscriptions.ts';

export function mailboxes(ctx: ConnectorContext<CalendarConfig>): string[] {
  if (ctx.config.mailboxes !== undefined) return ctx.config.mailboxes.map((m) => m.toLowerCase());
  const out: string[] = [];
  for (const p of ctx.directory.people()) for (const i of p.identities) if (i.toLowerCase().startsWith('mailto:')) out.push(i.slice(7).toLowerCase());
  return out;
}

/**
 * msgraph-calendar: reads free/busy with getSchedule in batches and emits calendar signals with
 * their from/until window, so the Presence Manager changes presence at a meeting's start and end
 * by itself, without a poll at that moment. This file is the lifecycle: the poll timer, and
 * optionally event change notifications that re-read a mailbox soon after its calendar changed
 * instead of at the next poll; collector.ts reads and emits.
 */
export class MsGraphCalendarConnector implements Connector {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly client: CalendarClient;
  private readonly tokens: ClientCredentialsProvider;
  private readonly pacer: RequestPacer;
  private readonly collector: CalendarCollector;
  private cycle: Promise<void> | undefined;
  private cycling = 0;
  private listener: NotificationListener | undefined;
  private subs: EventSubscriptions | undefined;
  private maintenance: NodeJS.Timeout | undefined;
  /** Mailboxes a notification named, re-read together when the debounce timer fires. */
  private readonly gathered: Gather<string>;
  private reread: Promise<void> = Promise.resolve();
  /** Subscription work under way (maintenance, lifecycle notifications): stop() waits for it before deleting the subscriptions. */
  private readonly inFlight = new Set<Promise<unknown>>();
  /** The maintenance pass under way: a timer tick or a call meanwhile joins it instead of running a second one beside it. */
  private maintaining: Promise<void> | undefined;

  constructor(private readonly ctx: ConnectorContext<CalendarConfig>) {
    const c = ctx.config;
    const app = graphApp({ config: c, clock: ctx.clock, report: ctx.report, budget: { limit: c.requests.perWindow, windowMs: c.requests.window } });
    this.tokens = app.tokens;
    this.pacer = app.pacer;
    const engine = new CalendarEngine({
      source: ctx.id,
      details: c.exposeSubjects ? 'subject' : 'none',
      lookahead: c.lookahead,
      interval: c.interval,
      statusMap: c.tentativeAsBusy ? { tentative: { availability: 'busy', activity: 'in-a-meeting' } } : {},
      workingHours: c.workingHours.enabled ? { outsideAvailability: c.workingHours.outsideAvailability } : undefined,
      count: (name, n) => ctx.report.count(name, n),
    });
    this.client = new CalendarClient(app.graph, c.graphBaseUrl);
    this.collector = new CalendarCollector({ ctx, client: this.client, engine, active: () => this.running });
    this.gathered = new Gather({ ms: c.subscriptions?.debounce ?? 0, active: () => this.running, fire: (list) => this.rereadMailboxes(list) });
  }

  async start(): Promise<void> {
    this.running = true;
    this.pacer.resume();
    await this.tokens.getToken();
    const s = this.ctx.config.subscriptions;
    if (s?.enabled === true) {
      this.subs = new EventSubscriptions({ client: this.client, config: s, clock: this.ctx.clock, log: this.ctx.log, report: this.ctx.report, active: () => this.running });
      this.listener = new NotificationListener({ host: s.listen.host, port: s.listen.port, clientState: s.clientState, onNotifications: (items) => void this.track(this.onNotifications(items)), onRejected: (e) => this.ctx.report.error(e) });
      await this.listener.start();
      this.maintenance = setInterval(() => void this.maintain(), Math.max(1000, Math.min(60_000, s.renewBefore / 2)));
      this.maintenance.unref?.();
    }
    this.cycle = (async () => {
      await this.maintain();
      await this.runCycle();
    })();
    this.timer = setInterval(() => {
      // One cycle at a time: a cycle held back by throttling (or a slow upstream) is not joined by
      // a new one every interval, piling requests up behind the pause.
      if (this.running && this.cycling === 0) this.cycle = this.runCycle();
    }, this.ctx.config.interval);
    this.timer.unref?.();
  }

  async firstCycle(): Promise<void> {
    await this.cycle;
  }

  async runCycle(): Promise<void> {
    this.cycling++;
    try {
      if ((await this.collector.read(mailboxes(this.ctx))) === 0) this.ctx.report.ok();
    } finally {
      this.cycling--;
    }
  }

  /** Mailbox -> its event subscription (admin and tests); empty without subscriptions. */
  subscriptions(): ReadonlyMap<string, Readonly<{ id: string; expiresAt: number; renewAt: number }>> {
    return new Map(this.subs?.current() ?? []);
  }

  /**
   * One maintenance pass (renew what is due, recreate what lapsed, re-read its mailboxes); a timer
   * runs it every renewBefore/2, tests call it. stop() waits for a pass under way, which issues no
   * request after the stop began (EventSubscriptions checks before each one).
   */
  maintain(): Promise<void> {
    const subs = this.subs;
    if (subs === undefined || !this.running) return Promise.resolve();
    if (this.maintaining !== undefined) return this.maintaining;
    const pass = this.track(
      (async () => {
        try {
          // A mailbox whose subscription had lapsed may have changed unseen: read it again.
          const fresh = await subs.maintain(mailboxes(this.ctx));
          if (this.running) for (const mbx of fresh) this.queue(mbx);
        } catch (e) {
          if (!isStopped(e)) this.ctx.report.error(e);
        }
      })(),
    );
    this.maintaining = pass;
    void pass.then(() => {
      if (this.maintaining === pass) this.maintaining = undefined;
    });
    return pass;
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    const done = (): void => void this.inFlight.delete(p);
    p.then(done, done);
    return p;
  }

  /** Notifications (after the listener answered 202): each names a mailbox to re-read soon. */
  async onNotifications(items: readonly ChangeNotification[]): Promise<void> {
    for (const n of items) {
      // Stopping: no lifecycle work (it would create or renew a subscription) and no re-read.
      if (!this.running) return;
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
    this.gathered.add([mbx]);
  }

  private rereadMailboxes(list: readonly string[]): void {
    this.reread = this.reread.then(async () => {
      if ((await this.collector.read(list)) === 0) this.ctx.report.ok();
      this.ctx.report.count('rereads');
    });
  }

  /** Resolves when the re-reads queued so far are done (tests, demo). */
  async settled(): Promise<void> {
    await this.reread;
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== undefined) clearInterval(this.timer);
    if (this.maintenance !== undefined) clearInterval(this.maintenance);
    this.timer = this.maintenance = undefined;
    this.gathered.cancel();
    // Requests waiting for budget or a Retry-After pause are refused, never sent, and so is the next
    // request of a cycle or re-read under way (RequestPacer.cancel): nothing is sent or emitted after stop().
    this.pacer.cancel();
    // A request already sent when the pacer was cancelled is answered first (its subscription is
    // then known to stopAll below); maintenance and lifecycle work issue nothing after it.
    await Promise.allSettled([this.cycle, this.reread]);
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    // The subscription deletes below go out if Graph allows them now (RequestPacer.drain).
    this.pacer.drain();
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
