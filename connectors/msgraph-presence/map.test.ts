import { describe, expect, it } from 'vitest';
import { graphToNeutral, planWrite, type PublishPolicy } from './map.ts';

describe('graphToNeutral: every Graph availability and activity value', () => {
  const table: [string, string, ReturnType<typeof graphToNeutral>][] = [
    ['Available', 'Available', { availability: 'available' }],
    ['Available', 'AvailableInactive', { availability: 'available', activityToken: 'inactive' }],
    ['Available', 'OutOfOffice', { availability: 'available', activityToken: 'out-of-office' }],
    ['AvailableIdle', 'Available', { availability: 'inactive' }],
    ['Away', 'Away', { availability: 'away', activityToken: 'away' }],
    ['BeRightBack', 'BeRightBack', { availability: 'away', activityToken: 'be-right-back' }],
    ['Busy', 'Busy', { availability: 'busy' }],
    ['Busy', 'InACall', { availability: 'busy', activityToken: 'on-the-phone' }],
    ['Busy', 'InAConferenceCall', { availability: 'busy', activityToken: 'in-a-conference-call' }],
    ['Busy', 'InAMeeting', { availability: 'busy', activityToken: 'in-a-meeting' }],
    ['BusyIdle', 'Busy', { availability: 'busy-inactive' }],
    ['DoNotDisturb', 'DoNotDisturb', { availability: 'dnd' }],
    ['DoNotDisturb', 'Presenting', { availability: 'dnd', activityToken: 'presenting' }],
    ['DoNotDisturb', 'UrgentInterruptionsOnly', { availability: 'dnd', activityToken: 'urgent-interruptions-only' }],
    ['Away', 'Inactive', { availability: 'away', activityToken: 'inactive' }],
    ['Offline', 'Offline', { availability: 'offline' }],
    ['Offline', 'OffWork', { availability: 'offline', activityToken: 'off-work' }],
    ['OutOfOffice', 'OutOfOffice', { availability: 'away', activityToken: 'out-of-office' }],
    ['PresenceUnknown', 'PresenceUnknown', {}],
    // Case-insensitive: the current docs page uses camelCase.
    ['busy', 'inACall', { availability: 'busy', activityToken: 'on-the-phone' }],
    ['DONOTDISTURB', 'presenting', { availability: 'dnd', activityToken: 'presenting' }],
    // The current page swaps the lists: an activity in the availability field still maps.
    ['Focusing', 'Focusing', { availability: 'dnd', activityToken: 'focusing', unknown: 'availability Focusing' }],
    // Unknown values are kept and mapped to a safe fallback.
    ['Busy', 'InATeleport', { availability: 'busy', activityToken: 'in-a-teleport', unknown: 'activity InATeleport' }],
    ['Sleeping', 'Sleeping', { unknown: 'availability Sleeping, activity Sleeping' }],
    ['Sleeping', 'InACall', { availability: 'busy', activityToken: 'on-the-phone', unknown: 'availability Sleeping' }],
  ];
  it.each(table)('%s / %s', (a, act, want) => {
    expect(graphToNeutral(a, act)).toEqual(want);
  });
});

describe('planWrite: neutral presence to setPresence pairs', () => {
  const base: PublishPolicy = { classes: ['busy', 'busy-inactive', 'dnd'], extendedPairs: false, preferredForDnd: false };
  const p = (cls: string, token: string) => ({ class: cls as never, activity: { token, text: '' } });
  const table: [string, string, PublishPolicy, string][] = [
    ['busy', 'on-the-phone', base, 'set Busy/InACall'],
    ['busy', 'in-a-conference-call', base, 'set Busy/InAConferenceCall'],
    ['busy-inactive', 'on-the-phone', base, 'set Busy/InACall'],
    ['busy', 'in-a-meeting', base, 'clear'],
    ['busy', 'busy', base, 'clear'],
    ['busy', 'busy', { ...base, extendedPairs: true }, 'set Busy/Busy'],
    ['dnd', 'dnd', base, 'clear'],
    ['dnd', 'dnd', { ...base, extendedPairs: true }, 'set DoNotDisturb/DoNotDisturb'],
    ['dnd', 'presenting', { ...base, extendedPairs: true }, 'set DoNotDisturb/Presenting'],
    ['dnd', 'dnd', { ...base, preferredForDnd: true }, 'preferred DoNotDisturb/DoNotDisturb'],
    ['available', 'available', base, 'clear'],
    ['available', 'available', { ...base, classes: ['available'] }, 'set Available/Available'],
    ['away', 'away', { ...base, classes: ['away'] }, 'set Away/Away'],
    ['offline', 'offline', { ...base, classes: ['offline'] }, 'clear'],
    ['away', 'out-of-office', { ...base, classes: ['away'] }, 'clear'],
  ];
  it.each(table)('%s %s', (cls, token, policy, want) => {
    const plan = planWrite(p(cls, token), policy);
    const got = plan.kind === 'clear' ? 'clear' : `${plan.kind} ${plan.pair.availability}/${plan.pair.activity}`;
    expect(got).toBe(want);
    if (plan.kind === 'clear') expect(plan.reason.length).toBeGreaterThan(10);
  });
  it('explains why In a meeting and Out of office cannot be written', () => {
    expect(planWrite(p('busy', 'in-a-meeting'), base)).toMatchObject({ reason: expect.stringContaining('cannot set') });
    expect(planWrite(p('away', 'out-of-office'), base)).toMatchObject({ reason: expect.stringContaining('cannot set') });
  });
});
