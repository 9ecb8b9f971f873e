import type { Redis } from 'ioredis';
import type { Presence, ViewStamps } from '../../model/presence.ts';
import type { Register } from '../../model/register.ts';
import type { Signal } from '../../model/signal.ts';
import { draftOfFingerprint, fingerprint, OFFLINE_PACKED_FINGERPRINT, packFingerprint } from '../fingerprint.ts';
import type { ApplyResult, Basis, CommitResult, PersonRegisters, PresenceDraft, PresenceStore } from '../ports.ts';
import { presenceOf } from '../presence-of.ts';
import { appliedRegister, applyArgs, decodeRegister } from './codec.ts';
import type { Keys } from './keys.ts';

/** Signals per script call: long enough to amortize the round trip, short enough not to stall Redis. */
const APPLY_CHUNK = 500;
const COMMIT_CHUNK = 500;
const READ_CHUNK = 500;

/**
 * The store of Redis mode (registers, presence) behind the same port as MemoryStore: identical
 * outcomes, with the judgement and the stamp done inside Redis (scripts.ts), so nodes with skewed
 * clocks agree on order. Batches go out as a few pipelined script calls, not one call per signal.
 */
export class RedisStore implements PresenceStore {
  constructor(private readonly deps: { redis: Redis; keys: Keys }) {}

  async now(): Promise<number> {
    const [s, us] = await this.deps.redis.time();
    return Number(s) * 1000 + Number(us) / 1000;
  }

  async applySignals(signals: readonly Signal[]): Promise<ApplyResult[]> {
    if (signals.length === 0) return [];
    const { redis, keys } = this.deps;
    const pipe = redis.pipeline();
    for (let i = 0; i < signals.length; i += APPLY_CHUNK) {
      const { keys: k, argv } = applyArgs(signals, i, Math.min(signals.length, i + APPLY_CHUNK), keys.clock, keys.registers);
      pipe.phApply(k.length, k, argv);
    }
    const replies = await execOrThrow(pipe);
    const out: ApplyResult[] = [];
    let i = 0;
    // Per call: the base instant (integer microseconds), then per signal the stamp's offset from
    // it, -1 (stale) or -2 (duplicate). (base + offset) / 1000 is the same number as the stored
    // decimal text of the stamp: both are the nearest double to the same count of microseconds.
    for (const reply of replies as number[][]) {
      const base = Number(reply[0]);
      for (let j = 1; j < reply.length; j++) {
        const r = Number(reply[j]);
        const s = signals[i++]!;
        if (r === -1) out.push(STALE);
        else if (r === -2) out.push(DUPLICATE);
        else out.push(new Applied(s, (base + r) / 1000));
      }
    }
    return out;
  }

  async registerCensus(entries: readonly { person: string; keysAbove: number }[]): Promise<Map<string, { count: number; keys?: ReadonlySet<string> }>> {
    const out = new Map<string, { count: number; keys?: ReadonlySet<string> }>();
    if (entries.length === 0) return out;
    const { redis, keys } = this.deps;
    // One script call per chunk: the counts, and the keys of those above their threshold (scripts.ts CENSUS).
    const pipe = redis.pipeline();
    for (let i = 0; i < entries.length; i += READ_CHUNK) {
      const chunk = entries.slice(i, i + READ_CHUNK);
      pipe.phCensus(chunk.length, chunk.map((e) => keys.registers(e.person)), chunk.map((e) => e.keysAbove));
    }
    const replies = ((await execOrThrow(pipe)) as (number | string)[][][]).flat();
    entries.forEach((e, i) => {
      const [count, ...fields] = replies[i] ?? [0];
      out.set(e.person, fields.length > 0 || Number(count) > e.keysAbove ? { count: Number(count), keys: new Set(fields as string[]) } : { count: Number(count) });
    });
    return out;
  }

  async getRegisters(people: readonly string[]): Promise<Map<string, PersonRegisters>> {
    const out = new Map<string, PersonRegisters>();
    if (people.length === 0) return out;
    const pipe = this.deps.redis.pipeline();
    for (let i = 0; i < people.length; i += READ_CHUNK) {
      const k = people.slice(i, i + READ_CHUNK).map((p) => this.deps.keys.registers(p));
      pipe.phRead(k.length, ...k);
    }
    let i = 0;
    for (const reply of (await execOrThrow(pipe)) as (string | number)[][]) {
      // Per person: the revision, the number of registers, their values (scripts.ts READ_REGISTERS).
      for (let at = 0; at < reply.length; ) {
        const rev = Number(reply[at]);
        const n = reply[at + 1] as number;
        const registers: Register[] = new Array(n);
        for (let j = 0; j < n; j++) registers[j] = decodeRegister(reply[at + 2 + j] as string);
        out.set(people[i++]!, { rev, registers });
        at += 2 + n;
      }
    }
    return out;
  }

