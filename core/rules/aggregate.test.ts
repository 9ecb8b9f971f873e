import { describe, expect, it } from 'vitest';
import { reg } from '../../test/support/registers.ts';
import { aggregate, judge } from './aggregate.ts';
import { compileRules, DEFAULT_RULES } from './rules-config.ts';

const T0 = Date.parse('2026-11-22T09:00:00Z');
const MIN = 60_000;


describe('aggregate: the six worked examples of the aggregation document', () => {
  // Example 1: only Communicator Mobile, no input for more than 15 minutes -> Away.
  const mobile = reg({ category: 'machine', source: 'ocs', endpoint: 'mobile', machineState: 'active', sourceTime: T0 - 16 * MIN }, T0 - 16 * MIN);
  it('1. an idle mobile device, the only one, shows Away', () => {
    const j = aggregate([mobile], T0, DEFAULT_RULES);
    expect(j.class).toBe('away');
    expect(j.availability).toBe(15500);
    expect(j.machineState).toBe('away');
  });

  // Example 2: signs in to the laptop and sets Available by hand.
  const laptop = reg({ category: 'machine', source: 'ocs', endpoint: 'laptop', machineState: 'active', sourceTime: T0 }, T0);
  const userAvailable = reg({ category: 'user', source: 'ocs', endpoint: 'laptop', availability: 3500 }, T0 + 1);
  it('2. a user-set Available overrides the Away of the mobile device', () => {
    const j = aggregate([mobile, laptop, userAvailable], T0 + 2, DEFAULT_RULES);
    expect(j.class).toBe('available');
    expect(j.availability).toBe(3500);
    const mobileVerdict = j.explanation.registers.find((v) => v.register === mobile)!;
    expect(mobileVerdict.verdict).toBe('less-active-machine');
  });

  // Example 3: the user switches to Do Not Disturb.
  const userDnd = reg({ category: 'user', source: 'ocs', endpoint: 'laptop', availability: 9500 }, T0 + 2 * MIN);
  it('3. a user-set DND takes precedence over the mobile Away', () => {
    const j = aggregate([mobile, laptop, userDnd], T0 + 2 * MIN, DEFAULT_RULES);
    expect(j.class).toBe('dnd');
    expect(j.availability).toBe(9500);
  });

  // Example 4: the calendar publishes Busy; DND is less available and stays.
  const calendar = reg({ category: 'calendar', source: 'exchange', endpoint: 'meeting-1', availability: 6500, activity: { token: 'in-a-meeting' } }, T0 + 3 * MIN);
  it('4. DND wins over a calendar Busy', () => {
    const j = aggregate([mobile, laptop, userDnd, calendar], T0 + 3 * MIN, DEFAULT_RULES);
    expect(j.class).toBe('dnd');
    expect(j.availability).toBe(9500);
    // The least available state with an activity gives the activity (step 5).
    expect(j.activity).toEqual({ token: 'in-a-meeting', text: 'In a meeting' });
  });

  // Example 5: the laptop publishes Inactive; DND stays (an idle machine does not override DND).
  const laptopInactive = reg({ category: 'machine', source: 'ocs', endpoint: 'laptop', machineState: 'inactive', sourceTime: T0 + 4 * MIN }, T0 + 4 * MIN);
  it('5. an Inactive machine leaves DND as it is', () => {
    const j = aggregate([mobile, laptopInactive, userDnd, calendar], T0 + 4 * MIN, DEFAULT_RULES);
    expect(j.class).toBe('dnd');
    expect(j.machineState).toBe('inactive');
  });

  // Example 6: no input for 15 minutes: the client publishes Away, less available than DND.
  const laptopAway = reg({ category: 'machine', source: 'ocs', endpoint: 'laptop', machineState: 'away', sourceTime: T0 + 20 * MIN }, T0 + 20 * MIN);
  it('6. an Away machine beats DND', () => {
    const j = aggregate([mobile, laptopAway, userDnd, calendar], T0 + 20 * MIN, DEFAULT_RULES);
    expect(j.class).toBe('away');
    expect(j.availability).toBe(15500);
  });
});

