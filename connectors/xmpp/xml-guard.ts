import type { EventEmitter } from 'node:events';
import type { XmlElement, XmppEntity } from '@xmpp/client';
import { Parser } from '@xmpp/xml';

/**
 * Bounds and restricts what the hub reads from an XMPP server, in front of xmpp.js's parser (which
 * has no size limit and throws out of the socket's data handler on an unknown entity):
 * - a top-level element larger than `maxStanzaBytes` ends the stream (RFC 6120 section 4.9.3.12,
 *   policy-violation): its names, attributes and text are counted as the parser reads them, and the
 *   bytes read since the last complete element are counted too (text without a tag is held by the
 *   parser until the next `<`), so nothing unbounded is ever kept;
 * - RFC 6120 section 11.1: no DTD, no entity declarations, no processing instruction after the
 *   stream header, no comments; entity references other than the five predefined ones and
 *   character references are refused (restricted-xml). Nothing is ever expanded.
 */
export interface InputRefusal {
  readonly condition: 'policy-violation' | 'restricted-xml' | 'not-well-formed';
  readonly reason: string;
}

/** `<!` that is not a CDATA section, or `<?` that is not the XML declaration. */
const RESTRICTED = /<!(?!\[CDATA\[)|<\?(?!xml[\s?])/;
/** Characters kept back between reads so a construct split across two reads is still seen. */
const KEEP = 9;

/** Thrown out of the parser's event handler: stops the parse of an element over the limit at once. */
class TooLarge extends Error {}

export class InputGuard {
  private pending = 0;
  private carry = '';
  private depth = 0;
  private size = 0;

  constructor(private readonly maxStanzaBytes: number) {}

  /** Before a read is parsed: a refusal, or undefined. */
  before(chunk: string): InputRefusal | undefined {
    this.pending += Buffer.byteLength(chunk);
    const text = this.carry + chunk;
    const decided = Math.max(0, text.length - KEEP);
    const m = RESTRICTED.exec(text);
    if (m !== null && m.index < decided) {
      return { condition: 'restricted-xml', reason: `the server sent ${JSON.stringify(text.slice(m.index, m.index + 12))}: DTDs, comments and processing instructions are not allowed in XMPP (RFC 6120 section 11.1)` };
    }
    this.carry = text.slice(decided);
    return undefined;
  }

  /** After the read was parsed. */
  after(): InputRefusal | undefined {
    if (this.pending > this.maxStanzaBytes) return { condition: 'policy-violation', reason: `a stanza from the server exceeds maxStanzaBytes (${this.maxStanzaBytes})` };
    return undefined;
  }

  /** A top-level element ended: the count starts again. */
  element(): void {
    this.pending = 0;
  }

  /** A new stream (connect, restart after TLS or SASL). */
  reset(): void {
    this.pending = 0;
    this.carry = '';
    this.depth = 0;
    this.size = 0;
  }

  /** Counts each element's content on the parser's own events (@xmpp/xml's `parser`, an ltx SAX parser). */
  watch(parser: EventEmitter): void {
    const sax = (parser as unknown as { parser?: EventEmitter }).parser;
    if (sax === undefined) return;
    const add = (n: number): void => {
      if (this.depth < 2) return;
      this.size += n;
      if (this.size > this.maxStanzaBytes) throw new TooLarge(`a stanza from the server exceeds maxStanzaBytes (${this.maxStanzaBytes})`);
    };
    sax.on('startElement', (name: string, attrs: Record<string, string>) => {
      this.depth++;
      if (this.depth === 2) this.size = 0;
      let n = name.length + 2;
      for (const k in attrs) n += k.length + (attrs[k]?.length ?? 0) + 4;
      add(n);
    });
    sax.on('text', (t: string) => add(t.length));
    sax.on('endElement', (name: string) => {
      add(name.length + 3);
      this.depth--;
    });
  }

  /** What an exception out of the parser means. */
  static refusal(e: unknown): InputRefusal {
    if (e instanceof TooLarge) return { condition: 'policy-violation', reason: e.message };
    // ltx throws on an unknown entity or an illegal character reference.
    return { condition: 'restricted-xml', reason: `the server sent XML the hub does not read: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/**
 * Installs the guard on an xmpp.js connection before it first connects: every read goes through
 * it; a refusal sends the stream error, closes the connection and is handed to `onRefused`.
 */
export function guardEntity(entity: XmppEntity, maxStanzaBytes: number, onRefused: (r: InputRefusal) => void): void {
  const guard = new InputGuard(maxStanzaBytes);
  const onData = entity._onData.bind(entity);
  const attachParser = entity._attachParser.bind(entity);
  let refused = false;
  const refuse = (r: InputRefusal): void => {
    if (refused) return;
    refused = true;
    onRefused(r);
    void entity._streamError(r.condition).catch(() => undefined);
  };
  entity._attachParser = (parser: EventEmitter) => {
    guard.reset();
    refused = false;
    guard.watch(parser);
    parser.on('element', () => guard.element());
    attachParser(parser);
  };
  entity._onData = (data: Buffer | string) => {
    if (refused) return;
    const chunk = typeof data === 'string' ? data : data.toString('utf8');
    const r = guard.before(chunk);
    if (r !== undefined) return refuse(r);
    try {
      onData(chunk);
    } catch (e) {
      return refuse(InputGuard.refusal(e));
    }
    const after = guard.after();
    if (after !== undefined) refuse(after);
  };
}

/**
 * The top-level elements of a stream fragment (`<stream:stream ...>` then stanzas), read through the
 * same guard and parser as a live connection: for tests, fixtures and the fuzzer.
 */
export function parseStream(text: string, maxStanzaBytes = 262_144, chunkSize = 4096): { elements: XmlElement[]; refusal?: InputRefusal } {
  const guard = new InputGuard(maxStanzaBytes);
  const parser = new Parser();
  guard.watch(parser);
  const elements: XmlElement[] = [];
  let refusal: InputRefusal | undefined;
  parser.on('element', (el: XmlElement) => {
    guard.element();
    elements.push(el);
  });
  parser.on('error', (e: Error) => {
    refusal ??= { condition: 'not-well-formed', reason: e.message };
  });
  for (let i = 0; i < text.length && refusal === undefined; i += chunkSize) {
    const chunk = text.slice(i, i + chunkSize);
    refusal = guard.before(chunk);
    if (refusal !== undefined) break;
    try {
      parser.write(chunk);
    } catch (e) {
      refusal = InputGuard.refusal(e);
      break;
    }
    refusal ??= guard.after();
  }
  return refusal === undefined ? { elements } : { elements, refusal };
}
