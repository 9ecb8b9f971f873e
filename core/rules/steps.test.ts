import { describe, expect, it } from 'vitest';
import { CLASS_FLOOR, classOf, type AvailabilityClass, type MachineState } from '../model/availability.ts';
import type { Register } from '../model/register.ts';
import { registerKey, type Signal } from '../model/signal.ts';
import type { Candidate } from './judgement.ts';
import { compileRules, DEFAULT_AWAY_AFTER_MS, DEFAULT_INACTIVE_AFTER_MS, DEFAULT_RULES } from './rules-config.ts';
import {
  ageMachine,
  countedVerdicts,
  currentActivity,
  humanize,
  leastAvailable,
  mostActiveMachine,
  nextBoundary,
  outrankMachineOff,
  userOverride,
  validityWindow,
  validSet,
} from './steps.ts';

const T0 = Date.parse('2026-11-22T09:00:00Z');
const MIN = 60_000;

function reg(p: Partial<Signal> & Pick<Signal, 'category'>, publishedAt = T0): Register {
  return { person: 'alice', source: p.source ?? 's', endpoint: p.endpoint ?? 'e', expireType: p.expireType ?? 'device', ...p, publishedAt } as Register;
}
function cand(p: Partial<Signal> & Pick<Signal, 'category'>, availability: number, publishedAt = T0, machineState?: MachineState): Candidate {
  const r = reg(p, publishedAt);
  return machineState !== undefined ? { key: registerKey(r), r, availability, machineState } : { key: registerKey(r), r, availability };
}

describe('the default thresholds and ranges are the documented ones', () => {
  it('machine ageing 5 and 15 minutes; class ranges start at 3000, 6000, 9000, 12000, 13000, 15000, 18000', () => {
    expect([DEFAULT_INACTIVE_AFTER_MS, DEFAULT_AWAY_AFTER_MS]).toEqual([5 * MIN, 15 * MIN]);
    expect([DEFAULT_RULES.inactiveAfterMs, DEFAULT_RULES.awayAfterMs]).toEqual([5 * MIN, 15 * MIN]);
    for (const [cls, floor] of Object.entries(CLASS_FLOOR) as [AvailabilityClass, number][]) {
      expect(classOf(floor)).toBe(cls);
      if (cls !== 'available') expect(classOf(floor - 1)).not.toBe(cls);
    }
  });
});

describe('step 2, validityWindow', () => {
  const ttl = compileRules({ sources: { pbx: { ttl: '10m' } } });
  it.each([
    ['no window', {}, T0, DEFAULT_RULES, undefined, undefined],
    ['before from', { from: T0 + MIN }, T0, DEFAULT_RULES, 'not-yet-valid', T0 + MIN],
    ['at from, with until', { from: T0, until: T0 + MIN }, T0, DEFAULT_RULES, undefined, T0 + MIN],
    ['at until', { until: T0 }, T0, DEFAULT_RULES, 'expired', undefined],
    ['inside the source ttl', { source: 'pbx' }, T0 + 9 * MIN, ttl, undefined, T0 + 10 * MIN],
    ['at the end of the source ttl', { source: 'pbx' }, T0 + 10 * MIN, ttl, 'expired', undefined],
    ['until wins over the ttl', { source: 'pbx', until: T0 + 20 * MIN }, T0 + 15 * MIN, ttl, undefined, T0 + 20 * MIN],
  ] as const)('%s', (_name, p, now, rules, verdict, boundary) => {
    const w = validityWindow(reg({ category: 'phone', ...p }), now, rules);
    expect(w.outside?.verdict).toBe(verdict);
    expect(w.boundary).toBe(boundary);
  });
});

