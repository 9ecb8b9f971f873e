/**
 * The only code of this connector that speaks SIP: the shared session (sip-core) and the decoding
 * of dialog event NOTIFY bodies (RFC 4235 application/dialog-info+xml).
 */
import { HubError } from '../../core/errors.ts';
import { parseDialogInfo, type DialogInfo } from '../sip-core/dialog-info.ts';
import type { Notification } from '../sip-core/subscription.ts';
import { XmlError } from '../sip-core/xml.ts';

export { SipSession, subscriptionDownError } from '../sip-core/session.ts';

export const DIALOG_ACCEPT = ['application/dialog-info+xml'];

/** The dialog-info document of a NOTIFY, or undefined for a body that is empty or only white space (no document). */
export function dialogDocument(n: Notification): DialogInfo | undefined {
  const body = n.body.toString('utf8');
  if (body.trim() === '') return undefined;
  try {
    return parseDialogInfo(body);
  } catch (e) {
    if (e instanceof XmlError) throw new HubError('HUB_ERR_SIP_BODY', `NOTIFY body refused: ${e.message}`, { kind: 'transient' });
    throw e;
  }
}
