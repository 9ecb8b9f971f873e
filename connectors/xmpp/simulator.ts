/**
 * The XMPP server this connector is tested and demonstrated with. XMPP has a real server that runs
 * here, so this is no simulator but a throwaway Prosody on free loopback ports
 * (test/support/peers/prosody.ts), seeded with this folder's fixtures: the users below and the
 * mod_groups file fixtures/groups.txt (the service account and Alice and Bob in one group, the
 * component in a public group every user has as a contact).
 */
import { readFileSync } from 'node:fs';
import { startProsody, type Prosody, type ProsodyOptions } from '../../test/support/peers/prosody.ts';

export const XMPP_USERS: Readonly<Record<string, string>> = {
  'presence-hub': 'hub-password-0001',
  alice: 'alice-password-0002',
  bob: 'bob-password-0003',
  carol: 'carol-password-0004',
};

export function startXmppServer(over: Partial<ProsodyOptions> = {}): Promise<Prosody> {
  return startProsody({ users: { ...XMPP_USERS }, groups: readFileSync(new URL('./fixtures/groups.txt', import.meta.url), 'utf8'), ...over });
}