describe('step 1, ageMachine', () => {
  it.each([
    ['active with fresh input', 'active', 0, 'active', [T0 + 5 * MIN, T0 + 15 * MIN]],
    ['active, no input for 5 minutes', 'active', 5 * MIN, 'inactive', [T0 + 15 * MIN]],
    ['active, no input for 15 minutes', 'active', 15 * MIN, 'away', []],
    ['inactive reported, fresh', 'inactive', 0, 'inactive', [T0 + 15 * MIN]],
    ['unknown reported, fresh', 'unknown', 0, 'unknown', [T0 + 15 * MIN]],
    ['unknown, no input for 15 minutes', 'unknown', 15 * MIN, 'away', []],
    ['away stays away', 'away', 0, 'away', []],
    ['off is never made more active', 'off', 20 * MIN, 'off', []],
  ] as const)('%s', (_name, state, idle, aged, boundaries) => {
    const a = ageMachine(state, T0, T0 + idle, DEFAULT_RULES);
    expect(a.state).toBe(aged);
    expect(a.boundaries).toEqual(boundaries);
  });
  it('uses the configured thresholds', () => {
    const rules = compileRules({ machine: { inactiveAfter: '1m', awayAfter: '2m' } });
    expect(ageMachine('active', T0, T0 + MIN, rules).state).toBe('inactive');
    expect(ageMachine('active', T0, T0 + 2 * MIN, rules).state).toBe('away');
  });
});

describe('step 2, validSet', () => {
  it('sets apart valid states, aged machine states and what does not count, with every boundary', () => {
    const regs = [
      reg({ category: 'phone', endpoint: 'call', availability: 6500, until: T0 + 30 * MIN }),
      reg({ category: 'machine', endpoint: 'laptop', machineState: 'active', sourceTime: T0 - 6 * MIN }),
      reg({ category: 'calendar', endpoint: 'later', availability: 6500, from: T0 + 60 * MIN }),
      reg({ category: 'calendar', endpoint: 'past', availability: 6500, until: T0 - 1 }),
      reg({ category: 'phone', endpoint: 'parked', activity: { token: 'parked' } }),
      reg({ category: 'phone', endpoint: 'ringing', activity: { token: 'ringing' } }),
    ];
    const v = validSet(regs, T0, DEFAULT_RULES);
    expect(v.valid.map((c) => [c.r.endpoint, c.availability])).toEqual([['call', 6500], ['ringing', 3500]]);
    expect(v.machines.map((c) => [c.r.endpoint, c.machineState, c.availability])).toEqual([['laptop', 'inactive', 3750]]);
    expect(v.excluded.map((x) => [x.register.endpoint, x.verdict])).toEqual([['later', 'not-yet-valid'], ['past', 'expired'], ['parked', 'no-availability']]);
    expect([...v.boundaries].sort((a, b) => a - b)).toEqual([T0 + 9 * MIN, T0 + 30 * MIN, T0 + 60 * MIN]);
  });
  it('ages from the publication when the machine register has no source time', () => {
    const v = validSet([reg({ category: 'machine', machineState: 'active' }, T0 - 16 * MIN)], T0, DEFAULT_RULES);
    expect(v.machines[0]!.machineState).toBe('away');
  });
});

describe('step 1, mostActiveMachine', () => {
  const m = (endpoint: string, state: MachineState, at: number) => cand({ category: 'machine', endpoint }, 0, at, state);
  it.each([
    ['none', [], undefined, []],
    ['active beats away', [m('phone', 'away', T0 + 1), m('laptop', 'active', T0)], 'laptop', ['phone']],
    ['inactive beats unknown, unknown beats off', [m('a', 'off', T0), m('b', 'unknown', T0), m('c', 'inactive', T0)], 'c', ['a', 'b']],
    ['a tie goes to the latest publication', [m('old', 'active', T0), m('new', 'active', T0 + 1)], 'new', ['old']],
  ] as const)('%s', (_name, machines, winner, outranked) => {
    const s = mostActiveMachine(machines);
    expect(s.machine?.r.endpoint).toBe(winner);
    expect(s.outranked.map((v) => v.register.endpoint)).toEqual(outranked);
    for (const v of s.outranked) expect(v.verdict).toBe('less-active-machine');
  });
});

