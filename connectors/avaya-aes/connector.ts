import type { Connector, ConnectorContext, ConnectorReport, TestResult } from '../../core/connector/contract.ts';
import { backoffDelay } from '../../core/connector/backoff.ts';
import { HubError, errorMessage, failureKind, isHubError } from '../../core/errors.ts';
import { DmccClient, type ClientEvents } from './client.ts';
import { LineCollector, type Line } from './collector.ts';
import type { AesConfig } from './config.ts';
import type { Incoming } from './messages.ts';
import { LineRefusal, MonitorOutcomeUnknown, pool, snapshot, startMonitor, stopMonitor } from './monitors.ts';
import { DmccSession } from './session.ts';

/**
 * avaya-aes lifecycle: connect (TLS 4722 or TCP 4721), application session, a monitor per line,
 * then events. A dropped connection or a terminated session is reconnected with capped backoff;
 * the new session releases the old one, starts every monitor again and re-reads each line
 * (SnapshotDevice), so a call that ended during the outage shows idle. Lines not re-read within
 * `lapseAfter` lapse. Bad credentials fail the start as permanent; on a reconnect they stop the
 * retries and stay in health.
 */
export class AvayaAesConnector implements Connector {
  private running = false;
  private client: DmccClient | undefined;
  private session: DmccSession | undefined;
  private lastSessionId: string | undefined;
  private readonly lines: LineCollector;
  private timers = new Set<NodeJS.Timeout>();
  private lapseTimer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private generation = 0;
  /** The current connection has a session: a drop now is an outage to reconnect from (before, the caller sees the failure). */
  private up = false;
  private readonly inFlight = new Set<Promise<unknown>>();
  /** monitorCrossRefIDs of this session no line knows that the hub has asked AE Services to stop. */
  private stoppedUnknown = new Set<string>();

  /** The configured `retry`: reconnects after a drop and the supervisor's retries of a failed start follow it. */
  get backoff(): { baseMs: number; maxMs: number } {
    return { baseMs: this.ctx.config.retry.base, maxMs: this.ctx.config.retry.max };
  }

  constructor(private readonly ctx: ConnectorContext<AesConfig>) {
    this.lines = new LineCollector(ctx);
  }

  /** Requests sent over every connection so far (tests). */
  requestsSent = 0;

  async start(): Promise<void> {
    this.running = true;
    this.attempt = 0;
    await this.connect(); // unreachable (transient) or refused (permanent): the supervisor decides
    const rescan = setInterval(() => void this.track(this.resync()), Math.max(1000, this.ctx.config.directoryRescan));
    rescan.unref?.();
    this.timers.add(rescan);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    const done = (): void => void this.inFlight.delete(p);
    p.then(done, done);
    return p;
  }

  private async connect(): Promise<void> {
    const gen = ++this.generation;
    const events: ClientEvents = {
      onUnsolicited: (m) => this.onUnsolicited(gen, m),
      onBadMessage: (e) => {
        this.ctx.log.warn({ err: e.message }, 'unreadable DMCC message skipped');
        this.ctx.report.count('badMessages');
        this.ctx.report.error(new HubError('HUB_ERR_AES_BAD_MESSAGE', `AE Services sent a message that cannot be read: ${e.message}`, { kind: 'transient' }));
      },
      onClose: (reason) => this.onDrop(gen, reason),
    };
    const client = await DmccClient.connect(this.ctx.config, events, this.ctx.log);
    if (!this.running || gen !== this.generation) {
      client.close();
      return;
    }
    this.client = client;
    let session: DmccSession;
    try {
      session = await DmccSession.start(client, {
        config: this.ctx.config,
        log: this.ctx.log,
        onKeepAliveFailed: (e) => {
          this.ctx.report.error(e);
          // No answer to the keep-alive: the connection is as good as gone; start over before the session expires.
          if (e.code === 'HUB_ERR_AES_TIMEOUT') client.close();
        },
      });
    } catch (e) {
      this.countRequests(client);
      client.close();
      this.client = undefined;
      throw e;
    }
    if (!this.running || gen !== this.generation) {
      await session.stop();
      client.close();
      return;
    }
    this.session = session;
    this.up = true;
    this.ctx.report.ok();
    const previous = this.lastSessionId;
    this.lastSessionId = session.id;
    if (previous !== undefined && previous !== session.id) void this.track(DmccSession.release(client, previous, this.ctx.log));
    this.lines.disconnected();
    this.stoppedUnknown = new Set();
    void this.track(this.monitorAll(gen, client));
  }

  private countRequests(client: DmccClient): void {
    this.requestsSent += client.sent;
    client.sent = 0;
  }

