/**
 * The error catalogue (after fastify's lib/errors.js): every stable `HUB_ERR_*` code the hub
 * raises, with its kind (transient: retried with backoff; permanent: not retried, fix something;
 * throttled: retried after Retry-After), the HTTP status the API answers when the error reaches
 * it, a title, and what an administrator should do. docs/errors.md is generated from this list
 * (`npm run docs:errors`) and a test keeps the two equal.
 *
 * Adding a code is one line in CATALOGUE below; `new HubError("HUB_ERR_NEW", ...)` does not
 * compile until it is there (with any new code in place of HUB_ERR_NEW).
 */

export type FailureKind = 'transient' | 'permanent' | 'throttled';

export interface ErrorEntry {
  readonly code: `HUB_ERR_${string}`;
  readonly kind: FailureKind;
  /** What the API answers when this error reaches a route (a call may name another for one case). */
  readonly status: number;
  readonly title: string;
  /** What it means and what to do, for the administrator. */
  readonly action: string;
}

type Row = readonly [kind: FailureKind, status: number, title: string, action: string];

// Upstream failures answer 502 when they reach the API (an admin route that runs a connector step).
const CATALOGUE = {
  // --- Configuration and lifecycle
  HUB_ERR_CONFIG: ['permanent', 400, 'Invalid configuration', 'A setting is missing or wrong; the message names it (e.g. connectors[2].url). Fix the file or the environment variable and restart.'],
  HUB_ERR_CONNECTOR: ['transient', 502, 'Connector failed', 'A connector step failed with an error that carries no code of its own; the message says which. It is retried; if it persists, see the connector README.'],
  HUB_ERR_CONNECTOR_RUNNING: ['permanent', 409, 'Connector already started', 'A second start of a running connector was refused; stop it first.'],
  HUB_ERR_CONNECTOR_STOPPED: ['transient', 503, 'Connector not running', 'The connector was asked to write while stopped, or (Graph connectors) a request waited for a Retry-After pause when the connector stopped; nothing was sent, and it is not reported as a failure. It writes again once it runs.'],
  HUB_ERR_TEST_FAILED: ['transient', 502, 'Connection test failed', 'testConnection() failed without a code of its own; the message says why.'],
  HUB_ERR_PEOPLE_FILE: ['transient', 502, 'People file unreadable or invalid', 'The file-directory file is missing, unreadable or invalid (the message names the entry); the previous people stay until it is fixed.'],

  // --- Public API
  HUB_ERR_INVALID_REQUEST: ['permanent', 400, 'Invalid request', 'A parameter or body field is invalid; the message names it.'],
  HUB_ERR_INVALID_JSON: ['permanent', 400, 'Invalid JSON', 'The body is empty, not UTF-8 or not JSON.'],
  HUB_ERR_REQUEST: ['permanent', 400, 'Bad request', 'The request was refused by the HTTP layer; the message says why.'],
  HUB_ERR_BODY_TOO_LARGE: ['permanent', 413, 'Body too large', 'Send smaller bodies (or fewer signals per request).'],
  HUB_ERR_MEDIA_TYPE: ['permanent', 415, 'Unsupported media type', 'Send content-type: application/json.'],
  HUB_ERR_UNAUTHORIZED: ['permanent', 401, 'Unauthorized', 'The API key (or dashboard session) is missing, unknown or revoked.'],
  HUB_ERR_FORBIDDEN: ['permanent', 403, 'Forbidden', 'The key lacks the role for this call, or may act only on its own person.'],
  HUB_ERR_FORBIDDEN_ORIGIN: ['permanent', 403, 'Forbidden origin', 'Without API keys the hub answers only loopback Host names and same-origin changes (DNS rebinding and cross-site protection); call it as localhost or 127.0.0.1, or configure API keys to serve other names.'],
  HUB_ERR_NOT_FOUND: ['permanent', 404, 'Not found', 'The person, connector, webhook, dead letter or route does not exist.'],
  HUB_ERR_RATE_LIMITED: ['throttled', 429, 'Rate limited', 'The key exceeds its requests per second; wait for Retry-After.'],
  HUB_ERR_AUTH_RATE_LIMITED: ['throttled', 429, 'Too many failed authentications', 'Too many bad keys from this address; wait for Retry-After and check the client key.'],
  HUB_ERR_TOO_MANY_STREAMS: ['throttled', 429, 'Too many streams', 'The key holds its limit of open event streams; close one first.'],
  HUB_ERR_UNAVAILABLE: ['transient', 503, 'Temporarily unavailable', 'The pipeline (Redis) cannot keep the change durably now; nothing was stored. Retry after Retry-After; check Redis.'],
  HUB_ERR_INTERNAL: ['transient', 500, 'Internal error', 'An unexpected failure; the hub log has the details (never sent to the caller).'],
  HUB_ERR_TRIGGER_EXISTS: ['permanent', 409, 'Trigger exists', 'A trigger with this id is configured or was created already; choose another id or delete the old one.'],
  HUB_ERR_TOO_MANY_TRIGGERS: ['permanent', 429, 'Too many triggers', 'The key owns triggers.watchers.maxPerKey live triggers; delete one (or wait for one to expire) first.'],
  HUB_ERR_WEBHOOK_DESTINATION: ['permanent', 400, 'Webhook destination refused', 'The webhook URL points somewhere the destination policy forbids (loopback, private or metadata addresses); use an allowed address or extend the policy.'],

  // --- Signals and identities
  HUB_ERR_SIGNAL_INVALID: ['permanent', 400, 'Invalid signal', 'A signal field is invalid; the message names it. Nothing of the request was stored.'],
  HUB_ERR_UNKNOWN_PERSON: ['permanent', 422, 'Unknown person', 'No person of the directory has this id or identity; add the identity to the directory.'],
  HUB_ERR_IDENTITY_CONFLICT: ['permanent', 422, 'Identity conflict', 'Two people of the directory claim this identity ("identity shared by alice and bob"); it resolves to nobody. GET /v1/directory/report names them and their entries; fix one entry.'],
  HUB_ERR_TOO_MANY_REGISTERS: ['permanent', 422, 'Too many registers', 'The person already has limits.registersPerPerson registers; a new source, endpoint or category is refused. Raise the limit or fix the sender that invents endpoints.'],

  // --- Pipeline
  HUB_ERR_BATCH_FAILED: ['transient', 503, 'Batch failed', 'A batch of signals failed to apply with an error of no known kind; it is retried, then dead-lettered (GET /v1/pipeline).'],
  HUB_ERR_REDIS_EVICTION: ['permanent', 503, 'Redis may evict keys', 'Redis maxmemory-policy would evict the hub\'s keys; set it to noeviction.'],

  // --- Microsoft Graph (msgraph-presence, msgraph-calendar, entra-directory)
  HUB_ERR_GRAPH_AUTH: ['permanent', 502, 'Graph credentials refused', 'Entra ID refused the app credentials; check tenantId, clientId and clientSecret (and its expiry).'],
  HUB_ERR_GRAPH_FORBIDDEN: ['permanent', 502, 'Graph permission missing', 'The app lacks an application permission; grant it with admin consent (see the connector README).'],
  HUB_ERR_GRAPH_NOT_FOUND: ['permanent', 502, 'Graph object not found', 'A user, group or mailbox the configuration names does not exist in the tenant.'],
  HUB_ERR_GRAPH_REQUEST: ['permanent', 502, 'Graph refused the request', 'Graph answered 4xx; the message has Graph\'s error code.'],
  HUB_ERR_GRAPH_THROTTLED: ['throttled', 502, 'Graph throttled', 'Graph answered 429; the hub waits for Retry-After. Lower the request budget if it persists.'],
  HUB_ERR_GRAPH_UNREACHABLE: ['transient', 502, 'Graph unreachable', 'Graph or the token endpoint did not answer; check the network path and proxy. Retried.'],
  HUB_ERR_GRAPH_MALFORMED: ['transient', 502, 'Unreadable Graph answer', 'Graph sent an answer that does not match its documented shape; retried. Report it if it persists.'],
  HUB_ERR_GRAPH_DELTA_RESET: ['transient', 502, 'Directory resync required', 'Graph invalidated the delta token; a full sync follows by itself.'],
  HUB_ERR_GRAPH_CLIENT_STATE: ['permanent', 401, 'Notification clientState wrong', 'A change notification carried the wrong clientState; it was refused. Check subscriptions.clientState, or someone is posting forged notifications.'],
  HUB_ERR_GRAPH_VALIDATION_TOKEN: ['permanent', 401, 'Notification validation token refused', 'A rich notification\'s validation token did not verify (issuer, audience, expiry); it was refused.'],
  HUB_ERR_GRAPH_DECRYPT: ['permanent', 400, 'Notification not decryptable', 'The encrypted notification content does not decrypt with the configured private key; check subscriptions.encryptionPrivateKey and certificate.'],
  HUB_ERR_GRAPH_SIGNATURE: ['permanent', 400, 'Notification signature wrong', 'The encrypted content\'s dataSignature does not match; the notification was refused.'],
  HUB_ERR_GRAPH_SUBSCRIPTION_ACCOUNTS: ['permanent', 400, 'Not enough subscription accounts', 'Presence subscriptions need one service account (refresh token) per shard of users; add refresh tokens.'],
  HUB_ERR_GRAPH_SUBSCRIPTION_STALLED: ['transient', 502, 'Subscription stalled', 'A presence subscription delivered nothing while its users changed; it is recreated and polling covers the gap.'],
  HUB_ERR_GRAPH_REFRESH_EXPIRING: ['permanent', 502, 'Refresh token expiring', 'A subscription service account\'s refresh token expires soon; sign the account in again and replace the token.'],

  // --- SIP (sip-presence, sip-dialog)
  HUB_ERR_SIP_CONFIG: ['permanent', 400, 'Invalid SIP settings', 'A SIP transport or TLS setting is missing or inconsistent; the message names it.'],
  HUB_ERR_SIP_AUTH: ['permanent', 502, 'SIP server refused', 'The SIP server refused the hub (401/403/407 after credentials); check auth.username and auth.password and what the server lets the hub watch.'],
  HUB_ERR_SIP_LISTEN: ['transient', 502, 'Cannot listen for SIP', 'The local SIP port could not be bound; free it or change listen.port.'],
  HUB_ERR_SIP_TRANSPORT: ['transient', 502, 'SIP transport failed', 'The connection to the SIP server failed or no transport fits the target; check server, port and transport.'],
  HUB_ERR_SIP_TIMEOUT: ['transient', 504, 'SIP timeout', 'The SIP server sent no final response in time; retried.'],
  HUB_ERR_SIP_CLOSED: ['transient', 503, 'SIP stack closing', 'A request was made while the SIP user agent was closing; nothing to do.'],
  HUB_ERR_SIP_SUBSCRIPTION: ['transient', 502, 'SIP subscription down', 'A SUBSCRIBE dialog ended or failed; the presentity or line lapses to unknown and is re-subscribed.'],
  HUB_ERR_SIP_SUBSCRIPTION_ENDED: ['permanent', 502, 'SIP subscription ended', 'The server ended a subscription with reason rejected, noresource or invariant (RFC 6665 section 4.1.3): not re-subscribed until the connector restarts; check what the server lets the hub watch and that the presentity or line exists.'],
  HUB_ERR_SIP_PUBLISH: ['transient', 502, 'SIP PUBLISH refused', 'The presence server refused a PUBLISH; the message has its status. Retried with backoff until the server accepts it or the state changes.'],
  HUB_ERR_SIP_BODY: ['transient', 502, 'Unreadable NOTIFY body', 'A NOTIFY body was not valid PIDF or dialog-info; it was ignored.'],

  // --- LDAP (ldap-directory)
  HUB_ERR_LDAP: ['transient', 502, 'LDAP failed', 'An LDAP operation failed; the message says which. Retried.'],
  HUB_ERR_LDAP_BIND: ['permanent', 502, 'LDAP bind refused', 'Invalid credentials for the bind DN (result 49); check bindDn and bindPassword.'],
  HUB_ERR_LDAP_ACCESS: ['permanent', 502, 'LDAP access denied', 'The bind account lacks a read or write right (result 50); see the connector README "Permissions".'],
  HUB_ERR_LDAP_NO_OBJECT: ['permanent', 502, 'LDAP base not found', 'The base DN or an entry does not exist (result 32); check baseDn.'],
  HUB_ERR_LDAP_SIZE_LIMIT: ['permanent', 502, 'LDAP size limit', 'The bind account\'s size limit was reached (result 4: slapd answers at most 500 entries by default, paged or not) or an administrative limit (result 11); nothing was synced. Raise the limit (olcLimits size.prtotal=unlimited; AD MaxPageSize) or enable paging: see the ldap-directory README "Size limits".'],
  HUB_ERR_LDAP_TLS: ['permanent', 502, 'LDAP TLS failed', 'The TLS handshake failed (certificate, name or protocol); check the CA file and the server name.'],
  HUB_ERR_LDAP_UNAVAILABLE: ['transient', 502, 'LDAP server busy', 'The directory answered busy or unavailable; retried.'],
  HUB_ERR_LDAP_UNREACHABLE: ['transient', 502, 'LDAP unreachable', 'The directory did not answer; check url and the network path. Retried.'],
  HUB_ERR_LDAP_RESULT: ['transient', 502, 'LDAP result', 'The directory answered an unexpected result code; the message has it.'],

  // --- Directory webhook (directory-webhook)
  HUB_ERR_WEBHOOK_UNREACHABLE: ['transient', 502, 'Directory webhook unreachable', 'The receiver did not answer; retried with backoff.'],
  HUB_ERR_WEBHOOK_FAILED: ['transient', 502, 'Directory webhook failed', 'The receiver answered 5xx (the outcome is unknown) or 408; retried with backoff until it takes the change.'],
  HUB_ERR_WEBHOOK_THROTTLED: ['throttled', 502, 'Directory webhook throttled', 'The receiver answered 429; retried after its Retry-After.'],
  HUB_ERR_WEBHOOK_REJECTED: ['permanent', 502, 'Directory webhook refused', 'The receiver refused the batch (4xx, often a wrong signature secret); retried with backoff until it takes it: fix the secret or the receiver.'],

  // --- HCL Domino (domino-calendar)
  HUB_ERR_DOMINO_AUTH: ['permanent', 502, 'Domino credentials refused', 'Domino refused the account (DRAPI /api/v1/auth or DAS Basic); check username and password.'],
  HUB_ERR_DOMINO_PERSON: ['permanent', 502, 'Domino person not readable', 'One person cannot be read (no ACL access, not found, mail database on another server); on the directory report.'],
  HUB_ERR_DOMINO_UNREACHABLE: ['transient', 502, 'Domino unreachable', 'The Domino server did not answer or answered 5xx; check url and the network path. Retried.'],
  HUB_ERR_DOMINO_MALFORMED: ['transient', 502, 'Unreadable Domino answer', 'Domino sent JSON that cannot be read; the message says what. Retried.'],

  // --- Exchange Web Services (ews-calendar)
  HUB_ERR_EWS_AUTH: ['permanent', 502, 'EWS credentials refused', 'Exchange refused the credentials; check auth.username and auth.password.'],
  HUB_ERR_EWS_BUSY: ['throttled', 502, 'EWS throttling', 'Exchange is throttling the account (ErrorServerBusy with its BackOffMilliseconds, ErrorExceededConnectionCount, or HTTP 503); the hub holds its EWS requests back for the time given, then retries. Persisting: raise the account\'s EWS throttling policy or lower the number of mailboxes per request.'],
  HUB_ERR_EWS_FAULT: ['transient', 502, 'EWS fault', 'Exchange answered a SOAP fault; the message has its code. Retried.'],
  HUB_ERR_EWS_MAILBOX: ['permanent', 502, 'EWS mailbox refused', 'A mailbox does not exist or the account may not read it; check mailboxes and impersonation rights.'],
  HUB_ERR_EWS_MALFORMED: ['transient', 502, 'Unreadable EWS answer', 'Exchange sent an answer that cannot be read; retried.'],
  HUB_ERR_EWS_REFUSED: ['permanent', 502, 'EWS refused the request', 'Exchange refused the request; the message has its response code.'],
  HUB_ERR_EWS_STREAM_END: ['transient', 502, 'EWS stream ended', 'A streaming subscription ended; it is reopened.'],
  HUB_ERR_EWS_UNREACHABLE: ['transient', 502, 'EWS unreachable', 'Exchange did not answer; check url and the network path. Retried.'],

  // --- Avaya AE Services (avaya-aes)
  HUB_ERR_AES_AUTH: ['permanent', 502, 'AE Services login refused', 'AE Services refused the CTI user; check username and password.'],
  HUB_ERR_AES_BAD_MESSAGE: ['transient', 502, 'Unreadable DMCC message', 'AE Services sent a message that cannot be read; the session is reopened.'],
  HUB_ERR_AES_BUSY: ['transient', 502, 'AE Services busy', 'AE Services cannot take another session now; retried.'],
  HUB_ERR_AES_CONFIG: ['permanent', 400, 'Invalid AE Services settings', 'A setting (e.g. caFile) cannot be used; the message names it.'],
  HUB_ERR_AES_DISCONNECTED: ['transient', 502, 'AE Services connection lost', 'The DMCC connection dropped; it is reopened and the monitors restarted.'],
  HUB_ERR_AES_LICENCE: ['permanent', 502, 'No DMCC licence', 'AE Services has no DMCC licence free for the extension; add licences.'],
  HUB_ERR_AES_MONITOR: ['transient', 502, 'Monitor refused', 'A device monitor could not be started; retried.'],
  HUB_ERR_AES_NOT_PERMITTED: ['permanent', 502, 'Extension not permitted', 'The CTI user may not monitor or control the extension; check its security database rights.'],
  HUB_ERR_AES_PROTOCOL: ['permanent', 502, 'DMCC protocol version refused', 'AE Services does not support the requested DMCC protocol version; set one it supports.'],
  HUB_ERR_AES_SESSION: ['transient', 502, 'AE Services session refused', 'AE Services refused or ended the application session; reopened.'],
  HUB_ERR_AES_TIMEOUT: ['transient', 504, 'AE Services timeout', 'No answer in time (the request may have applied); retried.'],
  HUB_ERR_AES_TLS: ['permanent', 502, 'AE Services certificate refused', 'The AE Services certificate was refused; check caFile and the host name.'],
  HUB_ERR_AES_UNKNOWN_EXTENSION: ['permanent', 502, 'Unknown extension', 'The extension is not administered on the switch; fix the configuration.'],
  HUB_ERR_AES_UNMONITORABLE: ['transient', 502, 'Line cannot be monitored', 'AE Services answered MonitorStart for the extension unusably several times (it may hold monitors the hub cannot name); not tried again until the session is renewed.'],
  HUB_ERR_AES_UNREACHABLE: ['transient', 502, 'AE Services unreachable', 'AE Services did not answer; check host, port and the network path. Retried.'],

  // --- XMPP (xmpp)
  HUB_ERR_XMPP_AUTH: ['permanent', 502, 'XMPP login refused', 'The server refused the account or component secret; check the credentials.'],
  HUB_ERR_XMPP_CONFIG: ['permanent', 400, 'XMPP domain not served', 'The server does not serve this domain or component; check the configuration.'],
  HUB_ERR_XMPP_CONFLICT: ['transient', 502, 'XMPP address in use', 'Another connection holds the hub\'s address; retried.'],
  HUB_ERR_XMPP_INPUT: ['transient', 502, 'Unreadable XMPP stanza', 'A stanza could not be read; it was ignored.'],
  HUB_ERR_XMPP_OFFLINE: ['transient', 503, 'XMPP not connected', 'The connection is down; it reconnects by itself.'],
  HUB_ERR_XMPP_TIMEOUT: ['transient', 504, 'XMPP timeout', 'The server did not answer in time; retried.'],
  HUB_ERR_XMPP_UNREACHABLE: ['transient', 502, 'XMPP server unreachable', 'The server did not answer or the stream failed; check host and port. Retried.'],
} as const satisfies Record<`HUB_ERR_${string}`, Row>;

