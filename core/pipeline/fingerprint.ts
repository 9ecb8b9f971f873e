import { CLASS_MIDPOINT } from '../model/availability.ts';
import { classActivity } from '../model/presence.ts';
import type { PresenceDraft } from './ports.ts';

/**
 * What a change is made of, for the store's compare-and-set: the view-relevant fields, and the
 * deciding source, which publishers need even when no watcher sees a difference.
 */
export function fingerprint(d: PresenceDraft): string {
  return JSON.stringify([d.availability, d.class, d.activity.token, d.activity.text, d.machineState ?? null, d.lastActive ?? null, d.decidedBy ?? null]);
}

/**
 * The state a watcher sees change (availability, class, activity): `since` moves only with it, so
 * "time in the current state" does not restart at each input of an active machine.
 */
export function stateKey(d: PresenceDraft): string {
  return JSON.stringify([d.availability, d.class, d.activity.token, d.activity.text]);
}

/**
 * A person with no stored presence is offline (the baseline every watcher sees): committing an
 * offline draft for them is no change, so no version 1 that changes nothing is published.
 */
export const OFFLINE_FINGERPRINT = fingerprint({ person: '', availability: CLASS_MIDPOINT.offline, class: 'offline', activity: classActivity('offline') });
