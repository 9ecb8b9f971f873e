import { z } from 'zod';
import { AVAILABILITY_CLASSES, CLASS_FLOOR, type AvailabilityClass } from '../model/availability.ts';
import type { PresenceView } from '../model/presence.ts';
import type { Register } from '../model/register.ts';
import { MEDIA, type DeviceRule, type Medium, type RouteRule, type Routing } from './route-config.ts';

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

/** A device that reaches the person now: the newest live register of a configured device. */
export interface DeviceSeen {
  readonly rule: DeviceRule;
  readonly agoMs: number;
}

/** Classes in which the person is not at the computer: a live device is the better way then. */
const AWAY_FROM_COMPUTER: readonly AvailabilityClass[] = ['inactive', 'busy-inactive', 'away', 'offline'];

function live(r: Register, now: number): boolean {
  if (r.from !== undefined && r.from > now) return false;
  if (r.until !== undefined && r.until <= now) return false;
  if (r.category === 'machine') return r.machineState === 'active';
  // Available or busy on the device (not idle, away or off): it is in use and answers.
  return r.availability !== undefined && r.availability < CLASS_FLOOR.dnd;
}

/**
 * The device reaching the person, from their registers (docs/routing.md "Devices"): the first
 * configured device with a live register published within its `activeWithin`. The API reads the
 * registers only for callers whose container shows activity and machine state (personal, team,
 * admin), so no other caller's answer depends on them.
 */
export function activeDevice(registers: readonly Register[], routing: Routing, now: number): DeviceSeen | undefined {
  for (const rule of routing.devices) {
    let newest: Register | undefined;
    for (const r of registers) {
      if (rule.source !== undefined && r.source !== rule.source) continue;
      if (rule.endpoint !== undefined && !r.endpoint.startsWith(rule.endpoint)) continue;
      if (now - r.publishedAt > rule.activeWithin || !live(r, now)) continue;
      if (newest === undefined || r.publishedAt > newest.publishedAt) newest = r;
    }
    if (newest !== undefined) return { rule, agoMs: Math.max(0, now - newest.publishedAt) };
  }
  return undefined;
}

function ago(ms: number): string {
  const min = Math.round(ms / 60_000);
  return min < 1 ? 'less than a minute' : min < 60 ? `${min} min` : `${Math.round(min / 60)} h`;
}

/**
 * The ordered ways to reach a person, decided from the caller's view only (never the presence), so
 * a caller learns nothing its view does not show: a blocked caller's view is a never-signed-in
 * person's, and so is its answer. `identities` is what the caller's directory entry shows
 * (undefined: none), so addresses follow the directory's container rule too. `device` (callers
 * that see machine state only) puts a device in use first when the person is not at the computer:
 * "away from the laptop, mobile client active 1 min ago: mobile".
 */
export function routeFor(view: PresenceView, identities: readonly string[] | undefined, routing: Routing, medium: Medium | 'any', device?: DeviceSeen): RouteAnswer {
  const rule = routing.rules.find((r) => matches(r, view)) ?? FALLBACK;
  const routes: RouteAnswer['routes'] = [];
  const add = (m: Medium, reason: string): void => {
    if (medium !== 'any' && m !== medium) return;
    if (identities === undefined) {
      routes.push({ medium: m, reason });
      return;
    }
    for (const s of routing.schemes[m]) {
      for (const id of identities) if (id.toLowerCase().startsWith(`${s}:`)) routes.push({ medium: m, address: address(id), reason });
    }
  };
  let reason = rule.reason;
  let order: readonly Medium[] = rule.order;
  if (device !== undefined && AWAY_FROM_COMPUTER.includes(view.class)) {
    const name = device.rule.name;
    reason = `away from the laptop, ${name} client active ${ago(device.agoMs)} ago: ${name}`;
    for (const m of device.rule.media) add(m, reason);
    order = rule.order.filter((m) => !device.rule.media.includes(m));
  }
  for (const m of order) add(m, rule.reason);
  return { person: view.person, class: view.class, reason, routes };
}
