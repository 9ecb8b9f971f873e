import { child, children, elementNames, parseMessageXml, text, XmlError, type XmlNode } from './xml.ts';

/**
 * What AE Services sends, read into plain values: responses to the requests in requests.ts,
 * CSTA errors, the application-session notice, and the call-control events of a monitor. Every
 * field is bounded text; anything this connector does not use is left out. A message that is not
 * XML, or a known message without a field it must carry, raises XmlError naming it.
 */
export const LOCAL_STATES = ['null', 'initiated', 'alerting', 'connected', 'hold', 'queued', 'fail'] as const;
/** ECMA-269 LocalConnectionState: a device's state in one call. */
export type LocalState = (typeof LOCAL_STATES)[number];

export interface Connection {
  readonly callId: string;
  readonly deviceId?: string;
}

export const EVENT_NAMES = [
  'DeliveredEvent', 'EstablishedEvent', 'HeldEvent', 'RetrievedEvent', 'OriginatedEvent', 'ServiceInitiatedEvent', 'ConnectionClearedEvent',
  'CallClearedEvent', 'FailedEvent', 'DivertedEvent', 'QueuedEvent', 'TransferedEvent', 'ConferencedEvent',
] as const;
export type EventName = (typeof EVENT_NAMES)[number];

export interface CallEvent {
  readonly type: EventName;
  readonly crossRefId: string;
  /** The connection the event is about (the alerting one for Delivered, the dropped one for ConnectionCleared, ...). */
  readonly connection?: Connection;
  /** The device that acted: alerting/answering/holding/releasing/calling/diverting/transferring/conferencing device. */
  readonly actor?: string;
  /** Delivered: the calling device (who rings whom). */
  readonly calling?: string;
  /** The monitored device's own state in the call after the event, when the switch says. */
  readonly local?: LocalState;
  /** Transfer and conference: the two calls that were merged, and the connections that moved. */
  readonly primaryOld?: Connection;
  readonly secondaryOld?: Connection;
  readonly moved?: readonly { readonly from?: Connection; readonly to?: Connection }[];
  readonly cause?: string;
}

export type Incoming =
  | { readonly kind: 'session-started'; readonly sessionId: string; readonly protocol: string; readonly duration: number }
  | { readonly kind: 'session-refused'; readonly error: string }
  | { readonly kind: 'timer-reset'; readonly duration: number }
  | { readonly kind: 'timer-refused'; readonly error: string }
  | { readonly kind: 'session-stopped' }
  | { readonly kind: 'stop-refused'; readonly error: string }
  | { readonly kind: 'session-terminated'; readonly sessionId?: string; readonly reason: string }
  | { readonly kind: 'device-id'; readonly device: string }
  | { readonly kind: 'monitor-started'; readonly crossRefId: string }
  | { readonly kind: 'monitor-stopped' }
  | { readonly kind: 'monitor-ended'; readonly crossRefId: string; readonly cause?: string }
  | { readonly kind: 'snapshot'; readonly calls: readonly { readonly callId: string; readonly state?: LocalState }[] }
  | { readonly kind: 'csta-error'; readonly category: string; readonly value: string }
  | { readonly kind: 'event'; readonly event: CallEvent }
  | { readonly kind: 'other'; readonly name: string };

const MAX_TEXT = 256;
const MAX_ITEMS = 64;

function bounded(v: string | undefined, what: string): string | undefined {
  if (v === undefined) return undefined;
  if (v.length > MAX_TEXT) throw new XmlError(`${what} longer than ${MAX_TEXT} characters`);
  return v;
}

function required(node: XmlNode, name: string, ...path: string[]): string {
  const v = bounded(text(node, ...path), path.join('/'));
  if (v === undefined || v === '') throw new XmlError(`<${name}> without <${path.join('/')}>`);
  return v;
}

function seconds(node: XmlNode, name: string, field: string): number {
  const v = required(node, name, field);
  if (!/^[0-9]{1,9}$/.test(v)) throw new XmlError(`<${name}> <${field}> is not a number of seconds: ${JSON.stringify(v.slice(0, 20))}`);
  return Number(v);
}

function localState(v: string | undefined): LocalState | undefined {
  return v !== undefined && (LOCAL_STATES as readonly string[]).includes(v) ? (v as LocalState) : undefined;
}

/**
 * ECMA-269 SimpleCallState (ECMA-323 `localCallState/simpleCallState`, the other choice beside
 * compoundCallState): each names the far end's connection state, then the device's own
 * (callDelivered = far end alerting, this device connected). Read as the device's own state, with
 * a call still being set up (originated, delivered, queued or failed at the far end) as
 * `initiated`, so that it shows as dialing, not as a call in progress.
 */
