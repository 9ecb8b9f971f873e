import type { ConnectorContext, ConnectorReport } from '../../core/connector/contract.ts';
import { emitSignals } from '../../core/connector/emit-signals.ts';
import type { SignalInput } from '../../core/model/signal.ts';
import type { AesConfig } from './config.ts';
import { extensionFromIdentity, lineSignal, LineTracker, type LineState } from './map.ts';
import type { CallEvent, LocalState } from './messages.ts';

/**
 * The monitored lines and the phone signals they give: one register per line (category phone,
 * endpoint = the extension), a signal per change of line state, in batches. Lines come from the
 * directory (`ext:`/`tel:` identities and the extension rule) and the configured list; a line
 * whose monitor AE Services refused is listed on the directory report for its person, not in
 * connector health; one given up after MonitorStart answers that could not be used is in both.
 */
export interface Line {
  readonly extension: string;
  readonly person: string;
  readonly tracker: LineTracker;
  device?: string;
  crossRefId?: string;
  /** What the register says: a line state, or lapsed (nothing known). */
  emitted?: LineState | 'lapsed';
  refused?: { readonly code: string; readonly reason: string; readonly at: number };
  /** MonitorStart answers on this session that could not be used: each may have left a monitor the hub cannot name. */
  unknownStarts?: number;
  /** Not tried again on this session (UNKNOWN_STARTS_CAP reached). */
  givenUp?: boolean;
}

const BATCH = 500;

/**
 * MonitorStart tries per line and session whose outcome stayed unknown before the line is given up
 * until the session is renewed: each may have left a monitor (and a licence) on AE Services that
 * the hub cannot stop by name, so retrying at every rescan could pile them up.
 */
export const UNKNOWN_STARTS_CAP = 3;

export class LineCollector {
  readonly lines = new Map<string, Line>();
  private readonly byCrossRef = new Map<string, Line>();
  private conflicts: { identity: string; people: string[] }[] = [];
  private overLimit: string[] = [];
  private unknownPeople: string[] = [];
  private queue: SignalInput[] = [];
  private flushing: Promise<void> | undefined;
  private at: number | undefined;

  constructor(private readonly ctx: ConnectorContext<AesConfig>) {}

  /** The extensions wanted now: person per extension; an extension two people claim is refused for both. */
  wanted(): Map<string, string> {
    const c = this.ctx.config;
    const claims = new Map<string, Set<string>>();
    const claim = (ext: string, person: string): void => {
      const s = claims.get(ext) ?? new Set<string>();
      s.add(person);
      claims.set(ext, s);
    };
    for (const p of this.ctx.directory.people()) {
      for (const i of p.identities) {
        const ext = extensionFromIdentity(i, c.extensionRule);
        if (ext !== undefined) claim(ext, p.id);
      }
    }
    this.unknownPeople = [];
    for (const l of c.lines) {
      if (this.ctx.directory.person(l.person) === undefined) this.unknownPeople.push(`${l.person} (extension ${l.extension})`);
      else claim(l.extension, l.person);
    }
    const out = new Map<string, string>();
    this.conflicts = [];
    for (const [ext, people] of claims) {
      if (people.size === 1) out.set(ext, [...people][0]!);
      else this.conflicts.push({ identity: `ext:${ext}`, people: [...people].sort() });
    }
    this.overLimit = [];
    if (out.size > c.maxMonitors) {
      const keep = [...out.keys()].sort().slice(0, c.maxMonitors);
      const kept = new Set(keep);
      for (const [ext, person] of out) if (!kept.has(ext)) this.overLimit.push(`${person} (extension ${ext})`);
      for (const ext of [...out.keys()]) if (!kept.has(ext)) out.delete(ext);
    }
    this.at = this.ctx.clock.now();
    return out;
  }

  /** Adds lines newly wanted, returns those no longer wanted (removed here; their monitors are stopped by the caller). */
  sync(wanted: Map<string, string>): { added: Line[]; removed: Line[] } {
    const added: Line[] = [];
    const removed: Line[] = [];
    for (const [ext, line] of this.lines) {
      if (wanted.get(ext) !== line.person) {
        this.lines.delete(ext);
        if (line.crossRefId !== undefined) this.byCrossRef.delete(line.crossRefId);
        removed.push(line);
      }
    }
    for (const [ext, person] of wanted) {
      if (this.lines.has(ext)) continue;
      const line: Line = { extension: ext, person, tracker: new LineTracker(ext) };
      this.lines.set(ext, line);
      added.push(line);
    }
    return { added, removed };
  }

  monitored(line: Line, device: string, crossRefId: string): void {
    if (line.crossRefId !== undefined) this.byCrossRef.delete(line.crossRefId);
    line.device = device;
    line.crossRefId = crossRefId;
    delete line.refused;
    this.byCrossRef.set(crossRefId, line);
  }