describe('aggregate: rules', () => {
  it('is offline with no valid register', () => {
    const j = aggregate([], T0, DEFAULT_RULES);
    expect(j).toMatchObject({ class: 'offline', availability: 18500, activity: { token: 'offline', text: 'Offline' } });
    expect(j.nextBoundary).toBeUndefined();
  });

  it('turns available into inactive and busy into busy-inactive on an idle machine', () => {
    const idle = reg({ category: 'machine', machineState: 'inactive' }, T0);
    const avail = aggregate([idle, reg({ category: 'user', endpoint: 'u', availability: 3500 }, T0 - 1)], T0, DEFAULT_RULES);
    expect(avail.class).toBe('inactive');
    expect(avail.availability).toBeGreaterThanOrEqual(12000);
    expect(avail.availability).toBeLessThan(13000);
    const busy = aggregate([idle, reg({ category: 'phone', endpoint: 'p', availability: 6500 }, T0)], T0, DEFAULT_RULES);
    expect(busy.class).toBe('busy-inactive');
    expect(busy.availability).toBeGreaterThanOrEqual(13000);
  });

  it('ages a machine that only reports activity: inactive after 5 minutes, away after 15', () => {
    const m = reg({ category: 'machine', machineState: 'active', sourceTime: T0 }, T0);
    expect(aggregate([m], T0 + 4 * MIN, DEFAULT_RULES).class).toBe('available');
    const at5 = aggregate([m], T0 + 5 * MIN, DEFAULT_RULES);
    expect(at5.class).toBe('inactive');
    expect(at5.machineState).toBe('inactive');
    expect(aggregate([m], T0 + 15 * MIN, DEFAULT_RULES).class).toBe('away');
    expect(aggregate([m], T0, DEFAULT_RULES).nextBoundary).toBe(T0 + 5 * MIN);
    expect(aggregate([m], T0 + 6 * MIN, DEFAULT_RULES).nextBoundary).toBe(T0 + 15 * MIN);
  });

  it('uses the configured idle thresholds', () => {
    const rules = compileRules({ machine: { inactiveAfter: '1m', awayAfter: '2m' } });
    const m = reg({ category: 'machine', machineState: 'active', sourceTime: T0 }, T0);
    expect(aggregate([m], T0 + MIN, rules).class).toBe('inactive');
    expect(aggregate([m], T0 + 2 * MIN, rules).class).toBe('away');
  });

  it('counts a calendar window only inside it, with its start and end as boundaries', () => {
    const meeting = reg({ category: 'calendar', availability: 6500, activity: { token: 'in-a-meeting' }, from: T0 + 10 * MIN, until: T0 + 40 * MIN }, T0);
    const before = aggregate([meeting], T0, DEFAULT_RULES);
    expect(before.class).toBe('offline');
    expect(before.nextBoundary).toBe(T0 + 10 * MIN);
    expect(before.explanation.registers[0]!.verdict).toBe('not-yet-valid');
    const during = aggregate([meeting], T0 + 10 * MIN, DEFAULT_RULES);
    expect(during).toMatchObject({ class: 'busy', activity: { token: 'in-a-meeting' } });
    expect(during.nextBoundary).toBe(T0 + 40 * MIN);
    const after = aggregate([meeting], T0 + 40 * MIN, DEFAULT_RULES);
    expect(after.class).toBe('offline');
    expect(after.explanation.registers[0]!.verdict).toBe('expired');
  });

  it('hides a device activity behind an appear-offline user state, but keeps a time-bound one', () => {
    const phone = reg({ category: 'phone', availability: 6500, activity: { token: 'on-the-phone' }, expireType: 'device' }, T0 + 1);
    const offline = reg({ category: 'user', availability: 18500 }, T0);
    const j = aggregate([phone, offline], T0 + 2, DEFAULT_RULES);
    expect(j.class).toBe('offline');
    expect(j.activity.token).toBe('offline');
    expect(j.explanation.registers.find((v) => v.register === phone)!.activityDropped).toMatch(/offline user state/);
    const timed = reg({ category: 'calendar', availability: 6500, activity: { token: 'in-a-meeting' } }, T0 + 1);
    expect(aggregate([timed, offline], T0 + 2, DEFAULT_RULES).activity.token).toBe('in-a-meeting');
  });

  it('drops states published before the latest user state', () => {
    const phone = reg({ category: 'phone', availability: 6500, activity: { token: 'on-the-phone' } }, T0);
    const user = reg({ category: 'user', availability: 3500 }, T0 + 1);
    const j = aggregate([phone, user], T0 + 2, DEFAULT_RULES);
    expect(j.class).toBe('available');
    expect(j.explanation.registers[0]!.verdict).toBe('before-user-state');
  });

  it('takes an availability from the activity rules of the source, then of the hub', () => {
    const rules = compileRules({ sources: { pbx: { activities: { ringing: { availability: 'busy', text: 'Phone ringing' } } } } });
    const ringing = reg({ category: 'phone', source: 'pbx', activity: { token: 'ringing' } }, T0);
    expect(aggregate([ringing], T0, rules)).toMatchObject({ class: 'busy', activity: { token: 'ringing', text: 'Phone ringing' } });
    // The hub's own rule: a ringing phone counts as available and shows the activity.
    expect(aggregate([ringing], T0, DEFAULT_RULES)).toMatchObject({ class: 'available', activity: { token: 'ringing', text: 'Ringing' } });
    // An activity without any rule still has no availability and does not count.
    const other = reg({ category: 'phone', source: 'pbx', activity: { token: 'parked' } }, T0);
    expect(aggregate([other], T0, DEFAULT_RULES).explanation.registers[0]!.verdict).toBe('no-availability');
  });

  it('expires a signal after its source ttl', () => {
    const rules = compileRules({ sources: { pbx: { ttl: '10m' } } });
    const call = reg({ category: 'phone', source: 'pbx', availability: 6500 }, T0);
    expect(aggregate([call], T0 + 9 * MIN, rules).class).toBe('busy');
    expect(aggregate([call], T0 + 10 * MIN, rules).class).toBe('offline');
  });

  it('sets lastActive to the publication of the deciding state and explains the decision', () => {
    const user = reg({ category: 'user', availability: 9500, activity: { text: 'Writing a report' } }, T0);
    const j = aggregate([user], T0 + MIN, DEFAULT_RULES);
    expect(j.lastActive).toBe(T0);
    expect(j.decidedBy).toBe('test');
    expect(j.activity).toEqual({ token: 'custom', text: 'Writing a report' });
    expect(j.explanation.availabilityFrom).toBe(j.explanation.activityFrom);
    expect(j.explanation.rule).toMatch(/least available/);
  });

  it('step 6: last active, decided by and its category are those of the deciding state, absent without one', () => {
    const phone = reg({ category: 'phone', source: 'pbx', availability: 6500 }, T0 + 7);
    for (const f of [aggregate, judge]) {
      const j = f([phone], T0 + MIN, DEFAULT_RULES);
      expect([j.lastActive, j.decidedBy, j.decidedCategory]).toEqual([T0 + 7, 'pbx', 'phone']);
      const none = f([], T0 + MIN, DEFAULT_RULES);
      expect(['lastActive', 'decidedBy', 'decidedCategory'].filter((k) => k in none)).toEqual([]);
    }
  });
});
