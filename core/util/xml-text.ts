import { XMLParser, XMLValidator } from 'fast-xml-parser';

/**
 * XML character data, both ways, for the hand-written protocol readers (SIP bodies, DMCC): the five
 * predefined entities and numeric character references of XML 1.0 section 4.1. Nothing else is
 * expanded: the parsers refuse DTDs, so no other entity can be declared.
 */
const NAMED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

export function decodeEntities(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-z]{2,4});/g, (m, e: string) => {
    if (e.startsWith('#')) {
      const cp = e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return cp > 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff) ? String.fromCodePoint(cp) : m;
    }
    return NAMED[e] ?? m;
  });
}

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&${({ '<': 'lt', '>': 'gt', '&': 'amp', '"': 'quot', "'": 'apos' } as const)[c as '<']};`);
}

/**
 * The one hardened configuration of fast-xml-parser for protocol readers: no entity processing (the
 * text is decoded above, by hand), no declarations or processing instructions, every value a
 * string, every element an array so that one and many read the same. Readers pass it to
 * `new XMLParser(...)` and refuse DTDs before parsing.
 */
export const SAFE_XML_PARSER_OPTIONS = {
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  processEntities: false,
  htmlEntities: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  alwaysCreateTextNode: true,
  textNodeName: '#text',
  isArray: (_name: string, _jpath: unknown, _leaf: boolean, isAttribute: boolean): boolean => !isAttribute,
} as const;

const safeParser = new XMLParser(SAFE_XML_PARSER_OPTIONS);

/**
 * Validates `text` and parses it with the hardened options: the step both protocol readers share
 * after their own checks (size, DTDs). `fail` builds the reader's own error from the message.
 */
export function validateAndParseXml(text: string, fail: (message: string) => Error): unknown {
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw fail(`malformed XML: ${valid.err.msg} (line ${valid.err.line})`);
  try {
    return safeParser.parse(text);
  } catch (e) {
    throw fail(`malformed XML: ${e instanceof Error ? e.message : String(e)}`);
  }
}
