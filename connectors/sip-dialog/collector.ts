import type { ConnectorContext } from '../../core/connector/contract.ts';
import { emitSignals } from '../../core/connector/emit-signals.ts';
import type { SignalInput } from '../../core/model/signal.ts';
import { errorMessage } from '../../core/errors.ts';
import type { Notification, Subscription } from '../sip-core/subscription.ts';
import { DIALOG_ACCEPT, dialogDocument, subscriptionDownError, type SipSession } from './client.ts';
import type { SipDialogConfig } from './config.ts';
import { lineSignal, LineTracker, type LineState } from './map.ts';

interface Line {
  readonly uri: string;
  readonly identity: string;
  readonly endpoint: string;
  readonly tracker: LineTracker;
  emitted?: LineState;
  sub?: Subscription;
  timer?: NodeJS.Timeout;
}

/**
 * Line-state collector (RFC 4235): one dialog subscription per monitored line, a phone signal per
 * change of line state. Early dialogs that never resolve are dropped after `earlyTimeout`; a
 * notifier restart (CSeq and version back to the start) is accepted; a lost subscription makes
 * the line's register lapse rather than keep a stale lamp.
 */
export class SipDialogCollector {
  private lines: Line[] = [];
  private active = false;

  constructor(private readonly ctx: ConnectorContext<SipDialogConfig>) {}

  /** Subscribes to every configured line on the session. */
  watch(session: SipSession): void {
    this.active = true;
    this.lines = this.ctx.config.lines.map((l) => ({ uri: l.uri, identity: l.identity ?? l.uri, endpoint: l.endpoint ?? l.uri, tracker: new LineTracker() }));
    for (const line of this.lines) {
      line.sub = session.subscribe({
        target: line.uri,
        event: 'dialog',
        accept: DIALOG_ACCEPT,
        onNotify: (n) => void this.onNotify(line, n),
        onDown: (reason, permanent, ended) => {
          this.ctx.report.error(subscriptionDownError({ what: 'dialog subscription', target: line.uri, watched: 'the line' }, reason, permanent, ended));
          line.tracker.reset();
          void this.lapse(line);
        },
      });
    }
  }

  /** No timer left; every line that showed a state lapses (the connector stops). */
  async close(): Promise<void> {
    this.active = false;
    for (const line of this.lines) await this.lapse(line);
    this.lines = [];
  }

  private async onNotify(line: Line, n: Notification): Promise<void> {
    let doc;
    try {
      doc = dialogDocument(n);
    } catch (e) {
      this.ctx.log.warn({ line: line.uri, err: errorMessage(e) }, 'NOTIFY body refused');
      this.ctx.report.error(e);
      return;
    }
    this.ctx.report.ok();
    this.ctx.report.count('notifies');
    if (doc === undefined) {
      // An empty body (or a terminated subscription's last NOTIFY without one) means no dialogs.
      line.tracker.idle();
      await this.update(line);
      return;
    }
    const now = this.ctx.clock.now();
    const r = line.tracker.apply(doc, now, n.restarted);
    if (r === 'stale') {
      this.ctx.report.count('stale');
      return;
    }
    if (r === 'gap') line.sub?.refreshNow(); // section 4.1.2: a lost NOTIFY; a refresh brings a full state
    await this.update(line);
  }

  private async update(line: Line): Promise<void> {
    const now = this.ctx.clock.now();
    const max = this.ctx.config.earlyTimeout;
    if (line.tracker.expireEarly(now, max)) this.ctx.log.info({ line: line.uri }, 'early dialog never resolved; considered ended (stuck lamp)');
    if (line.timer !== undefined) clearTimeout(line.timer);
    const deadline = line.tracker.nextEarlyDeadline(max);
    if (deadline !== undefined && this.active) {
      line.timer = setTimeout(() => void this.update(line), Math.max(0, deadline - now));
      line.timer.unref?.();
    }
    const state = line.tracker.state();
    if (state === line.emitted) return;
    line.emitted = state;
    const sig: SignalInput = { identity: line.identity, source: this.ctx.id, endpoint: line.endpoint, category: 'phone', sourceTime: new Date(now).toISOString(), ...lineSignal(state, this.ctx.config.ringingAvailability) };
    await this.send([sig]);
  }

  private async lapse(line: Line): Promise<void> {
    if (line.timer !== undefined) clearTimeout(line.timer);
    if (line.emitted === undefined) return;
    line.emitted = undefined;
    const now = new Date(this.ctx.clock.now()).toISOString();
    await this.send([{ identity: line.identity, source: this.ctx.id, endpoint: line.endpoint, category: 'phone', availability: 'available', until: now, sourceTime: now }]);
  }

  private async send(batch: SignalInput[]): Promise<void> {
    await emitSignals(this.ctx, batch);
  }
}
