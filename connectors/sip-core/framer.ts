import type { SipMessage } from './message.ts';
import { DEFAULT_LIMITS, SipParseError, buildMessage, contentLength, findHeaderEnd, parseHead, type ParseLimits } from './parser.ts';

/**
 * Stream framing for TCP/TLS (RFC 3261 section 18.3): Content-Length is mandatory and delimits the
 * body; CRLF keep-alives between messages are skipped (RFC 5626 section 3.5.1). The buffer never
 * grows past one message's limit: a peer that sends more without a blank line is refused.
 */
export class StreamFramer {
  private buf: Buffer = Buffer.alloc(0);
  constructor(private readonly limits: ParseLimits = DEFAULT_LIMITS) {}

  /** Feeds bytes; returns the complete messages. Throws SipParseError: the stream must then be closed. */
  push(chunk: Buffer): SipMessage[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: SipMessage[] = [];
    for (;;) {
      let start = 0;
      while (start < this.buf.length && (this.buf[start] === 0x0d || this.buf[start] === 0x0a)) start++;
      if (start > 0) this.buf = this.buf.subarray(start);
      if (this.buf.length === 0) break;
      const end = findHeaderEnd(this.buf);
      if (end === undefined) {
        if (this.buf.length > this.limits.maxMessageBytes) throw new SipParseError(`no end of headers within ${this.limits.maxMessageBytes} bytes`);
        break;
      }
      const head = parseHead(this.buf.subarray(0, end.at).toString('utf8'), this.limits);
      const len = contentLength(head.headers);
      if (len === undefined) throw new SipParseError('missing Content-Length on a stream transport');
      const total = end.at + end.len + len;
      if (total > this.limits.maxMessageBytes) throw new SipParseError(`message of ${total} bytes exceeds ${this.limits.maxMessageBytes}`);
      if (this.buf.length < total) break;
      const body = Buffer.from(this.buf.subarray(end.at + end.len, total));
      this.buf = this.buf.subarray(total);
      out.push(buildMessage(head, body));
    }
    return out;
  }
}