export const SIMPLE_CALL_STATES: Readonly<Record<string, LocalState>> = {
  callNull: 'null',
  callPending: 'initiated',
  callOriginated: 'initiated',
  callDelivered: 'initiated',
  callDeliveredHeld: 'hold',
  callReceived: 'alerting',
  callEstablished: 'connected',
  callEstablishedHeld: 'hold',
  callReceivedOnHold: 'alerting',
  callEstablishedOnHold: 'connected',
  callQueued: 'queued',
  callQueuedHeld: 'hold',
  callFailed: 'fail',
  callFailedHeld: 'hold',
  callBlocked: 'fail',
};

function simpleState(v: string | undefined): LocalState | undefined {
  return v !== undefined && Object.hasOwn(SIMPLE_CALL_STATES, v) ? SIMPLE_CALL_STATES[v] : undefined;
}

/** A ConnectionID: `<x><callID>..</callID><deviceID>..</deviceID></x>`. */
function connection(node: XmlNode | undefined, what: string): Connection | undefined {
  if (node === undefined) return undefined;
  const callId = bounded(text(node, 'callID'), `${what}/callID`);
  if (callId === undefined || callId === '') return undefined;
  const deviceId = bounded(text(node, 'deviceID'), `${what}/deviceID`);
  return deviceId !== undefined && deviceId !== '' ? { callId, deviceId } : { callId };
}

/** A SubjectDeviceID and its kin: `<x><deviceIdentifier>..</deviceIdentifier></x>` (or the id as text). */
function device(node: XmlNode | undefined, what: string): string | undefined {
  if (node === undefined) return undefined;
  const v = text(node, 'deviceIdentifier') ?? text(node);
  const d = bounded(v, what);
  return d === '' ? undefined : d;
}

/** The error text of an ECMA-354 errorCode (definedError or applError). */
function errorCode(node: XmlNode): string {
  const e = child(node, 'errorCode');
  const v = text(e, 'definedError') ?? text(e, 'applError') ?? 'unspecified';
  return v.slice(0, MAX_TEXT);
}

const CONNECTION_FIELD: Readonly<Record<EventName, string | undefined>> = {
  DeliveredEvent: 'connection',
  EstablishedEvent: 'establishedConnection',
  HeldEvent: 'heldConnection',
  RetrievedEvent: 'retrievedConnection',
  OriginatedEvent: 'originatedConnection',
  ServiceInitiatedEvent: 'initiatedConnection',
  ConnectionClearedEvent: 'droppedConnection',
  CallClearedEvent: 'clearedCall',
  FailedEvent: 'failedConnection',
  DivertedEvent: 'connection',
  QueuedEvent: 'queuedConnection',
  TransferedEvent: undefined,
  ConferencedEvent: undefined,
};

const ACTOR_FIELD: Readonly<Record<EventName, string | undefined>> = {
  DeliveredEvent: 'alertingDevice',
  EstablishedEvent: 'answeringDevice',
  HeldEvent: 'holdingDevice',
  RetrievedEvent: 'retrievingDevice',
  OriginatedEvent: 'callingDevice',
  ServiceInitiatedEvent: 'initiatingDevice',
  ConnectionClearedEvent: 'releasingDevice',
  CallClearedEvent: undefined,
  FailedEvent: 'failingDevice',
  DivertedEvent: 'divertingDevice',
  QueuedEvent: 'queue',
  TransferedEvent: 'transferringDevice',
  ConferencedEvent: 'conferencingDevice',
};