  /** Every wanted line's monitor, then its calls; refusals go to the report, connection failures end the round. */
  private async monitorAll(gen: number, client: DmccClient): Promise<void> {
    const c = this.ctx.config;
    const { removed } = this.lines.sync(this.lines.wanted());
    this.lines.lapse(removed);
    const todo = [...this.lines.lines.values()];
    const t0 = Date.now();
    try {
      await pool(todo, c.concurrency, (line) => this.monitorLine(gen, client, line));
      if (gen !== this.generation) return;
      if (this.lapseTimer !== undefined) clearTimeout(this.lapseTimer);
      this.lapseTimer = undefined;
      const refused = todo.filter((l) => l.refused !== undefined).length;
      this.ctx.log.info({ lines: todo.length, refused, ms: Date.now() - t0 }, 'DMCC monitors started');
      this.ctx.report.ok();
    } catch (e) {
      if (gen !== this.generation || !this.running) return;
      this.ctx.report.error(e);
      client.close(); // reconnect and start over
    }
  }

  private async monitorLine(gen: number, client: DmccClient, line: Line): Promise<void> {
    if (gen !== this.generation) return;
    const c = this.ctx.config;
    try {
      const m = await startMonitor(client, { extension: line.extension, switchName: c.switchName, deviceIds: c.deviceIds, onMonitor: (x) => this.lines.monitored(line, x.device, x.crossRefId) });
      this.ctx.report.count('monitorsStarted');
      const ok = await snapshot(client, line.extension, m.device, (calls) => this.lines.snapshot(line, calls)).catch((e: unknown) => {
        if (client.isClosed) throw e;
        return false;
      });
      if (!ok) {
        // The switch cannot say which calls are there: the line is unknown (its register lapses) until its next event.
        this.ctx.report.count('snapshotsFailed');
        this.lines.lapse([line]);
      }
    } catch (e) {
      if (e instanceof LineRefusal) {
        this.lines.refused(line, e.code, e.message);
        this.lines.lapse([line]);
        return;
      }
      if (e instanceof MonitorOutcomeUnknown) {
        this.ctx.report.count('monitorStartsUnknown');
        this.lines.lapse([line]);
        if (this.lines.unknownStart(line, e.message)) {
          this.ctx.report.count('monitorsGivenUp');
          this.ctx.report.error(new HubError('HUB_ERR_AES_UNMONITORABLE', `${line.person} (extension ${line.extension}) cannot be monitored on this session: AE Services answered MonitorStart unusably ${line.unknownStarts} times (last: ${e.message}); not tried again until the session is renewed`, { kind: 'transient' }));
        }
        // No answer in time: unless the session still answers, the connection is broken (the round
        // ends and the new session releases this one, with whatever monitor it may hold).
        if (e.cause.code === 'HUB_ERR_AES_TIMEOUT' && !(gen === this.generation && (await this.session?.probe()) === true)) throw e.cause;
        return;
      }
      // An answer for this station that cannot be read (counted and in health already) concerns this
      // line only: it is on the report and tried again at the next rescan; the other lines go on.
      if (isHubError(e) && e.code === 'HUB_ERR_AES_BAD_MESSAGE' && !client.isClosed) {
        this.lines.refused(line, 'HUB_ERR_AES_MONITOR', `extension ${line.extension}: ${e.message}`);
        this.lines.lapse([line]);
        return;
      }
      throw e;
    }
  }

  private onUnsolicited(gen: number, m: Incoming): void {
    if (gen !== this.generation) return;
    switch (m.kind) {
      case 'event': {
        if (this.lines.onEvent(m.event)) return;
        // Cross-reference ids are per session: an event under one no line holds, after a MonitorStart whose
        // answer could not be used, is that monitor (or one of them). Which line it watches cannot be told
        // from the event (it may name only the far end), so it is stopped rather than adopted.
        const x = m.event.crossRefId;
        const client = this.client;
        if (client === undefined || this.stoppedUnknown.has(x) || !this.lines.mayHoldUnknownMonitors()) return;
        this.stoppedUnknown.add(x);
        this.ctx.report.count('unknownMonitorsStopped');
        this.ctx.log.info({ crossRefId: x }, 'events from a monitor the hub cannot name (a MonitorStart answer could not be used): stopping it');
        void this.track(stopMonitor(client, x));
        return;
      }
      case 'monitor-ended': {
        const line = this.lines.onMonitorEnded(m.crossRefId);
        if (line === undefined || this.client === undefined) return;
        // Started again and re-read; the lamp keeps its state meanwhile (it lapses only if the monitor is refused).
        this.ctx.log.info({ extension: line.extension, cause: m.cause }, 'monitor ended by AE Services; starting it again');
        const client = this.client;
        void this.track(this.monitorLine(gen, client, line).catch((e: unknown) => this.ctx.report.error(e)));
        return;
      }
      case 'monitor-started':
        // The answer to a MonitorStart that had timed out: a monitor no line holds, stopped by its name now.
        if (this.client !== undefined && !this.lines.holds(m.crossRefId) && !this.stoppedUnknown.has(m.crossRefId)) {
          this.stoppedUnknown.add(m.crossRefId);
          this.ctx.report.count('unknownMonitorsStopped');
          this.ctx.log.info({ crossRefId: m.crossRefId }, 'a MonitorStart answered after its timeout: stopping that monitor');
          void this.track(stopMonitor(this.client, m.crossRefId));
        }
        return;
      case 'session-terminated':
        // A notice naming another session (an earlier one, released at reconnect) does not end this one.
        if (m.sessionId !== undefined && this.session !== undefined && m.sessionId !== this.session.id) {
          this.ctx.log.info({ session: m.sessionId.slice(0, 8), reason: m.reason }, 'AE Services ended an earlier application session');
          return;
        }
        this.ctx.report.error(new HubError('HUB_ERR_AES_SESSION', `AE Services terminated the application session (${m.reason}); reconnecting`, { kind: 'transient' }));
        this.client?.close();
        return;
      default:
        this.ctx.report.count('unsolicitedIgnored');
    }
  }

