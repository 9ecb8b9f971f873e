/**
 * Full and incremental directory syncs (issue 6 parts 1 and 5). A full sync reads every entry
 * with a paged search, builds the complete list and hands it to the hub once (`replaceAll`), so the
 * people table is never empty or partial while a sync runs; people the directory no longer holds
 * are retired by that swap. An incremental sync reads the entries changed since the highest
 * change value seen (modifyTimestamp, or uSNChanged on AD) and upserts those that really changed.
 */
import type { DirectorySink } from '../../core/connector/contract.ts';
import type { Person } from '../../core/model/person.ts';
import type { Clock } from '../../core/util/clock.ts';
import type { Logger } from '../../core/util/logger.ts';
import { buildReport, EMPTY_REPORT, REPORT_LIMIT, type DirectorySyncReport, type SkippedEntry } from '../directory-common/report.ts';
import type { LdapClient, LdapSession } from './client.ts';
import type { LdapConfig } from './config.ts';
import { dnKey, entryToPerson, firstRdnValue, teamName, teamsOf, values, type LdapEntry, type MapContext } from './map.ts';

export interface SyncDeps {
  readonly config: LdapConfig;
  readonly client: LdapClient;
  readonly sink: DirectorySink;
  readonly log: Logger;
  readonly clock: Clock;
}

export interface SyncResult {
  readonly entries: number;
  readonly people: number;
  readonly skipped: number;
  /** People upserted (incremental). */
  readonly changed: number;
  readonly ms: number;
}

interface Known {
  readonly person: Person;
  readonly dn: string;
}

/** Larger change value: GeneralizedTime compared on its digits, USNs as integers. */
export function laterMark(a: string | undefined, b: string, attribute: 'modifyTimestamp' | 'uSNChanged'): string {
  if (a === undefined) return b;
  if (attribute === 'uSNChanged') return BigInt(b) > BigInt(a) ? b : a;
  const d = (s: string): string => s.replace(/[^0-9]/g, '').padEnd(14, '0').slice(0, 14);
  return d(b) > d(a) ? b : a;
}

/** The filter of an incremental sync: the configured filter and "changed at or after the mark". */
export function changedSinceFilter(filter: string, attribute: 'modifyTimestamp' | 'uSNChanged', mark: string): string {
  const inner = filter.startsWith('(') ? filter : `(${filter})`;
  if (attribute === 'uSNChanged') return `(&${inner}(uSNChanged>=${(BigInt(mark) + 1n).toString()}))`;
  // GeneralizedTime has one-second resolution: `>=` re-reads that second, the comparison with the cache drops repeats.
  const digits = mark.replace(/[^0-9]/g, '').slice(0, 14);
  return `(&${inner}(modifyTimestamp>=${digits}Z))`;
}

