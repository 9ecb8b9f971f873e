/**
 * Fuzz target for what the Entra directory connector reads: users delta pages and group member
 * pages. Mutated versions of Microsoft's published examples go through the production parse and
 * mapping path (parseGraph, then userToPerson); anything but a clean result or a refusal with
 * HUB_ERR_GRAPH_MALFORMED is a crash. The mapping must also never emit an invalid person.
 */
import { personSchema } from '../../core/model/person.ts';
import { isHubError } from '../../core/errors.ts';
import { phoneOptionsSchema } from '../../core/directory/phone.ts';
import { userToPerson, type MapOptions } from '../../connectors/entra-directory/map.ts';
import { directoryObjectPageSchema, parseGraph, usersDeltaPageSchema } from '../../connectors/msgraph-shared/schemas.ts';
import { seededRandom as rng } from '../../core/util/random.ts';

const USER = {
  id: '25dcffff-959e-4ece-9973-e5d9b800e8cc',
  userPrincipalName: 'LidiaH@contoso.example',
  displayName: 'Lidia Holloway',
  mail: 'LidiaH@contoso.example',
  mailNickname: 'LidiaH',
  accountEnabled: true,
  userType: 'Member',
  department: 'Sales',
  businessPhones: ['+1 425 555 0109'],
  mobilePhone: '0176 1234567',
  proxyAddresses: ['SMTP:LidiaH@contoso.example', 'smtp:lidia@contoso.example', 'SIP:lidiah@contoso.example'],
};
const SEEDS: [string, unknown][] = [
  ['delta', { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#users', '@odata.nextLink': 'https://graph.microsoft.com/v1.0/users/delta?$skiptoken=x', value: [USER, { id: '86462606-fde0-4fc4-9e0c-a20eb73e54c6', '@removed': { reason: 'deleted' } }] }],
  ['delta', { '@odata.deltaLink': 'https://graph.microsoft.com/v1.0/users/delta?$deltatoken=y', value: [{ ...USER, userPrincipalName: 'bob_partner#EXT#@contoso.onmicrosoft.com', userType: 'Guest' }] }],
  ['members', { value: [{ '@odata.type': '#microsoft.graph.user', id: 'id-value' }], '@odata.nextLink': 'https://graph.microsoft.com/v1.0/groups/g/members?$skiptoken=z' }],
];
const ATOMS: unknown[] = [null, true, 0, -1, 1e308, '', '@', 'a@b', 'SIP:', 'smtp:x@y', '+', '\u0000', 'x'.repeat(5000), [], {}, '00000000-0000-0000-0000-000000000000', 'Ünïcødé@exämple.com'];

function mutate(v: unknown, r: () => number, depth = 0): unknown {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  if (r() < 0.12 || depth > 6) return pick(ATOMS);
  if (Array.isArray(v)) {
    const out = v.map((x) => mutate(x, r, depth + 1));
    if (r() < 0.2) out.push(mutate(USER, r, depth + 1));
    if (r() < 0.2) out.splice(Math.floor(r() * out.length), 1);
    return out;
  }
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (r() > 0.1) out[k] = r() < 0.6 ? x : mutate(x, r, depth + 1);
    return out;
  }
  return r() < 0.5 ? v : pick(ATOMS);
}

export function fuzz(iterations: number, seed: number): { cases: number } {
  const r = rng(seed);
  const phone = phoneOptionsSchema.parse({ defaultCountryCode: '49' });
  for (let i = 0; i < iterations; i++) {
    const [kind, base] = SEEDS[i % SEEDS.length]!;
    const value = JSON.parse(JSON.stringify(mutate(base, r)) ?? 'null');
    const o: MapOptions = { idFrom: r() < 0.5 ? 'upn' : 'mailNickname', teamsFrom: r() < 0.5 ? 'department' : 'groups', userTypes: ['Member'], includeDisabled: r() < 0.5, phone, groupTeams: new Map([['id-value', ['x']]]) };
    try {
      if (kind === 'members') parseGraph(directoryObjectPageSchema, value, 'fuzz');
      else
        for (const u of parseGraph(usersDeltaPageSchema, value, 'fuzz').value) {
          const res = userToPerson(u, o);
          if (res.ok && !personSchema.safeParse(res.person).success) throw new Error(`invalid person from ${JSON.stringify(u).slice(0, 200)}`);
        }
    } catch (e) {
      if (!isHubError(e) || e.code !== 'HUB_ERR_GRAPH_MALFORMED') throw new Error(`entra fuzz case ${i} (seed ${seed}, ${kind}) crashed: ${String(e)}`);
    }
  }
  return { cases: iterations };
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(fuzz(Number(process.argv[2] ?? 100_000), Number(process.argv[3] ?? 1)));
