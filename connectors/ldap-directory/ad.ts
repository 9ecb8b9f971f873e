/**
 * Active Directory specifics, pure (no I/O): the account-disabled flag of `userAccountControl`,
 * ranged retrieval of large multi-valued attributes (`member;range=0-1499`) and the binary
 * `objectGUID`. slapd cannot run AD's schema, so these are covered by table tests on fixtures
 * shaped like Microsoft's published examples (fixtures/ad-*.json).
 */
import type { LdapEntry } from './map.ts';

/** ADS_UF_ACCOUNTDISABLE (MS-DRSR section 5.206 "userAccountControl Bits"). */
const ACCOUNTDISABLE = 0x2;

/** Whether `userAccountControl` marks the account disabled; absent or unreadable: not disabled. */
export function accountDisabled(entry: LdapEntry): boolean {
  const raw = entry.attrs.get('useraccountcontrol')?.[0];
  const v = raw === undefined ? undefined : Number.parseInt(typeof raw === 'string' ? raw : raw.toString('utf8'), 10);
  return v !== undefined && Number.isSafeInteger(v) && (v & ACCOUNTDISABLE) !== 0;
}

/** AD objectGUID bytes as the registry string form: the first three fields are little-endian (MS-DTYP 2.3.4.2). */
export function guidToString(b: Buffer): string | undefined {
  if (b.length !== 16) return undefined;
  const h = (i: number): string => b[i]!.toString(16).padStart(2, '0');
  const part = (idx: number[]): string => idx.map(h).join('');
  return `${part([3, 2, 1, 0])}-${part([5, 4])}-${part([7, 6])}-${part([8, 9])}-${part([10, 11, 12, 13, 14, 15])}`;
}

export interface RangedValues {
  readonly values: string[];
  /** The attribute description to request next (`member;range=1500-*`); absent when every value is in. */
  readonly next?: string;
}

/**
 * The values of a multi-valued attribute as AD returned them (MS-ADTS 3.1.1.3.1.3.3 "Range Retrieval
 * of Attribute Values"): past MaxValRange (1500 by default) the server sends `member;range=0-1499`
 * instead of `member`, `high` being the index of the last value sent, or `*` when it was the last.
 * The server may send fewer values than asked, so the next request starts after what came.
 */
export function rangedValues(entry: LdapEntry, attribute: string): RangedValues {
  const name = attribute.toLowerCase();
  const plain = entry.attrs.get(name);
  const str = (vs: readonly (string | Buffer)[]): string[] => vs.map((v) => (typeof v === 'string' ? v : v.toString('utf8')));
  for (const [key, vs] of entry.attrs) {
    const m = /^([^;]+);range=(\d+)-(\d+|\*)$/i.exec(key);
    if (m === null || m[1]!.toLowerCase() !== name) continue;
    if (m[3] === '*') return { values: str(vs) };
    const high = Number(m[3]);
    return { values: str(vs), next: `${attribute};range=${high + 1}-*` };
  }
  return { values: plain === undefined ? [] : str(plain) };
}
