import { z } from 'zod';
import { AVAILABILITY_CLASSES } from '../model/availability.ts';
import type { PresenceView } from '../model/presence.ts';
import { MEDIA, type Medium, type RouteRule, type Routing } from './route-config.ts';

export const routeAnswerSchema = z.object({
  person: z.string(),
  class: z.enum(AVAILABILITY_CLASSES),
  reason: z.string(),
  routes: z.array(
    z.object({
      medium: z.enum(MEDIA),
      /** Absent when the caller's container shows no identities (company, public, blocked). */
      address: z.string().optional(),
      reason: z.string(),
    }),
  ),
});
export type RouteAnswer = z.infer<typeof routeAnswerSchema>;

/** When no rule matches (custom rules with gaps): everything, email first, as nothing is known. */
const FALLBACK: RouteRule = { when: { class: ['offline'] }, order: ['email', 'im', 'voice'], reason: 'no rule for this state: email first' };

function matches(rule: RouteRule, v: PresenceView): boolean {
  if (rule.when.class !== undefined && !rule.when.class.includes(v.class)) return false;
  if (rule.when.activity !== undefined && !rule.when.activity.includes(v.activity.token)) return false;
  return true;
}

/** An identity as a reachable address: a Teams UPN becomes a Teams chat deep link. */
function address(identity: string): string {
  const i = identity.indexOf(':');
  const [s, value] = [identity.slice(0, i).toLowerCase(), identity.slice(i + 1)];
  return s === 'upn' ? `https://teams.microsoft.com/l/chat/0/0?users=${encodeURIComponent(value)}` : identity;
}

/**
 * The ordered ways to reach a person, decided from the caller's view only (never the presence), so
 * a caller learns nothing its view does not show: a blocked caller's view is a never-signed-in
 * person's, and so is its answer. `identities` is what the caller's directory entry shows
 * (undefined: none), so addresses follow the directory's container rule too.
 */
export function routeFor(view: PresenceView, identities: readonly string[] | undefined, routing: Routing, medium: Medium | 'any'): RouteAnswer {
  const rule = routing.rules.find((r) => matches(r, view)) ?? FALLBACK;
  const routes: RouteAnswer['routes'] = [];
  for (const m of rule.order) {
    if (medium !== 'any' && m !== medium) continue;
    if (identities === undefined) {
      routes.push({ medium: m, reason: rule.reason });
      continue;
    }
    for (const s of routing.schemes[m]) {
      for (const id of identities) if (id.toLowerCase().startsWith(`${s}:`)) routes.push({ medium: m, address: address(id), reason: rule.reason });
    }
  }
  return { person: view.person, class: view.class, reason: rule.reason, routes };
}
