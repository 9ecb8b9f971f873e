import type { EventName, LocalState } from './messages.ts';
import { NS_CSTA } from './requests.ts';
import { escapeXml } from './xml.ts';

/**
 * The simulator's call model (Communication Manager's view, ECMA-269 connection states): calls
 * between stations and outside numbers, and the ECMA-323 events each monitored station gets,
 * with its own `localConnectionInfo`. Transfers and conferences are announced with the
 * connection lists the standard defines. The event shapes follow the published examples in
 * fixtures/.
 */
export interface Party {
  readonly device: string;
  state: LocalState;
}

export interface SnapshotCall {
  readonly callId: string;
  /** The station's own connection state. */
  readonly state: LocalState;
  /** The far end's ('null' when there is none yet). */
  readonly remote: LocalState;
}

export interface Notice {
  /** The station whose monitors get it. */
  readonly station: string;
  /** The event's XML for one monitor. */
  xml(crossRefId: string): string;
}

const e = escapeXml;
const id = (tag: string, d: string): string => `<${tag}><deviceIdentifier typeOfNumber="other" mediaClass="notKnown">${e(d)}</deviceIdentifier></${tag}>`;
const conn = (tag: string, callId: string, d: string): string => `<${tag}><callID>${e(callId)}</callID><deviceID typeOfNumber="other" mediaClass="notKnown">${e(d)}</deviceID></${tag}>`;

export class CallModel {
  readonly calls = new Map<string, Party[]>();
  private nextCall = 100;

  constructor(
    /** Device id of a station (`4750` -> `4750:CM1::0`); outside numbers are left as they are. */
    private readonly deviceOf: (ext: string) => string,
    private readonly isStation: (ext: string) => boolean,
  ) {}

  private party(callId: string, ext: string): Party | undefined {
    return this.calls.get(callId)?.find((p) => p.device === this.deviceOf(ext));
  }

  private notices(callId: string, build: (local: LocalState, station: string) => string, also: readonly string[] = []): Notice[] {
    const stations = new Set<string>([...(this.calls.get(callId) ?? []).map((p) => p.device), ...also.map((x) => this.deviceOf(x))]);
    const out: Notice[] = [];
    for (const d of stations) {
      const ext = d.split(':')[0]!;
      if (!this.isStation(ext)) continue;
      const local = this.calls.get(callId)?.find((p) => p.device === d)?.state ?? 'null';
      out.push({ station: ext, xml: (x) => build(local, ext).replace('<monitorCrossRefID/>', `<monitorCrossRefID>${e(x)}</monitorCrossRefID>`) });
    }
    return out;
  }

  private event(name: EventName, body: string, local: LocalState, cause: string): string {
    return `<?xml version="1.0" encoding="UTF-8"?><${name} xmlns="${NS_CSTA}"><monitorCrossRefID/>${body}<localConnectionInfo>${local}</localConnectionInfo><cause>${cause}</cause></${name}>`;
  }

  /** A call from `from` (station or outside number) to `to`: ServiceInitiated, Originated, Delivered. */
  dial(from: string, to: string): { callId: string; notices: Notice[] } {
    const callId = String(this.nextCall++);
    const a = this.deviceOf(from);
    const b = this.deviceOf(to);
    const out: Notice[] = [];
    this.calls.set(callId, [{ device: a, state: 'initiated' }]);
    out.push(...this.notices(callId, (l) => this.event('ServiceInitiatedEvent', conn('initiatedConnection', callId, a) + id('initiatingDevice', a), l, 'newCall')));
    this.party(callId, from)!.state = 'connected';
    out.push(...this.notices(callId, (l) => this.event('OriginatedEvent', conn('originatedConnection', callId, a) + id('callingDevice', a) + id('calledDevice', b), l, 'newCall')));
    this.calls.get(callId)!.push({ device: b, state: 'alerting' });
    out.push(...this.notices(callId, (l) => this.event('DeliveredEvent', conn('connection', callId, b) + id('alertingDevice', b) + id('callingDevice', a) + id('calledDevice', b), l, 'newCall')));
    return { callId, notices: out };
  }

  answer(callId: string, ext: string): Notice[] {
    const p = this.party(callId, ext);
    if (p === undefined) return [];
    p.state = 'connected';
    const d = this.deviceOf(ext);
    const caller = this.calls.get(callId)!.find((x) => x.device !== d)?.device ?? d;
    return this.notices(callId, (l) => this.event('EstablishedEvent', conn('establishedConnection', callId, d) + id('answeringDevice', d) + id('callingDevice', caller) + id('calledDevice', d), l, 'newCall'));
  }

