import { escapeXml } from './xml.ts';

/**
 * The DMCC XML requests the connector sends, as AE Services documents them (DMCC XML Programmer's
 * Guide; ECMA-354 for the application session, ECMA-323 edition 3 for CSTA services, Avaya's
 * private namespace for device ids). Examples of each are in fixtures/ (fixtures/README.md).
 */
export const NS_SESSION = 'http://www.ecma-international.org/standards/ecma-354/appl_session';
export const NS_CSTA = 'http://www.ecma-international.org/standards/ecma-323/csta/ed3';
export const NS_AVAYA = 'http://www.avaya.com/csta';
/** DMCC 6.3 (AE Services 6.3 and later accept it). */
export const DEFAULT_PROTOCOL = 'http://www.ecma-international.org/standards/ecma-323/csta/ed3/priv7';

const DECL = '<?xml version="1.0" encoding="UTF-8"?>';
const e = escapeXml;

export interface StartSessionArgs {
  readonly applicationId: string;
  readonly userName: string;
  readonly password: string;
  /** Seconds AE Services keeps the session's devices and monitors after the connection drops. */
  readonly sessionCleanupDelay: number;
  readonly protocolVersion: string;
  /** Seconds. */
  readonly sessionDuration: number;
}

export const NS_XSI = 'http://www.w3.org/2001/XMLSchema-instance';

/**
 * ECMA-354 StartApplicationSession with Avaya's SessionLoginInfo in applicationSpecificInfo, typed
 * with `xsi:type` as Avaya's DMCC XML samples write it (applicationSpecificInfo may hold any type).
 */
export function startApplicationSession(a: StartSessionArgs): string {
  return (
    `${DECL}<StartApplicationSession xmlns="${NS_SESSION}"><applicationInfo><applicationID>${e(a.applicationId)}</applicationID>` +
    `<applicationSpecificInfo><ns1:SessionLoginInfo xsi:type="ns1:SessionLoginInfo" xmlns:ns1="${NS_AVAYA}" xmlns:xsi="${NS_XSI}"><ns1:userName>${e(a.userName)}</ns1:userName><ns1:password>${e(a.password)}</ns1:password>` +
    `<ns1:sessionCleanupDelay>${a.sessionCleanupDelay}</ns1:sessionCleanupDelay></ns1:SessionLoginInfo></applicationSpecificInfo></applicationInfo>` +
    `<requestedProtocolVersions><protocolVersion>${e(a.protocolVersion)}</protocolVersion></requestedProtocolVersions>` +
    `<requestedSessionDuration>${a.sessionDuration}</requestedSessionDuration></StartApplicationSession>`
  );
}

export function resetApplicationSessionTimer(sessionId: string, sessionDuration: number): string {
  return `${DECL}<ResetApplicationSessionTimer xmlns="${NS_SESSION}"><sessionID>${e(sessionId)}</sessionID><requestedSessionDuration>${sessionDuration}</requestedSessionDuration></ResetApplicationSessionTimer>`;
}

export function stopApplicationSession(sessionId: string): string {
  return `${DECL}<StopApplicationSession xmlns="${NS_SESSION}"><sessionID>${e(sessionId)}</sessionID><sessionEndReason><definedEndReason>normal</definedEndReason></sessionEndReason></StopApplicationSession>`;
}

/**
 * GetThirdPartyDeviceId (call-control monitoring only, no terminal registration) or GetDeviceId
 * (first-party: needed only to register a terminal), in Avaya's namespace.
 */
export function getDeviceId(kind: 'third-party' | 'first-party', switchName: string, extension: string): string {
  const name = kind === 'third-party' ? 'GetThirdPartyDeviceId' : 'GetDeviceId';
  return `${DECL}<${name} xmlns="${NS_AVAYA}"><switchName>${e(switchName)}</switchName><extension>${e(extension)}</extension></${name}>`;
}

/** The call-control events a line's state is derived from (ECMA-269 CallControlEvents order). */
export const CALL_EVENTS = ['callCleared', 'conferenced', 'connectionCleared', 'delivered', 'diverted', 'established', 'failed', 'held', 'originated', 'queued', 'retrieved', 'serviceInitiated', 'transferred'] as const;

/**
 * MonitorStart on a device with a call-control filter. A CSTA filter flag `true` means "do not
 * send"; Avaya's private `invertFilter` turns the meaning round, so the flags name the events
 * wanted and everything else (physical device, logical device, maintenance) is left out.
 */
export function monitorStart(device: string): string {
  const filter = CALL_EVENTS.map((n) => `<${n}>true</${n}>`).join('');
  return (
    `${DECL}<MonitorStart xmlns="${NS_CSTA}"><monitorObject><deviceObject typeOfNumber="other" mediaClass="notKnown">${e(device)}</deviceObject></monitorObject>` +
    `<requestedMonitorFilter><callcontrol>${filter}</callcontrol></requestedMonitorFilter>` +
    `<extensions><privateData><private><AvayaEvents xmlns="${NS_AVAYA}"><invertFilter>true</invertFilter></AvayaEvents></private></privateData></extensions></MonitorStart>`
  );
}

export function monitorStop(crossRefId: string): string {
  return `${DECL}<MonitorStop xmlns="${NS_CSTA}"><monitorCrossRefID>${e(crossRefId)}</monitorCrossRefID></MonitorStop>`;
}

/** SnapshotDevice: the calls at a device and the device's connection state in each. */
export function snapshotDevice(device: string): string {
  return `${DECL}<SnapshotDevice xmlns="${NS_CSTA}"><snapshotObject typeOfNumber="other" mediaClass="notKnown">${e(device)}</snapshotObject></SnapshotDevice>`;
}
