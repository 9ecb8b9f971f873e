import { MAX_FRAME_BYTES } from './framing.ts';
import { decodeEntities, validateAndParseXml } from '../../core/util/xml-text.ts';

export { decodeEntities, escapeXml } from '../../core/util/xml-text.ts';

/**
 * Safe XML for DMCC messages. Entity processing is off and any document type declaration is
 * refused, so neither external entities nor entity expansion can happen; only the five predefined
 * entities and character references are decoded, by hand, without recursion. A message is bounded
 * by the frame (64 KiB) and its nesting by MAX_DEPTH. Namespace prefixes are dropped: ECMA-323
 * (CSTA), ECMA-354 (application sessions) and Avaya's private namespace use distinct local names
 * for everything read here.
 */
export class XmlError extends Error {
  override readonly name = 'XmlError';
}

export interface XmlNode {
  readonly [key: string]: XmlNode[] | string | undefined;
}

const MAX_DEPTH = 64;

function depthOk(text: string): boolean {
  // A cheap upper bound on nesting before the parser recurses: opening tags minus closing ones.
  let depth = 0;
  for (const m of text.matchAll(/<(\/?)[A-Za-z_][^>]*?(\/?)>/g)) {
    if (m[1] === '/') depth--;
    else if (m[2] !== '/') depth++;
    if (depth > MAX_DEPTH) return false;
  }
  return true;
}

/** Parses one message; returns its root element's local name and node. */
export function parseMessageXml(text: string): { name: string; node: XmlNode } {
  if (Buffer.byteLength(text, 'utf8') > MAX_FRAME_BYTES) throw new XmlError(`XML larger than ${MAX_FRAME_BYTES} bytes`);
  if (text.trim() === '') throw new XmlError(text === '' ? 'empty message: no XML after the frame header' : 'message of only white space: no XML after the frame header');
  if (/<!DOCTYPE|<!ENTITY/i.test(text)) throw new XmlError('XML with a document type declaration is refused (no DTDs, no entities)');
  if (!depthOk(text)) throw new XmlError(`XML nested deeper than ${MAX_DEPTH} elements`);
  const doc = validateAndParseXml(text, (m) => new XmlError(m));
  const names = doc !== null && typeof doc === 'object' ? elementNames(doc as XmlNode) : [];
  if (names.length !== 1) throw new XmlError(names.length === 0 ? 'XML without a root element' : `XML with ${names.length} root elements`);
  const name = names[0]!;
  const node = children(doc as XmlNode, name)[0];
  if (node === undefined) throw new XmlError('XML without a root element');
  return { name, node };
}

export function children(node: XmlNode | undefined, name: string): XmlNode[] {
  const c = node?.[name];
  return Array.isArray(c) ? c : [];
}

export function child(node: XmlNode | undefined, ...path: string[]): XmlNode | undefined {
  let n = node;
  for (const p of path) n = children(n, p)[0];
  return n;
}

/** The decoded text of the element at `path` below `node` (the node itself with no path). */
export function text(node: XmlNode | undefined, ...path: string[]): string | undefined {
  const t = child(node, ...path)?.['#text'];
  return typeof t === 'string' ? decodeEntities(t) : undefined;
}

export function elementNames(node: XmlNode | undefined): string[] {
  if (node === undefined) return [];
  return Object.keys(node).filter((k) => !k.startsWith('#') && !k.startsWith('@_'));
}

