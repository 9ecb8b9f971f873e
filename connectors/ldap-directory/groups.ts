/**
 * Groups and their members, for `teams.from: groups` (groupOfNames `member`, RFC 4519 section
 * 3.5). On Active Directory a group of more than MaxValRange (1500) members comes back as
 * `member;range=0-1499`: the rest is read with ranged retrieval on the group (ad.ts), so large
 * groups are never cut.
 */
import { rangedValues } from './ad.ts';
import type { LdapSession } from './client.ts';
import type { LdapConfig } from './config.ts';
import { dnKey, firstRdnValue, teamName, values } from './map.ts';

/** A bound on ranged reads per group (1500 values each: 1.5 million members), against a server that never says `*`. */
const MAX_RANGE_READS = 1000;

/** Every value of a ranged attribute of one group: the first part as searched, the rest by base reads. */
export async function allValues(s: LdapSession, dn: string, first: { values: string[]; next?: string }): Promise<string[]> {
  const out = [...first.values];
  let next = first.next;
  for (let i = 0; next !== undefined && i < MAX_RANGE_READS; i++) {
    const want = next;
    next = undefined;
    await s.searchPaged({ base: dn, filter: '(objectClass=*)', scope: 'base', attributes: [want] }, (page) => {
      for (const e of page) {
        const r = rangedValues(e, want.slice(0, want.indexOf(';')));
        out.push(...r.values);
        next = r.values.length === 0 ? undefined : r.next;
      }
    });
  }
  return out;
}

/** Team names by member DN key. */
export async function loadGroups(s: LdapSession, c: LdapConfig, include: RegExp | undefined): Promise<Map<string, string[]>> {
  const t = c.teams;
  const byMember = new Map<string, string[]>();
  const ranged: { name: string; dn: string; first: { values: string[]; next?: string } }[] = [];
  const add = (name: string, members: readonly string[]): void => {
    for (const m of members) {
      const k = dnKey(m);
      const list = byMember.get(k);
      if (list === undefined) byMember.set(k, [name]);
      else list.push(name);
    }
  };
  await s.searchPaged({ base: t.groupBaseDn ?? c.baseDn, filter: t.groupFilter, scope: 'sub', attributes: ['cn', t.memberAttribute] }, (page) => {
    for (const g of page) {
      const name = values(g, 'cn')[0] ?? firstRdnValue(g.dn);
      if (name === undefined || teamName(name) === undefined) continue;
      if (include !== undefined && !include.test(name)) continue;
      const r = rangedValues(g, t.memberAttribute);
      if (r.next !== undefined) ranged.push({ name, dn: g.dn, first: r });
      else add(name, r.values);
    }
  });
  // After the paged search is done: one operation at a time on the session.
  for (const g of ranged) add(g.name, await allValues(s, g.dn, g.first));
  return byMember;
}
