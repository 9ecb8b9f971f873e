import { describe, expect, it } from 'vitest';
import { subscriptionDownError } from './session.ts';

const presence = { what: 'subscription', target: 'sip:alice@corp.example', watched: 'it' };
const dialog = { what: 'dialog subscription', target: 'sip:101@example.com', watched: 'the line' };

describe('a SIP subscription that went down, as the connectors report it', () => {
  it('ended by the server: permanent, not re-subscribed', () => {
    expect(subscriptionDownError(dialog, 'noresource', false, true)).toMatchObject({
      code: 'HUB_ERR_SIP_SUBSCRIPTION_ENDED',
      kind: 'permanent',
      message: 'the server ended the dialog subscription to sip:101@example.com (noresource); not re-subscribed until the connector restarts',
    });
  });

  it('refused: permanent, with what to check', () => {
    expect(subscriptionDownError(presence, '403 Forbidden', true)).toMatchObject({
      code: 'HUB_ERR_SIP_AUTH',
      kind: 'permanent',
      message: 'the server refused the subscription to sip:alice@corp.example (403 Forbidden), not retried; check auth.username and auth.password, and that the server lets the hub watch it',
    });
    expect(subscriptionDownError(dialog, '403 Forbidden', true).message).toMatch(/lets the hub watch the line$/);
  });

  it('down for now: transient (re-subscribed)', () => {
    expect(subscriptionDownError(presence, 'timeout')).toMatchObject({ code: 'HUB_ERR_SIP_SUBSCRIPTION', kind: 'transient', message: 'subscription to sip:alice@corp.example down: timeout' });
    expect(subscriptionDownError(dialog, 'timeout', false, false).message).toBe('dialog subscription to sip:101@example.com down: timeout');
  });
});
