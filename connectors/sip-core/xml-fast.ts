import type { XmlNode } from './xml.ts';

/**
 * A fast reader for the plain documents SIP bodies almost always are (PIDF, RPID, dialog-info as
 * Kamailio, Asterisk and the phones write them): elements, attributes and character data, nothing
 * else. It builds exactly the tree the hardened fast-xml-parser configuration builds
 * (core/util/xml-text.ts SAFE_XML_PARSER_OPTIONS: prefixes dropped, `xmlns` attributes dropped,
 * values trimmed, entities left as written for `decodeEntities`, every element an array), in one
 * pass instead of the validator's and the parser's two.
 *
 * It decides nothing about hostile or unusual input: on anything outside that plain subset
 * (comments, CDATA, processing instructions, a document type declaration, mixed content, an entity
 * reference other than the predefined five and character references, control characters, a
 * mismatched or unclosed tag, a repeated attribute, a second root, deep nesting, a name that is an
 * Object.prototype key, whitespace other than XML's around a value, a CR inside a value) it answers `undefined`, and
 * the caller runs the hardened validator and parser, which decide and word the refusal. So every
 * document it accepts is one the hardened path accepts with the same tree (xml-fast.test.ts checks
 * both against each other on the fixtures and on mutated documents).
 */
export function parsePlainXml(text: string): XmlNode | undefined {
  const n = text.length;
  let i = 0;
  if (text.startsWith('<?xml')) {
    DECLARATION.lastIndex = 0;
    if (!DECLARATION.test(text)) return undefined;
    i = DECLARATION.lastIndex;
  }
  const doc: Record<string, XmlNode[]> = {};
  // The open elements: qualified name, node, text seen, whether it has child elements.
  const names: string[] = [];
  const nodes: Record<string, unknown>[] = [];
  const texts: string[] = [];
  const hasChild: boolean[] = [];
  let rootDone = false;
  while (i < n) {
    const lt = text.indexOf('<', i);
    const end = lt < 0 ? n : lt;
    if (end > i) {
      const raw = text.slice(i, end);
      if (!plainText(raw)) return undefined;
      if (names.length === 0) {
        if (!onlySpace(raw)) return undefined;
      } else texts[texts.length - 1] += raw;
    }
    if (lt < 0) break;
    i = lt + 1;
    const c = text.charCodeAt(i);
    if (c === SLASH) {
      // End tag: the name of the open element, optional whitespace, '>'.
      i++;
      const name = readName(text, i);
      if (name === undefined || names.length === 0 || name !== names[names.length - 1]) return undefined;
      i += name.length;
      while (i < n && isSpace(text.charCodeAt(i))) i++;
      if (text.charCodeAt(i) !== GT) return undefined;
      i++;
      names.pop();
      const node = nodes.pop()!;
      const t = texts.pop()!;
      const children = hasChild.pop()!;
      const value = trimmed(t);
      if (value === undefined || value.includes('\r')) return undefined;
      if (children) {
        if (value !== '') return undefined; // mixed content
      } else node['#text'] = value;
      if (names.length === 0) rootDone = true;
      continue;
    }
    // Start tag (anything else after '<': comment, CDATA, PI, DTD, is not plain).
    if (rootDone) return undefined;
    const name = readName(text, i);
    if (name === undefined) return undefined;
    i += name.length;
    const local = localName(name);
    if (local === undefined) return undefined;
    const node: Record<string, unknown> = {};
    const seen: string[] = [];
    let selfClosing = false;
    for (;;) {
      const before = i;
      while (i < n && isSpace(text.charCodeAt(i))) i++;
      const ch = text.charCodeAt(i);
      if (ch === GT) {
        i++;
        break;
      }
      if (ch === SLASH) {
        if (text.charCodeAt(i + 1) !== GT) return undefined;
        i += 2;
        selfClosing = true;
        break;
      }
      if (i === before) return undefined; // attributes are separated by whitespace
      const an = readName(text, i);
      if (an === undefined) return undefined;
      i += an.length;
      while (i < n && isSpace(text.charCodeAt(i))) i++;
      if (text.charCodeAt(i) !== EQ) return undefined;
      i++;
      while (i < n && isSpace(text.charCodeAt(i))) i++;
      const q = text.charCodeAt(i);
      if (q !== QUOT && q !== APOS) return undefined;
      const close = text.indexOf(q === QUOT ? '"' : "'", i + 1);
      if (close < 0) return undefined;
      const value = text.slice(i + 1, close);
      i = close + 1;
      // fast-xml-parser turns CR LF into LF in values: leave those to it.
      if (value.includes('<') || value.includes('\r') || !plainText(value) || value !== value.trim()) return undefined;
      // The validator refuses a repeated attribute by its written name, the tree by its local name.
      if (seen.includes(an)) return undefined;
      seen.push(an);
      if (an === 'xmlns' || an.startsWith('xmlns:')) continue;
      const al = localName(an);
      if (al === undefined) return undefined;
      const key = `@_${al}`;
      if (Object.hasOwn(node, key)) return undefined;
      node[key] = value;
    }
    if (names.length === 0) {
      if (Object.hasOwn(doc, local)) return undefined;
      doc[local] = [node as XmlNode];
    } else {
      const parent = nodes[nodes.length - 1]!;
      hasChild[hasChild.length - 1] = true;
      const list = parent[local];
      if (list === undefined) parent[local] = [node];
      else (list as unknown[]).push(node);
    }
    if (selfClosing) {
      node['#text'] = '';
      if (names.length === 0) rootDone = true;
      continue;
    }
    if (names.length >= MAX_DEPTH) return undefined;
    names.push(name);
    nodes.push(node);
    texts.push('');
    hasChild.push(false);
  }
  if (!rootDone || names.length > 0) return undefined;
  return doc as XmlNode;
}

