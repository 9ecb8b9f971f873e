import type { SignalInput } from '../../core/model/signal.ts';
import type { CallEvent, LocalState } from './messages.ts';

/**
 * Line state from DMCC call-control events, pure. A device may take part in several calls; each
 * is tracked by its callID with the device's own phase in it. The switch's `localConnectionInfo`
 * (the monitored device's ECMA-269 LocalConnectionState after the event) decides where it is
 * given; otherwise the event and whether it names this device do. The line is in a call while
 * any call is connected, on hold while every remaining call is held, ringing or dialing while a
 * call alerts or is being set up, idle with no call.
 */
export type Phase = 'dialing' | 'ringing' | 'talking' | 'held';
export type LineState = 'idle' | 'dialing' | 'ringing' | 'busy' | 'held';

/** The extension in a DMCC device id (`4750:CM1:192.0.2.1:0` -> `4750`; a bare number stays). */
export function extensionOf(deviceId: string): string {
  const i = deviceId.indexOf(':');
  return i < 0 ? deviceId : deviceId.slice(0, i);
}

/** A call's phase from the device's own connection state; `connected` keeps a call still being set up as dialing. */
function fromLocal(local: LocalState, prev: Phase | undefined): Phase | undefined {
  switch (local) {
    case 'null':
      return undefined;
    case 'initiated':
    case 'queued':
    case 'fail':
      return 'dialing';
    case 'alerting':
      return 'ringing';
    case 'hold':
      return 'held';
    case 'connected':
      return prev === 'dialing' ? 'dialing' : 'talking';
  }
}

export class LineTracker {
  private readonly calls = new Map<string, Phase>();

  constructor(readonly extension: string) {}

  private ours(deviceId: string | undefined): boolean {
    return deviceId !== undefined && extensionOf(deviceId) === this.extension;
  }

  private set(callId: string, phase: Phase | undefined): void {
    if (phase === undefined) this.calls.delete(callId);
    else this.calls.set(callId, phase);
  }

  /** Applies one event of this device's monitor. */
  apply(e: CallEvent): void {
    if (e.type === 'TransferedEvent' || e.type === 'ConferencedEvent') return this.merge(e);
    const callId = e.connection!.callId;
    const prev = this.calls.get(callId);
    const mine = this.ours(e.connection?.deviceId);
    let next: Phase | undefined = prev;
    switch (e.type) {
      case 'ServiceInitiatedEvent':
      case 'OriginatedEvent':
      case 'QueuedEvent':
        next = mine || this.ours(e.actor) || prev === undefined ? 'dialing' : prev;
        break;
      case 'DeliveredEvent':
        // The alerting connection is this device's: it rings; another's: this device rings it.
        next = mine || this.ours(e.actor) ? 'ringing' : (prev ?? 'dialing');
        break;
      case 'EstablishedEvent':
        next = 'talking';
        break;
      case 'HeldEvent':
        // Held by the far end: this device still talks (to music); held here: on hold.
        next = mine || this.ours(e.actor) ? 'held' : (prev ?? 'talking');
        break;
      case 'RetrievedEvent':
        next = mine || this.ours(e.actor) ? 'talking' : (prev ?? 'talking');
        break;
      case 'FailedEvent':
        next = prev ?? 'dialing';
        break;
      case 'DivertedEvent':
        next = this.ours(e.actor) ? undefined : prev;
        break;
      case 'ConnectionClearedEvent':
        next = mine || this.ours(e.actor) ? undefined : prev;
        break;
      case 'CallClearedEvent':
        next = undefined;
        break;
    }
    if (e.local !== undefined && e.type !== 'CallClearedEvent') next = fromLocal(e.local, next ?? prev);
    this.set(callId, next);
  }