describe('step 3, userOverride', () => {
  const phone = cand({ category: 'phone', endpoint: 'p' }, 6500, T0);
  const user1 = cand({ category: 'user', endpoint: 'u1' }, 3500, T0 + 1);
  const cal = cand({ category: 'calendar', endpoint: 'c' }, 6500, T0 + 2);
  const user2 = cand({ category: 'user', endpoint: 'u2' }, 9500, T0 + 3);
  it.each([
    ['no user state keeps everything', [phone, cal], ['p', 'c'], []],
    ['a user state drops what was published before it', [phone, user1, cal], ['u1', 'c'], ['p']],
    ['the latest user state cuts, dropping the earlier user state too', [phone, user1, cal, user2], ['u2'], ['p', 'u1', 'c']],
  ] as const)('%s', (_name, valid, kept, dropped) => {
    const o = userOverride(valid);
    expect(o.kept.map((c) => c.r.endpoint)).toEqual(kept);
    expect(o.dropped.map((v) => v.register.endpoint)).toEqual(dropped);
    for (const v of o.dropped) expect(v.verdict).toBe('before-user-state');
  });
});

describe('no contradiction, outrankMachineOff', () => {
  const off = cand({ category: 'machine', source: 'agent', endpoint: 'laptop' }, 18500, T0, 'off');
  const away = cand({ category: 'machine', source: 'agent', endpoint: 'laptop' }, 15500, T0, 'away');
  const call = cand({ category: 'phone', source: 'pbx', activity: { token: 'on-the-phone' } }, 6500);
  const tokenless = cand({ category: 'phone', source: 'pbx' }, 6500);
  const sameSource = cand({ category: 'phone', source: 'agent', activity: { token: 'on-the-phone' } }, 6500);
  const userBusy = cand({ category: 'user', source: 'pbx', activity: { token: 'on-the-phone' } }, 6500);
  const offlineCal = cand({ category: 'calendar', source: 'cal', activity: { token: 'off-work' } }, 18500);
  it.each([
    ['a live call from another source takes machine off out', [off, call], off, true],
    ['a machine that is not off stays', [away, call], away, false],
    ['a state without an activity token is not live', [off, tokenless], off, false],
    ['a state of the same source does not count', [off, sameSource], off, false],
    ['a user state is not live', [off, userBusy], off, false],
    ['an offline-range state is not live', [off, offlineCal], off, false],
    ['machine off no longer in the set', [call], off, false],
  ] as const)('%s', (_name, set, machine, out) => {
    const o = outrankMachineOff([...set], machine);
    expect(o.set.includes(machine)).toBe(!out && set.includes(machine));
    expect(o.verdict?.verdict).toBe(out ? 'machine-off-outranked' : undefined);
  });
});

describe('step 4, leastAvailable', () => {
  const idle = cand({ category: 'machine', endpoint: 'm' }, 3750, T0, 'inactive');
  const active = cand({ category: 'machine', endpoint: 'm' }, 3500, T0, 'active');
  const busy = cand({ category: 'phone', endpoint: 'p' }, 6500, T0);
  const busyLater = cand({ category: 'calendar', endpoint: 'c' }, 6500, T0 + 1);
  const dnd = cand({ category: 'user', endpoint: 'u' }, 9500, T0);
  it.each([
    ['nothing: offline', [], undefined, 18500, 'offline', undefined],
    ['the least available wins', [active, busy, dnd], active, 9500, 'dnd', 'u'],
    ['a tie goes to the latest publication', [busy, busyLater], undefined, 6500, 'busy', 'c'],
    ['an idle machine turns available into inactive', [idle], idle, 12500, 'inactive', 'm'],
    ['an idle machine turns busy into busy-inactive', [idle, busy], idle, 13500, 'busy-inactive', 'p'],
    ['an idle machine leaves DND alone', [idle, dnd], idle, 9500, 'dnd', 'u'],
    ['an idle machine outside the set changes nothing', [busy], idle, 6500, 'busy', 'p'],
  ] as const)('%s', (_name, set, machine, availability, cls, decider) => {
    const a = leastAvailable(set, machine);
    expect([a.availability, a.cls, a.decider?.r.endpoint]).toEqual([availability, cls, decider]);
    expect(a.sorted.map((c) => c.availability)).toEqual([...set.map((c) => c.availability)].sort((x, y) => y - x));
  });
});

