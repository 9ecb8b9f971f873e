import type { LocalState } from './messages.ts';
import type { SnapshotCall } from './simulator-calls.ts';
import { NS_AVAYA, NS_CSTA, NS_SESSION } from './requests.ts';
import { escapeXml as e } from './xml.ts';

/** The simulator's answers, in the shapes of fixtures/ (ECMA-354, ECMA-323 ed3, Avaya's namespace). */
const DECL = '<?xml version="1.0" encoding="UTF-8"?>';

/**
 * ECMA-269 SimpleCallState by the far end's connection state, then the device's own (the
 * standard's encoding: callDelivered '23'H = alerting there, connected here). Pairs the standard
 * does not name are sent as compound states would be: the nearest named one by the device's own.
 */
const SIMPLE: Readonly<Record<string, string>> = {
  'null/null': 'callNull',
  'null/initiated': 'callPending',
  'null/connected': 'callOriginated',
  'alerting/connected': 'callDelivered',
  'alerting/hold': 'callDeliveredHeld',
  'connected/alerting': 'callReceived',
  'connected/connected': 'callEstablished',
  'connected/hold': 'callEstablishedHeld',
  'hold/alerting': 'callReceivedOnHold',
  'hold/connected': 'callEstablishedOnHold',
  'queued/connected': 'callQueued',
  'queued/hold': 'callQueuedHeld',
  'fail/connected': 'callFailed',
  'fail/hold': 'callFailedHeld',
};
const SIMPLE_BY_LOCAL: Readonly<Record<LocalState, string>> = { null: 'callNull', initiated: 'callPending', alerting: 'callReceived', connected: 'callEstablished', hold: 'callEstablishedHeld', queued: 'callQueued', fail: 'callFailed' };

function simpleCallState(remote: LocalState, local: LocalState): string {
  return SIMPLE[`${remote}/${local}`] ?? SIMPLE_BY_LOCAL[local];
}

export const reply = {
  cstaError: (category: string, value: string): string => `${DECL}<CSTAErrorCode xmlns="${NS_CSTA}"><${category}>${value}</${category}></CSTAErrorCode>`,
  sessionRefused: (error: string): string => `${DECL}<StartApplicationSessionNegResponse xmlns="${NS_SESSION}"><errorCode><definedError>${error}</definedError></errorCode></StartApplicationSessionNegResponse>`,
  sessionStarted: (id: string, protocol: string, duration: number): string =>
    `${DECL}<StartApplicationSessionPosResponse xmlns="${NS_SESSION}"><sessionID>${e(id)}</sessionID><actualProtocolVersion>${e(protocol)}</actualProtocolVersion><actualSessionDuration>${duration}</actualSessionDuration></StartApplicationSessionPosResponse>`,
  timerRefused: (): string => `${DECL}<ResetApplicationSessionTimerNegResponse xmlns="${NS_SESSION}"><errorCode><definedError>invalidSessionID</definedError></errorCode></ResetApplicationSessionTimerNegResponse>`,
  timerReset: (duration: number): string => `${DECL}<ResetApplicationSessionTimerPosResponse xmlns="${NS_SESSION}"><actualSessionDuration>${duration}</actualSessionDuration></ResetApplicationSessionTimerPosResponse>`,
  stopRefused: (): string => `${DECL}<StopApplicationSessionNegResponse xmlns="${NS_SESSION}"><errorCode><definedError>invalidSessionID</definedError></errorCode></StopApplicationSessionNegResponse>`,
  stopped: (): string => `${DECL}<StopApplicationSessionPosResponse xmlns="${NS_SESSION}"/>`,
  terminated: (id: string): string =>
    `${DECL}<ApplicationSessionTerminated xmlns="${NS_SESSION}"><sessionID>${e(id)}</sessionID><sessionTermReason><definedTermReason>sessionTimerExpired</definedTermReason></sessionTermReason></ApplicationSessionTerminated>`,
  deviceId: (request: string, device: string): string => `${DECL}<${request}Response xmlns="${NS_AVAYA}"><device typeOfNumber="other" mediaClass="notKnown">${e(device)}</device></${request}Response>`,
  monitorStarted: (x: string): string => `${DECL}<MonitorStartResponse xmlns="${NS_CSTA}"><monitorCrossRefID>${e(x)}</monitorCrossRefID></MonitorStartResponse>`,
  monitorStopped: (): string => `${DECL}<MonitorStopResponse xmlns="${NS_CSTA}"/>`,
  monitorEnded: (x: string): string => `${DECL}<MonitorEndedEvent xmlns="${NS_CSTA}"><monitorCrossRefID>${e(x)}</monitorCrossRefID><cause>resourcesNotAvailable</cause></MonitorEndedEvent>`,
  /** `compound`: localCallState/compoundCallState/localConnectionState; `simple`: localCallState/simpleCallState (ECMA-323, the other choice). */
  snapshot: (device: string, calls: readonly SnapshotCall[], form: 'compound' | 'simple' = 'compound'): string => {
    const state = (c: SnapshotCall): string =>
      form === 'simple' ? `<simpleCallState>${simpleCallState(c.remote, c.state)}</simpleCallState>` : `<compoundCallState><localConnectionState>${c.state}</localConnectionState></compoundCallState>`;
    const infos = calls
      .map((c) => `<snapshotDeviceResponseInfo><connectionIdentifier><callID>${e(c.callId)}</callID><deviceID typeOfNumber="other" mediaClass="notKnown">${e(device)}</deviceID></connectionIdentifier><localCallState>${state(c)}</localCallState></snapshotDeviceResponseInfo>`)
      .join('');
    return `${DECL}<SnapshotDeviceResponse xmlns="${NS_CSTA}"><crossRefIDorSnapshotData><snapshotData>${infos}</snapshotData></crossRefIDorSnapshotData></SnapshotDeviceResponse>`;
  },
};