  /**
   * Transfer and conference merge two calls. The transferring device leaves both; any other
   * device's connection moves to the new call (connection list), keeping its phase; a conference
   * leaves every party connected in the resulting call.
   */
  private merge(e: CallEvent): void {
    const olds = [e.primaryOld?.callId, e.secondaryOld?.callId].filter((x): x is string => x !== undefined);
    const had = olds.map((id) => this.calls.get(id)).filter((p): p is Phase => p !== undefined);
    for (const id of olds) this.calls.delete(id);
    if (e.type === 'TransferedEvent' && this.ours(e.actor)) {
      if (e.local !== undefined && e.local !== 'null') this.set(olds[0] ?? 'transfer', fromLocal(e.local, undefined));
      return;
    }
    const target = e.moved?.find((m) => this.ours(m.to?.deviceId) || this.ours(m.from?.deviceId))?.to?.callId ?? e.moved?.find((m) => m.to !== undefined)?.to?.callId ?? e.primaryOld?.callId;
    if (target === undefined) return;
    let phase: Phase | undefined = e.type === 'ConferencedEvent' ? 'talking' : (had.find((p) => p === 'talking') ?? had[0]);
    if (had.length === 0 && e.type === 'TransferedEvent' && e.local === undefined) phase = undefined;
    if (e.local !== undefined) phase = fromLocal(e.local, phase);
    this.set(target, phase);
  }

  /** Replaces everything with what SnapshotDevice reported (after a reconnect, so no lamp sticks). */
  replace(calls: readonly { callId: string; state?: LocalState }[]): void {
    const old = new Map(this.calls);
    this.calls.clear();
    for (const c of calls) this.set(c.callId, c.state !== undefined ? fromLocal(c.state, old.get(c.callId)) : (old.get(c.callId) ?? 'talking'));
  }

  clear(): void {
    this.calls.clear();
  }

  get size(): number {
    return this.calls.size;
  }

  state(): LineState {
    const all = [...this.calls.values()];
    if (all.includes('talking')) return 'busy';
    if (all.includes('held')) return 'held';
    if (all.includes('ringing')) return 'ringing';
    if (all.includes('dialing')) return 'dialing';
    return 'idle';
  }
}

export type RingingAvailability = 'available' | 'busy';

/** Line state -> the phone register's signal fields (category phone). */
export function lineSignal(state: LineState, ringingAvailability: RingingAvailability): Pick<SignalInput, 'availability' | 'activity'> {
  switch (state) {
    case 'busy':
      return { availability: 'busy', activity: 'on-the-phone' };
    case 'held':
      // A held call is still a call: busy, shown as on hold.
      return { availability: 'busy', activity: 'on-hold' };
    case 'ringing':
    case 'dialing':
      // A phone that rings does not make its owner busy unless configured; the activity shows it.
      return { availability: ringingAvailability, activity: state };
    case 'idle':
      return { availability: 'available' };
  }
}

/**
 * The extension a directory identity gives: `ext:4750` as it is; `tel:+1 555 010 4750` by the
 * extension rule (the last `digits` digits, after an optional prefix match). Undefined when the
 * identity is neither, or too short.
 */
export interface ExtensionRule {
  readonly digits: number;
  /** Only tel: numbers starting with this (after normalization, e.g. `+1555010`) are extensions of this switch. */
  readonly telPrefix?: string;
}

export function extensionFromIdentity(identity: string, rule: ExtensionRule): string | undefined {
  const colon = identity.indexOf(':');
  if (colon <= 0) return undefined;
  const scheme = identity.slice(0, colon).toLowerCase();
  const value = identity.slice(colon + 1).trim();
  if (scheme === 'ext') return /^[0-9*#]{1,16}$/.test(value) ? value : undefined;
  if (scheme !== 'tel') return undefined;
  const number = (value.split(';')[0] ?? '').replace(/[^0-9+]/g, '');
  if (rule.telPrefix !== undefined && !number.startsWith(rule.telPrefix)) return undefined;
  const digits = number.replace(/\D/g, '');
  if (digits.length < rule.digits) return undefined;
  return digits.slice(-rule.digits);
}
