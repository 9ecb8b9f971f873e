/** The simulated office's events to neutral signals (pure): one signal per event, on the endpoint that reported it. */
import type { SignalInput } from '../../core/model/signal.ts';
import type { DemoEvent } from './simulator.ts';

const iso = (ms: number): string => new Date(ms).toISOString();

export function eventToSignal(e: DemoEvent, source: string): SignalInput {
  const base = { person: e.person, source, sourceTime: iso(e.at) };
  switch (e.kind) {
    case 'input':
      return { ...base, endpoint: 'laptop', category: 'machine', machineState: 'active' };
    case 'laptop-shut':
      return { ...base, endpoint: 'laptop', category: 'machine', machineState: 'off' };
    case 'call-started':
      return { ...base, endpoint: 'desk-phone', category: 'phone', availability: 'busy', activity: 'on-the-phone' };
    case 'call-ended':
      return { ...base, endpoint: 'desk-phone', category: 'phone', availability: 'available' };
    case 'meeting':
      return { ...base, endpoint: 'calendar', category: 'calendar', availability: 'busy', activity: { token: 'in-a-meeting', text: e.subject }, from: iso(e.from), until: iso(e.until) };
    case 'state-set':
      return { ...base, endpoint: 'client', category: 'user', availability: e.availability };
  }
}
