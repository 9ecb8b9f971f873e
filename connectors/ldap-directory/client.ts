/**
 * The only code that speaks LDAP (RFC 4511), through ldapts. One session per job: connect,
 * StartTLS when configured (RFC 4513 section 3), simple bind (section 5.1.3), work, unbind.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { Attribute, BerWriter, Change, Client, Control, EqualityFilter, type Filter, NotFilter, OrFilter, PresenceFilter, ResultCodeError, UnknownStatusCodeError, type Entry } from 'ldapts';
import { HubError } from '../../core/errors.ts';
import type { LdapConfig } from './config.ts';
import type { LdapEntry } from './map.ts';

export interface LdapSession {
  /** A paged search (RFC 2696 simple paged results): `onPage` sees each page as it arrives. */
  searchPaged(opts: { base: string; filter: string; scope: 'base' | 'sub' | 'one'; attributes: readonly string[]; binary?: readonly string[] }, onPage: (entries: LdapEntry[]) => Promise<void> | void): Promise<void>;
  /**
   * Replaces all values of one attribute of one entry (RFC 4511 section 4.6, operation replace);
   * `null` replaces them with none, which deletes the attribute if it exists and is ignored if not.
   * With `expected` (values, null for none), the replace is applied only while the entry holds one
   * of them, else it fails with result 122 (assertionFailed) and changes nothing: in one operation
   * with the assertion control (RFC 4528) where the server offers it, else (Active Directory) by a
   * base read of the attribute first, compared as caseIgnoreMatch does (`sameValue`).
   * An attribute the server cannot evaluate the assertion on (see `LdapClient.replace`) is checked by
   * the read from then on.
   * A failure is thrown as the ldapts error itself (its result code decides the write's outcome).
   */
  replace(dn: string, attribute: string, value: string | null, expected?: readonly (string | null)[]): Promise<void>;
}

/** RFC 4511 result code 122 (RFC 4528): the assertion of an assertion control did not hold; nothing was changed. */
export const ASSERTION_FAILED = 122;
/** RFC 4511 appendix A: undefinedAttributeType (17), inappropriateMatching (18). */
const UNDEFINED_ATTRIBUTE_TYPE = 17;
const INAPPROPRIATE_MATCHING = 18;

/**
 * Whether two values of the presence attribute are the same as caseIgnoreMatch (RFC 4517 section
 * 4.2.3) judges them after the string preparation of RFC 4518 (case folded, insignificant spaces:
 * none at either end, one for each inner run): the EQUALITY rule of the directory-string
 * attributes the hub writes (OpenLDAP's `description`; Active Directory compares its Unicode
 * String attributes, `description`, `info`, `extensionAttribute1`..15, without regard to case). A
 * value that differs only so is what the hub wrote, not someone else's edit.
 */
function sameValue(a: string, b: string): boolean {
  const prep = (v: string): string => v.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
  return prep(a) === prep(b);
}

/** Whether the values read from an entry are one of the expected states (null: no value). */
function holdsOneOf(values: readonly string[], expected: readonly (string | null)[], same: (a: string, b: string) => boolean): boolean {
  return expected.some((x) => (x === null ? values.length === 0 : values.length === 1 && same(values[0]!, x)));
}
const identical = (a: string, b: string): boolean => a === b;

export interface LdapClientHooks {
  /**
   * The server cannot evaluate the assertion on this attribute (no EQUALITY matching rule, or the
   * bind account may not compare it): told once per attribute, which is checked by a read from then on.
   */
  assertionUnusable?(attribute: string, reason: string): void;
}

/**
 * The LDAP assertion control (RFC 4528, OID 1.3.6.1.1.12): the server applies the operation only if
 * the entry matches the filter, else answers assertionFailed (122) and changes nothing. Sent
 * critical, so a server without it refuses (unavailableCriticalExtension) instead of ignoring it.
 */
class AssertionControl extends Control {
  constructor(private readonly filter: Filter) {
    super(ASSERTION_OID, { critical: true });
  }
  protected override writeControl(writer: BerWriter): void {
    const w = new BerWriter();
    this.filter.write(w);
    writer.writeBuffer(w.buffer, 0x04);
  }
}

/** The filter "the attribute holds this value" (or "holds none" for null), or any of several. */
function holds(attribute: string, values: readonly (string | null)[]): Filter {
  const one = (value: string | null): Filter => (value === null ? new NotFilter({ filter: new PresenceFilter({ attribute }) }) : new EqualityFilter({ attribute, value }));
  return values.length === 1 ? one(values[0]!) : new OrFilter({ filters: values.map(one) });
}