  /**
   * A MonitorStart whose outcome is unknown: the line lapses and is on the report; true when this
   * was the last try on this session (then it is given up until the session is renewed).
   */
  unknownStart(line: Line, reason: string): boolean {
    const n = (line.unknownStarts ?? 0) + 1;
    line.unknownStarts = n;
    if (n < UNKNOWN_STARTS_CAP) {
      this.refused(line, 'HUB_ERR_AES_MONITOR', `extension ${line.extension}: ${reason} (the monitor may have started; tried again at the next rescan, ${UNKNOWN_STARTS_CAP - n} more time${UNKNOWN_STARTS_CAP - n === 1 ? '' : 's'} on this session)`);
      return false;
    }
    line.givenUp = true;
    this.refused(line, 'HUB_ERR_AES_UNMONITORABLE', `extension ${line.extension}: cannot be monitored on this session: ${n} MonitorStart answers could not be used (last: ${reason}); not tried again until the session is renewed`);
    return true;
  }

  /** Whether a line holds this monitor. */
  holds(crossRefId: string): boolean {
    return this.byCrossRef.has(crossRefId);
  }

  /** Whether AE Services may hold monitors of this session that no line knows (a MonitorStart with an unknown outcome). */
  mayHoldUnknownMonitors(): boolean {
    for (const l of this.lines.values()) if ((l.unknownStarts ?? 0) > 0) return true;
    return false;
  }

  refused(line: Line, code: string, reason: string): void {
    line.refused = { code, reason, at: this.ctx.clock.now() };
    this.ctx.report.count('monitorsRefused');
  }

  /**
   * The connection is gone: every monitor with it (cross-reference ids are per session). The next
   * session releases this one, and with it any monitor the hub could not name: every line may be tried afresh.
   */
  disconnected(): void {
    this.byCrossRef.clear();
    for (const l of this.lines.values()) {
      delete l.crossRefId;
      delete l.device;
      delete l.unknownStarts;
      delete l.givenUp;
    }
  }

  /** False when no line holds the event's monitorCrossRefID. */
  onEvent(e: CallEvent): boolean {
    const line = this.byCrossRef.get(e.crossRefId);
    if (line === undefined) {
      this.ctx.report.count('eventsUnmatched');
      return false;
    }
    line.tracker.apply(e);
    this.ctx.report.count('events');
    this.update(line);
    return true;
  }

  onMonitorEnded(crossRefId: string): Line | undefined {
    const line = this.byCrossRef.get(crossRefId);
    if (line === undefined) return undefined;
    this.byCrossRef.delete(crossRefId);
    delete line.crossRefId;
    return line;
  }

  /** What SnapshotDevice said is the line's truth now. */
  snapshot(line: Line, calls: readonly { callId: string; state?: LocalState }[]): void {
    line.tracker.replace(calls);
    this.update(line);
  }

  update(line: Line): void {
    const state = line.tracker.state();
    if (state === line.emitted) return;
    line.emitted = state;
    const now = new Date(this.ctx.clock.now()).toISOString();
    this.push({ person: line.person, source: this.ctx.id, endpoint: line.extension, category: 'phone', sourceTime: now, ...lineSignal(state, this.ctx.config.ringingAvailability) });
  }

  /** Nothing is known about these lines any more: their registers lapse (an already-expired signal) rather than keep a lamp lit. */
  lapse(lines: Iterable<Line>): void {
    const now = new Date(this.ctx.clock.now()).toISOString();
    for (const line of lines) {
      line.tracker.clear();
      if (line.emitted === undefined || line.emitted === 'lapsed') continue;
      line.emitted = 'lapsed';
      this.push({ person: line.person, source: this.ctx.id, endpoint: line.extension, category: 'phone', availability: 'available', until: now, sourceTime: now });
    }
  }

  private push(s: SignalInput): void {
    this.queue.push(s);
    if (this.flushing === undefined) this.flushing = new Promise<void>((r) => setImmediate(r)).then(() => this.flush());
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      await emitSignals(this.ctx, this.queue.splice(0, BATCH));
    }
    this.flushing = undefined;
  }

  /** Resolves once every signal queued so far has been handed to the hub. */
  async drain(): Promise<void> {
    while (this.flushing !== undefined) await this.flushing;
  }

  report(): ConnectorReport {
    const skipped = [...this.lines.values()].filter((l) => l.refused !== undefined).map((l) => ({ entry: `${l.person} (extension ${l.extension})`, reason: `${l.refused!.reason} [${l.refused!.code}]` }));
    for (const e of this.unknownPeople) skipped.push({ entry: e, reason: 'lines: no such person in the directory' });
    for (const e of this.overLimit) skipped.push({ entry: e, reason: `over the limit of ${this.ctx.config.maxMonitors} monitors per session (maxMonitors)` });
    return {
      skipped,
      conflicts: this.conflicts,
      people: new Set([...this.lines.values()].filter((l) => l.crossRefId !== undefined).map((l) => l.person)).size,
      ...(this.at !== undefined ? { at: this.at } : {}),
    };
  }
}
