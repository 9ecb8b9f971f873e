import { describe, expect, it } from 'vitest';
import type { Register } from '../model/register.ts';
import type { Signal } from '../model/signal.ts';
import { aggregate } from './aggregate.ts';
import { DEFAULT_RULES } from './rules-config.ts';

const T0 = Date.parse('2026-11-22T09:00:00Z');
const reg = (p: Partial<Signal> & Pick<Signal, 'category'>, publishedAt: number): Register => ({ person: 'a', source: 's', endpoint: 'e', expireType: 'device', ...p, publishedAt }) as Register;

describe('aggregate: no contradictory presence', () => {
  const laptopOff = reg({ category: 'machine', source: 'agent', endpoint: 'laptop', machineState: 'off', sourceTime: T0 }, T0);
  const call = reg({ category: 'phone', source: 'pbx', endpoint: 'line-1', availability: 6500, activity: { token: 'on-the-phone' } }, T0 - 60_000);
  const meeting = reg({ category: 'calendar', source: 'cal', endpoint: 'evt', availability: 6500, activity: { token: 'in-a-meeting' }, from: T0 - 60_000, until: T0 + 60_000, expireType: 'time' }, T0 - 120_000);

  it.each([
    ['a PBX call', call, 'on-the-phone'],
    ['a meeting', meeting, 'in-a-meeting'],
  ])('%s from another source outranks one endpoint’s machine off: busy, not "Offline · In a call"', (_n, live, token) => {
    const j = aggregate([laptopOff, live], T0, DEFAULT_RULES);
    expect(j).toMatchObject({ class: 'busy', activity: { token } });
    expect(j.explanation.registers[0]).toMatchObject({ verdict: 'machine-off-outranked' });
  });

  it('a machine off alone, or with nothing live, is offline', () => {
    expect(aggregate([laptopOff], T0, DEFAULT_RULES)).toMatchObject({ class: 'offline', activity: { token: 'offline' } });
    const idlePhone = reg({ category: 'phone', source: 'pbx', endpoint: 'line-1', availability: 3500 }, T0);
    expect(aggregate([laptopOff, idlePhone], T0, DEFAULT_RULES).class).toBe('offline');
  });

  it('never shows the offline class with a live activity', () => {
    // Appear offline by the user hides device activities; an offline device with a call's activity is not shown either.
    const offDevice = reg({ category: 'device', source: 'teams', endpoint: 'teams', availability: 18500 }, T0);
    const j = aggregate([offDevice, call], T0, DEFAULT_RULES);
    expect(j.class).toBe('offline');
    expect(j.activity.token).toBe('offline');
    // An activity of the offline state itself (off work) is shown.
    const offWork = reg({ category: 'device', source: 'teams', endpoint: 'teams', availability: 18500, activity: { token: 'off-work' } }, T0);
    expect(aggregate([offWork, call], T0, DEFAULT_RULES).activity.token).toBe('off-work');
  });
});