const SLASH = 0x2f;
const GT = 0x3e;
const EQ = 0x3d;
const QUOT = 0x22;
const APOS = 0x27;
const MAX_DEPTH = 32;

/** `<?xml version="1.0" encoding="..." standalone="..."?>` and nothing more unusual. */
const DECLARATION = /<\?xml\s+version\s*=\s*(?:"1\.0"|'1\.0')(?:\s+encoding\s*=\s*(?:"[A-Za-z][A-Za-z0-9._-]*"|'[A-Za-z][A-Za-z0-9._-]*'))?(?:\s+standalone\s*=\s*(?:"(?:yes|no)"|'(?:yes|no)'))?\s*\?>/y;

/** An ASCII name at `at`, at most one prefix (`tuple`, `rpid:on-the-phone`), or undefined. */
function readName(text: string, at: number): string | undefined {
  let k = at;
  let colon = -1;
  let c = text.charCodeAt(k);
  if (!nameStart(c)) return undefined;
  for (k++; k < text.length; k++) {
    c = text.charCodeAt(k);
    if (nameStart(c) || (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x2d) continue;
    if (c === 0x3a && colon < 0 && nameStart(text.charCodeAt(k + 1))) {
      colon = k;
      continue;
    }
    break;
  }
  return text.slice(at, k);
}

function nameStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f;
}

/** The name without its prefix; undefined for a name that is a key of every object. */
function localName(name: string): string | undefined {
  const colon = name.indexOf(':');
  const local = colon < 0 ? name : name.slice(colon + 1);
  return RESERVED.has(local) ? undefined : local;
}

/** Names fast-xml-parser refuses as prototype pollution, and more: every key an object inherits. */
const RESERVED: ReadonlySet<string> = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function onlySpace(s: string): boolean {
  for (let k = 0; k < s.length; k++) if (!isSpace(s.charCodeAt(k))) return false;
  return true;
}

/** Character data without '>' or control characters, whose '&' all start a predefined or character reference. */
function plainText(s: string): boolean {
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c === GT || (c < 0x20 && !isSpace(c)) || (c >= 0x7f && c <= 0x9f)) return false;
    if (c === 0x26) {
      REFERENCE.lastIndex = k;
      if (!REFERENCE.test(s)) return false;
    }
  }
  return true;
}

const REFERENCE = /&(?:lt|gt|amp|quot|apos|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});/y;

/** `s` without XML whitespace at its ends, or undefined if other whitespace (NBSP, ...) is there too. */
function trimmed(s: string): string | undefined {
  let a = 0;
  let b = s.length;
  while (a < b && isSpace(s.charCodeAt(a))) a++;
  while (b > a && isSpace(s.charCodeAt(b - 1))) b--;
  const t = s.slice(a, b);
  return t === t.trim() ? t : undefined;
}
