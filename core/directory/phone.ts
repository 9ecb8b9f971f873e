import { z } from 'zod';

/**
 * Phone numbers as `tel:` identities, one set of rules for directory entries and for signals
 * (docs/directory-identities.md): a directory's "555.100.0109" and a PBX's `tel:555.100.0109` must
 * become the same identity, or the signal finds nobody.
 */
export const phoneOptionsSchema = z.strictObject({
  /** Country calling code for numbers written without one (`1`, `44`, `49`); absent: such numbers stay as digits. */
  defaultCountryCode: z.string().regex(/^[1-9][0-9]{0,2}$/, 'a country calling code of 1 to 3 digits').optional(),
  /** Trunk prefix dropped before the country code is added (`0` in most of Europe, none for NANP). */
  nationalPrefix: z.string().regex(/^[0-9]{0,2}$/).default('0'),
  /** International call prefixes that stand for `+`. */
  internationalPrefixes: z.array(z.string().regex(/^[0-9]{2,4}$/)).default(['00', '011']),
  /** Numbers with at most this many digits are internal extensions and stay as written (`tel:2001`). */
  maxExtensionDigits: z.number().int().min(0).max(8).default(6),
});
export type PhoneOptions = z.infer<typeof phoneOptionsSchema>;
export const DEFAULT_PHONE_OPTIONS: PhoneOptions = { nationalPrefix: '0', internationalPrefixes: ['00', '011'], maxExtensionDigits: 6 };

export type PhoneReading = { ok: true; tel: string } | { ok: false; reason: string };

/** E.164 section 6: at most 15 digits after the `+`. */
const MAX_E164_DIGITS = 15;

// An extension written after the number, or alone: `x2003`, `ext. 2003`, `Extension 2003`,
// `+1 555 0100 x2003`, `5550100x12`. Nothing else may follow the extension digits.
const EXTENSION = /^(.*?)[\s,]*(?:x|ext|extn|extension)\.?\s*[:.]?\s*([0-9]+)\s*$/i;

/**
 * Splits a written number into its number part and its extension: RFC 3966 section 5.1.5
 * (`;ext=2003`) and the forms people type. Other `tel:` parameters are not part of the number.
 */
export function splitExtension(raw: string): { number: string; extension?: string } {
  let s = raw.trim();
  if (s.toLowerCase().startsWith('tel:')) s = s.slice(4).trim();
  const [head, ...params] = s.split(';');
  let number = (head ?? '').trim();
  const extParam = params.map((p) => /^\s*ext\s*=\s*([0-9]+)\s*$/i.exec(p)?.[1]).find((x) => x !== undefined);
  if (extParam !== undefined) return { number, extension: extParam };
  const m = EXTENSION.exec(number);
  if (m !== null) {
    number = m[1]!.trim();
    return { number, extension: m[2]! };
  }
  return { number };
}

/**
 * A phone number as a `tel:` identity (RFC 3966): global numbers in E.164 (`+` and digits, ITU-T
 * E.164 section 6), internal extensions as their digits. Directories hold numbers as people typed
 * them: `+1 (555) 010-1234`, `0049 30 1234567`, `555.100.0109`, `2001`, `x2003`, `ext. 2003`.
 *
 * A number with an extension (`+1 555 0100 x2003`) is the extension: the number before it is the
 * switchboard that everyone behind it shares, so as an identity it would be claimed by all of
 * them and resolve to nobody; a PBX reports the person's line by its extension.
 */
export function readPhone(raw: string, opts: PhoneOptions): PhoneReading {
  const { number, extension } = splitExtension(raw);
  if (extension !== undefined) {
    if (number !== '' && !/^\+?[0-9 ()./-]+$/.test(number)) return { ok: false, reason: 'not a phone number' };
    if (extension.length > MAX_E164_DIGITS) return { ok: false, reason: `an extension of more than ${MAX_E164_DIGITS} digits` };
    return { ok: true, tel: `tel:${extension}` };
  }
  const plus = number.startsWith('+');
  const body = plus ? number.slice(1) : number;
  // Only visual separators may remain (RFC 3966 section 5.1.1).
  if (!/^[0-9 ()./-]+$/.test(body)) return { ok: false, reason: number === '' ? 'empty' : 'not a phone number' };
  let digits = body.replace(/[^0-9]/g, '');
  if (digits === '') return { ok: false, reason: 'not a phone number' };
  const tooLong: PhoneReading = { ok: false, reason: `more than ${MAX_E164_DIGITS} digits (E.164)` };
  if (plus) return digits.length < 3 ? { ok: false, reason: 'too short for an international number' } : digits.length <= MAX_E164_DIGITS ? { ok: true, tel: `tel:+${digits}` } : tooLong;
  for (const p of opts.internationalPrefixes) {
    if (digits.startsWith(p) && digits.length > p.length + 2) {
      const rest = digits.slice(p.length);
      return rest.length <= MAX_E164_DIGITS ? { ok: true, tel: `tel:+${rest}` } : tooLong;
    }
  }
  if (digits.length <= opts.maxExtensionDigits) return { ok: true, tel: `tel:${digits}` };
  const cc = opts.defaultCountryCode;
  if (cc === undefined) return digits.length <= MAX_E164_DIGITS ? { ok: true, tel: `tel:${digits}` } : tooLong;
  if (cc === '1' && digits.length === 11 && digits.startsWith('1')) digits = digits.slice(1);
  else if (opts.nationalPrefix !== '' && digits.startsWith(opts.nationalPrefix)) digits = digits.slice(opts.nationalPrefix.length);
  const e164 = `${cc}${digits}`;
  return e164.length <= MAX_E164_DIGITS ? { ok: true, tel: `tel:+${e164}` } : tooLong;
}

/** `readPhone` for callers that only need the identity; undefined for text that is no phone number. */
export function phoneToTel(raw: string, opts: PhoneOptions): string | undefined {
  const r = readPhone(raw, opts);
  return r.ok ? r.tel : undefined;
}
