/**
 * What a directory connector could not use, and why: surfaced by the hub at GET /v1/directory/report.
 * `skipped` lists every entry that did not become a person and every identity dropped from
 * resolution because two entries claim it; `conflicts` gives the same conflicts structured;
 * `unusable` the values of synced people that gave no identity; `truncated` the values cut.
 */
import { Directory, sharedBy } from '../../core/directory/directory.ts';
import type { Person } from '../../core/model/person.ts';

export interface SkippedEntry {
  /** The entry: its DN for LDAP, `file:row` for files. */
  readonly entry: string;
  readonly reason: string;
}

export interface DirectoryConflict {
  /** The normalized identity two or more people claim; it resolves to nobody until fixed. */
  readonly identity: string;
  readonly people: readonly string[];
  /** Their entries (DNs), where known. */
  readonly entries: readonly string[];
}

/** A value of a synced person that gave no identity (a phone field holding "call me"). */
export interface UnusableEntryValue {
  readonly entry: string;
  readonly person: string;
  readonly attribute: string;
  readonly value: string;
  readonly reason: string;
}

/** A value cut to the model's limits (a 2 KB displayName kept as its first 256 characters). */
export interface TruncatedValue {
  readonly entry: string;
  readonly person: string;
  readonly attribute: string;
  readonly length: number;
  readonly limit: number;
}

export interface DirectorySyncReport {
  readonly skipped: readonly SkippedEntry[];
  readonly conflicts: readonly DirectoryConflict[];
  readonly unusable: readonly UnusableEntryValue[];
  readonly truncated: readonly TruncatedValue[];
  /** Entries left out because the account is disabled (AD userAccountControl); counted, not listed. */
  readonly disabled: number;
  /** People that map to no identity at all: reachable by id only. */
  readonly withoutIdentities: readonly string[];
  /** When the report was built (the end of the last full sync or reload), ms; absent before the first. */
  readonly at?: number;
  /** People in the last complete sync. */
  readonly people: number;
}

export const EMPTY_REPORT: DirectorySyncReport = { skipped: [], conflicts: [], unusable: [], truncated: [], disabled: 0, withoutIdentities: [], people: 0 };

/** Reports are for people to read: cap their size so a broken directory cannot flood the API. */
export const REPORT_LIMIT = 1000;

export function conflictsAsSkipped(conflicts: readonly DirectoryConflict[]): SkippedEntry[] {
  const out: SkippedEntry[] = [];
  for (const c of conflicts) {
    const why = `identity conflict: ${c.identity}: ${sharedBy(c.people)}; it resolves to nobody until one entry is fixed`;
    c.people.forEach((p, i) => out.push({ entry: c.entries[i] ?? p, reason: why }));
  }
  return out;
}

/**
 * The report of one complete read: identity conflicts come from the hub's own Directory (the same
 * rule the hub applies: an identity two people claim resolves to nobody).
 */
export function buildReport(opts: {
  people: readonly Person[];
  entryOf: (personId: string) => string | undefined;
  skipped: readonly SkippedEntry[];
  unusable?: readonly UnusableEntryValue[];
  truncated?: readonly TruncatedValue[];
  disabled?: number;
  at: number;
}): DirectorySyncReport {
  const dir = new Directory(opts.people, opts.at);
  const conflicts: DirectoryConflict[] = dir.conflicts.slice(0, REPORT_LIMIT).map((c) => ({
    identity: c.identity,
    people: [...c.people],
    entries: c.people.map((p) => opts.entryOf(p) ?? p),
  }));
  const withoutIdentities = opts.people.filter((p) => p.identities.length === 0).map((p) => p.id);
  return {
    skipped: [...opts.skipped, ...conflictsAsSkipped(conflicts)].slice(0, REPORT_LIMIT),
    conflicts,
    unusable: (opts.unusable ?? []).slice(0, REPORT_LIMIT),
    truncated: (opts.truncated ?? []).slice(0, REPORT_LIMIT),
    disabled: opts.disabled ?? 0,
    withoutIdentities: withoutIdentities.slice(0, REPORT_LIMIT),
    at: opts.at,
    people: opts.people.length,
  };
}
