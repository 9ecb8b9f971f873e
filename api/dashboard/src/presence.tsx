import type { AvailabilityClass, View } from './api.ts';

/** Each class has its own shape and label, so the indicator never relies on colour alone. */
export const CLASSES: Record<AvailabilityClass, { glyph: string; label: string }> = {
  available: { glyph: '●', label: 'Available' },
  busy: { glyph: '◆', label: 'Busy' },
  dnd: { glyph: '⊘', label: 'Do not disturb' },
  inactive: { glyph: '◐', label: 'Inactive' },
  'busy-inactive': { glyph: '◈', label: 'Busy (inactive)' },
  away: { glyph: '◷', label: 'Away' },
  offline: { glyph: '○', label: 'Offline' },
};
export const CLASS_NAMES = Object.keys(CLASSES) as AvailabilityClass[];

/** Before a person's first view arrives the board does not know: it says so rather than "Offline". */
export const UNKNOWN = { glyph: '—', label: 'Unknown' };

export function Indicator({ cls }: { cls: AvailabilityClass | 'unknown' }) {
  const c = cls === 'unknown' ? UNKNOWN : CLASSES[cls];
  return (
    <span class={`ind ind-${cls}`} data-class={cls}>
      <span class="glyph" aria-hidden="true">
        {c.glyph}
      </span>
      <span class="label">{c.label}</span>
    </span>
  );
}

/** "42 s" (to the second for the first minute), "4 min", "2 h 5 min", "3 d": how long the person has been in the current state. */
export function duration(sinceIso: string, now: number): string {
  const s = Math.max(0, Math.floor((now - Date.parse(sinceIso)) / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d`;
}

/** The activity worth showing: nothing when it only repeats the class (what company and public watchers get). */
export function activityText(v: View): string {
  return v.activity.token === v.class ? '' : v.activity.text;
}

export const fmtTime = (iso: string | null | undefined): string => (iso == null ? '—' : new Date(iso).toLocaleString());

/** Below this confidence (docs/confidence.md) a view is shown as "likely": the hub is judging, not sure. */
export const LIKELY_BELOW = 0.6;

/**
 * A faint "likely" after the state when the hub is not sure of it; nothing otherwise. Not on
 * Offline: a person nobody has heard of is offline with the least confidence, and a board full of
 * "Offline likely" would say nothing.
 */
export function Likely({ confidence, cls }: { confidence: number | undefined; cls: AvailabilityClass }) {
  if (confidence === undefined || confidence >= LIKELY_BELOW || cls === 'offline') return null;
  return (
    <span class="likely" title={`The hub is not sure of this state (confidence ${Math.round(confidence * 100)}%)`} data-confidence={confidence}>
      likely
    </span>
  );
}

/** A small mark naming the failing connectors that feed this person: what is shown may be out of date. */
export function FeedMark({ connectors }: { connectors: readonly string[] | undefined }) {
  if (connectors === undefined || connectors.length === 0) return null;
  return (
    <span class="feed-mark" title={`Fed by ${connectors.join(', ')}, which ${connectors.length === 1 ? 'is' : 'are'} failing: this state may be out of date`} data-connectors={connectors.join(' ')}>
      <span aria-hidden="true">⚠</span>
      <span class="sr">connector failing: </span> {connectors.join(', ')}
    </span>
  );
}
