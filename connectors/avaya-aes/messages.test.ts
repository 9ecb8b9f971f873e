import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseIncoming } from './messages.ts';
import { CALL_EVENTS, getDeviceId, monitorStart, snapshotDevice, startApplicationSession } from './requests.ts';
import { reply } from './simulator-replies.ts';
import { XmlError, child, parseMessageXml, text } from './xml.ts';

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('DMCC messages from the published shapes (fixtures/README.md)', () => {
  it.each([
    ['start-application-session-pos-response.xml', { kind: 'session-started', sessionId: '469421A9364D46D6444524AE41BEAD72-0', duration: 180, protocol: 'http://www.ecma-international.org/standards/ecma-323/csta/ed3/priv7' }],
    ['start-application-session-neg-response.xml', { kind: 'session-refused', error: 'invalidApplicationInfo' }],
    ['reset-application-session-timer-pos-response.xml', { kind: 'timer-reset', duration: 180 }],
    ['application-session-terminated.xml', { kind: 'session-terminated', sessionId: '469421A9364D46D6444524AE41BEAD72-0', reason: 'sessionTimerExpired' }],
    ['get-third-party-device-id-response.xml', { kind: 'device-id', device: '4750::111.2.33.444:0' }],
    ['monitor-start-response.xml', { kind: 'monitor-started', crossRefId: '1' }],
    ['csta-error-invalid-device.xml', { kind: 'csta-error', category: 'operation', value: 'invalidDeviceID' }],
    ['csta-error-monitor-limit.xml', { kind: 'csta-error', category: 'subscribedResourceAvailability', value: 'objectMonitorLimitExceeded' }],
    ['snapshot-device-response.xml', { kind: 'snapshot', calls: [{ callId: '500', state: 'hold' }, { callId: '504', state: 'connected' }] }],
    ['snapshot-device-response-simple.xml', { kind: 'snapshot', calls: [{ callId: '510', state: 'alerting' }, { callId: '511', state: 'initiated' }, { callId: '512', state: 'hold' }] }],
  ] as const)('%s', (file, expected) => {
    expect(parseIncoming(fixture(file))).toEqual(expected);
  });

  it.each([
    ['delivered-event.xml', { type: 'DeliveredEvent', crossRefId: '1', connection: { callId: '500', deviceId: '4750:CM1::0' }, actor: '4750:CM1::0', calling: '+15559990000', local: 'alerting', cause: 'newCall' }],
    ['delivered-event-ed4.xml', { type: 'DeliveredEvent', crossRefId: '1173673890', connection: { callId: 'FF00010000000000EC6114647E570000', deviceId: '3021061290002' }, actor: 'N<3021061290002>;noa=nk', local: 'alerting' }],
    ['established-event.xml', { type: 'EstablishedEvent', connection: { callId: '500' }, actor: '4750:CM1::0', local: 'connected' }],
    ['held-event.xml', { type: 'HeldEvent', connection: { callId: '500' }, actor: '4750:CM1::0', local: 'hold' }],
    ['retrieved-event.xml', { type: 'RetrievedEvent', connection: { callId: '500' }, local: 'connected' }],
    ['service-initiated-event.xml', { type: 'ServiceInitiatedEvent', connection: { callId: '501', deviceId: '4751:CM1::0' }, local: 'initiated' }],
    ['originated-event.xml', { type: 'OriginatedEvent', connection: { callId: '501' }, actor: '4751:CM1::0', local: 'connected' }],
    ['connection-cleared-event.xml', { type: 'ConnectionClearedEvent', connection: { callId: '500', deviceId: '+15559990000' }, actor: '+15559990000', local: 'null', cause: 'normalClearing' }],
    ['failed-event.xml', { type: 'FailedEvent', connection: { callId: '501' }, actor: '4750:CM1::0', cause: 'busy' }],
    ['transfered-event.xml', { type: 'TransferedEvent', primaryOld: { callId: '500' }, secondaryOld: { callId: '501' }, actor: '4750:CM1::0', moved: [{ to: { callId: '502' } }, { to: { callId: '502', deviceId: '4751:CM1::0' }, from: { callId: '501' } }] }],
    ['conferenced-event.xml', { type: 'ConferencedEvent', primaryOld: { callId: '502' }, secondaryOld: { callId: '503' }, actor: '4751:CM1::0', local: 'connected' }],
  ] as const)('%s', (file, expected) => {
    const m = parseIncoming(fixture(file));
    expect(m.kind).toBe('event');
    expect(m).toMatchObject({ event: expected });
  });

  it('reads the request fixture as this connector writes it (same element paths)', () => {
    const ours = parseMessageXml(startApplicationSession({ applicationId: 'presence-hub', userName: 'hub', password: 'secret', sessionCleanupDelay: 60, protocolVersion: 'http://www.ecma-international.org/standards/ecma-323/csta/ed3/priv7', sessionDuration: 180 }));
    const published = parseMessageXml(fixture('start-application-session.xml'));
    for (const path of [['applicationInfo', 'applicationID'], ['applicationInfo', 'applicationSpecificInfo', 'SessionLoginInfo', 'userName'], ['applicationInfo', 'applicationSpecificInfo', 'SessionLoginInfo', 'sessionCleanupDelay'], ['requestedProtocolVersions', 'protocolVersion'], ['requestedSessionDuration']]) {
      expect(text(ours.node, ...path), path.join('/')).toBe(text(published.node, ...path));
    }
    // The login info says its type (xsi:type, prefix dropped by the reader), as the published request does.
    const typeOf = (n: typeof ours.node): unknown => child(n, 'applicationInfo', 'applicationSpecificInfo', 'SessionLoginInfo')?.['@_type'];
    expect(typeOf(ours.node)).toBe('ns1:SessionLoginInfo');
    expect(typeOf(ours.node)).toBe(typeOf(published.node));
  });

  it('escapes what it writes and names the filter it asks for', () => {
    expect(getDeviceId('third-party', 'CM<1>', '4750')).toContain('<switchName>CM&lt;1&gt;</switchName>');
    const m = parseMessageXml(monitorStart('4750:CM1::0'));
    expect(text(m.node, 'monitorObject', 'deviceObject')).toBe('4750:CM1::0');
    expect(text(m.node, 'extensions', 'privateData', 'private', 'AvayaEvents', 'invertFilter')).toBe('true');
    for (const e of CALL_EVENTS) expect(text(m.node, 'requestedMonitorFilter', 'callcontrol', e)).toBe('true');
    expect(text(parseMessageXml(snapshotDevice('4750:CM1::0')).node, 'snapshotObject')).toBe('4750:CM1::0');
  });

  it.each([
    ['not XML', 'hello', /malformed|root/],
    ['a DTD', '<!DOCTYPE a [<!ENTITY b "c">]><a>&b;</a>', /document type/],
    ['an event without its connection', '<HeldEvent><monitorCrossRefID>1</monitorCrossRefID></HeldEvent>', /heldConnection/],
    ['an event without a cross-reference id', '<HeldEvent><heldConnection><callID>1</callID></heldConnection></HeldEvent>', /monitorCrossRefID/],
    ['a session answer without its duration', '<StartApplicationSessionPosResponse><sessionID>x</sessionID><actualProtocolVersion>p</actualProtocolVersion></StartApplicationSessionPosResponse>', /actualSessionDuration/],
    ['a duration that is not a number', '<ResetApplicationSessionTimerPosResponse><actualSessionDuration>-1</actualSessionDuration></ResetApplicationSessionTimerPosResponse>', /seconds/],
    ['deep nesting', `${'<a>'.repeat(100)}${'</a>'.repeat(100)}`, /nested/],
    ['a snapshot without its data', '<SnapshotDeviceResponse/>', /without <snapshotData>/],
    ['a snapshot whose data would follow', '<SnapshotDeviceResponse><crossRefIDorSnapshotData><serviceCrossRefID>7</serviceCrossRefID></crossRefIDorSnapshotData></SnapshotDeviceResponse>', /serviceCrossRefID/],
    ['an empty message', '', /empty message/],
    ['a message of only white space', ' \r\n\t', /white space/],
    ['an over-long field', `<MonitorStartResponse><monitorCrossRefID>${'9'.repeat(300)}</monitorCrossRefID></MonitorStartResponse>`, /longer/],
  ])('refuses %s, naming what is wrong', (_n, xml, re) => {
    expect(() => parseIncoming(xml)).toThrow(XmlError);
    expect(() => parseIncoming(xml)).toThrow(re);
  });

  it('reads an empty snapshot as a device with no call', () => {
    expect(parseIncoming('<SnapshotDeviceResponse><crossRefIDorSnapshotData><snapshotData/></crossRefIDorSnapshotData></SnapshotDeviceResponse>')).toEqual({ kind: 'snapshot', calls: [] });
  });

  it('accepts the other spelling of TransferedEvent and ignores messages it does not use', () => {
    expect(parseIncoming(fixture('transfered-event.xml').replace(/TransferedEvent/g, 'TransferredEvent'))).toMatchObject({ kind: 'event', event: { type: 'TransferedEvent' } });
    expect(parseIncoming('<LampModeEvent><monitorCrossRefID>1</monitorCrossRefID></LampModeEvent>')).toEqual({ kind: 'other', name: 'LampModeEvent' });
  });
});

