import { describe, expect, it } from 'vitest';
import { parseStream } from './xml-guard.ts';

const HEAD = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='s1' version='1.0'>";
const presence = (n: number): string => `<presence from='a@b/c${n}'><status>${'x'.repeat(50)}</status></presence>`;

describe('inbound XML guard (RFC 6120 section 11.1, stanza size limit)', () => {
  it('reads many small stanzas, whatever the read size', () => {
    const text = HEAD + Array.from({ length: 500 }, (_, i) => presence(i)).join('');
    // (Not 1 or 2: ltx itself loses an XML declaration that arrives one or two characters at a time.)
    for (const chunk of [7, 64, 4096, 65_536]) {
      const r = parseStream(text, 2048, chunk);
      expect(r.refusal).toBeUndefined();
      expect(r.elements).toHaveLength(500);
    }
  });

  it.each([
    ['a DTD', `<!DOCTYPE stream [<!ENTITY x "boom">]>`, 'restricted-xml'],
    ['an entity declaration inside', `<presence from='a@b/c'><!ENTITY x "y"></presence>`, 'restricted-xml'],
    ['a comment', `<presence from='a@b/c'><!-- hi --></presence>`, 'restricted-xml'],
    ['a processing instruction', `<?php echo 1 ?><presence from='a@b/c'/>`, 'restricted-xml'],
    ['an undeclared entity reference', `<presence from='a@b/c'><status>&xxe;</status></presence>`, 'restricted-xml'],
    ['an illegal character reference', `<presence from='a@b/c'><status>&#0;</status></presence>`, 'restricted-xml'],
  ])('refuses %s, expanding nothing', (_name, body, condition) => {
    for (const chunk of [3, 7, 4096]) {
      const r = parseStream(HEAD + body + presence(1), 4096, chunk);
      expect(r.refusal?.condition, `read size ${chunk}`).toBe(condition);
      expect(JSON.stringify(r.elements.map((e) => e.toString()))).not.toContain('boom');
    }
  });

  it('allows CDATA and the five predefined entities', () => {
    const r = parseStream(`${HEAD}<presence from='a@b/c'><status>&lt;b&gt; &amp; &quot;q&quot; &apos;s&apos; &#x263A;</status></presence>`);
    expect(r.refusal).toBeUndefined();
    expect(r.elements[0]!.getChildText('status')).toBe(`<b> & "q" 's' ☺`);
  });

  it('ends the stream at a stanza over the limit (policy-violation), however it is split, even inside one read', () => {
    const big = `<presence from='a@b/c'><status>${'y'.repeat(20_000)}</status></presence>`;
    for (const chunk of [512, 4096, 65_536]) {
      const r = parseStream(HEAD + presence(1) + big + presence(2), 8192, chunk);
      expect(r.refusal?.condition).toBe('policy-violation');
      expect(r.elements).toHaveLength(1);
    }
  });

  it('counts attributes too', () => {
    const r = parseStream(`${HEAD}<presence from='a@b/c' x='${'z'.repeat(9000)}'/>`, 8192, 65_536);
    expect(r.refusal?.condition).toBe('policy-violation');
  });

  it('ends the stream at endless text without a tag', () => {
    const r = parseStream(HEAD + `<presence from='a@b/c'><status>${'z'.repeat(100_000)}`, 8192, 4096);
    expect(r.refusal?.condition).toBe('policy-violation');
  });
});