function samePerson(a: Person, b: Person): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export class LdapSync {
  private known = new Map<string, Known>();
  private mark: string | undefined;
  private lastReport: DirectorySyncReport = EMPTY_REPORT;
  private readonly include: RegExp | undefined;
  private groupTeams: ReadonlyMap<string, readonly string[]> = new Map();

  constructor(private readonly deps: SyncDeps) {
    const inc = deps.config.teams.include;
    this.include = inc === undefined ? undefined : new RegExp(inc, 'i');
  }

  get synced(): boolean {
    return this.mark !== undefined || this.lastReport.at !== undefined;
  }

  dnOf(personId: string): string | undefined {
    return this.known.get(personId)?.dn;
  }

  report(): DirectorySyncReport {
    return this.lastReport;
  }

  private attributes(): { attributes: string[]; binary: string[] } {
    const c = this.deps.config;
    const set = new Set<string>([c.idAttribute, ...c.nameAttributes, ...c.identities.map((r) => r.attribute), c.changeAttribute]);
    if (c.teams.from === 'memberOf') set.add('memberOf');
    if (c.teams.from === 'attribute') set.add(c.teams.attribute);
    return { attributes: [...set], binary: c.identities.filter((r) => r.as === 'guid').map((r) => r.attribute) };
  }

  private mapContext(): MapContext {
    return { config: this.deps.config, ...(this.include ? { include: this.include } : {}), groupTeams: this.groupTeams };
  }

  /** Groups and their members, for `teams.from: groups` (groupOfNames `member`, RFC 4519 section 3.5). */
  private async loadGroups(s: LdapSession): Promise<Map<string, string[]>> {
    const t = this.deps.config.teams;
    const byMember = new Map<string, string[]>();
    await s.searchPaged({ base: t.groupBaseDn ?? this.deps.config.baseDn, filter: t.groupFilter, scope: 'sub', attributes: ['cn', t.memberAttribute] }, (page) => {
      for (const g of page) {
        const name = values(g, 'cn')[0] ?? firstRdnValue(g.dn);
        if (name === undefined || teamName(name) === undefined) continue;
        if (this.include !== undefined && !this.include.test(name)) continue;
        for (const m of values(g, t.memberAttribute)) {
          const k = dnKey(m);
          const list = byMember.get(k);
          if (list === undefined) byMember.set(k, [name]);
          else list.push(name);
        }
      }
    });
    return byMember;
  }

  async full(): Promise<SyncResult> {
    const { config: c, client, sink, log, clock } = this.deps;
    const started = clock.now();
    const { attributes, binary } = this.attributes();
    const people: Person[] = [];
    const known = new Map<string, Known>();
    const skipped: SkippedEntry[] = [];
    let mark: string | undefined;
    let entries = 0;
    let nextLog = 10_000;
    log.info({ baseDn: c.baseDn }, 'ldap-directory: full sync started');
    sink.progress(0, undefined);
    await client.session(async (s) => {
      if (c.teams.from === 'groups') this.groupTeams = await this.loadGroups(s);
      const m = this.mapContext();
      await s.searchPaged({ base: c.baseDn, filter: c.filter, scope: c.scope, attributes, binary }, (page: LdapEntry[]) => {
        for (const e of page) {
          entries++;
          const change = values(e, c.changeAttribute)[0];
          if (change !== undefined && /^[0-9]/.test(change)) mark = laterMark(mark, change, c.changeAttribute);
          const r = entryToPerson(e, m);
          if (!r.ok) {
            if (skipped.length < REPORT_LIMIT) skipped.push({ entry: e.dn, reason: r.reason });
            continue;
          }
          const prior = known.get(r.person.id);
          if (prior !== undefined) {
            if (skipped.length < REPORT_LIMIT) skipped.push({ entry: e.dn, reason: `duplicate person id ${r.person.id}, already used by ${prior.dn}` });
            continue;
          }
          known.set(r.person.id, { person: r.person, dn: e.dn });
          people.push(r.person);
        }
        sink.progress(entries, undefined);
        if (entries >= nextLog) {
          log.info({ entries, people: people.length }, `ldap-directory: full sync read ${entries} entries`);
          nextLog += 10_000;
        }
      });
    });
    // One swap, only once the whole directory has been read (never partial).
    await sink.replaceAll(people);
    this.known = known;
    if (mark !== undefined) this.mark = mark;
    this.lastReport = buildReport({ people, entryOf: (id) => known.get(id)?.dn, skipped, at: clock.now() });
    const ms = clock.now() - started;
    sink.progress(entries, entries);
    const skippedCount = entries - people.length;
    log.info({ entries, people: people.length, skipped: skippedCount, conflicts: this.lastReport.conflicts.length, ms }, 'ldap-directory: full sync complete');
    return { entries, people: people.length, skipped: skippedCount, changed: people.length, ms };
  }

  /** Entries changed since the last sync; without a prior full sync this is a full sync. */
  async incremental(): Promise<SyncResult> {
    const { config: c, client, sink, log, clock } = this.deps;
    if (this.mark === undefined) return this.full();
    const started = clock.now();
    const { attributes, binary } = this.attributes();
    const changed = new Map<string, Known>();
    let entries = 0;
    let skipped = 0;
    let mark = this.mark;
    await client.session(async (s) => {
      if (c.teams.from === 'groups') {
        // Membership lives on the groups: re-read them, then recompute the teams of everyone known.
        this.groupTeams = await this.loadGroups(s);
        const m = this.mapContext();
        for (const k of this.known.values()) {
          const teams = teamsOf({ dn: k.dn, attrs: new Map() }, m);
          if (JSON.stringify(teams) !== JSON.stringify(k.person.teams)) changed.set(k.person.id, { person: { ...k.person, teams }, dn: k.dn });
        }
      }
      const m = this.mapContext();
      const filter = changedSinceFilter(c.filter, c.changeAttribute, this.mark!);
      await s.searchPaged({ base: c.baseDn, filter, scope: c.scope, attributes, binary }, (page) => {
        for (const e of page) {
          entries++;
          const change = values(e, c.changeAttribute)[0];
          if (change !== undefined && /^[0-9]/.test(change)) mark = laterMark(mark, change, c.changeAttribute);
          const r = entryToPerson(e, m);
          if (!r.ok) {
            skipped++;
            log.warn({ entry: e.dn, reason: r.reason }, 'ldap-directory: changed entry cannot be mapped');
            continue;
          }
          const prior = this.known.get(r.person.id);
          if (prior !== undefined && dnKey(prior.dn) !== dnKey(e.dn)) {
            skipped++;
            log.warn({ entry: e.dn, other: prior.dn }, `ldap-directory: duplicate person id ${r.person.id}`);
            continue;
          }
          if (prior === undefined || !samePerson(prior.person, r.person)) changed.set(r.person.id, { person: r.person, dn: e.dn });
          else changed.delete(r.person.id);
        }
      });
    });
    if (changed.size > 0) await sink.upsert([...changed.values()].map((k) => k.person));
    for (const [id, k] of changed) this.known.set(id, k);
    this.mark = mark;
    const ms = clock.now() - started;
    if (changed.size > 0) log.info({ entries, changed: changed.size, ms }, 'ldap-directory: incremental sync applied changes');
    return { entries, people: this.known.size, skipped, changed: changed.size, ms };
  }
}
