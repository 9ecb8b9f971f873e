import type * as ews from 'ews-javascript-api';
import type { HealthReporter } from '../../core/connector/contract.ts';
import { errorMessage, isHubError, type HubError } from '../../core/errors.ts';
import type { Logger } from '../../core/util/logger.ts';
import type { EwsClient } from './client.ts';
import type { EwsTransport } from './transport.ts';

interface Group {
  readonly mailboxes: string[];
  /**
   * The first of the group's mailboxes in alphabetical order that could be subscribed: the
   * X-AnchorMailbox of every later Subscribe and of the group's GetStreamingEvents.
   */
  anchor?: string | undefined;
  /** subscription id -> its mailbox and the library's subscription object. */
  subs: Map<string, { mailbox: string; sub: ews.StreamingSubscription }>;
  conn?: ews.StreamingSubscriptionConnection | undefined;
  transport?: EwsTransport | undefined;
  /** Bumped at each (re)open: events of an older connection are ignored. */
  generation: number;
  failures: number;
  timer?: NodeJS.Timeout | undefined;
}

/**
 * Streaming notifications (notification-subscriptions-mailbox-events-and-ews-in-exchange): one
 * streaming subscription per mailbox on its calendar folder (impersonating it), grouped
 * `groupSize` to a StreamingSubscriptionConnection, with affinity to the mailbox server of the
 * group's anchor (its alphabetically first mailbox: X-AnchorMailbox, X-PreferServerAffinity and the
 * X-BackEndOverrideCookie on every Subscribe and GetStreamingEvents of the group). A
 * connection lives `lifetime` minutes (at most 30, ConnectionTimeout); when the server closes it
 * cleanly it is opened again at once, and a watchdog re-opens one that outlived its lifetime
 * without closing. Each event names a mailbox to read again (`onChange`). After a subscription
 * error or a disconnect with an error the group is subscribed again and every mailbox of it read
 * again (it may have changed unseen); after three failures in a row the group falls back to
 * polling only and streaming is tried again after `retryAfter`.
 */
export class CalendarStreams {
  private readonly groups: Group[] = [];
  private running = false;

  constructor(
    private readonly o: {
      client: EwsClient;
      lifetime: number;
      groupSize: number;
      retryAfter: number;
      log: Logger;
      report: HealthReporter;
      onChange: (mailboxes: readonly string[]) => void;
      onMailboxError: (mailbox: string, e: HubError) => void;
    },
  ) {}

  async start(mailboxes: readonly string[]): Promise<void> {
    this.running = true;
    for (let i = 0; i < mailboxes.length; i += this.o.groupSize) {
      const list = mailboxes.slice(i, i + this.o.groupSize);
      const g: Group = { mailboxes: list, subs: new Map(), generation: 0, failures: 0 };
      this.groups.push(g);
      await this.connect(g, false);
    }
  }

  /** Subscriptions in force, per mailbox (tests, health). */
  subscribed(): string[] {
    return this.groups.flatMap((g) => [...g.subs.values()].map((x) => x.mailbox));
  }

  private async connect(g: Group, resync: boolean): Promise<void> {
    if (!this.running) return;
    const gen = ++g.generation;
    this.close(g);
    try {
      if (g.subs.size === 0) {
        if (g.anchor !== undefined) this.o.client.resetAffinity(g.anchor);
        g.anchor = undefined;
        for (const mbx of [...g.mailboxes].sort()) {
          try {
            const s = await this.o.client.subscribe(mbx, g.anchor ?? mbx);
            g.subs.set(s.Id, { mailbox: mbx, sub: s });
            g.anchor ??= mbx;
          } catch (e) {
            // One mailbox that cannot be subscribed (unknown, impersonation denied) is its own problem.
            if (isHubError(e) && e.code === 'HUB_ERR_EWS_MAILBOX') this.o.onMailboxError(mbx, e);
            else throw e;
          }
          if (!this.running || gen !== g.generation) return;
        }
      }
      if (g.subs.size === 0 || g.anchor === undefined) return;
      const { conn, transport } = await this.o.client.connection(g.anchor, this.o.lifetime);
      if (!this.running || gen !== g.generation) return;
      for (const { sub } of g.subs.values()) conn.AddSubscription(sub);
      conn.OnNotificationEvent.push((_c, args) => {
        if (gen !== g.generation) return;
        const mbx = g.subs.get(args.Subscription?.Id ?? '')?.mailbox;
        if (mbx !== undefined && (args.Events?.length ?? 0) > 0) {
          this.o.report.count('stream_events', args.Events.length);
          this.o.onChange([mbx]);
        }
      });
      conn.OnSubscriptionError.push((_c, args) => {
        if (gen === g.generation) void this.fail(g, `subscription error: ${errorMessage(args.Exception)}`, true);
      });
      conn.OnDisconnect.push((_c, args) => {
        if (gen !== g.generation || !this.running) return;
        // No exception: the server closed the connection at the end of its lifetime; open it again at once.
        if (args.Exception == null) void this.connect(g, false);
        else void this.fail(g, `disconnected: ${errorMessage(args.Exception)}`, true);
      });
      g.conn = conn;
      g.transport = transport;
      conn.Open().catch((e: unknown) => {
        if (gen === g.generation && this.running) void this.fail(g, `stream failed: ${errorMessage(transport.lastFailure ?? e)}`, true);
      });
      // The watchdog: a connection the server never closed is re-opened a minute after its lifetime.
      g.timer = setTimeout(() => {
        if (gen === g.generation) void this.connect(g, false);
      }, (this.o.lifetime + 1) * 60_000);
      g.timer.unref?.();
      g.failures = 0;
      this.o.report.count('stream_connections');
      if (resync) this.o.onChange([...g.subs.values()].map((x) => x.mailbox));
    } catch (e) {
      if (gen === g.generation) await this.fail(g, `subscribe failed: ${errorMessage(e)}`, false, e);
    }
  }

  private async fail(g: Group, why: string, resubscribe: boolean, cause?: unknown): Promise<void> {
    if (!this.running) return;
    g.failures++;
    const gen = ++g.generation;
    this.close(g);
    this.o.report.count('stream_failures');
    this.o.log.warn({ mailboxes: g.mailboxes.length, failures: g.failures }, `EWS streaming ${why}`);
    if (isHubError(cause) && cause.kind === 'permanent') this.o.report.error(cause);
    if (resubscribe) g.subs.clear();
    // Three failures in a row: polling alone until retryAfter; else again soon (1 s, 2 s).
    const delay = g.failures >= 3 ? this.o.retryAfter : 1000 * g.failures;
    if (g.failures === 3) this.o.report.count('stream_fallbacks');
    g.timer = setTimeout(() => {
      if (gen === g.generation) void this.connect(g, true);
    }, delay);
    g.timer.unref?.();
  }

  private close(g: Group): void {
    if (g.timer !== undefined) clearTimeout(g.timer);
    g.timer = undefined;
    const conn = g.conn;
    g.conn = undefined;
    try {
      if (conn?.IsOpen === true) conn.Close();
    } catch {
      // A connection already gone: nothing to close.
    }
    g.transport?.disconnect();
    g.transport = undefined;
  }

  async stop(): Promise<void> {
    this.running = false;
    for (const g of this.groups) {
      g.generation++;
      this.close(g);
    }
    this.groups.length = 0;
  }
}
