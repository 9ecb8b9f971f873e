import { decodeEntities, validateAndParseXml } from '../../core/util/xml-text.ts';
import { parsePlainXml } from './xml-fast.ts';

export { decodeEntities, escapeXml } from '../../core/util/xml-text.ts';

/**
 * Safe XML for bodies received from the network. Entity processing is off in fast-xml-parser and
 * any document type declaration is refused outright, so neither external entities (XXE) nor
 * entity expansion (billion laughs) can happen; only the five predefined entities and character
 * references are decoded, by hand, without recursion. Size and nesting are bounded.
 * Namespace prefixes are dropped: PIDF (RFC 3863), the data model (RFC 4479), RPID (RFC 4480) and
 * dialog-info (RFC 4235) use distinct local names for the elements read here.
 */
export class XmlError extends Error {
  override readonly name = 'XmlError';
}

export interface XmlNode {
  readonly [key: string]: XmlNode[] | string | undefined;
}

export const MAX_XML_BYTES = 262_144;

export function parseXml(text: string, maxBytes = MAX_XML_BYTES): XmlNode {
  if (Buffer.byteLength(text, 'utf8') > maxBytes) throw new XmlError(`XML body larger than ${maxBytes} bytes`);
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new XmlError('XML with a document type declaration is refused (no DTDs, no entities)');
  // The plain documents almost every body is, in one pass (xml-fast.ts); anything else, hardened.
  return parsePlainXml(text) ?? parseXmlHardened(text);
}

/** The validator and fast-xml-parser with the hardened options: what decides every document that is not plain. */
export function parseXmlHardened(text: string): XmlNode {
  const doc = validateAndParseXml(text, (m) => new XmlError(m));
  if (doc === null || typeof doc !== 'object') throw new XmlError('XML without a root element');
  return doc as XmlNode;
}

/** The root element named `name`, or an error naming what was found instead. */
export function root(doc: XmlNode, name: string): XmlNode {
  const r = doc[name];
  if (!Array.isArray(r) || r[0] === undefined) {
    const found = Object.keys(doc).filter((k) => !k.startsWith('#') && !k.startsWith('@_'));
    throw new XmlError(`expected a <${name}> root element, found ${found.length === 0 ? 'none' : `<${found.join('>, <')}>`}`);
  }
  return r[0];
}

export function children(node: XmlNode | undefined, name: string): XmlNode[] {
  const c = node?.[name];
  return Array.isArray(c) ? c : [];
}

export function child(node: XmlNode | undefined, name: string): XmlNode | undefined {
  return children(node, name)[0];
}

/** The decoded text content of an element. */
export function text(node: XmlNode | undefined): string | undefined {
  const t = node?.['#text'];
  return typeof t === 'string' ? decodeEntities(t) : undefined;
}

export function attr(node: XmlNode | undefined, name: string): string | undefined {
  const a = node?.[`@_${name}`];
  return typeof a === 'string' ? decodeEntities(a) : undefined;
}

/** Element names below a node (namespace prefix already removed). */
export function elementNames(node: XmlNode | undefined): string[] {
  if (node === undefined) return [];
  return Object.keys(node).filter((k) => !k.startsWith('#') && !k.startsWith('@_'));
}

