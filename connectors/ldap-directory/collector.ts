/**
 * Full and incremental directory syncs. A full sync reads every entry with a paged search, builds
 * the complete list and hands it to the hub once (`replaceAll`), so the people table is never
 * empty or partial while a sync runs; people the directory no longer holds are retired by that
 * swap. An incremental sync reads the entries changed since the highest change value seen
 * (modifyTimestamp, or uSNChanged/whenChanged on AD) and applies what really changed in one step:
 * a renamed entry (same entryUUID/objectGUID, new id) retires the old id as it adds the new one,
 * an entry that is no longer a person (disabled, id removed) retires its person.
 */
import type { DirectorySink } from '../../core/connector/contract.ts';
import type { Person } from '../../core/model/person.ts';
import type { Clock } from '../../core/util/clock.ts';
import type { Logger } from '../../core/util/logger.ts';
import { buildReport, EMPTY_REPORT, REPORT_LIMIT, type DirectorySyncReport, type SkippedEntry, type TruncatedValue, type UnusableEntryValue } from '../directory-common/report.ts';
import { changedSinceFilter, isMark, laterMark } from './change-mark.ts';
import type { LdapClient } from './client.ts';
import type { LdapConfig } from './config.ts';
import { loadGroups } from './groups.ts';
import { dnKey, entryToPerson, teamsOf, values, type LdapEntry, type MapContext, type Truncation, type UnusableValue } from './map.ts';

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
  /** People upserted or retired (incremental). */
  readonly changed: number;
  /** Renames recognised by the stable id (incremental). */
  readonly renamed: number;
  readonly ms: number;
}

interface Known {
  readonly person: Person;
  readonly dn: string;
  readonly stable?: string;
  readonly unusable: readonly UnusableValue[];
  readonly truncated: readonly Truncation[];
}

