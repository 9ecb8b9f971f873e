import type { Presence, ViewStamps } from '../model/presence.ts';
import type { PresenceDraft } from './ports.ts';

/**
 * The stored presence of a draft with its stamps, as both stores give it back: built field by field
 * (a spread of the draft goes through V8's slow generic copy), the draft's fields in the order of
 * draftOf (core/manager/presence-manager.ts), then since, version and views, the order a presence's
 * JSON has always had. Frozen.
 */
export function presenceOf(d: PresenceDraft, since: number, version: number, views: ViewStamps | undefined): Presence {
  const p = { person: d.person, availability: d.availability, class: d.class, activity: d.activity } as { -readonly [K in keyof Presence]: Presence[K] };
  if (d.machineState !== undefined) p.machineState = d.machineState;
  if (d.lastActive !== undefined) p.lastActive = d.lastActive;
  if (d.decidedBy !== undefined) p.decidedBy = d.decidedBy;
  if (d.decidedCategory !== undefined) p.decidedCategory = d.decidedCategory;
  p.since = since;
  p.version = version;
  if (views !== undefined) p.views = views;
  return Object.freeze(p);
}
