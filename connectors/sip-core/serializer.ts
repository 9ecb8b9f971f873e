import type { SipMessage } from './message.ts';

/**
 * Serializes a message (RFC 3261 section 7): long header names, one line per entry, and a
 * Content-Length always computed from the body (mandatory on stream transports, section 20.14).
 * Header values with CR or LF are refused: they would let a value inject headers.
 */
export function serialize(m: SipMessage): Buffer {
  const start = m.kind === 'request' ? `${m.method} ${m.uri} SIP/2.0` : `SIP/2.0 ${m.status} ${m.reason}`;
  const lines = [start];
  for (const [name, value] of m.headers.entries) {
    if (name === 'Content-Length') continue;
    if (/[\r\n]/.test(value) || /[\r\n:]/.test(name)) throw new Error(`header ${name} holds a line break`);
    lines.push(`${name}: ${value}`);
  }
  lines.push(`Content-Length: ${m.body.length}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8'), m.body]);
}
