import { describe, expect, it } from 'vitest';
import { extensionFromIdentity, extensionOf, lineSignal, LineTracker, type LineState } from './map.ts';
import type { CallEvent, EventName, LocalState } from './messages.ts';

const ME = '4750:CM1::0';
const OTHER = '4751:CM1::0';
const OUTSIDE = '+15559990000';
type Step = [EventName, string, string | undefined, string | undefined, LocalState | undefined];
const ev = ([type, callId, device, actor, local]: Step): CallEvent => ({
  type,
  crossRefId: '1',
  connection: device !== undefined ? { callId, deviceId: device } : { callId },
  ...(actor !== undefined ? { actor } : {}),
  ...(local !== undefined ? { local } : {}),
});

function run(steps: Step[]): LineState[] {
  const t = new LineTracker('4750');
  return steps.map((s) => {
    t.apply(ev(s));
    return t.state();
  });
}

describe('line state from call-control events', () => {
  it.each<[string, Step[], LineState[]]>([
    ['inbound: rings, answered, cleared', [['DeliveredEvent', 'c1', ME, ME, 'alerting'], ['EstablishedEvent', 'c1', ME, ME, 'connected'], ['ConnectionClearedEvent', 'c1', ME, ME, 'null']], ['ringing', 'busy', 'idle']],
    ['inbound without localConnectionInfo', [['DeliveredEvent', 'c1', ME, ME, undefined], ['EstablishedEvent', 'c1', ME, ME, undefined], ['ConnectionClearedEvent', 'c1', ME, ME, undefined]], ['ringing', 'busy', 'idle']],
    ['outbound: dialing while the far end rings, talking once answered', [['ServiceInitiatedEvent', 'c1', ME, ME, 'initiated'], ['OriginatedEvent', 'c1', ME, ME, 'connected'], ['DeliveredEvent', 'c1', OTHER, OTHER, 'connected'], ['EstablishedEvent', 'c1', OTHER, OTHER, 'connected']], ['dialing', 'dialing', 'dialing', 'busy']],
    ['far end hangs up, the switch clears this side too', [['EstablishedEvent', 'c1', ME, ME, 'connected'], ['ConnectionClearedEvent', 'c1', OUTSIDE, OUTSIDE, 'null']], ['busy', 'idle']],
    ['a conference party leaves, this line stays in the call', [['EstablishedEvent', 'c1', ME, ME, 'connected'], ['ConnectionClearedEvent', 'c1', OTHER, OTHER, 'connected']], ['busy', 'busy']],
    ['hold and retrieve', [['EstablishedEvent', 'c1', ME, ME, 'connected'], ['HeldEvent', 'c1', ME, ME, 'hold'], ['RetrievedEvent', 'c1', ME, ME, 'connected']], ['busy', 'held', 'busy']],
    ['held by the far end: still in a call', [['EstablishedEvent', 'c1', ME, ME, 'connected'], ['HeldEvent', 'c1', OTHER, OTHER, 'connected']], ['busy', 'busy']],
    ['two calls, one held, the active one cleared: on hold (busy)', [['EstablishedEvent', 'c1', ME, ME, 'connected'], ['HeldEvent', 'c1', ME, ME, 'hold'], ['DeliveredEvent', 'c2', ME, ME, 'alerting'], ['EstablishedEvent', 'c2', ME, ME, 'connected'], ['ConnectionClearedEvent', 'c2', ME, ME, 'null']], ['busy', 'held', 'held', 'busy', 'held']],
    ['a call clears while another rings: ringing', [['EstablishedEvent', 'c1', ME, ME, 'connected'], ['DeliveredEvent', 'c2', ME, ME, 'alerting'], ['CallClearedEvent', 'c1', undefined, undefined, undefined]], ['busy', 'busy', 'ringing']],
    ['a ringing call diverted away (coverage)', [['DeliveredEvent', 'c1', ME, ME, 'alerting'], ['DivertedEvent', 'c1', ME, ME, 'null']], ['ringing', 'idle']],
    ['a call that fails (busy tone) keeps the line off-hook', [['OriginatedEvent', 'c1', ME, ME, 'connected'], ['FailedEvent', 'c1', OTHER, OTHER, 'fail'], ['ConnectionClearedEvent', 'c1', ME, ME, 'null']], ['dialing', 'dialing', 'idle']],
  ])('%s', (_name, steps, states) => {
    expect(run(steps)).toEqual(states);
  });

  it('a transfer: the transferring line leaves both calls; another party moves to the new call', () => {
    const me = new LineTracker('4750');
    me.apply(ev(['EstablishedEvent', 'c1', ME, ME, 'connected']));
    me.apply(ev(['HeldEvent', 'c1', ME, ME, 'hold']));
    me.apply(ev(['EstablishedEvent', 'c2', OTHER, OTHER, 'connected']));
    me.apply({ type: 'TransferedEvent', crossRefId: '1', primaryOld: { callId: 'c1' }, secondaryOld: { callId: 'c2' }, actor: ME, local: 'null' });
    expect(me.state()).toBe('idle');
    const other = new LineTracker('4751');
    other.apply(ev(['EstablishedEvent', 'c2', OTHER, OTHER, 'connected']));
    other.apply({ type: 'TransferedEvent', crossRefId: '2', primaryOld: { callId: 'c1' }, secondaryOld: { callId: 'c2' }, actor: ME, local: 'connected', moved: [{ from: { callId: 'c2', deviceId: OTHER }, to: { callId: 'c3', deviceId: OTHER } }] });
    expect(other.state()).toBe('busy');
    other.apply(ev(['ConnectionClearedEvent', 'c3', OTHER, OTHER, 'null']));
    expect(other.state()).toBe('idle');
  });

  it('a conference leaves one call, connected', () => {
    const t = new LineTracker('4750');
    t.apply(ev(['EstablishedEvent', 'c1', ME, ME, 'connected']));
    t.apply(ev(['HeldEvent', 'c1', ME, ME, 'hold']));
    t.apply(ev(['EstablishedEvent', 'c2', ME, ME, 'connected']));
    t.apply({ type: 'ConferencedEvent', crossRefId: '1', primaryOld: { callId: 'c1' }, secondaryOld: { callId: 'c2' }, actor: ME, local: 'connected' });
    expect([t.state(), t.size]).toEqual(['busy', 1]);
    t.apply(ev(['ConnectionClearedEvent', 'c1', ME, ME, 'null']));
    expect(t.state()).toBe('idle');
  });

  it('a snapshot replaces what was known (a call that ended unseen is gone)', () => {
    const t = new LineTracker('4750');
    t.apply(ev(['EstablishedEvent', 'c1', ME, ME, 'connected']));
    t.replace([]);
    expect(t.state()).toBe('idle');
    t.replace([{ callId: 'c9', state: 'hold' }, { callId: 'c8', state: 'alerting' }]);
    expect(t.state()).toBe('held');
  });

  it.each<[LineState, 'available' | 'busy', object]>([
    ['busy', 'available', { availability: 'busy', activity: 'on-the-phone' }],
    ['held', 'available', { availability: 'busy', activity: 'on-hold' }],
    ['ringing', 'available', { availability: 'available', activity: 'ringing' }],
    ['dialing', 'busy', { availability: 'busy', activity: 'dialing' }],
    ['idle', 'available', { availability: 'available' }],
  ])('%s (ringingAvailability %s) -> %j', (state, ring, signal) => {
    expect(lineSignal(state, ring)).toEqual(signal);
  });
});

describe('extensions from directory identities', () => {
  it.each<[string, { digits: number; telPrefix?: string }, string | undefined]>([
    ['ext:4750', { digits: 4 }, '4750'],
    ['ext:04750', { digits: 4 }, '04750'],
    ['tel:+15550104750', { digits: 4 }, '4750'],
    ['tel:+1 555 010 4750;ext=1', { digits: 5 }, '04750'],
    ['tel:+15550104750', { digits: 4, telPrefix: '+1555010' }, '4750'],
    ['tel:+4930123456', { digits: 4, telPrefix: '+1555010' }, undefined],
    ['tel:12', { digits: 4 }, undefined],
    ['ext:47a0', { digits: 4 }, undefined],
    ['sip:4750@pbx', { digits: 4 }, undefined],
  ])('%s with %j -> %s', (identity, rule, ext) => {
    expect(extensionFromIdentity(identity, rule)).toBe(ext);
  });

  it('takes the extension out of a DMCC device id', () => {
    expect(extensionOf('4750:CM1:192.0.2.1:0')).toBe('4750');
    expect(extensionOf('4750')).toBe('4750');
  });
});
