/**
 * Fuzz target for the Graph JSON the msgraph connectors read: presence collections, change
 * notifications, rich notification content, getSchedule answers, token answers. Mutated versions of
 * Microsoft's published examples and random JSON go through the same parse path as production;
 * anything but a refusal with a HubError (HUB_ERR_GRAPH_MALFORMED) or a clean parse is a crash.
 */
import { isHubError } from '../../core/errors.ts';
import { graphToNeutral } from '../../connectors/msgraph-presence/map.ts';
import { CalendarEngine } from '../../connectors/calendar-common/engine.ts';
import { scheduleItemToBlock } from '../../connectors/msgraph-calendar/map.ts';
import { notificationCollectionSchema, parseGraph, presenceCollectionSchema, scheduleCollectionSchema, tokenResponseSchema } from '../../connectors/msgraph-shared/schemas.ts';
import { seededRandom as rng } from '../../core/util/random.ts';

const SEEDS: [string, unknown][] = [
  ['presence', { value: [{ id: 'fa8bf3dc-eca7-46b7-bad1-db199b62afc3', availability: 'Busy', activity: 'InAMeeting' }, { id: '66825e03-7ef5-42da-9069-724602c31f6b', availability: 'Away', activity: 'Away' }] }],
  ['notification', { value: [{ subscriptionId: 'x', clientState: 's', changeType: 'updated', resource: "communications/presences('a')", resourceData: { '@odata.type': '#Microsoft.Graph.presence', '@odata.id': 'users/a/presence', id: 'a' } }] }],
  ['schedule', { value: [{ scheduleId: 'adelev@contoso.onmicrosoft.com', availabilityView: '000220000', scheduleItems: [{ isPrivate: false, status: 'busy', subject: "Let's go for lunch", location: "Harry's Bar", start: { dateTime: '2019-03-15T12:00:00.0000000', timeZone: 'UTC' }, end: { dateTime: '2019-03-15T14:00:00.0000000', timeZone: 'UTC' } }] }] }],
  ['token', { token_type: 'Bearer', expires_in: 3599, access_token: 'x' }],
];
const ATOMS: unknown[] = [null, true, 0, -1, 1e308, '', 'Busy', 'InACall', '\u0000', 'x'.repeat(5000), [], {}, { __proto__: { a: 1 } }, '2019-03-15T12:00:00', 'zzz'];

function mutate(v: unknown, r: () => number, depth = 0): unknown {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  if (r() < 0.15 || depth > 6) return pick(ATOMS);
  if (Array.isArray(v)) {
    const out = v.map((x) => mutate(x, r, depth + 1));
    if (r() < 0.2) out.push(mutate(pick(SEEDS)[1], r, depth + 1));
    if (r() < 0.2) out.splice(Math.floor(r() * out.length), 1);
    return out;
  }
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (r() > 0.1) out[r() < 0.05 ? k.toUpperCase() : k] = r() < 0.6 ? x : mutate(x, r, depth + 1);
    return out;
  }
  return r() < 0.5 ? v : pick(ATOMS);
}

export function fuzz(iterations: number, seed: number): { cases: number } {
  const r = rng(seed);
  for (let i = 0; i < iterations; i++) {
    const [kind, base] = SEEDS[i % SEEDS.length]!;
    const input = mutate(base, r);
    // Half the cases go through JSON text, as they arrive on the wire.
    const value = r() < 0.5 ? input : JSON.parse(JSON.stringify(input) ?? 'null');
    try {
      if (kind === 'presence') for (const p of parseGraph(presenceCollectionSchema, value, 'fuzz').value) graphToNeutral(p.availability, p.activity);
      else if (kind === 'notification') parseGraph(notificationCollectionSchema, value, 'fuzz');
      else if (kind === 'schedule') {
        const engine = new CalendarEngine({ source: 'f', details: r() < 0.5 ? 'subject' : 'none', lookahead: 3_600_000, interval: 60_000 });
        for (const s of parseGraph(scheduleCollectionSchema, value, 'fuzz').value)
          engine.apply(`mailto:${s.scheduleId}`, { blocks: (s.scheduleItems ?? []).flatMap((it) => scheduleItemToBlock(it) ?? []) }, 0);
      } else parseGraph(tokenResponseSchema, value, 'fuzz');
    } catch (e) {
      if (!isHubError(e) || e.code !== 'HUB_ERR_GRAPH_MALFORMED') throw new Error(`graph fuzz case ${i} (seed ${seed}, ${kind}) crashed: ${String(e)}`);
    }
  }
  return { cases: iterations };
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(fuzz(Number(process.argv[2] ?? 100_000), Number(process.argv[3] ?? 1)));
