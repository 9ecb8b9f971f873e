/**
 * SIP message model (RFC 3261 section 7). Header names are kept in their canonical long form
 * (compact forms expanded at parse time, section 7.3.3); values are stored as received, one entry
 * per header line, so that order and repetition survive a parse/serialize round trip.
 */
export type HeaderEntry = [name: string, value: string];

export interface SipRequest {
  readonly kind: 'request';
  readonly method: string;
  readonly uri: string;
  readonly headers: SipHeaders;
  readonly body: Buffer;
}

export interface SipResponse {
  readonly kind: 'response';
  readonly status: number;
  readonly reason: string;
  readonly headers: SipHeaders;
  readonly body: Buffer;
}

export type SipMessage = SipRequest | SipResponse;

/** RFC 3261 section 7.3.3 and the IANA registry: compact form -> long form. */
export const COMPACT_FORMS: Readonly<Record<string, string>> = {
  i: 'Call-ID',
  m: 'Contact',
  e: 'Content-Encoding',
  l: 'Content-Length',
  c: 'Content-Type',
  f: 'From',
  s: 'Subject',
  k: 'Supported',
  t: 'To',
  v: 'Via',
  o: 'Event',
  u: 'Allow-Events',
  r: 'Refer-To',
  b: 'Referred-By',
  x: 'Session-Expires',
};

const CANONICAL: Readonly<Record<string, string>> = Object.fromEntries(
  [
    'Via', 'From', 'To', 'Call-ID', 'CSeq', 'Contact', 'Max-Forwards', 'Route', 'Record-Route', 'Content-Type',
    'Content-Length', 'Event', 'Allow-Events', 'Subscription-State', 'Expires', 'Min-Expires', 'SIP-ETag',
    'SIP-If-Match', 'WWW-Authenticate', 'Proxy-Authenticate', 'Authorization', 'Proxy-Authorization', 'Accept',
    'Allow', 'Supported', 'Require', 'User-Agent', 'Server', 'Retry-After', 'Content-Encoding', 'Subject',
    'Content-ID', 'Warning', 'Unsupported',
  ].map((n) => [n.toLowerCase(), n]),
);

const CANONICAL_SPELLINGS: ReadonlySet<string> = new Set(Object.values(CANONICAL));

/** The canonical spelling of a header name; compact forms expanded. */
export function canonicalName(name: string): string {
  // Most names arrive spelled canonically already (every stack writes `Call-ID`, `CSeq`).
  if (CANONICAL_SPELLINGS.has(name)) return name;
  const lower = name.toLowerCase();
  const long = name.length === 1 ? COMPACT_FORMS[lower] : undefined;
  if (long !== undefined) return long;
  return CANONICAL[lower] ?? name;
}

/** A name of ASCII only, whose lower case has its length (an entry of another length cannot match it). */
const ASCII = /^[\x00-\x7f]*$/;

/** Ordered, case-insensitive header list. */
export class SipHeaders {
  readonly entries: HeaderEntry[];
  constructor(entries: HeaderEntry[] = []) {
    this.entries = entries.map(([n, v]) => [canonicalName(n), v]);
  }
  get(name: string): string | undefined {
    const n = canonicalName(name).toLowerCase();
    const anyLength = !ASCII.test(n);
    for (const [k, v] of this.entries) if ((anyLength || k.length === n.length) && k.toLowerCase() === n) return v;
    return undefined;
  }
  /** Every value of a header, comma-separated lists split (RFC 3261 section 7.3.1). */
  getAll(name: string): string[] {
    const n = canonicalName(name).toLowerCase();
    const anyLength = !ASCII.test(n);
    const out: string[] = [];
    for (const [k, v] of this.entries) if ((anyLength || k.length === n.length) && k.toLowerCase() === n) out.push(...splitList(v));
    return out;
  }
  has(name: string): boolean {
    return this.get(name) !== undefined;
  }
  set(name: string, value: string): this {
    this.delete(name);
    this.entries.push([canonicalName(name), value]);
    return this;
  }
  add(name: string, value: string): this {
    this.entries.push([canonicalName(name), value]);
    return this;
  }
  /** Inserts before the others of the same name (a new top Via). */
  prepend(name: string, value: string): this {
    this.entries.unshift([canonicalName(name), value]);
    return this;
  }
  delete(name: string): this {
    const n = canonicalName(name).toLowerCase();
    for (let i = this.entries.length - 1; i >= 0; i--) if (this.entries[i]![0].toLowerCase() === n) this.entries.splice(i, 1);
    return this;
  }
  clone(): SipHeaders {
    return new SipHeaders(this.entries.map(([n, v]) => [n, v]));
  }
}

/** Splits a comma-separated header value, ignoring commas inside quotes and angle brackets. */
export function splitList(value: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === '<') depth++;
    else if (c === '>') depth = Math.max(0, depth - 1);
    else if (c === ',' && depth === 0) {
      const part = value.slice(start, i).trim();
      if (part !== '') out.push(part);
      start = i + 1;
    }
  }
  const last = value.slice(start).trim();
  if (last !== '') out.push(last);
  return out;
}

export function isRequest(m: SipMessage): m is SipRequest {
  return m.kind === 'request';
}