export type HubErrorCode = keyof typeof CATALOGUE;

/** Every entry, by code. */
export const ERRORS: { readonly [C in HubErrorCode]: ErrorEntry & { readonly code: C } } = Object.fromEntries(
  Object.entries(CATALOGUE).map(([code, [kind, status, title, action]]) => [code, Object.freeze({ code, kind, status, title, action })]),
) as never;

export function isErrorCode(code: string): code is HubErrorCode {
  return Object.hasOwn(CATALOGUE, code);
}

/** The entry of a code; an unknown code (from outside the catalogue) reads as a transient connector failure. */
export function errorEntry(code: string): ErrorEntry {
  return isErrorCode(code) ? ERRORS[code] : { ...ERRORS.HUB_ERR_CONNECTOR, code: code as `HUB_ERR_${string}` };
}

export class HubError extends Error {
  readonly code: HubErrorCode;
  readonly kind: FailureKind;
  readonly retryAfterMs?: number;
  /** The HTTP status: the API's answer, or (connector errors) the upstream's status that caused it. */
  readonly status?: number;
  constructor(code: HubErrorCode | ErrorEntry, message: string, opts: { kind?: FailureKind; retryAfterMs?: number; status?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    const entry = typeof code === 'string' ? ERRORS[code] : code;
    this.name = 'HubError';
    this.code = entry.code as HubErrorCode;
    // The catalogue gives the kind; a call overrides it only where one code covers cases of both kinds.
    this.kind = opts.kind ?? entry.kind;
    if (opts.retryAfterMs !== undefined) this.retryAfterMs = opts.retryAfterMs;
    if (opts.status !== undefined) this.status = opts.status;
  }

  get entry(): ErrorEntry {
    return ERRORS[this.code];
  }
}

export function isHubError(e: unknown): e is HubError {
  return e instanceof HubError;
}

/** A failure of unknown kind counts as transient: retrying is the safe default. */
export function failureKind(e: unknown): FailureKind {
  return isHubError(e) ? e.kind : 'transient';
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
