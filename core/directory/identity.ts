import { splitExtension } from './phone.ts';

/**
 * Identity normalization, so that the same address written two ways resolves to one person:
 * schemes, users and domains lower-cased, `sip:`/`sips:` without parameters or port-less duplicates,
 * `tel:` reduced to its digits with a leading `+` kept (E.164 when the directory gives one), a
 * number with an extension to the extension (the rule of phone.ts, for directories and signals
 * alike). The directory's dialing plans are applied on top by Directory.lookup.
 */
export function normalizeIdentity(identity: string): string {
  const i = identity.trim();
  const colon = i.indexOf(':');
  if (colon <= 0) return i.toLowerCase();
  const scheme = i.slice(0, colon).toLowerCase();
  let value = i.slice(colon + 1).trim();
  switch (scheme) {
    case 'sip':
    case 'sips': {
      // RFC 3261 19.1.1: parameters after ';' and headers after '?' are not part of the address of record.
      value = value.split(/[;?]/)[0] ?? '';
      const at = value.lastIndexOf('@');
      // RFC 3261 19.1.4 compares the user part case-sensitively, but enterprise directories do not:
      // Alice@corp and alice@corp are one person to every administrator, so the hub folds case.
      const user = at >= 0 ? value.slice(0, at).toLowerCase() : '';
      const host = (at >= 0 ? value.slice(at + 1) : value).toLowerCase();
      return `sip:${user === '' ? host : `${user}@${host}`}`;
    }
    case 'tel': {
      const { number, extension } = splitExtension(value);
      if (extension !== undefined) return `tel:${extension}`;
      const plus = number.startsWith('+');
      return `tel:${plus ? '+' : ''}${number.replace(/[^0-9*#]/g, '')}`;
    }
    case 'mailto':
    case 'upn':
    case 'xmpp':
      return `${scheme}:${value.toLowerCase()}`;
    case 'domino':
      // Notes canonical names (CN=Alice Example/OU=Sales/O=Corp) compare case-insensitively; the
      // spaces around '/' and '=' are not part of the name.
      return `domino:${value.replace(/\s*([/=])\s*/g, '$1').toLowerCase()}`;
    default:
      return `${scheme}:${value}`;
  }
}
