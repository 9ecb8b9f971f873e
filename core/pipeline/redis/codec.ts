import type { Register } from '../../model/register.ts';
import { registerKey, type Signal } from '../../model/signal.ts';
import { jsonNumber as num, jsonText as q } from '../../util/json-text.ts';

/**
 * The canonical text of a signal as stored in a register: fixed field order, absent fields left
 * out, no `receivedAt`. Within one register (same person, source, endpoint and category) two
 * signals have the same text exactly when `sameObservation()` holds (core/model/register.ts), so
 * the Lua script can judge a duplicate by comparing strings instead of decoding JSON.
 */
export function canonicalSignal(s: Signal): string {
  // Built as text, not as an object given to JSON.stringify: the same string (JSON.stringify
  // quotes each text and writes each number), without an object and a key walk per signal.
  let t = `{"person":${q(s.person)},"source":${q(s.source)},"endpoint":${q(s.endpoint)},"category":${q(s.category)}`;
  if (s.availability !== undefined) t += `,"availability":${num(s.availability)}`;
  const act = s.activity;
  if (act !== undefined && (act.token !== undefined || act.text !== undefined)) {
    t += ',"activity":{';
    if (act.token !== undefined) t += `"token":${q(act.token)}`;
    if (act.text !== undefined) t += `${act.token !== undefined ? ',' : ''}"text":${q(act.text)}`;
    t += '}';
  }
  if (s.machineState !== undefined) t += `,"machineState":${q(s.machineState)}`;
  if (s.from !== undefined) t += `,"from":${num(s.from)}`;
  if (s.until !== undefined) t += `,"until":${num(s.until)}`;
  t += `,"expireType":${q(s.expireType)}`;
  if (s.sourceTime !== undefined) t += `,"sourceTime":${num(s.sourceTime)}`;
  if (s.sourceVersion !== undefined) t += `,"sourceVersion":${num(s.sourceVersion)}`;
  if (s.id !== undefined) t += `,"id":${q(s.id)}`;
  return `${t}}`;
}

/**
 * The arguments of one APPLY call (scripts.ts) for signals[from, to): the keys (the clock, then
 * each person's register hash once) and ARGV (the records string, then each register's reference
 * once). A record is `<ref>|<sourceVersion>|<sourceTime>|<canonical JSON>` and a newline; ref is
 * negative when the signal carries an id, so that the script looks for the id's tail only then.
 */
export function applyArgs(signals: readonly Signal[], from: number, to: number, clock: string, registers: (person: string) => string): { keys: string[]; argv: string[] } {
  const keys = [clock];
  const argv = [''];
  // Per person its key's index and its registers' reference numbers, found by the signal's own
  // source, endpoint and category strings (no register key built per signal): a short list
  // scanned (a person has a handful of registers), indexed by register key above REFS_SCANNED.
  const people = new Map<string, PersonRefs>();
  let last: PersonRefs | undefined;
  let lastPerson: string | undefined;
  let records = '';
  for (let j = from; j < to; j++) {
    const s = signals[j]!;
    // A burst of one person's signals looks the person up once.
    let p = s.person === lastPerson ? last : people.get(s.person);
    if (p === undefined) {
      keys.push(registers(s.person));
      p = { k: keys.length, refs: [], index: undefined };
      people.set(s.person, p);
    }
    last = p;
    lastPerson = s.person;
    let r = refOf(p, s);
    if (r < 0) {
      r = argv.length;
      argv.push(`${p.k}|${registerKey(s)}`);
      p.refs.push({ source: s.source, endpoint: s.endpoint, category: s.category, r });
      if (p.index !== undefined) p.index.set(registerKey(s), r);
      else if (p.refs.length > REFS_SCANNED) p.index = new Map(p.refs.map((x) => [registerKey(x), x.r]));
    }
    records += `${s.id === undefined ? r : -r}|${s.sourceVersion ?? ''}|${s.sourceTime ?? ''}|${canonicalSignal(s)}\n`;
  }
  argv[0] = records;
  return { keys, argv };
}

