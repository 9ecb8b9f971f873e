/**
 * The only code of this connector that speaks SIP: it opens the shared SIP session (sip-core) and
 * turns its NOTIFY bodies into PIDF documents. RFC 3856 presence package, RFC 6665 SUBSCRIBE/NOTIFY,
 * RFC 4662 multipart/related resource lists, RFC 3903 PUBLISH.
 */
import { HubError } from '../../core/errors.ts';
import { partsOfType } from '../sip-core/multipart.ts';
import { parsePidf, type PidfDocument } from '../sip-core/pidf.ts';
import type { Notification } from '../sip-core/subscription.ts';
import { XmlError } from '../sip-core/xml.ts';

export { SipSession, subscriptionDownError } from '../sip-core/session.ts';

export const PRESENCE_ACCEPT = ['application/pidf+xml', 'multipart/related', 'application/rlmi+xml'];

/** The PIDF documents of a NOTIFY: one for a single presentity, several for a resource list, none for a body that is empty or only white space. */
export function presenceDocuments(n: Notification): PidfDocument[] {
  const body = n.body.toString('utf8');
  if (body.trim() === '') return [];
  try {
    return partsOfType(body, n.contentType || 'application/pidf+xml', 'application/pidf+xml').map((p) => parsePidf(p.body));
  } catch (e) {
    if (e instanceof XmlError) throw new HubError('HUB_ERR_SIP_BODY', `NOTIFY body refused: ${e.message}`, { kind: 'transient' });
    throw e;
  }
}

/** `pres:alice@x` (RFC 3859) and `sip:alice@x` name the same presentity. */
export function entityIdentity(entity: string): string {
  return entity.replace(/^pres:/i, 'sip:');
}
