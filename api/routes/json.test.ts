import { describe, expect, it } from 'vitest';
import type { Signal } from '../../core/model/signal.ts';
import { iso, signalJson } from './json.ts';

const T = Date.parse('2026-12-01T09:00:00Z');

describe('signals as the explain and timeline answers write them', () => {
  it('every field, instants as ISO strings, in the order of the answers', () => {
    const s: Signal = {
      person: 'alice',
      source: 'exchange',
      endpoint: 'm1',
      category: 'calendar',
      availability: 6500,
      activity: { token: 'in-a-meeting', text: 'Sprint review' },
      machineState: 'active',
      from: T,
      until: T + 1_800_000,
      expireType: 'time',
      sourceTime: T - 60_000,
      sourceVersion: 7,
      id: 'k-1',
      receivedAt: T - 1000,
    };
    const all = { availability: 6500, activity: { token: 'in-a-meeting', text: 'Sprint review' }, machineState: 'active', from: '2026-12-01T09:00:00.000Z', until: '2026-12-01T09:30:00.000Z', sourceTime: '2026-12-01T08:59:00.000Z', sourceVersion: 7, id: 'k-1' };
    // The person is the answer's, not the signal's; receivedAt is the hub's own bookkeeping.
    expect(JSON.stringify(signalJson(s))).toBe(JSON.stringify({ source: 'exchange', endpoint: 'm1', category: 'calendar', expireType: 'time', ...all }));
    expect(JSON.stringify(signalJson(s, T + 5))).toBe(JSON.stringify({ source: 'exchange', endpoint: 'm1', category: 'calendar', expireType: 'time', publishedAt: '2026-12-01T09:00:00.005Z', ...all }));
  });

  it('leaves out what the signal does not carry', () => {
    expect(signalJson({ person: 'bob', source: 'desk', endpoint: 'phone', category: 'phone', expireType: 'device' })).toEqual({ source: 'desk', endpoint: 'phone', category: 'phone', expireType: 'device' });
    expect(iso(undefined)).toBeUndefined();
    expect(iso(0)).toBe('1970-01-01T00:00:00.000Z');
  });
});
