import type { Clock } from '../../core/util/clock.ts';

/**
 * The Teams presence model the simulator runs, after Graph "Manage presence state" (09/2025) and
 * presence: setPresence:
 * - the user-preferred state beats every session, but only while at least one session exists;
 * - among sessions: DoNotDisturb > Busy > Available > Away (BeRightBack counts with Away);
 * - an app session set to Available fades to Available/AvailableInactive after 5 minutes and to
 *   Away/Away after 10 minutes without a new setPresence, and ends (Offline) at its expiration.
 * A user's own Teams client is a session too (`client`), without timeouts.
 */
export interface SimSession {
  availability: string;
  activity: string;
  setAt: number;
  /** undefined: no expiry (a Teams client). */
  expiresAt?: number;
  fades: boolean;
}
export interface SimUser {
  id: string;
  upn: string;
  displayName: string;
  sessions: Map<string, SimSession>;
  preferred?: { availability: string; activity: string; expiresAt: number };
  oof: boolean;
  seq: number;
  last?: { availability: string; activity: string };
}

const RANK: Record<string, number> = { donotdisturb: 4, busy: 3, available: 2, away: 1, berightback: 1 };
const FADE_MS = 5 * 60_000;

/** The state a session shows at `now`, or undefined once it expired. */
export function sessionState(s: SimSession, now: number): { availability: string; activity: string } | undefined {
  if (s.expiresAt !== undefined && now >= s.expiresAt) return undefined;
  if (s.fades && s.availability === 'Available') {
    const idle = now - s.setAt;
    if (idle >= 2 * FADE_MS) return { availability: 'Away', activity: 'Away' };
    if (idle >= FADE_MS) return { availability: 'Available', activity: 'AvailableInactive' };
  }
  return { availability: s.availability, activity: s.activity };
}

/** Teams' aggregation of one user's sessions and preferred presence at `now`. */
export function aggregatePresence(u: SimUser, now: number): { availability: string; activity: string } {
  const live: { availability: string; activity: string }[] = [];
  for (const [id, s] of u.sessions) {
    const st = sessionState(s, now);
    if (st === undefined) u.sessions.delete(id);
    else live.push(st);
  }
  if (u.preferred !== undefined && now >= u.preferred.expiresAt) u.preferred = undefined;
  let out: { availability: string; activity: string };
  if (live.length === 0) out = { availability: 'Offline', activity: 'Offline' };
  else if (u.preferred !== undefined) out = { availability: u.preferred.availability, activity: u.preferred.activity };
  else {
    out = live.reduce((best, s) => ((RANK[s.availability.toLowerCase()] ?? 0) > (RANK[best.availability.toLowerCase()] ?? 0) ? s : best));
  }
  // Out of office shows as the activity when nothing more specific is going on (cloud-communications-manage-presence-state).
  if (u.oof && out.activity === out.availability) out = { availability: out.availability, activity: 'OutOfOffice' };
  return out;
}

/** Users and their presence; `changed()` reports users whose aggregate moved since the last look. */
export class SimPresenceStore {
  readonly users = new Map<string, SimUser>();
  constructor(private readonly clock: Clock) {}

  addUser(u: { id: string; upn: string; displayName?: string; client?: { availability: string; activity: string } }): SimUser {
    const user: SimUser = { id: u.id, upn: u.upn.toLowerCase(), displayName: u.displayName ?? u.upn, sessions: new Map(), oof: false, seq: 0 };
    if (u.client !== undefined) user.sessions.set('client', { ...u.client, setAt: this.clock.now(), fades: false });
    this.users.set(u.id, user);
    this.snapshot(user);
    return user;
  }

  find(idOrUpn: string): SimUser | undefined {
    return this.users.get(idOrUpn) ?? [...this.users.values()].find((u) => u.upn === idOrUpn.toLowerCase());
  }

  /** The user's Teams client changes state (the person clicks, joins a call, signs out: null). */
  setClient(id: string, state: { availability: string; activity: string } | null): void {
    const u = this.users.get(id);
    if (u === undefined) throw new Error(`no simulated user ${id}`);
    if (state === null) u.sessions.delete('client');
    else u.sessions.set('client', { ...state, setAt: this.clock.now(), fades: false });
  }

  /** The current aggregate with a sequence number that grows whenever it changed. */
  snapshot(u: SimUser): { id: string; availability: string; activity: string; sequenceNumber: string } {
    const now = aggregatePresence(u, this.clock.now());
    if (u.last === undefined || u.last.availability !== now.availability || u.last.activity !== now.activity) {
      u.seq += 1;
      u.last = now;
    }
    // Zero-padded so that the string sorts like the number (sequenceNumber is lexicographically sortable).
    return { id: u.id, availability: now.availability, activity: now.activity, sequenceNumber: String(u.seq).padStart(20, '0') };
  }

  /** Ids whose aggregate changed since their last snapshot (for notifications). */
  changed(): string[] {
    const out: string[] = [];
    for (const u of this.users.values()) {
      const before = u.seq;
      this.snapshot(u);
      if (u.seq !== before) out.push(u.id);
    }
    return out;
  }
}