describe("the simulator's answers read like the published ones", () => {
  it.each([
    ['start-application-session-pos-response.xml', reply.sessionStarted('469421A9364D46D6444524AE41BEAD72-0', 'http://www.ecma-international.org/standards/ecma-323/csta/ed3/priv7', 180)],
    ['start-application-session-neg-response.xml', reply.sessionRefused('invalidApplicationInfo')],
    ['reset-application-session-timer-pos-response.xml', reply.timerReset(180)],
    ['application-session-terminated.xml', reply.terminated('469421A9364D46D6444524AE41BEAD72-0')],
    ['get-third-party-device-id-response.xml', reply.deviceId('GetThirdPartyDeviceId', '4750::111.2.33.444:0')],
    ['monitor-start-response.xml', reply.monitorStarted('1')],
    ['csta-error-invalid-device.xml', reply.cstaError('operation', 'invalidDeviceID')],
    ['snapshot-device-response.xml', reply.snapshot('4750:CM1::0', [{ callId: '500', state: 'hold', remote: 'connected' }, { callId: '504', state: 'connected', remote: 'connected' }])],
    ['snapshot-device-response-simple.xml', reply.snapshot('4750:CM1::0', [{ callId: '510', state: 'alerting', remote: 'connected' }, { callId: '511', state: 'connected', remote: 'alerting' }, { callId: '512', state: 'hold', remote: 'connected' }], 'simple')],
  ])('%s', (file, ours) => {
    expect(parseIncoming(ours)).toEqual(parseIncoming(fixture(file)));
  });
});