  hold(callId: string, ext: string): Notice[] {
    const p = this.party(callId, ext);
    if (p === undefined) return [];
    p.state = 'hold';
    const d = this.deviceOf(ext);
    return this.notices(callId, (l) => this.event('HeldEvent', conn('heldConnection', callId, d) + id('holdingDevice', d), l, 'normal'));
  }

  retrieve(callId: string, ext: string): Notice[] {
    const p = this.party(callId, ext);
    if (p === undefined) return [];
    p.state = 'connected';
    const d = this.deviceOf(ext);
    return this.notices(callId, (l) => this.event('RetrievedEvent', conn('retrievedConnection', callId, d) + id('retrievingDevice', d), l, 'normal'));
  }

  /** `ext` leaves; a call left with one party ends for it too (Communication Manager clears two-party calls). */
  hangup(callId: string, ext: string): Notice[] {
    const parties = this.calls.get(callId);
    const d = this.deviceOf(ext);
    if (parties === undefined || !parties.some((p) => p.device === d)) return [];
    const out: Notice[] = [];
    const leaving = [d, ...(parties.length <= 2 ? parties.filter((p) => p.device !== d).map((p) => p.device) : [])];
    for (const gone of leaving) {
      const list = this.calls.get(callId)!;
      const rest = list.filter((p) => p.device !== gone);
      this.calls.set(callId, rest);
      out.push(...this.notices(callId, (l) => this.event('ConnectionClearedEvent', conn('droppedConnection', callId, gone) + id('releasingDevice', gone), l, 'normalClearing'), [gone.split(':')[0]!]));
    }
    if (this.calls.get(callId)!.length === 0) this.calls.delete(callId);
    return out;
  }

  /** `ext` transfers its held call to its active one and leaves both; the others meet in a new call. */
  transfer(ext: string, heldCall: string, activeCall: string): { callId: string; notices: Notice[] } {
    const d = this.deviceOf(ext);
    const others = [...(this.calls.get(heldCall) ?? []), ...(this.calls.get(activeCall) ?? [])].filter((p) => p.device !== d);
    const callId = String(this.nextCall++);
    const moved = others.map((p) => ({ from: this.calls.get(heldCall)?.includes(p) ? heldCall : activeCall, device: p.device }));
    this.calls.delete(heldCall);
    this.calls.delete(activeCall);
    this.calls.set(callId, others.map((p) => ({ device: p.device, state: p.state === 'hold' ? 'connected' : p.state })));
    const list = `<transferredConnections>${moved.map((m) => `<connectionListItem>${conn('newConnection', callId, m.device)}${conn('oldConnection', m.from, m.device)}</connectionListItem>`).join('')}</transferredConnections>`;
    const body = conn('primaryOldCall', heldCall, d) + conn('secondaryOldCall', activeCall, d) + id('transferringDevice', d) + id('transferredToDevice', others[others.length - 1]?.device ?? d) + list;
    return { callId, notices: this.notices(callId, (l) => this.event('TransferedEvent', body, l, 'transfer'), [ext]) };
  }

  /** `ext` joins its held call and its active one: every party in one call (the held call's id). */
  conference(ext: string, heldCall: string, activeCall: string): Notice[] {
    const d = this.deviceOf(ext);
    const all = [...(this.calls.get(heldCall) ?? []), ...(this.calls.get(activeCall) ?? [])];
    const devices = [...new Set(all.map((p) => p.device))];
    this.calls.delete(activeCall);
    this.calls.set(heldCall, devices.map((x) => ({ device: x, state: 'connected' })));
    const list = `<conferenceConnections>${devices.map((x) => `<connectionListItem>${conn('newConnection', heldCall, x)}${conn('oldConnection', all.find((p) => p.device === x) && this.calls.has(heldCall) ? heldCall : activeCall, x)}</connectionListItem>`).join('')}</conferenceConnections>`;
    const body = conn('primaryOldCall', heldCall, d) + conn('secondaryOldCall', activeCall, d) + id('conferencingDevice', d) + list;
    return this.notices(heldCall, (l) => this.event('ConferencedEvent', body, l, 'conference'));
  }

  /** The calls at a station, its state in each and the far end's (another party's; SnapshotDevice). */
  at(ext: string): SnapshotCall[] {
    const d = this.deviceOf(ext);
    const out: SnapshotCall[] = [];
    for (const [callId, parties] of this.calls) {
      const others = parties.filter((p) => p.device !== d);
      const remote = others.find((p) => p.state === 'connected')?.state ?? others[0]?.state ?? 'null';
      for (const p of parties) if (p.device === d) out.push({ callId, state: p.state, remote });
    }
    return out;
  }

  /** Ends every call of a station without telling anyone (what happens while the hub is not connected). */
  endQuietly(callId: string): void {
    this.calls.delete(callId);
  }
}