  async getPresence(people: readonly string[]): Promise<Map<string, Presence>> {
    const out = new Map<string, Presence>();
    if (people.length === 0) return out;
    const pipe = this.deps.redis.pipeline();
    // The packed meta and fingerprint, the draft of the four-field form, and the fields of the
    // form of one field per value (scripts.ts COMMIT).
    for (const p of people) pipe.hmget(this.deps.keys.presence(p), 'm', 'f', 'd', 'v', 'since', 'fv', 'lv', 'ls');
    const replies = (await execOrThrow(pipe)) as (string | null)[][];
    people.forEach((p, i) => {
      const r = replies[i] ?? [];
      const [m, f, d] = r;
      if (m != null && f != null) {
        // version|since|full view version|limited view version|limited since (then the view keys in the four-field form)
        const [v, since, fv, lv, ls] = m.split('|', 5);
        if (v === undefined || since === undefined) return;
        const draft = d != null ? parseDraft(d) : draftOfFingerprint(p, f.slice(f.indexOf('|', f.indexOf('|', f.indexOf('|') + 1) + 1) + 1));
        out.set(p, presenceOf(draft, Number(since), Number(v), stampsOf(fv, lv, ls)));
      } else if (d != null && r[3] != null && r[4] != null) out.set(p, presenceOf(parseDraft(d), Number(r[4]), Number(r[3]), stampsOf(r[5], r[6], r[7])));
    });
    return out;
  }

  async commitPresence(entries: readonly { draft: PresenceDraft; basis: Basis; fingerprint?: string }[]): Promise<CommitResult[]> {
    if (entries.length === 0) return [];
    const pipe = this.deps.redis.pipeline();
    for (let i = 0; i < entries.length; i += COMMIT_CHUNK) {
      const chunk = entries.slice(i, i + COMMIT_CHUNK);
      const k = chunk.map((e) => this.deps.keys.presence(e.draft.person));
      // Per person its basis and packed fingerprint, all in one argument (scripts.ts COMMIT): the
      // draft is not sent (the fingerprint holds it).
      let records = '';
      for (const e of chunk) records += `${e.basis.rev}|${e.basis.at}|${packFingerprint(e.fingerprint ?? fingerprint(e.draft))}\n`;
      pipe.phCommit(k.length, ...k, OFFLINE_PACKED_FINGERPRINT, records);
    }
    const out: CommitResult[] = [];
    let i = 0;
    // Indexed reads, no destructuring or spread per person: this loop runs for every person of a storm.
    for (const reply of (await execOrThrow(pipe)) as string[][]) {
      for (const r of reply) {
        const draft = entries[i++]!.draft;
        // '0', '1', or `1|...` / `2|...` with version, since and the view stamps (scripts.ts COMMIT).
        const code = r.charCodeAt(0);
        if (code === 0x30) out.push(REFUSED);
        else if (r.length === 1) out.push(UNCHANGED);
        else {
          const f = r.split('|', 6);
          out.push({ accepted: true, changed: code === 0x32, presence: presenceOf(draft, Number(f[2]), Number(f[1]), stampsOf(f[3], f[4], f[5])) });
        }
      }
    }
    return out;
  }

  async forget(people: readonly string[]): Promise<void> {
    if (people.length === 0) return;
    const { redis, keys } = this.deps;
    const pipe = redis.pipeline();
    for (const p of people) {
      pipe.del(keys.registers(p), keys.presence(p));
      pipe.zrem(keys.boundaries, p);
      // A claim of an earlier version; a claimed round (scripts.ts CLAIM) keeps the person until it
      // ends, and one whose node died recomputes them after its deadline: no registers, offline.
      pipe.zrem(keys.claimed, p);
    }
    await execOrThrow(pipe);
  }

  /** The connection belongs to the pipeline, which closes it. */
  async close(): Promise<void> {}
}

const STALE: ApplyResult = Object.freeze({ outcome: 'stale' });
const DUPLICATE: ApplyResult = Object.freeze({ outcome: 'duplicate' });

/** An applied outcome whose register is only built when someone looks at it (the manager does not). */
class Applied implements ApplyResult {
  readonly outcome = 'applied' as const;
  private built: Register | undefined;
  constructor(
    private readonly signal: Signal,
    private readonly stamp: number,
  ) {}
  get register(): Register {
    this.built ??= appliedRegister(this.signal, this.stamp);
    return this.built;
  }
}

const REFUSED: CommitResult = Object.freeze({ accepted: false, changed: false });
const UNCHANGED: CommitResult = Object.freeze({ accepted: true, changed: false });

function parseDraft(draft: string): PresenceDraft {
  const d = JSON.parse(draft) as { -readonly [K in keyof PresenceDraft]: PresenceDraft[K] };
  d.activity = Object.freeze(d.activity);
  return d;
}

/** The view stamps of a hash (absent on one written before they existed: see COMMIT). */
function stampsOf(fv: string | number | null | undefined, lv: string | number | null | undefined, ls: string | number | null | undefined): ViewStamps | undefined {
  if (fv == null || lv == null || fv === '' || lv === '') return undefined;
  // Built without a spread: this runs for every change of a storm.
  const v: { full: number; limited: number; limitedSince?: number } = { full: Number(fv), limited: Number(lv) };
  if (ls != null && ls !== '') v.limitedSince = Number(ls);
  return Object.freeze(v);
}

/** Runs a pipeline and throws the first command error (ioredis reports them per command). */
export async function execOrThrow(pipe: ReturnType<Redis['pipeline']>): Promise<unknown[]> {
  const res = await pipe.exec();
  if (res === null) throw new Error('Redis pipeline aborted');
  return res.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}
