import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { signalInputSchema } from '../../core/model/signal.ts';
import { DemoClient } from './client.ts';
import { eventToSignal } from './map.ts';
import type { DemoEvent } from './simulator.ts';

const T0 = Date.parse('2026-11-22T09:00:00Z');
const at = T0;

describe('eventToSignal', () => {
  it.each([
    [{ kind: 'input', person: 'a', at }, { endpoint: 'laptop', category: 'machine', machineState: 'active' }],
    [{ kind: 'laptop-shut', person: 'a', at }, { endpoint: 'laptop', category: 'machine', machineState: 'off' }],
    [{ kind: 'call-started', person: 'a', at }, { endpoint: 'desk-phone', category: 'phone', availability: 'busy', activity: 'on-the-phone' }],
    [{ kind: 'call-ended', person: 'a', at }, { endpoint: 'desk-phone', category: 'phone', availability: 'available' }],
    [
      { kind: 'meeting', person: 'a', at, from: T0 + 3000, until: T0 + 93_000, subject: 'Weekly sync' },
      { endpoint: 'calendar', category: 'calendar', availability: 'busy', activity: { token: 'in-a-meeting', text: 'Weekly sync' }, from: '2026-11-22T09:00:03.000Z', until: '2026-11-22T09:01:33.000Z' },
    ],
    [{ kind: 'state-set', person: 'a', at, availability: 'dnd' }, { endpoint: 'client', category: 'user', availability: 'dnd' }],
  ] as [DemoEvent, Record<string, unknown>][])('%o', (event, want) => {
    const s = eventToSignal(event, 'demo');
    expect(s).toEqual({ person: 'a', source: 'demo', sourceTime: '2026-11-22T09:00:00.000Z', ...want });
    // Every signal the demo sends is one the hub's ingest accepts.
    expect(signalInputSchema.safeParse(s).success).toBe(true);
  });
});

describe('a demo run replays from its seed', () => {
  it('the first polls with seed 42 are those recorded in fixtures/seed-42.json', () => {
    const recorded = JSON.parse(readFileSync(new URL('./fixtures/seed-42.json', import.meta.url), 'utf8')) as { polls: DemoEvent[][] };
    const c = new DemoClient({ seed: 42, meetingLength: 90_000 });
    const people = ['alice', 'bob', 'carol'];
    expect(recorded.polls.map((_, i) => c.poll(people, T0 + i * 2000, 4))).toEqual(recorded.polls);
  });
});