const PAGED_RESULTS_OID = '1.2.840.113556.1.4.319';
const ASSERTION_OID = '1.3.6.1.1.12';
const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL/;
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/** An ldapts or socket failure as a HubError whose kind tells retry from stop-and-fix. No secret is part of the message. */
export function classifyLdapError(e: unknown, what: string): HubError {
  if (e instanceof HubError) return e;
  const msg = e instanceof Error ? e.message.split('\n')[0]!.slice(0, 200) : String(e);
  if (e instanceof ResultCodeError) {
    // RFC 4511 appendix A result codes.
    switch (e.code) {
      case 49:
        return new HubError('HUB_ERR_LDAP_BIND', `${what}: invalid credentials for the bind DN (result 49)`, { kind: 'permanent', cause: e });
      case 48:
      case 8:
      case 13:
        return new HubError('HUB_ERR_LDAP_BIND', `${what}: the server refuses this kind of bind (result ${e.code}: ${msg}); use ldaps:// or startTls`, { kind: 'permanent', cause: e });
      case 50:
        return new HubError('HUB_ERR_LDAP_ACCESS', `${what}: insufficient access rights (result 50)`, { kind: 'permanent', cause: e });
      case 32:
        return new HubError('HUB_ERR_LDAP_NO_OBJECT', `${what}: no such object (result 32)`, { kind: 'permanent', cause: e });
      case 4:
        // RFC 4511 4.5.1.4 sizeLimitExceeded: slapd's default limit is 500 entries for any bind but
        // the rootdn, and a paged search counts against size.prtotal (the hard limit) unless raised.
        // Keeping nothing is right (a partial list would retire everyone not read); say how to fix it.
        return new HubError(
          'HUB_ERR_LDAP_SIZE_LIMIT',
          `${what}: size limit exceeded: raise the bind account's limit (olcLimits / MaxPageSize) or enable paging (result 4; see the ldap-directory README "Size limits")`,
          { kind: 'permanent', cause: e },
        );
      case 11:
        return new HubError('HUB_ERR_LDAP_SIZE_LIMIT', `${what}: administrative limit exceeded (result 11): raise the bind account's limits (olcLimits size.pr / size.prtotal, or AD MaxPageSize) or lower pageSize`, { kind: 'permanent', cause: e });
      case 51:
      case 52:
      case 3:
        return new HubError('HUB_ERR_LDAP_UNAVAILABLE', `${what}: server busy or unavailable (result ${e.code})`, { kind: 'transient', cause: e });
      default:
        return new HubError('HUB_ERR_LDAP_RESULT', `${what}: result ${e.code}: ${msg}`, { kind: e.code === 53 || e.code === 87 || e.code === 17 ? 'permanent' : 'transient', cause: e });
    }
  }
  const code = (e as NodeJS.ErrnoException | undefined)?.code ?? '';
  if (TLS_CODES.test(code)) return new HubError('HUB_ERR_LDAP_TLS', `${what}: TLS failed (${code})`, { kind: 'permanent', cause: e });
  if (NETWORK_CODES.has(code) || /timed? ?out|closed|socket|connect/i.test(msg)) {
    return new HubError('HUB_ERR_LDAP_UNREACHABLE', `${what}: directory unreachable (${code || msg})`, { kind: 'transient', cause: e });
  }
  return new HubError('HUB_ERR_LDAP', `${what}: ${msg}`, { kind: 'transient', cause: e });
}

function toEntry(e: Entry): LdapEntry {
  const attrs = new Map<string, (string | Buffer)[]>();
  for (const [k, v] of Object.entries(e)) {
    if (k === 'dn') continue;
    const list = Array.isArray(v) ? v : [v];
    attrs.set(k.toLowerCase(), list as (string | Buffer)[]);
  }
  return { dn: e.dn, attrs };
}

export class LdapClient {
  private readonly tlsOptions: { rejectUnauthorized: boolean; ca?: Buffer };
  private readonly host: string;

  /** Attributes (lower case) whose assertion the server cannot evaluate: checked by a read instead. */
  private readonly noAssertion = new Set<string>();

  constructor(
    private readonly cfg: LdapConfig,
    private readonly hooks: LdapClientHooks = {},
  ) {
    this.tlsOptions = { rejectUnauthorized: cfg.tls.rejectUnauthorized };
    if (cfg.tls.caFile !== undefined) this.tlsOptions.ca = readFileSync(cfg.tls.caFile);
    this.host = new URL(cfg.url).hostname.replace(/^\[(.*)\]$/, '$1');
  }

  /**
   * The controls the server lists in its root DSE `supportedControl` (RFC 4512 section 5.1), asked
   * once per client; undefined when the root DSE cannot be read.
   */
  private controls: Promise<Set<string> | undefined> | undefined;
  private supportedControls(client: Client): Promise<Set<string> | undefined> {
    this.controls ??= (async () => {
      try {
        const { searchEntries } = await client.search('', { scope: 'base', filter: '(objectClass=*)', attributes: ['supportedControl'] });
        const ctl = searchEntries[0]?.supportedControl;
        return new Set((Array.isArray(ctl) ? ctl : ctl === undefined ? [] : [ctl]).map(String));
      } catch {
        this.controls = undefined; // asked again next session
        return undefined;
      }
    })();
    return this.controls;
  }

