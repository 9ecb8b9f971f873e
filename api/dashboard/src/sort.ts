import type { AvailabilityClass, Entry, View } from './api.ts';

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

/** Natural order: digit runs compare as numbers ("Anna Berg 494" before "Anna Berg 1014"), case aside. */
export function naturalCompare(a: string, b: string): number {
  return collator.compare(a, b);
}

export const SORT_KEYS = ['name', 'status', 'team', 'activity', 'since'] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export type SortDir = 'asc' | 'desc';

/** Most reachable first; a person whose view has not arrived yet last. */
const CLASS_ORDER: Record<AvailabilityClass | 'unknown', number> = { available: 0, inactive: 1, busy: 2, 'busy-inactive': 3, dnd: 4, away: 5, offline: 6, unknown: 7 };

const nameOf = (p: Entry): string => p.name ?? p.id;

/**
 * The board's rows in the order of a column: name, status (most reachable first), team, activity
 * text, or time in state (the most recent change first). Ties go by name, naturally; `desc`
 * reverses the column, not the tie-break.
 */
export function sortRows(rows: readonly Entry[], views: ReadonlyMap<string, View>, key: SortKey, dir: SortDir): Entry[] {
  const sign = dir === 'asc' ? 1 : -1;
  const by = (p: Entry, q: Entry): number => {
    switch (key) {
      case 'name':
        return 0;
      case 'status':
        return CLASS_ORDER[views.get(p.id)?.class ?? 'unknown'] - CLASS_ORDER[views.get(q.id)?.class ?? 'unknown'];
      case 'team':
        return naturalCompare((p.teams ?? []).join(', '), (q.teams ?? []).join(', '));
      case 'activity':
        return naturalCompare(views.get(p.id)?.activity.text ?? '', views.get(q.id)?.activity.text ?? '');
      case 'since': {
        // Most recent change first: a later `since` is a shorter time in the state.
        const a = views.get(p.id)?.since;
        const b = views.get(q.id)?.since;
        if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? 1 : -1;
        return Date.parse(b) - Date.parse(a);
      }
    }
  };
  return [...rows].sort((p, q) => sign * by(p, q) || sign * (key === 'name' ? naturalCompare(nameOf(p), nameOf(q)) : 0) || naturalCompare(nameOf(p), nameOf(q)) || naturalCompare(p.id, q.id));
}
