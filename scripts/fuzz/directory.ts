/**
 * Fuzz target for the directory mappings that read text from a directory server: phone numbers,
 * DNs, identity attribute values, AD ranged attribute names and whole entries. Throws on a crash or a result that breaks the
 * model (an identity the public schema refuses, a tel: that is not E.164 or an extension).
 */
import { ldapConfigSchema, IDENTITY_KINDS } from '../../connectors/ldap-directory/config.ts';
import { dnKey, entryToPerson, firstRdnValue, identitiesFromValue } from '../../connectors/ldap-directory/map.ts';
import { rangedValues } from '../../connectors/ldap-directory/ad.ts';
import { normalizeIdentity } from '../../core/directory/identity.ts';
import { phoneToTel } from '../../core/directory/phone.ts';
import { personSchema } from '../../core/model/person.ts';
import { seededRandom as rng } from '../../core/util/random.ts';

const ALPHABET = ['+', '0', '1', '9', ' ', '(', ')', '-', '.', '/', 'x', 'ext', ';', '=', ',', '\\', '\\2c', ':', '@', 'sip:', 'SMTP:', 'tel:', 'é', '\u0000', 'a', 'Z', '\n', '"', 'uid=', 'cn='];

export function fuzz(iterations: number, seed: number): { cases: number } {
  const r = rng(seed);
  const text = (max: number): string => {
    let s = '';
    const n = Math.floor(r() * max);
    for (let i = 0; i < n; i++) s += r() < 0.8 ? ALPHABET[Math.floor(r() * ALPHABET.length)]! : String.fromCharCode(Math.floor(r() * 0x3000));
    return s;
  };
  const config = ldapConfigSchema.parse({ url: 'ldap://h', baseDn: 'dc=x', phone: { defaultCountryCode: '49' }, teams: { from: 'attribute', attribute: 'ou' } });
  const phone = config.phone;
  for (let i = 0; i < iterations; i++) {
    const t = phoneToTel(text(30), phone);
    if (t !== undefined && !/^tel:(\+[0-9]{3,15}|[0-9]{1,15})$/.test(t)) throw new Error(`bad tel ${JSON.stringify(t)}`);
    // A stored tel: identity is already normal: a signal carrying it exactly finds it.
    if (t !== undefined && normalizeIdentity(t) !== t) throw new Error(`tel ${JSON.stringify(t)} is not stable under normalizeIdentity`);
    const ranged = rangedValues({ dn: 'cn=g', attrs: new Map([[`member;range=${text(8)}`, [text(10)]]]) }, 'member');
    if (ranged.next !== undefined && !/^member;range=[0-9]+-\*$/.test(ranged.next)) throw new Error(`bad range request ${JSON.stringify(ranged.next)}`);
    const dn = text(40);
    const v = firstRdnValue(dn);
    if (v !== undefined && v.trim() === '') throw new Error('empty RDN value');
    dnKey(dn);
    const kind = IDENTITY_KINDS[Math.floor(r() * IDENTITY_KINDS.length)]!;
    const value = r() < 0.1 ? Buffer.from(text(20)) : text(40);
    for (const id of identitiesFromValue({ attribute: 'a', as: kind }, value, phone)) {
      if (!/^[a-z][a-z0-9+.-]*:.+$/i.test(id)) throw new Error(`bad identity ${JSON.stringify(id)}`);
    }
    const attrs = new Map<string, string[]>([
      ['uid', [text(12)]],
      ['mail', [text(30)]],
      ['telephonenumber', [text(20), text(20)]],
      ['labeleduri', [text(40)]],
      ['ou', [text(20)]],
      ['cn', [text(20)]],
    ]);
    const res = entryToPerson({ dn, attrs }, { config });
    if (res.ok && !personSchema.safeParse(res.person).success) throw new Error(`invalid person ${JSON.stringify(res.person)}`);
  }
  return { cases: iterations };
}
