import type { Register } from '../../model/register.ts';
import type { Signal } from '../../model/signal.ts';

/**
 * The canonical text of a signal as stored in a register: fixed field order, absent fields left
 * out, no `receivedAt`. Within one register (same person, source, endpoint and category) two
 * signals have the same text exactly when `sameObservation()` holds (core/model/register.ts), so
 * the Lua script can judge a duplicate by comparing strings instead of decoding JSON.
 */
export function canonicalSignal(s: Signal): string {
  const o: Record<string, unknown> = { person: s.person, source: s.source, endpoint: s.endpoint, category: s.category };
  if (s.availability !== undefined) o.availability = s.availability;
  if (s.activity !== undefined && (s.activity.token !== undefined || s.activity.text !== undefined)) {
    const a: Record<string, string> = {};
    if (s.activity.token !== undefined) a.token = s.activity.token;
    if (s.activity.text !== undefined) a.text = s.activity.text;
    o.activity = a;
  }
  if (s.machineState !== undefined) o.machineState = s.machineState;
  if (s.from !== undefined) o.from = s.from;
  if (s.until !== undefined) o.until = s.until;
  o.expireType = s.expireType;
  if (s.sourceTime !== undefined) o.sourceTime = s.sourceTime;
  if (s.sourceVersion !== undefined) o.sourceVersion = s.sourceVersion;
  if (s.id !== undefined) o.id = s.id;
  return JSON.stringify(o);
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