  /**
   * Whether the server offers simple paged results (RFC 2696, OID 1.2.840.113556.1.4.319). A root
   * DSE that cannot be read, or lists no control at all, counts as offering it (the control is
   * sent non-critical either way).
   */
  private async pagingOffered(client: Client): Promise<boolean> {
    const list = await this.supportedControls(client);
    return list === undefined || list.size === 0 || list.has(PAGED_RESULTS_OID);
  }

  /** Whether the server offers the assertion control (RFC 4528), which is sent critical: only when listed. */
  private async assertionOffered(client: Client): Promise<boolean> {
    return (await this.supportedControls(client))?.has(ASSERTION_OID) === true;
  }

  private assertionUnusable(attribute: string, reason: string): void {
    const key = attribute.toLowerCase();
    if (this.noAssertion.has(key)) return;
    this.noAssertion.add(key);
    this.hooks.assertionUnusable?.(attribute, reason);
  }

  /** Runs `fn` on a bound session and always unbinds. */
  async session<T>(fn: (s: LdapSession) => Promise<T>): Promise<T> {
    // ldapts treats any tlsOptions as "connect with TLS": pass them only for ldaps:// (StartTLS gets them at upgrade).
    const secure = this.cfg.url.startsWith('ldaps:');
    const client = new Client({ url: this.cfg.url, timeout: this.cfg.timeout, connectTimeout: Math.min(this.cfg.timeout, 10_000), ...(secure ? { tlsOptions: this.tlsOptions } : {}) });
    try {
      try {
        // ldapts upgrades the socket without a host, so Node would check the certificate against
        // "localhost": name the server so its certificate is checked against it (RFC 4513 section 3.1.3).
        if (this.cfg.startTls) await client.startTLS({ ...this.tlsOptions, host: this.host, ...(isIP(this.host) === 0 ? { servername: this.host } : {}) });
        if (this.cfg.bindDn !== undefined) await client.bind(this.cfg.bindDn, this.cfg.bindPassword ?? '');
      } catch (e) {
        throw classifyLdapError(e, `bind to ${this.cfg.url}`);
      }
      return await fn({
        searchPaged: async (o, onPage) => {
          try {
            const opts = { filter: o.filter, scope: o.scope, attributes: [...o.attributes], explicitBufferAttributes: [...(o.binary ?? [])] };
            if (o.scope === 'base' || !(await this.pagingOffered(client))) {
              await onPage((await client.search(o.base, opts)).searchEntries.map(toEntry));
              return;
            }
            for await (const page of client.searchPaginated(o.base, { ...opts, paged: { pageSize: this.cfg.pageSize } })) await onPage(page.searchEntries.map(toEntry));
          } catch (e) {
            throw classifyLdapError(e, `search under ${o.base}`);
          }
        },
        replace: async (dn, attribute, value, expected) => {
          const change = new Change({ operation: 'replace', modification: new Attribute({ type: attribute, values: value === null ? [] : [value] }) });
          if (expected === undefined || expected.length === 0) return client.modify(dn, change);
          const read = async (): Promise<string[]> => {
            const { searchEntries } = await client.search(dn, { scope: 'base', filter: '(objectClass=*)', attributes: [attribute] });
            const entry = searchEntries[0] ?? {};
            const found = Object.entries(entry).find(([k]) => k.toLowerCase() === attribute.toLowerCase())?.[1];
            return (found === undefined ? [] : Array.isArray(found) ? found : [found]).map(String);
          };
          if (!this.noAssertion.has(attribute.toLowerCase()) && (await this.assertionOffered(client))) {
            try {
              return await client.modify(dn, change, new AssertionControl(holds(attribute, expected)));
            } catch (e) {
              if (!(e instanceof ResultCodeError) || ![ASSERTION_FAILED, INAPPROPRIATE_MATCHING, UNDEFINED_ATTRIBUTE_TYPE].includes(e.code)) throw e;
              // RFC 4528 section 3: a filter that evaluates to Undefined fails the assertion too, as it
              // does for an attribute without an EQUALITY matching rule or one the bind account may
              // not compare (slapd: 122); some servers refuse such a filter (18, 17). The entry then
              // says which it is: holding exactly what the hub wrote, the assertion cannot work here.
              const values = e.code === ASSERTION_FAILED ? await read() : undefined;
              if (values !== undefined && !holdsOneOf(values, expected, identical)) throw e; // a real change by someone else
              this.assertionUnusable(attribute, e.code === ASSERTION_FAILED ? 'the assertion failed on an entry holding what the hub wrote (no EQUALITY matching rule, or no compare access)' : `the server refused the assertion filter (result ${e.code})`);
              if (values !== undefined) return client.modify(dn, change);
            }
          }
          if (!holdsOneOf(await read(), expected, sameValue)) throw new UnknownStatusCodeError(ASSERTION_FAILED, 'the attribute does not hold the expected value');
          return client.modify(dn, change);
        },
      });
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }
}
