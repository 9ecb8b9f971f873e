import { describe, expect, it } from 'vitest';
import type { Register } from '../model/register.ts';
import { reg } from '../../test/support/registers.ts';
import { aggregate } from './aggregate.ts';
import { DEFAULT_RULES } from './rules-config.ts';
import { ago, summarize } from './summary.ts';

const at = (hhmm: string): number => Date.parse(`2026-11-22T${hhmm}:00Z`);
const MIN = 60_000;


/** The summary of aggregate()'s real judgement of these registers at `now`. */
const explain = (regs: Register[], now: number) => summarize(aggregate(regs, now, DEFAULT_RULES), now, DEFAULT_RULES);

describe('summarize: the plain-language explanation of a judgement', () => {
  it("the issue's example: a meeting with its end, an idle phone, an active laptop, a user state that overrides older ones", () => {
    const now = at('10:05');
    const s = explain(
      [
        reg({ category: 'user', source: 'teams', endpoint: 'mobile', availability: 15500, activity: { token: 'be-right-back' } }, at('08:40')),
        reg({ category: 'user', source: 'teams', endpoint: 'laptop', availability: 3500 }, at('09:12')),
        reg({ category: 'calendar', source: 'exchange', endpoint: 'ev-1', availability: 6500, activity: { token: 'in-a-meeting' }, from: at('10:00'), until: at('10:30') }, at('09:20')),
        reg({ category: 'phone', source: 'pbx', endpoint: 'desk', availability: 3500 }, at('09:30')),
        reg({ category: 'machine', source: 'teams', endpoint: 'laptop', machineState: 'active', sourceTime: now - 2 * MIN }, now - 2 * MIN),
      ],
      now,
    );
    expect(s.summary).toBe('Busy — in a meeting (calendar, until 10:30 UTC) · phone idle · laptop active 2 min ago · set by the user at 09:12 UTC overrides older states');
    // Structured parts, so that a page can put the times in its reader's zone.
    expect(s.parts[0]).toMatchObject({ kind: 'state', template: 'Busy — in a meeting (calendar, until {until})', until: '2026-11-22T10:30:00.000Z', category: 'calendar', source: 'exchange' });
    expect(s.parts.at(-1)).toMatchObject({ kind: 'override', template: 'set by the user at {at} overrides older states', at: '2026-11-22T09:12:00.000Z' });
    expect(s.parts.map((p) => p.kind)).toEqual(['state', 'signal', 'machine', 'override']);
    // No numbers, tokens or verdict codes in the words.
    expect(s.summary).not.toMatch(/\d{4}|in-a-meeting|be-right-back|before-user-state|counted/);
  });

  it('a user-set state that decides says when it was set', () => {
    const s = explain([reg({ category: 'user', source: 'teams', endpoint: 'laptop', availability: 9500 }, at('09:12'))], at('09:40'));
    expect(s.summary).toBe('Do not disturb (set by the user at 09:12 UTC)');
  });

  it('an idle computer alone: away, with the last input', () => {
    const s = explain([reg({ category: 'machine', source: 'ocs', endpoint: 'mobile', machineState: 'active', sourceTime: at('09:00') }, at('09:00'))], at('09:16'));
    expect(s.summary).toBe('Away (mobile away, last input 16 min ago)');
  });

  it('nothing at all: offline, no signals', () => {
    expect(explain([], at('09:00'))).toEqual({ summary: 'Offline — no signals', parts: [{ kind: 'none', template: 'Offline — no signals', text: 'Offline — no signals' }] });
  });

  it('a meeting not yet begun is what comes next', () => {
    const s = explain(
      [
        reg({ category: 'user', source: 'teams', endpoint: 'laptop', availability: 3500 }, at('08:00')),
        reg({ category: 'calendar', source: 'exchange', endpoint: 'ev-2', availability: 6500, activity: { token: 'in-a-meeting' }, from: at('11:00'), until: at('11:30') }, at('08:01')),
      ],
      at('10:00'),
    );
    expect(s.summary).toBe('Available (set by the user at 08:00 UTC) · next: in a meeting from 11:00 UTC (calendar)');
    expect(s.parts[1]).toMatchObject({ kind: 'upcoming', from: '2026-11-22T11:00:00.000Z' });
  });

  it('a signed-off laptop does not count against a call on the phone', () => {
    const s = explain(
      [
        reg({ category: 'machine', source: 'teams', endpoint: 'laptop', machineState: 'off' }, at('09:00')),
        reg({ category: 'phone', source: 'pbx', endpoint: 'desk', availability: 6500, activity: { token: 'on-the-phone', text: 'In a call' } }, at('09:01')),
      ],
      at('09:02'),
    );
    expect(s.summary).toBe('Busy — in a call (phone) · laptop signed off, but a live phone state counts');
  });

  it('ago: seconds, minutes, hours, days', () => {
    expect([ago(0, 2000), ago(0, 40_000), ago(0, 5 * MIN), ago(0, 3 * 60 * MIN), ago(0, 72 * 60 * MIN)]).toEqual(['just now', '40 s ago', '5 min ago', '3 h ago', '3 d ago']);
  });
});
