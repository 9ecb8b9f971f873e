import { z } from 'zod';

/**
 * Directory phone numbers as `tel:` identities, the same rules for every directory connector.
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

/**
 * A directory phone number as a `tel:` identity (RFC 3966): global numbers in E.164 (`+` and
 * digits, ITU-T E.164 section 6), internal extensions as their digits. Directories hold numbers as
 * people typed them: `+1 (555) 010-1234`, `0049 30 1234567`, `030 1234567 x12`, `2001`.
 * Returns undefined for text that is no phone number.
 */
export function phoneToTel(raw: string, opts: PhoneOptions): string | undefined {
  let s = raw.trim();
  if (s.toLowerCase().startsWith('tel:')) s = s.slice(4);
  // An extension written after the number (`x12`, `ext. 12`, `;ext=12`) is not part of the E.164 number.
  s = s.split(/;|\s*(?:x|ext\.?|extension)\s*\d+\s*$/i)[0] ?? '';
  const plus = s.startsWith('+');
  const body = plus ? s.slice(1) : s;
  // Only visual separators may remain (RFC 3966 section 5.1.1).
  if (!/^[0-9 ()./-]+$/.test(body)) return undefined;
  let digits = body.replace(/[^0-9]/g, '');
  if (digits === '') return undefined;
  if (plus) return digits.length >= 3 && digits.length <= 15 ? `tel:+${digits}` : undefined;
  for (const p of opts.internationalPrefixes) {
    if (digits.startsWith(p) && digits.length > p.length + 2) {
      const rest = digits.slice(p.length);
      return rest.length <= 15 ? `tel:+${rest}` : undefined;
    }
  }
  if (digits.length <= opts.maxExtensionDigits) return `tel:${digits}`;
  const cc = opts.defaultCountryCode;
  if (cc === undefined) return digits.length <= 15 ? `tel:${digits}` : undefined;
  if (cc === '1' && digits.length === 11 && digits.startsWith('1')) digits = digits.slice(1);
  else if (opts.nationalPrefix !== '' && digits.startsWith(opts.nationalPrefix)) digits = digits.slice(opts.nationalPrefix.length);
  const e164 = `${cc}${digits}`;
  return e164.length <= 15 ? `tel:+${e164}` : undefined;
}
