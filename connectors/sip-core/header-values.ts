/**
 * Parsers for the structured header values this stack uses (RFC 3261 section 20 and 25.1):
 * name-addr (From, To, Contact, Route), Via, CSeq, and generic `;param=value` lists
 * (Event, Subscription-State, Content-Type). They never throw on odd input: a caller that needs a
 * field checks for its absence.
 */
export type Params = Record<string, string>;

export interface NameAddr {
  readonly display?: string;
  readonly uri: string;
  readonly params: Params;
}

/** `a=1;b;c="x y"` -> {a: '1', b: '', c: 'x y'}; parameter names lower-cased. */
export function parseParams(s: string): Params {
  const out: Params = {};
  for (const part of splitOutsideQuotes(s, ';')) {
    const p = part.trim();
    if (p === '') continue;
    const eq = p.indexOf('=');
    const name = (eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase();
    let value = eq < 0 ? '' : p.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1).replace(/\\(.)/g, '$1');
    if (name !== '') out[name] = value;
  }
  return out;
}

export function formatParams(p: Params): string {
  return Object.entries(p)
    .map(([k, v]) => (v === '' ? `;${k}` : `;${k}=${v}`))
    .join('');
}

function splitOutsideQuotes(s: string, sep: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = indexOutsideQuotes(s, sep); i >= 0; i = indexOutsideQuotes(s, sep, start)) {
    out.push(s.slice(start, i));
    start = i + 1;
  }
  out.push(s.slice(start));
  return out;
}

/** `value;params` -> the leading value and its parameters (Event, Subscription-State, Content-Type). */
export function parseValueParams(s: string): { value: string; params: Params } {
  const parts = splitOutsideQuotes(s, ';');
  return { value: (parts[0] ?? '').trim().toLowerCase(), params: parseParams(parts.slice(1).join(';')) };
}

/**
 * name-addr / addr-spec (RFC 3261 section 20.10): `"Alice" <sip:a@x;transport=tcp>;tag=1`. Without
 * angle brackets the parameters after the URI are header parameters, not URI parameters.
 */
export function parseNameAddr(s: string): NameAddr | undefined {
  const v = s.trim();
  const lt = indexOutsideQuotes(v, '<');
  if (lt >= 0) {
    const gt = v.indexOf('>', lt);
    if (gt < 0) return undefined;
    let display = v.slice(0, lt).trim();
    if (display.startsWith('"') && display.endsWith('"') && display.length >= 2) display = display.slice(1, -1).replace(/\\(.)/g, '$1');
    const uri = v.slice(lt + 1, gt).trim();
    if (uri === '') return undefined;
    const params = parseParams(v.slice(gt + 1).replace(/^\s*;/, ''));
    return display === '' ? { uri, params } : { display, uri, params };
  }
  const semi = v.indexOf(';');
  const uri = (semi < 0 ? v : v.slice(0, semi)).trim();
  if (uri === '' || !uri.includes(':')) return undefined;
  return { uri, params: semi < 0 ? {} : parseParams(v.slice(semi + 1)) };
}

/** The first `ch` at or after `from` (which must be outside quotes) that is not inside a quoted string; -1 if none. */
function indexOutsideQuotes(s: string, ch: string, from = 0): number {
  let quoted = false;
  for (let i = from; i < s.length; i++) {
    const c = s[i];
    if (quoted) {
      if (c === '\\') i++;
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === ch) return i;
  }
  return -1;
}

export function formatNameAddr(n: NameAddr): string {
  const display = n.display !== undefined ? `"${n.display.replace(/(["\\])/g, '\\$1')}" ` : '';
  return `${display}<${n.uri}>${formatParams(n.params)}`;
}

export interface Via {
  readonly transport: string;
  readonly host: string;
  readonly port?: number;
  readonly params: Params;
}

/** `SIP/2.0/UDP host:port;branch=z9hG4bK...` (RFC 3261 section 20.42). */
export function parseVia(s: string): Via | undefined {
  const m = /^\s*SIP\s*\/\s*2\.0\s*\/\s*([A-Za-z]+)\s+(\[[0-9a-fA-F:.]+\]|[^\s:;]+)(?:\s*:\s*(\d{1,5}))?\s*(;.*)?$/.exec(s);
  if (m === null) return undefined;
  const via: Via = { transport: m[1]!.toUpperCase(), host: m[2]!, params: parseParams((m[4] ?? '').replace(/^;/, '')) };
  return m[3] !== undefined ? { ...via, port: Number(m[3]) } : via;
}

export interface CSeq {
  readonly seq: number;
  readonly method: string;
}

/** `CSeq: 4711 SUBSCRIBE`; the number is below 2**31 (RFC 3261 section 8.1.1.5). */
export function parseCSeq(s: string): CSeq | undefined {
  const m = /^\s*(\d{1,10})\s+([A-Za-z]+)\s*$/.exec(s);
  if (m === null) return undefined;
  const seq = Number(m[1]);
  if (seq >= 2 ** 31) return undefined;
  return { seq, method: m[2]!.toUpperCase() };
}

export interface SipUri {
  readonly scheme: 'sip' | 'sips';
  readonly user?: string;
  readonly host: string;
  readonly port?: number;
  readonly params: Params;
}

/** A sip:/sips: URI (RFC 3261 section 19.1), enough to route to it. */
export function parseSipUri(s: string): SipUri | undefined {
  const m = /^(sips?):(?:([^@;?]+)@)?(\[[0-9a-fA-F:.]+\]|[^:;?]+)(?::(\d{1,5}))?(;[^?]*)?(\?.*)?$/i.exec(s.trim());
  if (m === null) return undefined;
  const user = m[2]?.split(':')[0];
  const uri: SipUri = { scheme: m[1]!.toLowerCase() as 'sip' | 'sips', host: m[3]!.toLowerCase(), params: parseParams((m[5] ?? '').replace(/^;/, '')) };
  return { ...uri, ...(user !== undefined ? { user } : {}), ...(m[4] !== undefined ? { port: Number(m[4]) } : {}) };
}

/** The address of record of a URI: `sip:user@host`, parameters and port dropped. */
export function addressOfRecord(uri: string): string {
  const u = parseSipUri(uri);
  if (u === undefined) return uri.trim();
  return `sip:${u.user !== undefined ? `${u.user}@` : ''}${u.host}`;
}