describe('step 5, currentActivity', () => {
  const meeting = cand({ category: 'calendar', endpoint: 'c', expireType: 'time', activity: { token: 'in-a-meeting' } }, 6500);
  const call = cand({ category: 'phone', endpoint: 'p', expireType: 'device', activity: { token: 'on-the-phone' } }, 6500);
  const custom = cand({ category: 'user', endpoint: 'u', expireType: 'user', activity: { text: 'Writing a report' } }, 9500);
  const appearOffline = cand({ category: 'user', endpoint: 'u', expireType: 'user' }, 18500);
  const noActivity = cand({ category: 'phone', endpoint: 'n' }, 9500);
  const unknownToken = cand({ category: 'device', endpoint: 'd', activity: { token: 'deepWork' } }, 6500);
  it.each([
    ['none: the class is the activity', [], 'away', { token: 'away', text: 'Away' }, undefined],
    ['the least available state with an activity', [noActivity, meeting], 'dnd', { token: 'in-a-meeting', text: 'In a meeting' }, 'c'],
    ['a text without a token is a custom activity', [custom, meeting], 'dnd', { token: 'custom', text: 'Writing a report' }, 'u'],
    ['a token no rule names is humanized', [unknownToken], 'busy', { token: 'deepWork', text: 'Deep work' }, 'd'],
    ['an offline user state hides a device activity', [appearOffline, call], 'offline', { token: 'offline', text: 'Offline' }, undefined],
    ['an offline user state keeps a time-bound activity', [appearOffline, meeting], 'offline', { token: 'in-a-meeting', text: 'In a meeting' }, 'c'],
    ['the offline class never shows a device activity', [call], 'offline', { token: 'offline', text: 'Offline' }, undefined],
  ] as const)('%s', (_name, sorted, cls, activity, from) => {
    const a = currentActivity(sorted, cls, DEFAULT_RULES);
    expect(a.activity).toEqual(activity);
    expect(a.from?.r.endpoint).toBe(from);
  });
  it('says why each activity was dropped', () => {
    const a = currentActivity([appearOffline, noActivity, call, meeting], 'offline', DEFAULT_RULES);
    expect([...a.dropped]).toEqual([
      [appearOffline.key, 'no activity token or text'],
      [noActivity.key, 'activity hidden by an offline user state'],
      [call.key, 'activity hidden by an offline user state'],
    ]);
    expect(currentActivity([call, meeting], 'offline', DEFAULT_RULES).dropped).toEqual(new Map([[call.key, 'a device activity is not shown under offline']]));
  });
  it('takes the text from the rules of the source', () => {
    const rules = compileRules({ sources: { pbx: { activities: { ringing: { text: 'Phone ringing' } } } } });
    const ringing = cand({ category: 'phone', source: 'pbx', activity: { token: 'ringing' } }, 3500);
    expect(currentActivity([ringing], 'available', rules).activity).toEqual({ token: 'ringing', text: 'Phone ringing' });
  });
  it.each([
    ['in-a-meeting', 'In a meeting'],
    ['deepWork', 'Deep work'],
    ['be_right.back', 'Be right back'],
  ])('humanize(%s) = %s', (token, text) => expect(humanize(token)).toBe(text));
});

describe('the boundaries', () => {
  it.each([
    [[], undefined],
    [[T0 - 1, T0], undefined],
    [[T0 + 30, T0 - 5, T0 + 10, T0 + 20], T0 + 10],
  ])('nextBoundary(%j) = %s', (b, next) => expect(nextBoundary(b, T0)).toBe(next));
  it('countedVerdicts names what decided the availability and the activity', () => {
    const a = cand({ category: 'user', endpoint: 'u' }, 9500);
    const b = cand({ category: 'calendar', endpoint: 'c', activity: { token: 'in-a-meeting' } }, 6500);
    const c = cand({ category: 'phone', endpoint: 'p' }, 3500);
    const v = countedVerdicts([a, b, c], a, b, new Map([[a.key, 'no activity token or text']]));
    expect(v.map((x) => [x.verdict, x.reason, x.activityDropped])).toEqual([
      ['counted', 'decided the availability', 'no activity token or text'],
      ['counted', 'decided the activity', undefined],
      ['counted', 'counted', undefined],
    ]);
  });
});