interface PersonRefs {
  readonly k: number;
  readonly refs: { readonly source: string; readonly endpoint: string; readonly category: Signal['category']; readonly r: number }[];
  index: Map<string, number> | undefined;
}

/** Above this many registers of one person in one call, applyArgs indexes them by key. */
const REFS_SCANNED = 16;

/** The reference number of the register of `s` among `p`'s, or -1. */
function refOf(p: PersonRefs, s: Signal): number {
  if (p.index !== undefined) return p.index.get(registerKey(s)) ?? -1;
  const refs = p.refs;
  for (let i = 0; i < refs.length; i++) {
    const x = refs[i]!;
    if (x.source === s.source && x.endpoint === s.endpoint && x.category === s.category) return x.r;
  }
  return -1;
}

/** Decodes a stored register value `sourceVersion|sourceTime|stamp|json`. */
export function decodeRegister(value: string): Register {
  const p1 = value.indexOf('|');
  const p2 = value.indexOf('|', p1 + 1);
  const p3 = value.indexOf('|', p2 + 1);
  const reg = JSON.parse(value.slice(p3 + 1)) as { publishedAt: number };
  reg.publishedAt = Number(value.slice(p2 + 1, p3));
  return Object.freeze(reg) as unknown as Register;
}

/** The register an applied signal became, built client-side from the stamp the script returned. */
export function appliedRegister(s: Signal, stamp: number): Register {
  const { receivedAt: _r, ...rest } = s;
  return Object.freeze({ ...rest, publishedAt: stamp });
}

/**
 * A batch of signals as BullMQ job data: one positional array per signal instead of an object, so
 * that the job's JSON (written by BullMQ at add, parsed back by the worker) carries no key names
 * (about half the bytes for the bench's signals) and decodes to signals of one shape. Per signal:
 * person, source, endpoint, category, expireType, availability, sourceVersion, sourceTime,
 * receivedAt, activity token, activity text, machineState, from, until, id; an absent field is
 * null, and the nulls at the end are left out.
 */
export type SignalTuple = readonly (string | number | null)[];

export function signalTuple(s: Signal): SignalTuple {
  const t: (string | number | null)[] = [
    s.person,
    s.source,
    s.endpoint,
    s.category,
    s.expireType,
    s.availability ?? null,
    s.sourceVersion ?? null,
    s.sourceTime ?? null,
    s.receivedAt ?? null,
    s.activity?.token ?? null,
    s.activity?.text ?? null,
    s.machineState ?? null,
    s.from ?? null,
    s.until ?? null,
    s.id ?? null,
  ];
  let n = t.length;
  while (n > 5 && t[n - 1] === null) n--;
  t.length = n;
  return t;
}

/**
 * The signal of a tuple (signalTuple), its fields in the order ingest writes them (core/manager/ingest.ts
 * normalize), absent ones absent, frozen like the signals ingest makes.
 */
export function signalOfTuple(t: SignalTuple): Signal {
  const s = { person: t[0], source: t[1], endpoint: t[2], category: t[3], expireType: t[4] } as { -readonly [K in keyof Signal]: Signal[K] };
  const n = t.length;
  if (n > 8 && t[8] !== null) s.receivedAt = t[8] as number;
  if (n > 5 && t[5] !== null) s.availability = t[5] as number;
  if (n > 9) {
    const token = t[9];
    const text = n > 10 ? t[10] : null;
    if (token !== null && text !== null && text !== undefined) s.activity = Object.freeze({ token: token as string, text: text as string });
    else if (token !== null) s.activity = Object.freeze({ token: token as string });
    else if (text !== null && text !== undefined) s.activity = Object.freeze({ text: text as string });
  }
  if (n > 11 && t[11] !== null) s.machineState = t[11] as Signal['machineState'];
  if (n > 12 && t[12] !== null) s.from = t[12] as number;
  if (n > 13 && t[13] !== null) s.until = t[13] as number;
  if (n > 7 && t[7] !== null) s.sourceTime = t[7] as number;
  if (n > 6 && t[6] !== null) s.sourceVersion = t[6] as number;
  if (n > 14 && t[14] !== null) s.id = t[14] as string;
  return Object.freeze(s);
}
