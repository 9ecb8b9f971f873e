import { SipHeaders, type HeaderEntry, type SipMessage } from './message.ts';
import { parseCSeq, parseVia } from './header-values.ts';

/**
 * SIP message parser (RFC 3261 section 7). Bounded: a message larger than `maxMessageBytes`, more
 * than `maxHeaders` header lines or a header longer than `maxHeaderBytes` is refused before any
 * large allocation. Every refusal is a SipParseError whose message names what is wrong, so the
 * transport can log one clear line and drop the message.
 */
export interface ParseLimits {
  readonly maxMessageBytes: number;
  readonly maxHeaders: number;
  readonly maxHeaderBytes: number;
}

export const DEFAULT_LIMITS: ParseLimits = { maxMessageBytes: 65_535, maxHeaders: 128, maxHeaderBytes: 8_192 };

export class SipParseError extends Error {
  override readonly name = 'SipParseError';
}

const TOKEN = /^[A-Za-z0-9\-.!%*_+`'~]+$/;
const CRLFCRLF = Buffer.from('\r\n\r\n');
const LFLF = Buffer.from('\n\n');

/** Where the header section ends: index of the blank line and its length (tolerates bare LF). */
export function findHeaderEnd(buf: Buffer, from = 0): { at: number; len: number } | undefined {
  const crlf = buf.indexOf(CRLFCRLF, from);
  const lf = buf.indexOf(LFLF, from);
  if (crlf < 0 && lf < 0) return undefined;
  if (crlf >= 0 && (lf < 0 || crlf <= lf)) return { at: crlf, len: 4 };
  return { at: lf, len: 2 };
}

interface Head {
  readonly startLine: string;
  readonly headers: SipHeaders;
}

/** Parses the start line and header lines, unfolding continuation lines (RFC 3261 section 7.3.1). */
export function parseHead(text: string, limits: ParseLimits = DEFAULT_LIMITS): Head {
  const lines = text.split(/\r?\n/);
  const startLine = lines[0] ?? '';
  const entries: HeaderEntry[] = [];
  let current: string | undefined;
  const flush = (): void => {
    if (current === undefined) return;
    const colon = current.indexOf(':');
    if (colon <= 0) throw new SipParseError(`header line without a name: ${JSON.stringify(current.slice(0, 40))}`);
    const name = current.slice(0, colon).trim();
    if (!TOKEN.test(name)) throw new SipParseError(`invalid header name ${JSON.stringify(name.slice(0, 40))}`);
    if (entries.length >= limits.maxHeaders) throw new SipParseError(`more than ${limits.maxHeaders} header lines`);
    entries.push([name, current.slice(colon + 1).trim()]);
    current = undefined;
  };
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    if (line.length > limits.maxHeaderBytes) throw new SipParseError(`header line longer than ${limits.maxHeaderBytes} bytes`);
    if (line[0] === ' ' || line[0] === '\t') {
      if (current === undefined) throw new SipParseError('continuation line before any header');
      current += ` ${line.trim()}`;
      if (current.length > limits.maxHeaderBytes) throw new SipParseError(`folded header longer than ${limits.maxHeaderBytes} bytes`);
      continue;
    }
    flush();
    current = line;
  }
  flush();
  return { startLine, headers: new SipHeaders(entries) };
}

/** Parses the Content-Length header, refusing anything but one non-negative integer. */
export function contentLength(headers: SipHeaders): number | undefined {
  const values = headers.entries.filter(([n]) => n === 'Content-Length').map(([, v]) => v);
  if (values.length === 0) return undefined;
  if (values.length > 1 && new Set(values).size > 1) throw new SipParseError('conflicting Content-Length headers');
  const v = values[0]!;
  if (!/^\d{1,9}$/.test(v)) throw new SipParseError(`invalid Content-Length ${JSON.stringify(v.slice(0, 20))}`);
  return Number(v);
}

/**
 * Builds a message from a head and its body, checking the mandatory headers of RFC 3261 section 8.1.1
 * (Via, From, To, Call-ID, CSeq; CSeq method equal to the request method).
 */
export function buildMessage(head: Head, body: Buffer): SipMessage {
  const { startLine, headers } = head;
  let msg: SipMessage;
  const resp = /^SIP\/2\.0 ([1-6]\d\d) ?(.*)$/.exec(startLine);
  if (resp !== null) {
    msg = { kind: 'response', status: Number(resp[1]), reason: resp[2]!, headers, body };
  } else {
    const req = /^([A-Za-z0-9\-.!%*_+`'~]+) (\S+) SIP\/2\.0$/.exec(startLine);
    if (req === null) throw new SipParseError(`invalid start line ${JSON.stringify(startLine.slice(0, 60))}`);
    msg = { kind: 'request', method: req[1]!.toUpperCase(), uri: req[2]!, headers, body };
  }
  for (const h of ['Via', 'From', 'To', 'Call-ID', 'CSeq']) {
    if (!headers.has(h)) throw new SipParseError(`missing ${h} header`);
  }
  const cseq = parseCSeq(headers.get('CSeq')!);
  if (cseq === undefined) throw new SipParseError(`invalid CSeq ${JSON.stringify(headers.get('CSeq')!.slice(0, 40))}`);
  if (msg.kind === 'request' && cseq.method !== msg.method) throw new SipParseError(`CSeq method ${cseq.method} differs from ${msg.method}`);
  if (parseVia(headers.getAll('Via')[0] ?? '') === undefined) throw new SipParseError('invalid top Via header');
  return msg;
}

/**
 * Parses one datagram (RFC 3261 section 18.3): Content-Length is optional over UDP; a body longer
 * than Content-Length is truncated, a shorter one is an error.
 */
export function parseDatagram(buf: Buffer, limits: ParseLimits = DEFAULT_LIMITS): SipMessage {
  if (buf.length > limits.maxMessageBytes) throw new SipParseError(`message of ${buf.length} bytes exceeds ${limits.maxMessageBytes}`);
  let start = 0;
  while (start < buf.length && (buf[start] === 0x0d || buf[start] === 0x0a)) start++;
  const end = findHeaderEnd(buf, start);
  const headText = buf.subarray(start, end === undefined ? buf.length : end.at).toString('utf8');
  const head = parseHead(headText, limits);
  const bodyStart = end === undefined ? buf.length : end.at + end.len;
  const available = buf.length - bodyStart;
  const len = contentLength(head.headers);
  if (len !== undefined && len > available) throw new SipParseError(`Content-Length ${len} exceeds the ${available} body bytes received`);
  const body = Buffer.from(buf.subarray(bodyStart, bodyStart + (len ?? available)));
  return buildMessage(head, body);
}

export function parseMessage(text: string | Buffer, limits: ParseLimits = DEFAULT_LIMITS): SipMessage {
  return parseDatagram(typeof text === 'string' ? Buffer.from(text, 'utf8') : text, limits);
}
