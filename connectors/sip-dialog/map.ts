import type { SignalInput } from '../../core/model/signal.ts';
import type { DialogInfo, DialogState } from '../sip-core/dialog-info.ts';

/**
 * Busy-lamp line state from the dialog event package (RFC 4235), pure. The tracker applies full
 * and partial documents in version order (section 4.1.2: a version not above the last one is
 * stale; a gap means a lost NOTIFY and asks for a full state), and expires early dialogs that
 * never resolve (the stuck-lamp problem: a lost terminated NOTIFY would ring forever).
 */
export type LineState = 'idle' | 'ringing' | 'dialing' | 'busy';

interface Tracked {
  readonly state: DialogState;
  readonly direction?: 'initiator' | 'recipient';
  readonly since: number;
}

export type ApplyResult = 'applied' | 'stale' | 'gap';

const EARLY: ReadonlySet<DialogState> = new Set(['trying', 'proceeding', 'early']);

export class LineTracker {
  private version: number | undefined;
  private readonly dialogs = new Map<string, Tracked>();

  apply(info: DialogInfo, now: number, restarted = false): ApplyResult {
    if (this.version !== undefined && !restarted && info.version <= this.version) return 'stale';
    const gap = this.version !== undefined && !restarted && info.state === 'partial' && info.version > this.version + 1;
    this.version = info.version;
    if (info.state === 'full') {
      const old = new Map(this.dialogs);
      this.dialogs.clear();
      for (const d of info.dialogs) this.put(d.id, d.state, d.direction, now, old.get(d.id));
    } else {
      for (const d of info.dialogs) this.put(d.id, d.state, d.direction, now, this.dialogs.get(d.id));
    }
    return gap ? 'gap' : 'applied';
  }

  private put(id: string, state: DialogState, direction: Tracked['direction'], now: number, prev: Tracked | undefined): void {
    if (state === 'terminated') {
      this.dialogs.delete(id);
      return;
    }
    const since = prev !== undefined && prev.state === state ? prev.since : now;
    this.dialogs.set(id, { state, since, ...(direction !== undefined ? { direction } : prev?.direction !== undefined ? { direction: prev.direction } : {}) });
  }

  /** Drops early dialogs older than `maxEarlyMs`; true when something was dropped. */
  expireEarly(now: number, maxEarlyMs: number): boolean {
    let changed = false;
    for (const [id, d] of this.dialogs) {
      if (EARLY.has(d.state) && now - d.since >= maxEarlyMs) {
        this.dialogs.delete(id);
        changed = true;
      }
    }
    return changed;
  }

  /** When the oldest early dialog will be considered stuck. */
  nextEarlyDeadline(maxEarlyMs: number): number | undefined {
    let t: number | undefined;
    for (const d of this.dialogs.values()) if (EARLY.has(d.state)) t = Math.min(t ?? Infinity, d.since + maxEarlyMs);
    return t;
  }

  /**
   * A NOTIFY without a body: the notifier has no dialog state for the line (Kamailio's
   * presence_dialoginfo sends one when the line's last publication ends or expires). The line is
   * idle (RFC 4235 section 4: no dialogs); the next document starts a new version sequence.
   */
  idle(): void {
    this.version = undefined;
    this.dialogs.clear();
  }

  /** Forgets everything (a new subscription starts a new version sequence). */
  reset(): void {
    this.version = undefined;
    this.dialogs.clear();
  }

  state(): LineState {
    const all = [...this.dialogs.values()];
    if (all.some((d) => d.state === 'confirmed')) return 'busy';
    if (all.some((d) => EARLY.has(d.state) && d.direction === 'recipient')) return 'ringing';
    if (all.some((d) => EARLY.has(d.state))) return 'dialing';
    return 'idle';
  }
}

export type RingingAvailability = 'none' | 'available' | 'busy';

/** Line state -> the phone register's signal fields (docs/architecture.md signal; category phone). */
export function lineSignal(state: LineState, ringingAvailability: RingingAvailability): Pick<SignalInput, 'availability' | 'activity'> {
  switch (state) {
    case 'busy':
      return { availability: 'busy', activity: 'on-the-phone' };
    case 'ringing':
    case 'dialing': {
      // Ringing is activity only: a phone that rings does not make its owner busy, unless configured.
      const activity = state;
      return ringingAvailability === 'none' ? { activity } : { availability: ringingAvailability, activity };
    }
    case 'idle':
      return { availability: 'available' };
  }
}
