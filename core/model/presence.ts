import { z } from 'zod';
import { EVIDENCE, type Scorer } from './confidence.ts';
import type { Category } from './signal.ts';
import { AVAILABILITY_CLASSES, CLASS_LABEL, CLASS_MIDPOINT, MACHINE_STATES, type AvailabilityClass, type MachineState } from './availability.ts';

export interface PresenceActivity {
  readonly token: string;
  readonly text: string;
}

/** The judgement for one person, as the manager keeps it (the personal-container view). */
export interface Presence {
  readonly person: string;
  readonly availability: number;
  readonly class: AvailabilityClass;
  readonly activity: PresenceActivity;
  readonly machineState?: MachineState;
  readonly lastActive?: number;
  /**
   * The source whose register decided the availability. Never shown to watchers; a publisher uses
   * it so that it never writes a system's own state back into that system (docs/architecture.md invariant 4).
   */
  readonly decidedBy?: string;
  /** The category of the deciding register: the kind of evidence (never shown; confidence is). */
  readonly decidedCategory?: Category;
  /** When the view-relevant part last changed. */
  readonly since: number;
  /** Increases with every change of the person's presence (internal: watchers see `views`). */
  readonly version: number;
  /**
   * The version of each view shape, assigned by the store at commit so that every node and every
   * restart agrees: a view's version and `since` move only when that view changes (a company
   * watcher is not told that a meeting subject changed, not even by a number). Absent only on a
   * presence that did not come from a store (tests); then the presence's own fields stand in.
   */
  readonly views?: ViewStamps;
}

/**
 * `full`: the personal and team view (availability, class, activity, machine state, last active),
 * whose `since` is the presence's. `limited`: the company and public view (availability and class),
 * with its own `limitedSince`. Version 0 is the baseline every watcher sees for someone who never
 * signed in (offline since the directory load), which a blocked watcher always sees.
 */
export interface ViewStamps {
  readonly full: number;
  readonly limited: number;
  readonly limitedSince?: number;
}

export const CONTAINERS = ['personal', 'team', 'company', 'public', 'blocked'] as const;
export type Container = (typeof CONTAINERS)[number];

/** The public presence view (docs/architecture.md "Presence view"); fields a container does not allow are absent. */
export const presenceViewSchema = z.object({
  person: z.string(),
  availability: z.number().int(),
  class: z.enum(AVAILABILITY_CLASSES),
  activity: z.object({ token: z.string(), text: z.string() }),
  machineState: z.enum(MACHINE_STATES).optional(),
  lastActive: z.string().optional(),
  since: z.string(),
  version: z.number().int(),
  /** Personal and team views only, on fetch and query: how sure the hub is, 0..1 (docs/confidence.md). */
  confidence: z.number().min(0).max(1).optional(),
  /** Personal and team views only: the kind of evidence that decided. */
  evidence: z.enum(EVIDENCE).optional(),
});
export type PresenceView = z.infer<typeof presenceViewSchema>;

export function classActivity(c: AvailabilityClass): PresenceActivity {
  return { token: c, text: CLASS_LABEL[c] };
}

/** A person the hub knows nothing about now: offline since `since`, version 0. */
export function offlinePresence(person: string, since: number): Presence {
  return {
    person,
    availability: CLASS_MIDPOINT.offline,
    class: 'offline',
    activity: classActivity('offline'),
    since,
    version: 0,
  };
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * What a watcher in `container` may see (docs/architecture.md "Views by container"). A blocked watcher sees an
 * offline person that never signed in, indistinguishable from a real one.
 */
export function viewFor(p: Presence, container: Container, baselineSince: number, score?: Scorer): PresenceView {
  switch (container) {
    case 'personal':
    case 'team': {
      const version = p.views?.full ?? p.version;
      const v: PresenceView = {
        person: p.person,
        availability: p.availability,
        class: p.class,
        activity: { token: p.activity.token, text: p.activity.text },
        since: iso(version === 0 ? baselineSince : p.since),
        version,
      };
      if (p.machineState !== undefined) v.machineState = p.machineState;
      if (p.lastActive !== undefined) v.lastActive = iso(p.lastActive);
      if (score !== undefined) Object.assign(v, score(p));
      return v;
    }
    case 'company':
    case 'public': {
      const version = p.views?.limited ?? p.version;
      return {
        person: p.person,
        availability: p.availability,
        class: p.class,
        activity: classActivity(p.class),
        since: iso(version === 0 ? baselineSince : p.views?.limitedSince ?? p.since),
        version,
      };
    }
    case 'blocked':
      return viewFor(offlinePresence(p.person, baselineSince), 'company', baselineSince);
  }
}
