import { describe, expect, it } from 'vitest';
import type { Presence } from '../../model/presence.ts';
import { changeText, readChange } from './bus.ts';

describe('the change bus message form', () => {
  it('reads back every presence it writes, field for field, frozen', () => {
    const presences: Presence[] = [
      { person: 'p1', availability: 6500, class: 'busy', activity: { token: 'on-the-phone', text: 's1' }, decidedBy: 'bench', decidedCategory: 'phone', since: 1764612345678, version: 12, views: { full: 12, limited: 3, limitedSince: 1764612345000 } },
      { person: 'p "2" \\ ✓ 🙂', availability: 3500, class: 'available', activity: { token: 'available', text: 'line 1\nline|2 "q"' }, machineState: 'active', lastActive: 17, since: 5, version: 1, views: { full: 1, limited: 1 } },
      { person: 'p3', availability: 0, class: 'offline', activity: { token: 'offline', text: '' }, since: 0, version: 0 },
      { person: 'p4', availability: 9500, class: 'dnd', activity: { token: 'dnd', text: 'Do not disturb' }, since: 9, version: 4, decidedCategory: 'user' },
    ];
    for (const p of presences) {
      const text = changeText(p);
      const back = readChange(JSON.parse(text));
      expect(back).toEqual(p);
      expect(Object.isFrozen(back)).toBe(true);
      expect(Object.isFrozen(back?.activity)).toBe(true);
      expect(text.length).toBeLessThan(JSON.stringify(p).length);
    }
  });

  it('reads nothing from what is not a change', () => {
    for (const v of [null, 5, 'x', {}, { person: 'p' }, [], ['p', '6500', 'busy', 't', 'x', 1, 1], ['p', 6500, 'busy', 't', 'x', 1]]) expect(readChange(v)).toBeUndefined();
  });
});
