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
  // Per person its key's index and its registers' reference numbers by source, endpoint and
  // category: lookups by the signal's own strings, no register key built per signal.
  const people = new Map<string, { readonly k: number; readonly refs: Map<string, Map<string, Map<string, number>>> }>();
  let records = '';
  for (let j = from; j < to; j++) {
    const s = signals[j]!;
    let p = people.get(s.person);
    if (p === undefined) {
      keys.push(registers(s.person));
      p = { k: keys.length, refs: new Map() };
      people.set(s.person, p);
    }
    let bySource = p.refs.get(s.source);
    if (bySource === undefined) {
      bySource = new Map();
      p.refs.set(s.source, bySource);
    }
    let byEndpoint = bySource.get(s.endpoint);
    if (byEndpoint === undefined) {
      byEndpoint = new Map();
      bySource.set(s.endpoint, byEndpoint);
    }
    let r = byEndpoint.get(s.category);
    if (r === undefined) {
      r = argv.length;
      argv.push(`${p.k}|${registerKey(s)}`);
      byEndpoint.set(s.category, r);
    }
    records += `${s.id === undefined ? r : -r}|${s.sourceVersion ?? ''}|${s.sourceTime ?? ''}|${canonicalSignal(s)}\n`;
  }
  argv[0] = records;
  return { keys, argv };
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
