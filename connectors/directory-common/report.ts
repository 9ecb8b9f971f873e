/**
 * What a directory connector could not use, and why: surfaced by the hub at GET /v1/directory/report.
 * `skipped` lists every entry that did not become a person and every identity dropped from
 * resolution because two entries claim it; `conflicts` gives the same conflicts structured.
 */
import { Directory } from '../../core/directory/directory.ts';
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

export interface DirectorySyncReport {
  readonly skipped: readonly SkippedEntry[];
  readonly conflicts: readonly DirectoryConflict[];
  /** People that map to no identity at all: reachable by id only. */
  readonly withoutIdentities: readonly string[];
  /** When the report was built (the end of the last full sync or reload), ms; absent before the first. */
  readonly at?: number;
  /** People in the last complete sync. */
  readonly people: number;
}

export const EMPTY_REPORT: DirectorySyncReport = { skipped: [], conflicts: [], withoutIdentities: [], people: 0 };

/** Reports are for people to read: cap their size so a broken directory cannot flood the API. */
export const REPORT_LIMIT = 1000;

export function conflictsAsSkipped(conflicts: readonly DirectoryConflict[]): SkippedEntry[] {
  const out: SkippedEntry[] = [];
  for (const c of conflicts) {
    c.people.forEach((p, i) => {
      const others = c.people.filter((o) => o !== p).join(', ');
      out.push({ entry: c.entries[i] ?? p, reason: `identity conflict: ${c.identity} is also claimed by ${others}; it resolves to nobody until one entry is fixed` });
    });
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
    withoutIdentities: withoutIdentities.slice(0, REPORT_LIMIT),
    at: opts.at,
    people: opts.people.length,
  };
}