  private onDrop(gen: number, reason: string): void {
    if (gen !== this.generation) return;
    const wasUp = this.up;
    this.up = false;
    const client = this.client;
    if (client !== undefined) this.countRequests(client);
    this.session?.abandon();
    this.session = undefined;
    this.client = undefined;
    this.lines.disconnected();
    if (!this.running || !wasUp) return;
    this.ctx.report.error(new HubError('HUB_ERR_AES_DISCONNECTED', `connection to AE Services lost: ${reason}`, { kind: 'transient' }));
    if (this.lapseTimer === undefined) {
      this.lapseTimer = setTimeout(() => {
        this.lapseTimer = undefined;
        this.lines.lapse(this.lines.lines.values());
      }, this.ctx.config.lapseAfter);
      this.lapseTimer.unref?.();
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    const delay = backoffDelay(++this.attempt, this.backoff);
    this.ctx.report.retryAt(this.ctx.clock.now() + delay);
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.running) return;
      void this.track(
        this.connect().then(
          () => {
            this.attempt = 0;
            this.ctx.report.retryAt(undefined);
          },
          (e: unknown) => {
            if (!this.running) return;
            this.ctx.report.error(e);
            if (failureKind(e) === 'permanent') {
              this.ctx.report.retryAt(undefined);
              this.ctx.log.error({ code: isHubError(e) ? e.code : undefined }, `avaya-aes ${this.ctx.id} stops reconnecting: ${errorMessage(e)}`);
              return;
            }
            this.scheduleReconnect();
          },
        ),
      );
    }, delay);
    t.unref?.();
    this.timers.add(t);
  }

  /** Directory changes: monitors for people added, none for people gone; refused monitors are tried again (a station or licence fixed since). */
  private async resync(): Promise<void> {
    const client = this.client;
    if (!this.running || client === undefined || this.session === undefined) return;
    const { added, removed } = this.lines.sync(this.lines.wanted());
    for (const l of removed) if (l.crossRefId !== undefined) await stopMonitor(client, l.crossRefId);
    this.lines.lapse(removed);
    const again = [...this.lines.lines.values()].filter((l) => l.refused !== undefined && l.crossRefId === undefined && l.givenUp !== true && !added.includes(l));
    const gen = this.generation;
    await pool([...added, ...again], this.ctx.config.concurrency, (line) => this.monitorLine(gen, client, line)).catch((e: unknown) => this.ctx.report.error(e));
    this.ctx.report.count('rescans');
  }

  async stop(): Promise<void> {
    this.running = false;
    this.up = false;
    this.generation++;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (this.lapseTimer !== undefined) clearTimeout(this.lapseTimer);
    this.lapseTimer = undefined;
    const client = this.client;
    const session = this.session;
    this.client = undefined;
    this.session = undefined;
    try {
      await session?.stop();
    } finally {
      if (client !== undefined) {
        this.countRequests(client);
        client.close();
      }
      await Promise.allSettled([...this.inFlight]);
      this.lines.lapse(this.lines.lines.values());
      await this.lines.drain();
      this.lines.disconnected();
    }
  }

  async testConnection(): Promise<TestResult> {
    const noop = { onUnsolicited: () => undefined, onBadMessage: () => undefined, onClose: () => undefined };
    let client: DmccClient | undefined;
    // A rejection is the failed result (the supervisor's connectionTest turns it into one).
    try {
      client = await DmccClient.connect(this.ctx.config, noop, this.ctx.log);
      const s = await DmccSession.start(client, { config: this.ctx.config, log: this.ctx.log, onKeepAliveFailed: () => undefined });
      await s.stop();
      return { ok: true, message: `AE Services ${this.ctx.config.host} accepted a DMCC session (${s.protocol}, ${s.duration} s)` };
    } finally {
      if (client !== undefined) {
        this.countRequests(client);
        client.close();
      }
    }
  }

  report(): ConnectorReport {
    return this.lines.report();
  }
}
