import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDialogInfo, type DialogInfo } from '../sip-core/dialog-info.ts';
import { lineSignal, LineTracker } from './map.ts';

const fx = (n: string): DialogInfo => parseDialogInfo(readFileSync(new URL(`./fixtures/${n}`, import.meta.url), 'utf8'));
const doc = (version: number, state: 'full' | 'partial', dialogs: DialogInfo['dialogs']): DialogInfo => ({ version, state, entity: 'sip:100@pbx', dialogs });

describe('line state from RFC 4235 examples', () => {
  it.each([
    [['rfc4235-trying.xml'], 'dialing'],
    [['rfc4235-trying.xml', 'rfc4235-confirmed.xml'], 'busy'],
    [['rfc4235-trying.xml', 'rfc4235-confirmed.xml', 'rfc4235-terminated.xml'], 'idle'],
    [['rfc4235-early-recipient.xml'], 'ringing'],
  ])('%j -> %s', (files, want) => {
    const t = new LineTracker();
    for (const f of files) t.apply(fx(f), 0);
    expect(t.state()).toBe(want);
  });
});

describe('LineTracker ordering and the stuck lamp', () => {
  it('ignores stale versions, flags gaps, and accepts a restart', () => {
    const t = new LineTracker();
    expect(t.apply(doc(4, 'full', [{ id: 'a', state: 'confirmed' }]), 0)).toBe('applied');
    expect(t.apply(doc(3, 'partial', [{ id: 'a', state: 'terminated' }]), 0)).toBe('stale');
    expect(t.state()).toBe('busy');
    expect(t.apply(doc(7, 'partial', [{ id: 'b', state: 'early', direction: 'recipient' }]), 0)).toBe('gap');
    expect(t.apply(doc(0, 'full', []), 0, true)).toBe('applied');
    expect(t.state()).toBe('idle');
  });
  it('a full state replaces, a partial state updates', () => {
    const t = new LineTracker();
    t.apply(doc(0, 'full', [{ id: 'a', state: 'confirmed' }, { id: 'b', state: 'early', direction: 'recipient' }]), 0);
    t.apply(doc(1, 'partial', [{ id: 'a', state: 'terminated' }]), 0);
    expect(t.state()).toBe('ringing');
    t.apply(doc(2, 'full', []), 0);
    expect(t.state()).toBe('idle');
  });
  it('an early dialog that never resolves expires after the configured time', () => {
    const t = new LineTracker();
    t.apply(doc(0, 'full', [{ id: 'b', state: 'early', direction: 'recipient' }]), 1000);
    expect(t.nextEarlyDeadline(60_000)).toBe(61_000);
    expect(t.expireEarly(60_999, 60_000)).toBe(false);
    expect(t.expireEarly(61_000, 60_000)).toBe(true);
    expect(t.state()).toBe('idle');
    expect(t.nextEarlyDeadline(60_000)).toBeUndefined();
  });
  it('a dialog that stays early across partial updates keeps its start time', () => {
    const t = new LineTracker();
    t.apply(doc(0, 'full', [{ id: 'b', state: 'early', direction: 'recipient' }]), 0);
    t.apply(doc(1, 'partial', [{ id: 'b', state: 'early' }]), 50_000);
    expect(t.expireEarly(60_000, 60_000)).toBe(true);
  });
});

describe('line state -> signal', () => {
  it.each([
    ['busy', 'none', { availability: 'busy', activity: 'on-the-phone' }],
    ['ringing', 'none', { activity: 'ringing' }],
    ['ringing', 'busy', { availability: 'busy', activity: 'ringing' }],
    ['dialing', 'none', { activity: 'dialing' }],
    ['idle', 'none', { availability: 'available' }],
  ] as const)('%s (ringing availability %s)', (state, ra, want) => {
    expect(lineSignal(state, ra)).toEqual(want);
  });
});

describe('the RFC 4235 examples decode (sip-core/dialog-info.ts)', () => {
  it.each([
    ['rfc4235-trying.xml', { version: 0, state: 'full', entity: 'sip:alice@example.com' }, { id: 'as7d900as8', state: 'trying', direction: 'initiator', callId: 'a84b4c76e66710', localTag: '1928301774' }],
    ['rfc4235-confirmed.xml', { version: 1, state: 'full' }, { state: 'confirmed', remoteTag: '456887766', remoteIdentity: 'sip:bob@example.org', localIdentity: 'sip:alice@example.com' }],
    ['rfc4235-early-recipient.xml', { version: 2, state: 'partial', entity: 'sip:bob@example.org' }, { state: 'early', direction: 'recipient', remoteIdentity: 'sip:carol@example.net' }],
    ['rfc4235-terminated.xml', { version: 3, state: 'partial' }, { state: 'terminated', event: 'remote-bye' }],
  ])('%s', (file, doc, dialog) => {
    const d = fx(file);
    expect(d).toMatchObject(doc);
    expect(d.dialogs[0]).toMatchObject(dialog);
  });
});