function callEvent(type: EventName, node: XmlNode): CallEvent {
  const crossRefId = required(node, type, 'monitorCrossRefID');
  const out: { -readonly [K in keyof CallEvent]: CallEvent[K] } = { type, crossRefId };
  const cf = CONNECTION_FIELD[type];
  if (cf !== undefined) {
    const c = connection(child(node, cf), cf);
    if (c === undefined) throw new XmlError(`<${type}> without <${cf}><callID>`);
    out.connection = c;
  }
  const af = ACTOR_FIELD[type];
  const actor = af !== undefined ? device(child(node, af), af) : undefined;
  if (actor !== undefined) out.actor = actor;
  if (type === 'DeliveredEvent') {
    const calling = device(child(node, 'callingDevice'), 'callingDevice');
    if (calling !== undefined) out.calling = calling;
  }
  const local = localState(text(node, 'localConnectionInfo'));
  if (local !== undefined) out.local = local;
  const cause = bounded(text(node, 'cause'), 'cause');
  if (cause !== undefined) out.cause = cause;
  if (type === 'TransferedEvent' || type === 'ConferencedEvent') {
    const p = connection(child(node, 'primaryOldCall'), 'primaryOldCall');
    const s = connection(child(node, 'secondaryOldCall'), 'secondaryOldCall');
    if (p === undefined && s === undefined) throw new XmlError(`<${type}> without <primaryOldCall> or <secondaryOldCall>`);
    if (p !== undefined) out.primaryOld = p;
    if (s !== undefined) out.secondaryOld = s;
    const list = child(node, type === 'TransferedEvent' ? 'transferredConnections' : 'conferenceConnections');
    const items = children(list, 'connectionListItem');
    if (items.length > MAX_ITEMS) throw new XmlError(`<${type}> with more than ${MAX_ITEMS} connections`);
    const moved = items.map((i) => {
      const from = connection(child(i, 'oldConnection'), 'oldConnection');
      const to = connection(child(i, 'newConnection'), 'newConnection');
      return { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
    });
    if (moved.length > 0) out.moved = moved;
  }
  return out;
}

function snapshot(node: XmlNode): Incoming {
  const holder = child(node, 'crossRefIDorSnapshotData');
  const data = child(holder, 'snapshotData');
  // An empty snapshotData is a device with no call; no snapshotData at all says nothing (CSTA lets a
  // switch send the data later under a serviceCrossRefID, which AE Services does not do for DMCC).
  if (data === undefined) throw new XmlError(text(holder, 'serviceCrossRefID') !== undefined ? '<SnapshotDeviceResponse> with the data to follow (serviceCrossRefID), not supported' : '<SnapshotDeviceResponse> without <snapshotData>');
  const infos = children(data, 'snapshotDeviceResponseInfo');
  if (infos.length > MAX_ITEMS) throw new XmlError(`<SnapshotDeviceResponse> with more than ${MAX_ITEMS} calls`);
  const calls = infos.map((i) => {
    const c = connection(child(i, 'connectionIdentifier'), 'connectionIdentifier');
    if (c === undefined) throw new XmlError('<snapshotDeviceResponseInfo> without <connectionIdentifier><callID>');
    // compoundCallState lists the device's connection state in the call (ECMA-269 12.2.3);
    // simpleCallState names the pair of the far end's and the device's in one token.
    const state = localState(text(i, 'localCallState', 'compoundCallState', 'localConnectionState')) ?? simpleState(text(i, 'localCallState', 'simpleCallState')?.trim());
    return state !== undefined ? { callId: c.callId, state } : { callId: c.callId };
  });
  return { kind: 'snapshot', calls };
}

/** Reads one DMCC message (the XML of one frame). */
export function parseIncoming(xml: string): Incoming {
  const { name, node } = parseMessageXml(xml);
  if ((EVENT_NAMES as readonly string[]).includes(name)) return { kind: 'event', event: callEvent(name as EventName, node) };
  switch (name) {
    case 'TransferredEvent': // CSTA spells it TransferedEvent; accept the other spelling too
      return { kind: 'event', event: callEvent('TransferedEvent', node) };
    case 'StartApplicationSessionPosResponse':
      return { kind: 'session-started', sessionId: required(node, name, 'sessionID'), protocol: required(node, name, 'actualProtocolVersion'), duration: seconds(node, name, 'actualSessionDuration') };
    case 'StartApplicationSessionNegResponse':
      return { kind: 'session-refused', error: errorCode(node) };
    case 'ResetApplicationSessionTimerPosResponse':
      return { kind: 'timer-reset', duration: seconds(node, name, 'actualSessionDuration') };
    case 'ResetApplicationSessionTimerNegResponse':
      return { kind: 'timer-refused', error: errorCode(node) };
    case 'StopApplicationSessionPosResponse':
      return { kind: 'session-stopped' };
    case 'StopApplicationSessionNegResponse':
      return { kind: 'stop-refused', error: errorCode(node) };
    case 'ApplicationSessionTerminated': {
      const r = child(node, 'sessionTermReason');
      const sessionId = bounded(text(node, 'sessionID'), 'sessionID');
      const reason = (text(r, 'definedTermReason') ?? text(r, 'serverTermReason') ?? 'unspecified').slice(0, MAX_TEXT);
      return sessionId !== undefined ? { kind: 'session-terminated', sessionId, reason } : { kind: 'session-terminated', reason };
    }
    case 'GetDeviceIdResponse':
    case 'GetThirdPartyDeviceIdResponse':
      return { kind: 'device-id', device: required(node, name, 'device') };
    case 'MonitorStartResponse':
      return { kind: 'monitor-started', crossRefId: required(node, name, 'monitorCrossRefID') };
    case 'MonitorStopResponse':
      return { kind: 'monitor-stopped' };
    case 'MonitorEndedEvent': {
      const cause = bounded(text(node, 'cause'), 'cause');
      return { kind: 'monitor-ended', crossRefId: required(node, name, 'monitorCrossRefID'), ...(cause !== undefined ? { cause } : {}) };
    }
    case 'SnapshotDeviceResponse':
      return snapshot(node);
    case 'CSTAErrorCode': {
      // ECMA-323 UniversalFailure: one element naming the category, its text the error.
      const category = elementNames(node)[0] ?? 'unspecified';
      return { kind: 'csta-error', category: category.slice(0, MAX_TEXT), value: (text(node, category) ?? '').slice(0, MAX_TEXT) };
    }
    default:
      return { kind: 'other', name: name.slice(0, MAX_TEXT) };
  }
}
