import type { ConnectorManifest } from '../core/connector/contract.ts';
import { avayaAesManifest } from './avaya-aes/manifest.ts';
import { demoManifest } from './demo/manifest.ts';
import { directoryWebhookManifest } from './directory-webhook/manifest.ts';
import { dominoCalendarManifest } from './domino-calendar/manifest.ts';
import { ewsCalendarManifest } from './ews-calendar/manifest.ts';
import { entraDirectoryManifest } from './entra-directory/manifest.ts';
import { fileDirectoryManifest } from './file-directory/manifest.ts';
import { ldapDirectoryManifest } from './ldap-directory/manifest.ts';
import { msgraphCalendarManifest } from './msgraph-calendar/manifest.ts';
import { msgraphPresenceManifest } from './msgraph-presence/manifest.ts';
import { sipDialogManifest } from './sip-dialog/manifest.ts';
import { sipPresenceManifest } from './sip-presence/manifest.ts';
import { xmppManifest } from './xmpp/manifest.ts';

/**
 * Every connector kind the hub knows, listed by hand: deleting a connector's folder and its line
 * here removes it entirely.
 */
export const manifests: readonly ConnectorManifest[] = [
  demoManifest,
  msgraphPresenceManifest,
  msgraphCalendarManifest,
  ewsCalendarManifest,
  dominoCalendarManifest,
  sipPresenceManifest,
  sipDialogManifest,
  avayaAesManifest,
  ldapDirectoryManifest,
  entraDirectoryManifest,
  fileDirectoryManifest,
  directoryWebhookManifest,
  xmppManifest,
];

export const manifestsByKind: ReadonlyMap<string, ConnectorManifest> = new Map(manifests.map((m) => [m.kind, m]));
