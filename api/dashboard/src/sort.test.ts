import { describe, expect, it } from 'vitest';
import type { Entry, View } from './api.ts';
import { naturalCompare, sortRows } from './sort.ts';

const entry = (id: string, name?: string, teams?: string[]): Entry => ({ id, ...(name !== undefined ? { name } : {}), ...(teams !== undefined ? { teams } : {}) });
const view = (person: string, cls: View['class'], since: string, text: string = cls): View => ({ person, availability: 0, class: cls, activity: { token: cls, text }, since, version: 1 });

describe('natural sort of the board', () => {
  it('numbers inside names compare as numbers', () => {
    const names = ['Anna Berg 1014', 'Anna Berg 494', 'anna berg 5', 'Anna Berg 49', 'Bo 2', 'Anna Berg'];
    expect([...names].sort(naturalCompare)).toEqual(['Anna Berg', 'anna berg 5', 'Anna Berg 49', 'Anna Berg 494', 'Anna Berg 1014', 'Bo 2']);
    // Plain text order puts 1014 first: what the issue complained about.
    expect([...names].sort()[0]).toBe('Anna Berg');
    expect(['Anna Berg 1014', 'Anna Berg 494'].sort()).toEqual(['Anna Berg 1014', 'Anna Berg 494']);
  });

  const rows = [entry('a1014', 'Anna Berg 1014', ['t10']), entry('a494', 'Anna Berg 494', ['t9']), entry('zed', 'Zed'), entry('bob', undefined, ['t2'])];
  const views = new Map<string, View>([
    ['a1014', view('a1014', 'busy', '2026-11-22T09:00:00Z', 'In a call')],
    ['a494', view('a494', 'available', '2026-11-22T09:30:00Z')],
    ['bob', view('bob', 'away', '2026-11-22T08:00:00Z')],
  ]);
  const ids = (key: Parameters<typeof sortRows>[2], dir: 'asc' | 'desc' = 'asc'): string[] => sortRows(rows, views, key, dir).map((r) => r.id);

  it('by name, either way (a person without a name sorts by id)', () => {
    expect(ids('name')).toEqual(['a494', 'a1014', 'bob', 'zed']);
    expect(ids('name', 'desc')).toEqual(['zed', 'bob', 'a1014', 'a494']);
  });
  it('by status: most reachable first, not yet known last; ties by name', () => {
    expect(ids('status')).toEqual(['a494', 'a1014', 'bob', 'zed']);
    expect(ids('status', 'desc')).toEqual(['zed', 'bob', 'a1014', 'a494']);
  });
  it('by team, naturally (t2 < t9 < t10; no team first)', () => {
    expect(ids('team')).toEqual(['zed', 'bob', 'a494', 'a1014']);
  });
  it('by time in state: the latest change first, unknown last', () => {
    expect(ids('since')).toEqual(['a494', 'a1014', 'bob', 'zed']);
  });
  it('by activity text', () => {
    expect(ids('activity')).toEqual(['zed', 'a494', 'bob', 'a1014']);
  });
});