function samePerson(a: Person, b: Person): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export class LdapSync {
  private known = new Map<string, Known>();
  /** Person id by stable id, then by DN key: how a changed entry is matched to the person it was. */
  private byStable = new Map<string, string>();
  private byDn = new Map<string, string>();
  private mark: string | undefined;
  private lastReport: DirectorySyncReport = EMPTY_REPORT;
  private fullSkipped: readonly SkippedEntry[] = [];
  private disabled = 0;
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

  /** Every person of the last sync (the people the publisher may have written). */
  people(): string[] {
    return [...this.known.keys()];
  }

  report(): DirectorySyncReport {
    return this.lastReport;
  }

  private attributes(): { attributes: string[]; binary: string[] } {
    const c = this.deps.config;
    const set = new Set<string>([c.idAttribute, ...c.nameAttributes, ...c.identities.map((r) => r.attribute), c.changeAttribute, c.stableIdAttribute]);
    if (c.teams.from === 'memberOf') set.add('memberOf');
    if (c.teams.from === 'attribute') set.add(c.teams.attribute);
    if (c.flavor === 'ad') set.add('userAccountControl');
    const binary = c.identities.filter((r) => r.as === 'guid').map((r) => r.attribute);
    if (c.stableIdAttribute.toLowerCase() === 'objectguid') binary.push(c.stableIdAttribute);
    return { attributes: [...set], binary };
  }

  private mapContext(): MapContext {
    return { config: this.deps.config, ...(this.include ? { include: this.include } : {}), groupTeams: this.groupTeams };
  }

  private remember(known: Map<string, Known>, k: Known): void {
    known.set(k.person.id, k);
    if (k.stable !== undefined) this.byStable.set(k.stable, k.person.id);
    this.byDn.set(dnKey(k.dn), k.person.id);
  }

  private forget(id: string): void {
    const k = this.known.get(id);
    if (k === undefined) return;
    this.known.delete(id);
    if (k.stable !== undefined && this.byStable.get(k.stable) === id) this.byStable.delete(k.stable);
    if (this.byDn.get(dnKey(k.dn)) === id) this.byDn.delete(dnKey(k.dn));
  }

  /** The report from what is known now: conflicts by the hub's own rule, per-value notes of every person. */
  private buildReport(): DirectorySyncReport {
    const unusable: UnusableEntryValue[] = [];
    const truncated: TruncatedValue[] = [];
    for (const k of this.known.values()) {
      for (const u of k.unusable) if (unusable.length < REPORT_LIMIT) unusable.push({ entry: k.dn, person: k.person.id, ...u });
      for (const t of k.truncated) if (truncated.length < REPORT_LIMIT) truncated.push({ entry: k.dn, person: k.person.id, ...t });
    }
    const people = [...this.known.values()].map((k) => k.person);
    return buildReport({ people, entryOf: (id) => this.known.get(id)?.dn, skipped: this.fullSkipped, unusable, truncated, disabled: this.disabled, at: this.deps.clock.now() });
  }

  async full(): Promise<SyncResult> {
    const { config: c, client, sink, log, clock } = this.deps;
    const started = clock.now();
    const { attributes, binary } = this.attributes();
    const known = new Map<string, Known>();
    const skipped: SkippedEntry[] = [];
    let mark: string | undefined;
    let entries = 0;
    let disabled = 0;
    let nextLog = 10_000;
    log.info({ baseDn: c.baseDn }, 'ldap-directory: full sync started');
    sink.progress(0, undefined);
    await client.session(async (s) => {
      if (c.teams.from === 'groups') this.groupTeams = await loadGroups(s, c, this.include);
      const m = this.mapContext();
      await s.searchPaged({ base: c.baseDn, filter: c.filter, scope: c.scope, attributes, binary }, (page: LdapEntry[]) => {
        for (const e of page) {
          entries++;
          const change = values(e, c.changeAttribute)[0];
          if (isMark(change, c.changeAttribute)) mark = laterMark(mark, change, c.changeAttribute);
          const r = entryToPerson(e, m);
          if (!r.ok) {
            if (r.disabled) disabled++;
            else if (skipped.length < REPORT_LIMIT) skipped.push({ entry: e.dn, reason: r.reason });
            continue;
          }
          const prior = known.get(r.person.id);
          if (prior !== undefined) {
            if (skipped.length < REPORT_LIMIT) skipped.push({ entry: e.dn, reason: `duplicate person id ${r.person.id}, already used by ${prior.dn}` });
            continue;
          }
          known.set(r.person.id, { person: r.person, dn: e.dn, ...(r.stableId !== undefined ? { stable: r.stableId } : {}), unusable: r.unusable, truncated: r.truncated });
        }
        sink.progress(entries, undefined);
        if (entries >= nextLog) {
          log.info({ entries, people: known.size }, `ldap-directory: full sync read ${entries} entries`);
          nextLog += 10_000;
        }
      });
    });
    // One swap, only once the whole directory has been read (never partial).
    await sink.replaceAll([...known.values()].map((k) => k.person));
    this.known = new Map();
    this.byStable = new Map();
    this.byDn = new Map();
    for (const k of known.values()) this.remember(this.known, k);
    if (mark !== undefined) this.mark = mark;
    this.fullSkipped = skipped;
    this.disabled = disabled;
    this.lastReport = this.buildReport();
    const ms = clock.now() - started;
    sink.progress(entries, entries);
    const skippedCount = entries - known.size;
    log.info({ entries, people: known.size, skipped: skippedCount, disabled, conflicts: this.lastReport.conflicts.length, ms }, 'ldap-directory: full sync complete');
    return { entries, people: known.size, skipped: skippedCount, changed: known.size, renamed: 0, ms };
  }

  /** Entries changed since the last sync; without a prior full sync this is a full sync. */
  async incremental(): Promise<SyncResult> {
    const { config: c, client, sink, log, clock } = this.deps;
    if (this.mark === undefined) return this.full();
    const started = clock.now();
    const { attributes, binary } = this.attributes();
    const changed = new Map<string, Known>();
    const retire = new Set<string>();
    let entries = 0;
    let skipped = 0;
    let renamed = 0;
    let mark = this.mark;
    await client.session(async (s) => {
      if (c.teams.from === 'groups') {
        // Membership lives on the groups: re-read them, then recompute the teams of everyone known.
        this.groupTeams = await loadGroups(s, c, this.include);
        const m = this.mapContext();
        for (const k of this.known.values()) {
          const teams = teamsOf({ dn: k.dn, attrs: new Map() }, m);
          if (JSON.stringify(teams) !== JSON.stringify(k.person.teams)) changed.set(k.person.id, { ...k, person: { ...k.person, teams } });
        }
      }
      const m = this.mapContext();
      const filter = changedSinceFilter(c.filter, c.changeAttribute, this.mark!);
      await s.searchPaged({ base: c.baseDn, filter, scope: c.scope, attributes, binary }, (page) => {
        for (const e of page) {
          entries++;
          const change = values(e, c.changeAttribute)[0];
          if (isMark(change, c.changeAttribute)) mark = laterMark(mark, change, c.changeAttribute);
          const r = entryToPerson(e, m);
          // The person this entry was: by its stable id (survives a rename), else by its DN.
          const was = (r.stableId !== undefined ? this.byStable.get(r.stableId) : undefined) ?? this.byDn.get(dnKey(e.dn));
          if (!r.ok) {
            skipped++;
            if (was !== undefined) {
              retire.add(was);
              changed.delete(was);
              log.info({ entry: e.dn, person: was, reason: r.reason }, 'ldap-directory: entry is no longer a person; retired');
            } else log.warn({ entry: e.dn, reason: r.reason }, 'ldap-directory: changed entry cannot be mapped');
            continue;
          }
          const id = r.person.id;
          const holder = this.known.get(id);
          const sameEntry = holder !== undefined && (holder.stable !== undefined && r.stableId !== undefined ? holder.stable === r.stableId : dnKey(holder.dn) === dnKey(e.dn));
          if (holder !== undefined && !sameEntry && !retire.has(id)) {
            skipped++;
            log.warn({ entry: e.dn, other: holder.dn }, `ldap-directory: duplicate person id ${id}`);
            continue;
          }
          if (was !== undefined && was !== id) {
            // A rename (modrdn): the old id goes in the same step as the new one comes.
            retire.add(was);
            changed.delete(was);
            renamed++;
            log.info({ entry: e.dn, from: was, to: id }, 'ldap-directory: entry renamed');
          }
          retire.delete(id);
          const next: Known = { person: r.person, dn: e.dn, ...(r.stableId !== undefined ? { stable: r.stableId } : {}), unusable: r.unusable, truncated: r.truncated };
          if (holder === undefined || !sameEntry || !samePerson(holder.person, r.person) || holder.dn !== e.dn) changed.set(id, next);
          else changed.delete(id);
        }
      });
    });
    const retired = [...retire].filter((id) => !changed.has(id) && this.known.has(id));
    if (changed.size > 0 || retired.length > 0) await sink.upsert([...changed.values()].map((k) => k.person), { retire: retired });
    for (const id of retired) this.forget(id);
    for (const k of changed.values()) {
      this.forget(k.person.id);
      this.remember(this.known, k);
    }
    this.mark = mark;
    if (changed.size > 0 || retired.length > 0) this.lastReport = this.buildReport();
    const ms = clock.now() - started;
    if (changed.size > 0 || retired.length > 0) log.info({ entries, changed: changed.size, retired: retired.length, renamed, ms }, 'ldap-directory: incremental sync applied changes');
    return { entries, people: this.known.size, skipped, changed: changed.size + retired.length, renamed, ms };
  }
}
