/**
 * The change marks of incremental syncs: `modifyTimestamp` (OpenLDAP, RFC 4512 section 3.4
 * operational attribute) and AD's `whenChanged` are GeneralizedTime; AD's `uSNChanged` is a
 * per-domain-controller update sequence number (MS-ADTS 3.1.1.1.9).
 */
export type ChangeAttribute = 'modifyTimestamp' | 'uSNChanged' | 'whenChanged';

/** Larger change value: GeneralizedTime compared on its digits, USNs as integers. */
export function laterMark(a: string | undefined, b: string, attribute: ChangeAttribute): string {
  if (a === undefined) return b;
  if (attribute === 'uSNChanged') return BigInt(b) > BigInt(a) ? b : a;
  const d = (s: string): string => s.replace(/[^0-9]/g, '').padEnd(14, '0').slice(0, 14);
  return d(b) > d(a) ? b : a;
}

/** Whether a value read from the change attribute can be a mark (digits first; a USN all digits). */
export function isMark(v: string | undefined, attribute: ChangeAttribute): v is string {
  return v !== undefined && (attribute === 'uSNChanged' ? /^[0-9]{1,20}$/.test(v) : /^[0-9]{14}/.test(v));
}

/** The filter of an incremental sync: the configured filter and "changed at or after the mark". */
export function changedSinceFilter(filter: string, attribute: ChangeAttribute, mark: string): string {
  const inner = filter.startsWith('(') ? filter : `(${filter})`;
  if (attribute === 'uSNChanged') return `(&${inner}(uSNChanged>=${(BigInt(mark) + 1n).toString()}))`;
  // GeneralizedTime has one-second resolution: `>=` re-reads that second, the comparison with the cache drops repeats.
  const digits = mark.replace(/[^0-9]/g, '').slice(0, 14);
  // AD writes whenChanged with a fraction ("20240101120000.0Z", MS-ADTS 3.1.1.1.9); OpenLDAP without.
  return `(&${inner}(${attribute}>=${digits}${attribute === 'whenChanged' ? '.0' : ''}Z))`;
}
