import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mutate, plainAgrees, seeds } from '../../scripts/fuzz/sip.ts';
import { seededRandom } from '../../core/util/random.ts';
import { buildPidf, parsePidf } from './pidf.ts';
import { parsePlainXml } from './xml-fast.ts';
import { parseXml, parseXmlHardened, XmlError } from './xml.ts';

const fixtures = ['sip-presence', 'sip-dialog'].flatMap((kind) => {
  const dir = new URL(`../${kind}/fixtures/`, import.meta.url);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.xml'))
    .map((f) => [`${kind}/${f}`, readFileSync(new URL(f, dir), 'utf8')] as const);
});

describe('the plain XML reader (the fast path of parseXml)', () => {
  it.each(fixtures)('reads %s as the hardened parser does', (_name, xml) => {
    expect(parsePlainXml(xml)).toBeDefined();
    expect(parsePlainXml(xml)).toStrictEqual(parseXmlHardened(xml));
  });

  it('reads what buildPidf writes, and parsePidf gives the same document either way', () => {
    const xml = buildPidf({ entity: 'sip:a@corp.example', tupleId: 't&1', personId: 'p', basic: 'open', activities: ['on-the-phone', 'meeting'], note: 'Call <5> & "co"', userInput: 'idle', timestamp: '2026-11-22T10:00:00Z' });
    expect(parsePlainXml(xml)).toStrictEqual(parseXmlHardened(xml));
    const doc = parsePidf(xml);
    expect(doc.persons[0]!.activities).toEqual(['on-the-phone', 'meeting']);
    expect(doc.tuples[0]!.id).toBe('t&1');
    expect(doc.tuples[0]!.notes).toEqual(['Call <5> & "co"']);
  });

  it.each([
    ['a comment', '<a><!-- x --><b/></a>'],
    ['a CR inside a value', '<a x="1\r\n2">3\r\n4</a>'],
    ['CDATA', '<a><![CDATA[x]]></a>'],
    ['a processing instruction', '<a><?pi x?></a>'],
    ['mixed content', '<a>x<b/>y</a>'],
    ['an undeclared entity', '<a>&foo;</a>'],
    ['a control character', '<a>\u0001</a>'],
    ['a mismatched end tag', '<a><b></a></b>'],
    ['an unclosed element', '<a><b/>'],
    ['a repeated attribute', '<a x="1" x="2"/>'],
    ['two attributes of one local name', '<a b:x="1" c:x="2"/>'],
    ['a second root', '<a/><b/>'],
    ['text after the root', '<a/>x'],
    ['an element named like a prototype key', '<a><constructor/></a>'],
    ['an element named __proto__', '<a><__proto__/></a>'],
    ['deep nesting', `${'<a>'.repeat(40)}${'</a>'.repeat(40)}`],
    ['a no-break space around a value', '<a>\u00a0x</a>'],
    ['an attribute without quotes', '<a x=1/>'],
    ['an XML declaration not first', ' <?xml version="1.0"?><a/>'],
    ['an XML declaration of another version', '<?xml version="1.1"?><a/>'],
  ])('leaves %s to the hardened parser', (_name, xml) => {
    expect(parsePlainXml(xml)).toBeUndefined();
    // parseXml answers exactly as the hardened path does: the same tree or the same refusal.
    let hardened: unknown;
    let refusal: unknown;
    try {
      hardened = parseXmlHardened(xml);
    } catch (e) {
      refusal = e;
    }
    if (refusal !== undefined) {
      expect(refusal).toBeInstanceOf(XmlError);
      expect(() => parseXml(xml)).toThrow((refusal as Error).message);
    } else expect(parseXml(xml)).toStrictEqual(hardened);
  });

  it('leaves a document type declaration alone (parseXml refuses it before either reader)', () => {
    expect(parsePlainXml('<!DOCTYPE a><a/>')).toBeUndefined();
    expect(() => parseXml('<!DOCTYPE a><a/>')).toThrow(/document type declaration is refused/);
  });

  it('agrees with the hardened parser on 2 000 mutated PIDF and dialog-info documents', () => {
    const r = seededRandom(7);
    const { xml } = seeds();
    let plain = 0;
    for (let i = 0; i < 2000; i++) {
      const input = mutate(Buffer.from(xml[Math.floor(r() * xml.length)]!), r).toString('utf8');
      // plainAgrees throws on any disagreement, or on a document only the plain reader accepts.
      if (plainAgrees(input)) plain++;
    }
    // Mutations break most documents; some stay plain, and those are compared.
    expect(plain).toBeGreaterThan(20);
  });

  it('agrees with the hardened parser on generated documents of awkward names, values and text', () => {
    let plain = 0;
    let total = 0;
    fc.assert(
      fc.property(documentArb, (xml) => {
        total++;
        if (plainAgrees(xml)) plain++;
      }),
      { numRuns: 1000, seed: 11 },
    );
    // Mixed content, odd names and the awkward pieces send most elsewhere; a few hundred are compared.
    expect(plain / total).toBeGreaterThan(0.08);
  });
});

/** Pieces that are plain, and pieces that are not (each must be read alike or left to the hardened parser). */
const PLAIN = ['a', 'b', 'open', ' ', '\n', '\t', '&amp;', '&lt;', '&#x41;', '&#65;', 'é', '='];
const AWKWARD = ['&', '&foo;', '>', '<', '\r\n', '\u00a0', '"', "'", '\u0001', ']]>'];
const textArb = fc.array(fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...PLAIN) }, { weight: 1, arbitrary: fc.constantFrom(...AWKWARD) }), { maxLength: 5 }).map((a) => a.join(''));
const nameArb = fc.constantFrom('a', 'tuple', 'rpid:away', 'dm:person', 'x:a', 'note', 'a-b.c', 'constructor', '1a', 'a:b:c');
const attrArb = fc.tuple(fc.constantFrom('id', 'x:id', 'y:id', 'xmlns', 'xmlns:rpid', 'entity', 'toString'), textArb, fc.constantFrom('"', "'"), fc.constantFrom(' ', '\n', '  ', ''));
interface El {
  readonly name: string;
  readonly attrs: readonly [string, string, string, string][];
  readonly content: readonly (El | string)[];
  readonly selfClose: boolean;
}
const elArb: fc.Arbitrary<El> = fc.letrec<{ el: El }>((tie) => ({
  el: fc.record({
    name: nameArb,
    attrs: fc.array(attrArb, { maxLength: 3 }),
    content: fc.array(fc.oneof({ weight: 2, arbitrary: textArb }, { weight: 1, arbitrary: tie('el') }), { maxLength: 3, depthIdentifier: 'el' }),
    selfClose: fc.boolean(),
  }),
})).el;
function serialize(e: El): string {
  const attrs = e.attrs.map(([n, v, q, sp]) => `${sp === '' ? ' ' : sp}${n}=${q}${v}${q}`).join('');
  if (e.selfClose && e.content.length === 0) return `<${e.name}${attrs}/>`;
  return `<${e.name}${attrs}>${e.content.map((c) => (typeof c === 'string' ? c : serialize(c))).join('')}</${e.name}>`;
}
const documentArb = fc.tuple(fc.constantFrom('', '<?xml version="1.0" encoding="UTF-8"?>\n', "<?xml version='1.0'?>"), elArb, fc.constantFrom('', '\n', ' x')).map(([decl, el, tail]) => `${decl}${serialize(el)}${tail}`);
